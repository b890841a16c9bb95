from django.urls import path
from . import api

urlpatterns = [
    path("auth/token/", api.ObtainToken.as_view(), name="api-token"),
    path("people/", api.PersonList.as_view(), name="api-people"),
    path("people/<int:pk>/", api.PersonDetail.as_view(), name="api-person"),
]
