"""Patrol compliance of river chiefs, and deputies' participation (read-only, chiefs and staff)."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..filters import FIRST_DAY, LAST_DAY, parse_bounded_int, parse_date, parse_filters
from ..permissions import ChiefOrStaff
from ..selectors import compliance as selectors

MAX_SILENT_DAYS = 3660


def flag(params, name, default=False) -> bool:
    value = (params.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValidationError({name: _("%(name)s 应为 1 或 0；收到“%(value)s”。") % {"name": name, "value": value[:20]}})


def parse_deputy_params(params, today: date | None = None) -> tuple[int, int, date]:
    """(year, days, as_of) from a query string, with Chinese messages for what was wrong."""
    today = today or timezone.localdate()
    as_of = parse_date(params, "as_of", today, _("截至日期"))
    year = parse_bounded_int(params, "year", as_of.year, FIRST_DAY.year, LAST_DAY.year, _("年份"))
    days = parse_bounded_int(params, "days", selectors.DEFAULT_SILENT_DAYS, 1, MAX_SILENT_DAYS, _("天数"))
    return year, days, as_of


class ChiefComplianceView(APIView):
    """Each river chief's patrols against the rule of their level, most missing first."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", date, description=gettext_lazy("开始日期（北京时间，含），默认今年 1 月 1 日")),
            OpenApiParameter("end", date, description=gettext_lazy("结束日期（含），默认今天")),
            OpenApiParameter("behind", int, description=gettext_lazy("1：只列未达标（缺次数大于 0）的河长")),
            OpenApiParameter("waterway", str, description=gettext_lazy("只看这些河道上的河长任命：编号，逗号分隔，或 mine")),
        ],
        responses={200: dict},
        description=gettext_lazy(
            "考核周期为 ISO 周（周一至周日）、自然月、自然季度（北京时间）；在统计期内结束的周期计入，"
            "包含今天（或结束日期）且尚未结束的周期显示为进行中，不计缺次。任期须覆盖整个周期才考核。"
            "计入次数 = 本人在任河长河道上的巡河中，未被驳回且达到当前规则的最少时长和里程的次数。"
        ),
    )
    def get(self, request):
        filters = parse_filters(request)
        behind = flag(request.query_params, "behind")
        return Response(selectors.chief_compliance(
            viewer=request.user, start=filters.start, end=filters.end, behind_only=behind,
            waterway_ids=filters.waterway_ids,
        ))


class DeputyParticipationView(APIView):
    """Deputies' participation rate for a year, and who has had no service record lately."""

    permission_classes = [ChiefOrStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description=gettext_lazy("年份，默认今年")),
            OpenApiParameter("days", int, description=gettext_lazy("多少天没有服务记录算需要提醒，默认 90")),
            OpenApiParameter("as_of", date, description=gettext_lazy("截至日期，默认今天")),
        ],
        responses={200: dict},
        description=gettext_lazy(
            "参与率 = 在册人大代表中，当年至少有一条服务记录（活动未被驳回）的人数 ÷ 在册人大代表人数。"
            "district_reported_pct 为区里报告的两年参与率，仅供对照。电话只对工作人员显示。"
        ),
    )
    def get(self, request):
        year, days, as_of = parse_deputy_params(request.query_params)
        return Response(selectors.deputy_participation(viewer=request.user, year=year, days=days, as_of=as_of))
