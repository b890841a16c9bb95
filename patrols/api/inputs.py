"""The bodies the activities API accepts, checked for shape; what they mean is checked by
patrols.submissions."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers as drf
from rest_framework.exceptions import ValidationError

from problems.models import Category as ProblemCategory
from riverwatch.dates import FIRST_DAY, LAST_DAY, day_bounds
from riverwatch.params import shown

from ..forms import NOTE_MAX_LENGTH, OVERTURN_REASON_REQUIRED, REMOVAL_REASON_REQUIRED, ReviewForm
from ..models import Activity

MAX_PROBLEMS = 50


class OffsetDateTimeField(drf.DateTimeField):
    """ISO 8601 with an offset (2026-05-01T08:30:00+08:00): a phone's local time is ambiguous without it."""

    def to_internal_value(self, value):
        try:
            # Well formed but impossible (30 February, minute 99, an offset of +99:00) raises here.
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            raise ValidationError(_("时间不存在，例如 2 月 30 日、99 分或 +99:00 的时区：“%(value)s”。")
                                  % {"value": shown(value)}) from None
        if parsed is not None and parsed.tzinfo is None:
            raise ValidationError(_("时间必须带时区，例如 2026-05-01T08:30:00+08:00。"))
        moment = super().to_internal_value(value)
        # The range every page can show and every report can name (a year-1 time breaks them).
        low, high = day_bounds(FIRST_DAY, LAST_DAY)
        if not low <= moment < high:
            raise ValidationError(_("时间应在 %(first)s 到 %(last)s 之间；收到“%(value)s”。")
                                  % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat(), "value": shown(value)})
        return moment


class StrictUUIDField(drf.UUIDField):
    """A UUID written as text: DRF's own field takes a number too (false became the nil UUID)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class FiguresSerializer(drf.Serializer):
    debris_kg = drf.DecimalField(max_digits=8, decimal_places=1, min_value=0, required=False, allow_null=True,
                                 help_text=gettext_lazy("清理垃圾重量（公斤）"))
    bags = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True,
                            help_text=gettext_lazy("垃圾袋数"))
    manholes_checked = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    outfalls_checked = drf.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    findings = drf.CharField(required=False, allow_blank=True, max_length=4000)


def _messages(detail):
    """(field, message) pairs of a nested DRF error, field None where the error is not a field's."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            for field_name, message in _messages(value):
                yield (field_name or (None if name == "non_field_errors" else name)), message
    elif isinstance(detail, list):
        for value in detail:
            yield from _messages(value)
    else:
        yield None, str(detail)


class ProblemListSerializer(drf.ListSerializer):
    """Each rejection names the problem by its number in the list, so the person on the phone
    can find the one to fix among several markers."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError(_("problems 应为问题的列表。"))
        if self.max_length is not None and len(data) > self.max_length:
            raise ValidationError(_("一次最多上报 %(max)s 个问题。") % {"max": self.max_length})
        validated, errors = [], []
        for number, item in enumerate(data, start=1):
            try:
                validated.append(self.run_child_validation(item))
            except ValidationError as error:
                for field_name, message in _messages(error.detail):
                    if field_name:
                        errors.append(_("第 %(n)s 个问题的 %(field)s：%(message)s")
                                      % {"n": number, "field": field_name, "message": message})
                    else:
                        errors.append(_("第 %(n)s 个问题：%(message)s") % {"n": number, "message": message})
        if errors:
            raise ValidationError(errors)
        return validated


class ProblemReportInputSerializer(drf.Serializer):
    client_uuid = StrictUUIDField(help_text=gettext_lazy("手机为这个问题生成的 UUID；重发时保持不变。"))
    category = drf.ChoiceField(choices=ProblemCategory.choices)
    note = drf.CharField(required=False, allow_blank=True, max_length=2000)
    point = drf.JSONField(required=False, allow_null=True, help_text=gettext_lazy("GeoJSON Point 或 [经度, 纬度]"))
    observed_at = OffsetDateTimeField(help_text=gettext_lazy("发现时间，须在活动开始前 1 小时到结束后 1 小时之间"))

    class Meta:
        list_serializer_class = ProblemListSerializer


class ActivityInputSerializer(drf.Serializer):
    client_uuid = StrictUUIDField(help_text=gettext_lazy("手机生成的 UUID；重发时保持不变。"))
    kind = drf.ChoiceField(choices=Activity.Kind.choices)
    started_at = OffsetDateTimeField()
    ended_at = OffsetDateTimeField()
    track = drf.JSONField(required=False, allow_null=True, help_text=gettext_lazy("GeoJSON LineString/MultiLineString（经纬度）"))
    points = drf.JSONField(
        required=False, allow_null=True,
        help_text=gettext_lazy("定位点 [经度, 纬度, 毫秒时间戳, 精度米] 的列表，或这种列表的列表（已分段）"),
    )
    point = drf.JSONField(required=False, allow_null=True, help_text=gettext_lazy("GeoJSON Point 或 [经度, 纬度]"))
    location_source = drf.ChoiceField(
        choices=[Activity.LocationSource.GPS, Activity.LocationSource.MAP], default=Activity.LocationSource.GPS
    )
    participants = drf.ListField(child=drf.IntegerField(min_value=1), required=False, max_length=500,
                                 help_text=gettext_lazy("参与人员编号；提交人本人自动计入"))
    figures = FiguresSerializer(required=False)
    notes = drf.CharField(required=False, allow_blank=True, max_length=4000)
    problems = ProblemReportInputSerializer(
        many=True, required=False, max_length=MAX_PROBLEMS,
        help_text=gettext_lazy("现场发现的问题，最多 50 个；问题上报（problem_report）至少一个。没有 point 时，活动位置取第一个带位置的问题"),
    )


class GpxUploadSerializer(drf.Serializer):
    file = drf.FileField(help_text=gettext_lazy("GPX 文件"))
    client_uuid = StrictUUIDField()
    kind = drf.ChoiceField(choices=Activity.Kind.choices, default=Activity.Kind.PATROL)
    participants = drf.ListField(child=drf.IntegerField(min_value=1), required=False, max_length=500)
    notes = drf.CharField(required=False, allow_blank=True, max_length=4000)


class ReviewSerializer(drf.Serializer):
    decision = drf.ChoiceField(choices=ReviewForm.base_fields["decision"].choices)
    note = drf.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


def _reason_field(required_message, help_text):
    """A required reason: missing, null, empty or only blanks are each refused with the same sentence."""
    messages = {"required": required_message, "null": required_message, "blank": required_message}
    return drf.CharField(max_length=NOTE_MAX_LENGTH, error_messages=messages, help_text=help_text)


class OverturnSerializer(drf.Serializer):
    note = _reason_field(OVERTURN_REASON_REQUIRED, gettext_lazy("撤销审核并驳回的原因（必填），成为审核意见"))


class RemoveParticipantSerializer(drf.Serializer):
    reason = _reason_field(REMOVAL_REASON_REQUIRED, gettext_lazy("移除的原因（必填），记在活动上"))


class PhotoUploadSerializer(drf.Serializer):
    photo = drf.FileField(help_text=gettext_lazy("JPEG、PNG 或 WebP，不超过 10 MB"))
    problem = StrictUUIDField(required=False, help_text=gettext_lazy("照片所示问题的 client_uuid（须是本活动的问题）"))
