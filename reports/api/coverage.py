"""Coverage API: per-waterway coverage of a period, the gap stretches nobody walked lately, and the
reaches coloured by days since their last visit. Geometry in lon/lat (settings.API_SRID)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from ..params import FreshnessParams, GapParams, ReportParams, read, report_filters
from ..permissions import ChiefOrStaff, own_waterway_ids
from ..selectors import coverage as selectors


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
    coordinates = drf.ListField(child=drf.ListField(child=drf.FloatField()), help_text="[lon, lat], WGS-84")


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


class CoverageView(APIView):
    """Coverage of each waterway in a period: the chief's own first; totals over those listed."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[ReportParams], responses=CoverageSerializer, summary=gettext_lazy("河道巡查覆盖率"))
    def get(self, request):
        filters = report_filters(request)
        return Response(selectors.coverage_summary(filters, own_ids=own_waterway_ids(request.user)))


class GapsView(APIView):
    """Stretches of consecutive reaches nobody patrolled for more than `days` days before the end
    (the map's freshness classes count days the same way), longest first."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(parameters=[GapParams], responses=GapCollectionSerializer, summary=gettext_lazy("巡查空白河段"))
    def get(self, request):
        params = read(GapParams, request)
        days, filters = params.validated_data["days"], params.filters()
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

    @extend_schema(parameters=[FreshnessParams], responses=FreshnessCollectionSerializer,
                   summary=gettext_lazy("河段距上次巡查天数"))
    def get(self, request):
        return Response(selectors.reach_freshness(read(FreshnessParams, request).filters()))
