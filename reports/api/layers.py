"""The river-chief map's activity layers as GeoJSON, and the counts that decide GeoJSON or tiles."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..params import ReportParams, report_filters
from ..permissions import ChiefOrStaff
from ..selectors import layers


class _LayerView(APIView):
    permission_classes = [ChiefOrStaff]
    build = None

    @extend_schema(parameters=[ReportParams], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(type(self).build(request.user, report_filters(request)))


class ActivityPointsView(_LayerView):
    """GeoJSON: one point per activity (kind, day, waterway, people), for the clustered layer."""

    build = staticmethod(layers.activity_points)


class TracksView(_LayerView):
    """GeoJSON: the period's tracks (MultiLineString, split at GPS gaps)."""

    build = staticmethod(layers.track_lines)


class ProblemsView(_LayerView):
    """GeoJSON: problems seen in the period, with their state."""

    build = staticmethod(layers.problem_points)


class LayerSummaryView(_LayerView):
    """Feature counts per heavy layer and whether to use vector tiles; service records of the period."""

    build = staticmethod(layers.layer_summary)
