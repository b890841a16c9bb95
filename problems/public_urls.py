"""Public pages, no login: reporting through a waterway's signboard and following a report by its
tracking code. And the signboard itself, for staff and chiefs. (problems/public_views.py)"""

from django.urls import path

from . import public_views

urlpatterns = [
    # Before report/<code>/: "status" is not a waterway.
    path("report/status/", public_views.status_lookup, name="public-report-lookup"),
    path("report/status/<str:code>/", public_views.status, name="public-report-status"),
    path("report/thanks/<str:code>/", public_views.thanks, name="public-report-thanks"),
    path("report/<str:code>/", public_views.report, name="public-report"),
    path("waterways/<str:code>/signboard.png", public_views.signboard_png, name="signboard-png"),
    path("waterways/<str:code>/signboard.pdf", public_views.signboard_pdf, name="signboard-pdf"),
]
