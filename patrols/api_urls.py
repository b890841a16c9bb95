from django.urls import path

from . import api, field_api

urlpatterns = [
    path("activities/", api.ActivityListCreate.as_view(), name="api-activities"),
    path("activities/gpx/", api.ActivityGpxUpload.as_view(), name="api-activities-gpx"),
    path("activities/<int:pk>/", api.ActivityDetail.as_view(), name="api-activity"),
    path("activities/<int:pk>/review/", api.ActivityReview.as_view(), name="api-activity-review"),
    path("activities/<int:pk>/photos/", api.ActivityPhotoUpload.as_view(), name="api-activity-photos"),
    path("field/me/", field_api.FieldMe.as_view(), name="api-field-me"),
    path("field/history/", field_api.FieldHistory.as_view(), name="api-field-history"),
    path("stats/service-records/", api.ServiceRecordStats.as_view(), name="api-service-record-stats"),
]
