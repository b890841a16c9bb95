from django.urls import path

from . import views

urlpatterns = [
    path("problems/", views.problem_list, name="problem-list"),
    path("problems/mine/", views.my_tasks, name="problem-mine"),
    path("problems/new/", views.problem_new, name="problem-new"),
    path("problems/export.csv", views.problem_export, {"extension": "csv"}, name="problem-export-csv"),
    path("problems/export.xlsx", views.problem_export, {"extension": "xlsx"}, name="problem-export-xlsx"),
    path("problems/<int:pk>/", views.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/act/", views.problem_act, name="problem-act"),
    path("problems/<int:pk>/photos/<int:photo_pk>/<str:variant>/", views.problem_photo, name="problem-photo"),
]
