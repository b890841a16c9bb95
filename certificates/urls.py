from django.urls import path

from . import views

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate-list"),
    path("certificates/new/", views.certificate_issue, name="certificate-issue"),
    path("certificates/request/", views.request_from_profile, name="certificate-request"),
    path("certificates/requests/<int:pk>/decline/", views.request_decline, name="certificate-request-decline"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate-pdf"),
    # Public, no login: what a certificate's QR code opens.
    path("certificates/verify/<str:token>/", views.verify, name="certificate-verify"),
    # The phone's page (online; not one of the offline screens of patrols/field_views.py).
    path("m/certificate/", views.request_from_phone, name="field-certificate"),
]
