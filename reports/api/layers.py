"""The river-chief map's activity layers as GeoJSON, and the counts that decide GeoJSON or tiles."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..filters import parse_filters
from ..permissions import ChiefOrStaff
from ..selectors import layers

FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description=gettext_lazy("开始日期（北京时间，含），默认今年 1 月 1 日")),
    OpenApiParameter("end", OpenApiTypes.DATE, description=gettext_lazy("结束日期（北京时间，含），默认今天")),
    OpenApiParameter("waterway", str, description=gettext_lazy("河道编号（可逗号分隔多个），或 mine（本人任河长的河道）")),
    OpenApiParameter("kind", str, description=gettext_lazy("活动类型（可逗号分隔多个）")),
    OpenApiParameter("role", str, description=gettext_lazy("参与人员身份")),
    OpenApiParameter("team", int, description=gettext_lazy("参与人员所在队伍编号")),
]


class _LayerView(APIView):
    permission_classes = [ChiefOrStaff]
    build = None

    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(type(self).build(request.user, parse_filters(request)))


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
