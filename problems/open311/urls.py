"""Open311 GeoReport v2 under /open311/v2/ (riverwatch/urls.py): each resource as .xml (the spec's
required format) and .json; any other address under it is a 404 in the spec's error format."""

from django.urls import re_path

from . import views

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FORMAT, views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+)" + FORMAT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FORMAT, views.service_requests, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + FORMAT, views.service_request, name="open311-request"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
