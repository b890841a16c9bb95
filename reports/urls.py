from django.urls import path

from . import views

urlpatterns = [
    path("map/", views.river_chief_map, name="river-chief-map"),
    path("compliance/", views.compliance_page, name="compliance"),
]
