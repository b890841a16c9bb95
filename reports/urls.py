from django.urls import path

from . import views
from .yearbook import views as report_views

urlpatterns = [
    path("map/", views.river_chief_map, name="river-chief-map"),
    path("compliance/", views.compliance_page, name="compliance"),
    # The office's reports (docs/reports.md).
    path("reports/", report_views.index, name="report-index"),
    path("reports/<int:year>/", report_views.annual, name="report-annual"),
    path("reports/<int:year>/q<int:quarter>/", report_views.quarterly, name="report-quarterly"),
    path("waterways/<str:code>/file/", report_views.waterway_file, name="waterway-file"),
    path("reports/build/", report_views.request_build, name="report-build"),
    path("reports/jobs/<uuid:pk>/", report_views.job_status, name="report-job"),
    path("reports/versions/<int:pk>/images/<str:key>.svg", report_views.image, name="report-image"),
    path("reports/versions/<int:pk>/<str:fmt>/", report_views.download, name="report-download"),
]
