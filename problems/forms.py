"""The office pages' forms: one move on a problem (the detail page's buttons) and a problem entered by
the office (a hotline call, an inspection, a deputy's suggestion). They read and check what was typed;
problems.services decides whether the move is allowed and stores it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.models import Person, Role
from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.parsers import UNSTORABLE
from waterways import service_area

from . import lifecycle
from .models import Category, NotFixedReason, Problem, ResponsibleUnit, Source

NOTE_MAX_CHARS = 2000
MAX_PHOTOS = 6
# The sources the office enters by hand; the others come from phones, the public and Open311.
OFFICE_SOURCES = [Source.HOTLINE, Source.INSPECTION, Source.DEPUTY]


class TextField(forms.CharField):
    """Text PostgreSQL can store: NUL and lone surrogates refused with one plain sentence."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_python(self, value):
        value = super().to_python(value)
        if UNSTORABLE.search(value or ""):
            raise forms.ValidationError(_("内容里有无法保存的字符（空字符或乱码），请删除后重新填写。"), code="unstorable")
        return value.strip()


class DayInput(forms.DateField):
    """A date from <input type=date>, between the first and last day the app accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(_("日期应在 %(first)s 到 %(last)s 之间。") % {
                "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})


def photo_files(files, field="photos"):
    """The uploaded photos' bytes, refusing too many or too large before any is decoded."""
    uploads = [upload for upload in files.getlist(field) if upload.size]
    if len(uploads) > MAX_PHOTOS:
        raise forms.ValidationError(_("一次最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS})
    for upload in uploads:
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("照片“%(name)s”太大（%(size).1f MB），上限 %(max).0f MB。") % {
                "name": upload.name[:40], "size": upload.size / 1e6, "max": settings.PHOTO_MAX_BYTES / 1e6})
    return [upload.read() for upload in uploads]


class ActionForm(forms.Form):
    """One move as typed on the detail page. Every field but the action is optional here: what a move
    needs is checked by problems.services, which answers in the same words for the API and the page."""

    action = forms.ChoiceField(choices=[(action, action) for action in lifecycle.MOVES],
                               error_messages={"invalid_choice": gettext_lazy("未知的操作。"),
                                               "required": gettext_lazy("未知的操作。")})
    note = TextField(required=False, max_length=NOTE_MAX_CHARS,
                     error_messages={"max_length": gettext_lazy("说明最多 %(limit_value)d 个字。")})
    unit = forms.ModelChoiceField(queryset=ResponsibleUnit.objects.all(), required=False,
                                  error_messages={"invalid_choice": gettext_lazy("没有这个责任单位。")})
    deadline = DayInput(required=False, error_messages={"invalid": gettext_lazy("期限格式应为 YYYY-MM-DD。")})
    reason = forms.ChoiceField(choices=[("", "")] + NotFixedReason.choices, required=False,
                               error_messages={"invalid_choice": gettext_lazy("请从列表中选择未解决的原因。")})
    duplicate_of = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                      error_messages={"invalid": gettext_lazy("请填写问题编号（数字）。"),
                                                      "min_value": gettext_lazy("请填写问题编号（数字）。"),
                                                      "max_value": gettext_lazy("没有这个编号的问题。")})
    passed = forms.ChoiceField(choices=[("", ""), ("yes", "yes"), ("no", "no")], required=False)

    def __init__(self, *args, files=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads = files

    def clean_duplicate_of(self):
        pk = self.cleaned_data.get("duplicate_of")
        if pk is None:
            return None
        target = Problem.objects.filter(pk=pk).first()
        if target is None:
            raise forms.ValidationError(_("没有编号为 #%(id)s 的问题。") % {"id": pk})
        return target

    def clean(self):
        cleaned = super().clean()
        if self.uploads is not None:
            try:
                cleaned["photos"] = photo_files(self.uploads)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def move_fields(self) -> dict:
        """What services.Move takes."""
        data = self.cleaned_data
        passed = {"yes": True, "no": False}.get(data.get("passed") or "")
        return {"action": data["action"], "note": data.get("note") or "", "unit": data.get("unit"),
                "deadline": data.get("deadline"), "reason": data.get("reason") or "",
                "duplicate_of": data.get("duplicate_of"), "passed": passed, "photos": tuple(data.get("photos") or ())}


class NewProblemForm(forms.Form):
    """A problem entered by the office. The place: a tap on the map or lon/lat typed in."""

    source = forms.ChoiceField(label=gettext_lazy("来源"), choices=[(s.value, s.label) for s in OFFICE_SOURCES],
                               error_messages={"required": gettext_lazy("请选择来源。"),
                                               "invalid_choice": gettext_lazy("请选择来源：热线电话、督查检查或人大代表建议。")})
    deputy = forms.ModelChoiceField(label=gettext_lazy("提出建议的代表"), required=False,
                                    queryset=Person.objects.filter(role=Role.DEPUTY, is_active=True).order_by("name", "pk"),
                                    error_messages={"invalid_choice": gettext_lazy("请从列表中选择代表。")})
    category = forms.ChoiceField(label=gettext_lazy("问题类别"), choices=Category.choices,
                                 error_messages={"required": gettext_lazy("请选择问题类别。"),
                                                 "invalid_choice": gettext_lazy("请从列表中选择问题类别。")})
    note = TextField(label=gettext_lazy("问题描述"), max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4}),
                     error_messages={"required": gettext_lazy("请填写问题描述。"),
                                     "max_length": gettext_lazy("描述最多 %(limit_value)d 个字。")})
    lon = forms.FloatField(label=gettext_lazy("经度"), required=False, min_value=-180, max_value=180,
                           error_messages={"invalid": gettext_lazy("经度应为数字，如 110.66。")})
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False, min_value=-90, max_value=90,
                           error_messages={"invalid": gettext_lazy("纬度应为数字，如 32.66。")})
    observed_at = forms.DateTimeField(
        label=gettext_lazy("发现时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": gettext_lazy("请填写发现时间。"),
                        "invalid": gettext_lazy("发现时间格式应为 YYYY-MM-DD HH:MM。")},
    )

    def __init__(self, *args, files=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads = files

    def clean_observed_at(self):
        value = self.cleaned_data["observed_at"]
        # A few minutes' slack for a clock that runs ahead of the server's.
        if value > timezone.now() + timedelta(minutes=10):
            raise forms.ValidationError(_("发现时间不能晚于现在。"))
        if not FIRST_DAY <= timezone.localtime(value).date() <= LAST_DAY:
            raise forms.ValidationError(_("发现时间应在 %(first)s 到 %(last)s 之间。") % {
                "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == Source.DEPUTY and cleaned.get("deputy") is None and "deputy" not in self.errors:
            self.add_error("deputy", _("代表建议须注明提出建议的代表。"))
        lon, lat = cleaned.get("lon"), cleaned.get("lat")
        if "lon" not in self.errors and "lat" not in self.errors:
            if lon is None or lat is None:
                self.add_error("lon", _("请在地图上点选问题所在的位置，或填写经纬度。"))
            else:
                point = service_area.storage_point((lon, lat))
                if point is None:
                    self.add_error("lon", _("这个位置（%(lon).5f, %(lat).5f）不在张湾区内（含周边 %(km)s 公里），"
                                            "请核对经纬度或在地图上重新点选。") % {
                        "lon": lon, "lat": lat, "km": service_area.buffer_km()})
                cleaned["point"] = point
        if self.uploads is not None:
            try:
                cleaned["photos"] = photo_files(self.uploads)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


def now_for_input() -> str:
    """Now, as a datetime-local input shows it (district time)."""
    return datetime.strftime(timezone.localtime(), "%Y-%m-%dT%H:%M")
