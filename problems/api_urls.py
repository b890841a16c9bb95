from django.urls import path

from . import api

urlpatterns = [
    path("problems/", api.ProblemListCreate.as_view(), name="api-problems"),
    path("problems/mine/", api.MyTasks.as_view(), name="api-problem-tasks"),
    path("problems/duplicates/", api.DuplicateCandidates.as_view(), name="api-problem-duplicates"),
    path("problems/figures/", api.Figures.as_view(), name="api-problem-figures"),
    path("problems/<int:pk>/", api.ProblemDetail.as_view(), name="api-problem"),
    path("problems/<int:pk>/actions/", api.ProblemMove.as_view(), name="api-problem-actions"),
    path("problems/<int:pk>/photos/", api.ProblemPhotoUpload.as_view(), name="api-problem-photos"),
    path("notices/", api.MyNotices.as_view(), name="api-notices"),
    path("units/", api.UnitList.as_view(), name="api-units"),
]
