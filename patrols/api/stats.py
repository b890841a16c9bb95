"""Service records (one person in one activity) in a year, beside the district's target campaign."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..models import Activity
from ..params import StatsParams


class KindCountSerializer(drf.Serializer):
    kind = drf.ChoiceField(choices=Activity.Kind.choices)
    label = drf.CharField()
    count = drf.IntegerField()


class RoleCountSerializer(drf.Serializer):
    role = drf.CharField()
    label = drf.CharField()
    count = drf.IntegerField()


class CampaignSerializer(drf.Serializer):
    id = drf.IntegerField()
    name = drf.CharField()
    target = drf.IntegerField()
    start = drf.DateField()
    end = drf.DateField()
    count = drf.IntegerField(help_text=gettext_lazy("这一期的服务记录数（不含被驳回的活动）"))
    percent = drf.FloatField()
    running = drf.BooleanField(help_text=gettext_lazy("今天是否在这一期内；否则是已结束的上一期"))
    definition = drf.CharField()


class ServiceRecordStatsSerializer(drf.Serializer):
    """Documents the response of ServiceRecordStats."""

    year = drf.IntegerField()
    total = drf.IntegerField(help_text=gettext_lazy("服务记录数（不含被驳回的活动）"))
    verified = drf.IntegerField()
    pending = drf.IntegerField()
    by_kind = KindCountSerializer(many=True)
    by_role = RoleCountSerializer(many=True)
    people = drf.IntegerField(help_text=gettext_lazy("参与人数"))
    activities = drf.IntegerField()
    campaign = CampaignSerializer(allow_null=True, help_text=gettext_lazy(
        "正在进行的服务记录目标；没有时为最近结束的一期；从未设定时为 null"))
    definition = drf.CharField()


class ServiceRecordStats(APIView):
    """Service records (one person in one activity) in a year, by kind and role, beside the district's target."""

    @extend_schema(parameters=[StatsParams], responses=ServiceRecordStatsSerializer)
    def get(self, request):
        year = StatsParams.read(request.query_params).get("year", timezone.localdate().year)
        stats = selectors.service_record_stats(start=date(year, 1, 1), end=date(year, 12, 31))
        target = selectors.target_status()
        return Response({"year": year, **stats, "campaign": target["campaign"], "definition": target["definition"]})
