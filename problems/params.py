"""Query parameters of the problem list (API, page and exports) and the figures: one serializer each,
read the same way by the API, the pages and the OpenAPI schema."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

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
from waterways.params import WaterwayField

from .models import OPEN_STATES, Category, Ending, Source, State
from .selectors import ListFilters

# ?state=open: every state before 已关闭 (models.OPEN_STATES), as a report's "still open" figure counts.
OPEN_ALIAS = "open"
STATE_CHOICES = [(OPEN_ALIAS, gettext_lazy("未关闭（已关闭之前的各状态）")), *State.choices]


class ProblemListParams(QueryParams):
    state = ChoiceListField(choices=STATE_CHOICES, required=False, label=gettext_lazy("状态"),
                            help_text=gettext_lazy("可多选，逗号分隔；open 表示已关闭之前的各状态"))
    category = ChoiceListField(choices=Category.choices, required=False, label=gettext_lazy("问题类别"))
    unit = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("责任单位"),
                            help_text=gettext_lazy("责任单位编号"))
    waterway = WaterwayField(required=False, label=gettext_lazy("河道"), help_text=gettext_lazy("河道编码（如 ZW-G07）或编号"))
    source = ChoiceListField(choices=Source.choices, required=False, label=gettext_lazy("来源"))
    start = DayField(required=False, label=gettext_lazy("开始日期"), help_text=gettext_lazy("发现日期起（北京时间，含）"))
    end = DayField(required=False, label=gettext_lazy("结束日期"), help_text=gettext_lazy("发现日期止（北京时间，含）"))
    overdue = FlagField(required=False, label=gettext_lazy("逾期"), help_text=gettext_lazy("1：只看逾期；0：不含逾期"))
    supervised = FlagField(required=False, label=gettext_lazy("督办"), help_text=gettext_lazy("1：只看督办件"))
    # The filters a report's figures link with (reports/yearbook/links.py builds the links).
    year = WholeNumberField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year,
                            label=gettext_lazy("年份"), help_text=gettext_lazy(
                                "发现于该年（北京时间）；与开始、结束日期同时给出时取两者的交集"))
    ending = ChoiceListField(choices=Ending.choices, required=False, label=gettext_lazy("结果"),
                             help_text=gettext_lazy("关闭时的结果，可多选，逗号分隔"))
    reopened = FlagField(required=False, label=gettext_lazy("重新打开"),
                         help_text=gettext_lazy("1：只看曾被重新打开的；0：只看从未重新打开的"))
    counted = FlagField(required=False, label=gettext_lazy("统计口径"), help_text=gettext_lazy(
        "1：只看计入统计的（群众扫码和外部系统上报的须经受理）；0：只看不计入的"))
    accepted = FlagField(required=False, label=gettext_lazy("已受理"), help_text=gettext_lazy(
        "1：只看已受理且不是重复或无效的；0：其余"))
    due_start = DayField(required=False, label=gettext_lazy("期限起"), help_text=gettext_lazy(
        "按时办结率的应办结问题：首次办理期限在此日起（北京时间，含）；计入统计，不含重复和无效问题，"
        "也不含期限未到仍在办理的"))
    due_end = DayField(required=False, label=gettext_lazy("期限止"), help_text=gettext_lazy(
        "按时办结率的应办结问题：首次办理期限在此日止（北京时间，含）"))
    on_time = FlagField(required=False, label=gettext_lazy("按时办结"), help_text=gettext_lazy(
        "1：只看已解决且在首次办理期限当天或之前办结的；0：其余。与 due_start、due_end 同用即按时办结率的分子"))

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        if data.get("due_start") and data.get("due_end") and data["due_end"] < data["due_start"]:
            raise ValidationError({"due_end": _("期限止不能早于期限起。")})
        return data


def expand_states(states) -> tuple[str, ...] | None:
    """The chosen states, with `open` standing for every state before 已关闭."""
    if not states:
        return None
    expanded = set(states) - {OPEN_ALIAS}
    if OPEN_ALIAS in states:
        expanded.update(str(state) for state in OPEN_STATES)
    return tuple(sorted(expanded))


def list_filters(validated: dict) -> ListFilters:
    return ListFilters(
        states=expand_states(validated.get("state")),
        categories=tuple(validated["category"]) if validated.get("category") else None,
        unit_id=validated.get("unit"),
        waterway_ids=(validated["waterway"],) if validated.get("waterway") else None,
        sources=tuple(validated["source"]) if validated.get("source") else None,
        start=validated.get("start"), end=validated.get("end"),
        overdue=validated.get("overdue"), supervised=validated.get("supervised"),
        year=validated.get("year"),
        endings=tuple(validated["ending"]) if validated.get("ending") else None,
        reopened=validated.get("reopened"), counted=validated.get("counted"), accepted=validated.get("accepted"),
        due_start=validated.get("due_start"), due_end=validated.get("due_end"), on_time=validated.get("on_time"),
    )


GROUPS = {"unit": gettext_lazy("责任单位"), "category": gettext_lazy("问题类别"), "waterway": gettext_lazy("河道")}


class FigureParams(QueryParams):
    start = DayField(label=gettext_lazy("开始日期"), help_text=gettext_lazy("期间起（北京时间，含）"))
    end = DayField(label=gettext_lazy("结束日期"), help_text=gettext_lazy("期间止（北京时间，含）"))
    by = ChoiceField(choices=list(GROUPS.items()), required=False, label=gettext_lazy("分组"),
                     help_text=gettext_lazy("unit、category 或 waterway；不填为合计"))

    def validate(self, data):
        if data["end"] < data["start"]:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        return data
