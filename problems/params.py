"""Query parameters of the problem list (API, page and exports) and the figures: one serializer each,
read the same way by the API, the pages and the OpenAPI schema."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

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

from .models import Category, Source, State
from .selectors import ListFilters


class ProblemListParams(QueryParams):
    state = ChoiceListField(choices=State.choices, required=False, label=gettext_lazy("状态"),
                            help_text=gettext_lazy("可多选，逗号分隔"))
    category = ChoiceListField(choices=Category.choices, required=False, label=gettext_lazy("问题类别"))
    unit = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("责任单位"),
                            help_text=gettext_lazy("责任单位编号"))
    waterway = WaterwayField(required=False, label=gettext_lazy("河道"), help_text=gettext_lazy("河道编码（如 ZW-G07）或编号"))
    source = ChoiceListField(choices=Source.choices, required=False, label=gettext_lazy("来源"))
    start = DayField(required=False, label=gettext_lazy("开始日期"), help_text=gettext_lazy("发现日期起（北京时间，含）"))
    end = DayField(required=False, label=gettext_lazy("结束日期"), help_text=gettext_lazy("发现日期止（北京时间，含）"))
    overdue = FlagField(required=False, label=gettext_lazy("逾期"), help_text=gettext_lazy("1：只看逾期；0：不含逾期"))
    supervised = FlagField(required=False, label=gettext_lazy("督办"), help_text=gettext_lazy("1：只看督办件"))

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        return data


def list_filters(validated: dict) -> ListFilters:
    return ListFilters(
        states=tuple(validated["state"]) if validated.get("state") else None,
        categories=tuple(validated["category"]) if validated.get("category") else None,
        unit_id=validated.get("unit"),
        waterway_ids=(validated["waterway"],) if validated.get("waterway") else None,
        sources=tuple(validated["source"]) if validated.get("source") else None,
        start=validated.get("start"), end=validated.get("end"),
        overdue=validated.get("overdue"), supervised=validated.get("supervised"),
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
