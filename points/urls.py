from django.urls import path

from . import views

urlpatterns = [
    # Public: the boards, the rules and a village's page need no login.
    path("points/", views.boards, name="points-boards"),
    path("points/rules/", views.rules_page, name="points-rules"),
    path("points/villages/<str:code>/", views.village, name="points-village"),
    # A person's statement: the person and the office's staff.
    path("points/me/", views.my_statement, name="points-mine"),
    path("points/people/<int:pk>/", views.statement, name="points-statement"),
    path("points/people/<int:pk>/statement.csv", views.statement_csv, name="points-statement-csv"),
    path("points/people/<int:pk>/adjust/", views.adjust, name="points-adjust"),
    # The office's redemption desk (积分兑换).
    path("points/redeem/", views.redeem, name="points-redeem"),
]
