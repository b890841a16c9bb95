from django.urls import path

from .api import activities, field, photos, stats

urlpatterns = [
    path("activities/", activities.ActivityListCreate.as_view(), name="api-activities"),
    path("activities/gpx/", activities.ActivityGpxUpload.as_view(), name="api-activities-gpx"),
    path("activities/<int:pk>/", activities.ActivityDetail.as_view(), name="api-activity"),
    path("activities/<int:pk>/review/", activities.ActivityReview.as_view(), name="api-activity-review"),
    path("activities/<int:pk>/overturn/", activities.ActivityOverturn.as_view(), name="api-activity-overturn"),
    path("activities/<int:pk>/participants/<int:person_id>/remove/", activities.ActivityParticipantRemove.as_view(),
         name="api-activity-participant-remove"),
    path("activities/<int:pk>/photos/", photos.ActivityPhotoUpload.as_view(), name="api-activity-photos"),
    path("field/me/", field.FieldMe.as_view(), name="api-field-me"),
    path("field/history/", field.FieldHistory.as_view(), name="api-field-history"),
    path("stats/service-records/", stats.ServiceRecordStats.as_view(), name="api-service-record-stats"),
]
