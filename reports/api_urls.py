from django.urls import path, register_converter

from .api import compliance, coverage, hotspots, layers, tiles


class _SignedInt:
    regex = "-?[0-9]+"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(_SignedInt, "tilecoord")

urlpatterns = [
    path("coverage/", coverage.CoverageView.as_view(), name="api-coverage"),
    path("coverage/gaps/", coverage.GapsView.as_view(), name="api-coverage-gaps"),
    path("coverage/reaches/", coverage.ReachFreshnessView.as_view(), name="api-coverage-reaches"),
    path("hotspots/", hotspots.HotspotsView.as_view(), name="api-hotspots"),
    path("compliance/chiefs/", compliance.ChiefComplianceView.as_view(), name="api-compliance-chiefs"),
    path("compliance/deputies/", compliance.DeputyParticipationView.as_view(), name="api-compliance-deputies"),
    path("map/summary/", layers.LayerSummaryView.as_view(), name="api-map-summary"),
    path("map/activities/", layers.ActivityPointsView.as_view(), name="api-map-activities"),
    path("map/tracks/", layers.TracksView.as_view(), name="api-map-tracks"),
    path("map/problems/", layers.ProblemsView.as_view(), name="api-map-problems"),
    # Signed, so that a negative z, x or y reaches the view and gets its Chinese JSON 404.
    path("tiles/<str:layer>/<tilecoord:z>/<tilecoord:x>/<tilecoord:y>.mvt", tiles.TileView.as_view(), name="api-tile"),
]
