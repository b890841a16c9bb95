"""OGC API – Features under /ogc/ (riverwatch/urls.py, docs/ogc.md). A closing slash is taken as well
(owslib and QGIS write none, people often do); any other address under /ogc/ is a 404 in JSON."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^$", views.LandingView.as_view(), name="ogc-landing"),
    re_path(r"^conformance/?$", views.ConformanceView.as_view(), name="ogc-conformance"),
    re_path(r"^api/?$", views.OpenAPIView.as_view(), name="ogc-openapi"),
    re_path(r"^collections/?$", views.CollectionsView.as_view(), name="ogc-collections"),
    re_path(r"^collections/(?P<collection_id>[^/]+)/?$", views.CollectionView.as_view(), name="ogc-collection"),
    re_path(r"^collections/(?P<collection_id>[^/]+)/schema/?$", views.SchemaView.as_view(), name="ogc-schema"),
    re_path(r"^collections/(?P<collection_id>[^/]+)/items/?$", views.ItemsView.as_view(), name="ogc-items"),
    re_path(r"^collections/(?P<collection_id>[^/]+)/items/(?P<feature_id>[^/]+)/?$", views.ItemView.as_view(),
            name="ogc-item"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
