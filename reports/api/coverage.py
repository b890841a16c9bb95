"""Coverage API: per-waterway coverage of a period, the gap stretches nobody walked lately, and the
reaches coloured by days since their last visit. Geometry in EPSG:4326."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from patrols.models import Activity
from people.models import Role

from ..filters import parse_bounded_int, parse_filters
from ..permissions import ChiefOrStaff, own_waterway_ids
from ..selectors import coverage as selectors

START = OpenApiParameter(
    "start", OpenApiTypes.DATE, description=gettext_lazy("开始日期（含），YYYY-MM-DD；默认为结束日期所在年份的 1 月 1 日"))
END = OpenApiParameter("end", OpenApiTypes.DATE, description=gettext_lazy("结束日期（含），YYYY-MM-DD；默认为今天（北京时间）"))
WATERWAY = OpenApiParameter(
    "waterway", str,
    description=gettext_lazy("河道 id，可重复或用逗号分隔；mine 表示本人担任河长的河道。只限定河段，不限定活动"))
KIND = OpenApiParameter(
    "kind", str, enum=Activity.Kind.values, description=gettext_lazy("活动类型，可重复或用逗号分隔；默认全部类型"))
ROLE = OpenApiParameter("role", str, enum=Role.values, description=gettext_lazy("只算有该身份人员参与的活动"))
TEAM = OpenApiParameter("team", int, description=gettext_lazy("只算有该队伍成员参与的活动"))
DAYS = OpenApiParameter(
    "days", int,
    description=gettext_lazy("超过多少天无人巡查算空白：距上次巡查的天数（结束日期减上次巡查日期，北京时间）大于此数，"
                             "或从未巡查。1–3650，默认 30"))


class PeriodSerializer(drf.Serializer):
    start = drf.DateField()
    end = drf.DateField()


class CoverageTotalsSerializer(drf.Serializer):
    length_m = drf.FloatField(help_text=gettext_lazy("河段总长（米）"))
    visited_m = drf.FloatField(help_text=gettext_lazy("期间内至少巡查一次的河段长度（米）"))
    coverage_pct = drf.FloatField(help_text=gettext_lazy("覆盖率（%），一位小数"))
    reaches_visited = drf.IntegerField()
    reaches_total = drf.IntegerField()
    last_visit = drf.DateTimeField(allow_null=True, help_text=gettext_lazy("结束日期前最近一次巡查（不限于本期间）"))


class CoverageWaterwaySerializer(CoverageTotalsSerializer):
    id = drf.IntegerField()
    code = drf.CharField()
    name = drf.CharField()
    kind = drf.CharField(help_text=gettext_lazy("river（河流）或 gully（支沟）"))
    mine = drf.BooleanField(help_text=gettext_lazy("本人担任河长的河道（排在最前）"))


class DistrictTotalsSerializer(CoverageTotalsSerializer):
    waterways = drf.IntegerField(help_text=gettext_lazy("列出的河道数"))


class CoverageSerializer(drf.Serializer):
    period = PeriodSerializer()
    waterways = CoverageWaterwaySerializer(many=True)
    district = DistrictTotalsSerializer(help_text=gettext_lazy("列出河道的合计"))


class LineGeometrySerializer(drf.Serializer):
    type = drf.CharField(default="LineString")
    coordinates = drf.ListField(child=drf.ListField(child=drf.FloatField()), help_text="[lon, lat], EPSG:4326")


class GapPropertiesSerializer(drf.Serializer):
    waterway = drf.IntegerField()
    waterway_code = drf.CharField()
    waterway_name = drf.CharField()
    start_m = drf.FloatField(help_text=gettext_lazy("距源头（米）"))
    end_m = drf.FloatField()
    length_m = drf.FloatField()
    reach_count = drf.IntegerField()
    last_visit = drf.DateTimeField(allow_null=True)
    days_since_visit = drf.IntegerField(allow_null=True, help_text=gettext_lazy("距结束日期的天数；从未巡查为 null"))


class GapFeatureSerializer(drf.Serializer):
    type = drf.CharField(default="Feature")
    geometry = LineGeometrySerializer()
    properties = GapPropertiesSerializer()


class GapCollectionSerializer(drf.Serializer):
    type = drf.CharField(default="FeatureCollection")
    days = drf.IntegerField()
    end = drf.DateField()
    total_length_m = drf.FloatField()
    features = GapFeatureSerializer(many=True)


class FreshnessPropertiesSerializer(drf.Serializer):
    waterway = drf.IntegerField()
    waterway_code = drf.CharField()
    waterway_name = drf.CharField()
    # "class" is a Python keyword: declared under another name, shown as "class" in the schema.
    class_ = drf.ChoiceField(choices=[name for name, _label in selectors.FRESHNESS_CLASSES])
    days_since_visit = drf.IntegerField(allow_null=True, help_text=gettext_lazy("该段中最近一次巡查距结束日期的天数"))
    start_m = drf.FloatField()
    end_m = drf.FloatField()
    length_m = drf.FloatField()

    def get_fields(self):
        fields = super().get_fields()
        fields["class"] = fields.pop("class_")
        return fields


class FreshnessFeatureSerializer(drf.Serializer):
    type = drf.CharField(default="Feature")
    geometry = LineGeometrySerializer()
    properties = FreshnessPropertiesSerializer()


class FreshnessClassSerializer(drf.Serializer):
    label = drf.CharField()
    length_m = drf.FloatField()

    def get_fields(self):
        fields = super().get_fields()
        return {"class": drf.CharField(), **fields}


class FreshnessCollectionSerializer(drf.Serializer):
    type = drf.CharField(default="FeatureCollection")
    end = drf.DateField()
    classes = FreshnessClassSerializer(many=True, help_text=gettext_lazy("图例：各类别及其长度"))
    features = FreshnessFeatureSerializer(many=True)


def _days(request) -> int:
    return parse_bounded_int(request.query_params, "days", selectors.DEFAULT_GAP_DAYS, 1, selectors.MAX_GAP_DAYS,
                             _("天数"))


class CoverageView(APIView):
    """Coverage of each waterway in a period: the chief's own first; totals over those listed."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[START, END, WATERWAY, KIND, ROLE, TEAM], responses=CoverageSerializer,
                   summary=gettext_lazy("河道巡查覆盖率"))
    def get(self, request):
        filters = parse_filters(request)
        return Response(selectors.coverage_summary(filters, own_ids=own_waterway_ids(request.user)))


class GapsView(APIView):
    """Stretches of consecutive reaches nobody patrolled for more than `days` days before the end
    (the map's freshness classes count days the same way), longest first."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[DAYS, END, WATERWAY, KIND, ROLE, TEAM], responses=GapCollectionSerializer,
                   summary=gettext_lazy("巡查空白河段"))
    def get(self, request):
        days = _days(request)
        filters = parse_filters(request)
        features = selectors.gap_stretches(filters, days=days)
        return Response({
            "type": "FeatureCollection",
            "days": days,
            "end": filters.end.isoformat(),
            "total_length_m": round(sum(feature["properties"]["length_m"] for feature in features), 1),
            "features": features,
        })


class ReachFreshnessView(APIView):
    """Reaches by days since their last visit, for colouring the map, with the legend's classes."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[END, WATERWAY, KIND, ROLE, TEAM], responses=FreshnessCollectionSerializer,
                   summary=gettext_lazy("河段距上次巡查天数"))
    def get(self, request):
        return Response(selectors.reach_freshness(parse_filters(request)))
