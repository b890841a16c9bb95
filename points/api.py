"""The points API for the phone: my balance, what waits for review, my last entries and the rules in
force, in one small answer the phone keeps for when it has no signal."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from people.selectors import person_of
from riverwatch.dates import local_day

from . import selectors

# The phone shows a short list; the whole statement is the points page's (/points/me/).
LAST_ENTRIES = 10
# Numbers, not strings: the phone adds nothing up, it shows them (one decimal at most).
POINTS = {"max_digits": 10, "decimal_places": 1, "coerce_to_string": False}


class PointsPendingActivitySerializer(drf.Serializer):
    id = drf.IntegerField(source="activity.pk")
    kind = drf.CharField(source="activity.kind")
    kind_display = drf.CharField(source="activity.get_kind_display")
    day = drf.SerializerMethodField(help_text="活动开始的日子（北京时间）")
    points = drf.DecimalField(**POINTS, help_text="审核通过后按当日规则预计可得的积分（每日上限在记账时才算）")

    def get_day(self, pending) -> str:
        return local_day(pending.activity.started_at).isoformat()


class PointsPendingSerializer(drf.Serializer):
    total = drf.DecimalField(**POINTS)
    activities = PointsPendingActivitySerializer(many=True)


class PointsEntrySerializer(drf.Serializer):
    id = drf.IntegerField()
    at = drf.DateTimeField()
    amount = drf.DecimalField(**POINTS)
    reason = drf.CharField()
    kind = drf.CharField()
    kind_display = drf.CharField(source="get_kind_display")
    activity_id = drf.IntegerField(allow_null=True)
    problem_id = drf.IntegerField(allow_null=True)


class MyPointsSerializer(drf.Serializer):
    person = drf.IntegerField(allow_null=True, help_text="人员 id；账号没有关联人员时为 null")
    balance = drf.DecimalField(**POINTS, allow_null=True)
    earned = drf.DecimalField(**POINTS, allow_null=True)
    redeemed = drf.DecimalField(**POINTS, allow_null=True)
    pending = PointsPendingSerializer(allow_null=True)
    entries = PointsEntrySerializer(many=True)
    rules = drf.ListField(child=drf.CharField(), help_text="今天有效的积分规则，每条一句话")
    note = drf.CharField(allow_blank=True, help_text="没有积分可显示时的说明")


class MyPoints(APIView):
    """The signed-in person's points: balance, earned, redeemed, what waits for review, the last
    entries with their reasons, and the rules in force today. A login without a person gets the
    rules and a note, with null figures."""

    @extend_schema(responses=MyPointsSerializer)
    def get(self, request):
        person = person_of(request.user)
        rules = [selectors.describe_rule(rule) for rule in selectors.rules_for_display(timezone.localdate())["current"]]
        if person is None:
            return Response(MyPointsSerializer({
                "person": None, "balance": None, "earned": None, "redeemed": None, "pending": None, "entries": [],
                "rules": rules, "note": _("这个账号没有关联人员档案，没有积分。积分记在参加活动、上报问题的人员名下。"),
            }).data)
        totals = selectors.totals(person)
        waiting = selectors.pending(person)
        return Response(MyPointsSerializer({
            "person": person.pk, "balance": totals["balance"], "earned": totals["earned"], "redeemed": totals["redeemed"],
            "pending": {"total": selectors.pending_total(waiting), "activities": waiting},
            "entries": selectors.statement(person)[:LAST_ENTRIES], "rules": rules, "note": "",
        }).data)
