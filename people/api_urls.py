from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from . import api

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("people/", api.PersonList.as_view(), name="api-people"),
    path("people/<int:pk>/", api.PersonDetail.as_view(), name="api-person"),
]
