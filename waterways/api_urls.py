from django.urls import path

from . import api

urlpatterns = [
    path("waterways/", api.WaterwayList.as_view(), name="api-waterways"),
    path("waterways/<str:code>/reaches/", api.WaterwayReachList.as_view(), name="api-waterway-reaches"),
    path("stations/", api.StationList.as_view(), name="api-stations"),
    path("district/", api.DistrictOutline.as_view(), name="api-district"),
]
