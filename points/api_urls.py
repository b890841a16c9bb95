from django.urls import path

from . import api

urlpatterns = [
    path("points/me/", api.MyPoints.as_view(), name="api-points-me"),
]
