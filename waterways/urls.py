from django.urls import path

from . import views

urlpatterns = [
    path("", views.network_map, name="home"),
]
