from django.urls import path

from . import field_views, views

urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/review/", views.activity_review, name="activity-review"),
    path("activities/<int:pk>/overturn/", views.activity_overturn, name="activity-overturn"),
    path("activities/<int:pk>/participants/<int:person_id>/remove/", views.activity_participant_remove,
         name="activity-participant-remove"),
    path("activities/<int:pk>/photos/<int:photo_pk>/<str:variant>/", views.ActivityPhotoFile.as_view(), name="activity-photo"),
    path("people/me/", views.my_history, name="my-history"),
    path("people/me/export/", views.my_data_export, name="my-data-export"),
    path("people/<int:pk>/", views.person_history, name="person-history"),
    # The phone app (PWA). The service worker lives at /m/sw.js so that its scope is /m/.
    path("m/", field_views.home, name="field-home"),
    path("m/patrol/", field_views.patrol, name="field-patrol"),
    path("m/cleanup/", field_views.cleanup, name="field-cleanup"),
    path("m/problem/", field_views.problem, name="field-problem"),
    path("m/history/", field_views.history, name="field-history"),
    path("m/tasks/", field_views.tasks, name="field-tasks"),
    path("m/sw.js", field_views.service_worker, name="field-sw"),
    path("m/manifest.webmanifest", field_views.manifest, name="field-manifest"),
]
