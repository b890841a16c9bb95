from django.urls import path

from . import views

urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/review/", views.activity_review, name="activity-review"),
    path("activities/<int:pk>/photos/<int:photo_pk>/<str:variant>/", views.ActivityPhotoFile.as_view(), name="activity-photo"),
    path("people/me/", views.my_history, name="my-history"),
    path("people/<int:pk>/", views.person_history, name="person-history"),
]
