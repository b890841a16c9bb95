"""The query parameters of the river-chief map, the report APIs and the pages that show them: one
serializer each (riverwatch.params), read the same way by the API, the page and the OpenAPI schema."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from patrols.models import Activity
from people.models import Role, Team
from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.params import (
    BIGINT_MAX,
    ChoiceField,
    ChoiceListField,
    DayField,
    FlagField,
    QueryParams,
    WholeNumberField,
)
from waterways.params import WaterwayListField

from .filters import ReportFilters
from .permissions import own_waterway_ids
from .selectors.compliance import DEFAULT_SILENT_DAYS
from .selectors.coverage import DEFAULT_GAP_DAYS, MAX_GAP_DAYS
from .selectors.hotspots import MEASURES, METHODS, NORMALIZATIONS

# Longer windows are reports, not map views; they would also make a slow query easy to ask for.
MAX_PERIOD_DAYS = 366 * 5


def default_period(today: date | None = None) -> tuple[date, date]:
    """This year so far: what an office asks about first."""
    today = today or timezone.localdate()
    return date(today.year, 1, 1), today


class ReportParams(QueryParams):
    start = DayField(required=False, label=gettext_lazy("开始日期"),
                     help_text=gettext_lazy("开始日期（北京时间，含），YYYY-MM-DD；默认为结束日期所在年份的 1 月 1 日"))
    end = DayField(required=False, label=gettext_lazy("结束日期"),
                   help_text=gettext_lazy("结束日期（北京时间，含），YYYY-MM-DD；默认今天"))
    waterway = WaterwayListField(required=False, label=gettext_lazy("河道"), help_text=gettext_lazy(
        "河道编码（如 ZW-G07）或编号，可重复或用逗号分隔；mine 表示本人担任河长的河道"))
    kind = ChoiceListField(choices=Activity.Kind.choices, required=False, label=gettext_lazy("活动类型"),
                           help_text=gettext_lazy("活动类型，可重复或用逗号分隔；默认全部类型"))
    role = ChoiceField(choices=Role.choices, required=False, label=gettext_lazy("身份"),
                       help_text=gettext_lazy("只算有该身份人员参与的活动"))
    team = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("队伍"),
                            help_text=gettext_lazy("只算有该队伍成员参与的活动（队伍编号）"))

    def validate_team(self, value):
        if not Team.objects.filter(pk=value).exists():
            raise ValidationError(_("没有编号为 %(team)s 的队伍。") % {"team": value})
        return value

    def validate(self, data):
        today = self.context.get("today") or timezone.localdate()
        end = data.get("end", default_period(today)[1])
        # Without a start, the year of the end so far: `?end=2025-12-31` alone (gaps and freshness
        # take only an end) means 2025, not a backwards period from this year's 1 January.
        start = data.get("start", date(end.year, 1, 1))
        if end < start:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationError({"start": _("时间范围最长 5 年。")})
        return {**data, "start": start, "end": end}

    def filters(self) -> ReportFilters:
        data = self.validated_data
        kinds = data.get("kind")
        return ReportFilters(start=data["start"], end=data["end"], waterway_ids=data.get("waterway"),
                             kinds=tuple(kinds) if kinds else None, role=data.get("role"), team_id=data.get("team"))


def read(params_class, request, *, today: date | None = None):
    """One of this module's serializers read from a request (API or page), validated: its
    validated_data, and filters() for the shared ones. ValidationError says what was wrong."""
    query = request.query_params if hasattr(request, "query_params") else request.GET
    reader = params_class(query, context={"own_waterway_ids": lambda: own_waterway_ids(request.user), "today": today})
    reader.is_valid(raise_exception=True)
    return reader


def report_filters(request, *, today: date | None = None) -> ReportFilters:
    """The shared filters of a request."""
    return read(ReportParams, request, today=today).filters()


# --- Per endpoint ----------------------------------------------------------------------------------

class FreshnessParams(ReportParams):
    """How long since each reach was visited, as of the end: no start to give."""

    start = None


def _gap_days_field():
    return WholeNumberField(required=False, min_value=1, max_value=MAX_GAP_DAYS, default=DEFAULT_GAP_DAYS,
                            label=gettext_lazy("天数"), help_text=gettext_lazy(
                                "超过多少天无人巡查算空白：距上次巡查的天数（结束日期减上次巡查日期，北京时间）大于此数，"
                                "或从未巡查。1–3650，默认 30"))


class GapParams(FreshnessParams):
    days = _gap_days_field()


class GapTileParams(ReportParams):
    """The parameters of a vector tile as the API schema lists them, every layer's together: the
    tile view reads each layer's own (reports.api.tiles.PARAMS_BY_LAYER: freshness and gaps take no
    start, only gaps the days)."""

    days = _gap_days_field()


HEX_SIZE_RANGE_M = (50, 5000)


class HotspotParams(ReportParams):
    measure = ChoiceField(choices=MEASURES, required=False, default="problems", label=gettext_lazy("统计对象"),
                          help_text=gettext_lazy("problems 问题数，debris 垃圾公斤数，activities 活动次数；默认 problems"))
    method = ChoiceField(choices=METHODS, required=False, default="hex", label=gettext_lazy("分析单元"),
                         help_text=gettext_lazy("hex 六边形网格，network 河段（沿河网相邻）；默认 hex"))
    normalize = ChoiceField(choices=NORMALIZATIONS, required=False, default="none", label=gettext_lazy("校正"),
                            help_text=gettext_lazy("effort：除以单元内巡河里程（公里）；默认 none"))
    size = WholeNumberField(required=False, min_value=HEX_SIZE_RANGE_M[0], max_value=HEX_SIZE_RANGE_M[1],
                            default=lambda: settings.HOTSPOT_HEX_SIZE_M, label=gettext_lazy("六边形边长（米）"),
                            help_text=gettext_lazy("六边形边长（米），50–5000，默认 250；仅 hex"))


class ComplianceParams(ReportParams):
    behind = FlagField(required=False, label=gettext_lazy("只看未达标"),
                       help_text=gettext_lazy("1：只列未达标（缺次数大于 0）的河长"))


MAX_SILENT_DAYS = 3660


class DeputyParams(QueryParams):
    year = WholeNumberField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year, label=gettext_lazy("年份"),
                            help_text=gettext_lazy("年份，默认截至日期所在的年份"))
    days = WholeNumberField(required=False, min_value=1, max_value=MAX_SILENT_DAYS, default=DEFAULT_SILENT_DAYS,
                            label=gettext_lazy("天数"), help_text=gettext_lazy("多少天没有服务记录算需要提醒，默认 90"))
    as_of = DayField(required=False, label=gettext_lazy("截至日期"), help_text=gettext_lazy("截至日期，默认今天"))

    def validate(self, data):
        as_of = data.get("as_of") or self.context.get("today") or timezone.localdate()
        return {**data, "as_of": as_of, "year": data.get("year", as_of.year)}
