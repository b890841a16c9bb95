"""Query parameters of the activity list (API and page), the service-record statistics and the
phone's history: one serializer each, read the same way by the API, the page and the OpenAPI schema."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from people.models import Role
from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.params import BIGINT_MAX, ChoiceField, DayField, FlagField, QueryParams, WholeNumberField, shown
from waterways.params import WaterwayField

from .models import Activity


class ActivityParams(QueryParams):
    bbox = serializers.CharField(required=False, max_length=200, label=gettext_lazy("范围"),
                                 help_text=gettext_lazy("西,南,东,北（经纬度）；与之相交的活动都列出"))
    start = DayField(required=False, label=gettext_lazy("开始日期"), help_text=gettext_lazy("开始日期（北京时间，含）"))
    end = DayField(required=False, label=gettext_lazy("结束日期"), help_text=gettext_lazy("结束日期（北京时间，含）"))
    kind = ChoiceField(choices=Activity.Kind.choices, required=False, label=gettext_lazy("活动类型"))
    waterway = WaterwayField(required=False, label=gettext_lazy("河道"),
                             help_text=gettext_lazy("河道编码（如 ZW-G07）或编号"))
    person = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("人员"),
                              help_text=gettext_lazy("参与人员编号"))
    team = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("队伍"),
                            help_text=gettext_lazy("参与人员所在队伍编号"))
    status = ChoiceField(choices=Activity.Status.choices, required=False, label=gettext_lazy("状态"))
    role = ChoiceField(choices=Role.choices, required=False, label=gettext_lazy("身份"), help_text=gettext_lazy(
        "只列有该身份人员参与的活动（与报表的身份筛选同一规则）；列表头部的服务记录、人数和时长也只算该身份的记录"))
    counted = FlagField(required=False, label=gettext_lazy("计入统计"), help_text=gettext_lazy(
        "1：只列计入统计的活动（未被驳回）；0：只列被驳回的"))

    def validate_bbox(self, value):
        try:
            west, south, east, north = (float(part) for part in value.split(","))
        except ValueError:
            raise ValidationError(_("bbox 应为 西,南,东,北 四个数（经纬度）；收到“%(value)s”。")
                                  % {"value": shown(value)}) from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValidationError(_("bbox 范围不对：西 < 东，南 < 北，且在经纬度范围内。"))
        return (west, south, east, north)

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
        return data


class StatsParams(QueryParams):
    year = WholeNumberField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year,
                            label=gettext_lazy("年份"), help_text=gettext_lazy("年份，默认今年"))


HISTORY_LIMIT_MAX = 200


class HistoryParams(QueryParams):
    limit = WholeNumberField(required=False, min_value=1, max_value=HISTORY_LIMIT_MAX, default=50,
                             label=gettext_lazy("条数"), help_text=gettext_lazy("条数，默认 50，最多 200"))
