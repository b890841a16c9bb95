"""The public report form (the signboard's page) and the tracking-code form."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.models import PHONE_PATTERN, normalise_phone
from riverwatch.parsers import UNSTORABLE
from waterways import service_area

from .models import Category

NOTE_MAX_CHARS = 1000


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL; a lone surrogate cannot be encoded. Said plainly, never a 500.
    if UNSTORABLE.search(value or ""):
        raise forms.ValidationError(_("内容里有无法保存的字符（空字符或乱码），请删除后重新填写。"), code="unstorable")
    return value


class StorableCharField(forms.CharField):
    """Text PostgreSQL can store: NUL and lone surrogates refused with one plain sentence (in place
    of Django's own NUL check, which names no surrogates)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_python(self, value):
        return _storable(super().to_python(value))


class PublicReportForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("问题类别"), choices=Category.choices, widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择问题类别。"),
                        "invalid_choice": gettext_lazy("请从列表中选择问题类别。")},
    )
    # Set by the page's script (the phone's GPS or a tap on the map), in lon/lat.
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    note = StorableCharField(
        label=gettext_lazy("问题描述"), required=False, max_length=NOTE_MAX_CHARS, widget=forms.Textarea,
        error_messages={"max_length": gettext_lazy("描述最多 %(limit_value)d 个字。")},
    )
    phone = StorableCharField(label=gettext_lazy("手机号（选填）"), required=False, max_length=32)

    def __init__(self, *args, photo=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.photo = photo  # an UploadedFile or None: file inputs are never filled in again

    def clean_note(self):
        return self.cleaned_data["note"].strip()

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone and not re.fullmatch(PHONE_PATTERN, phone):
            raise forms.ValidationError(_("手机号格式不对：只填数字，例如 13900000000。"), code="phone")
        return phone

    def clean(self):
        cleaned = super().clean()
        lon, lat = cleaned.get("lon"), cleaned.get("lat")
        if "lon" in self.errors or "lat" in self.errors or lon is None or lat is None:
            self.add_error(None, forms.ValidationError(
                _("请点“用我的位置”定位，或在地图上点一下问题所在的地方。"), code="no_location"))
            self.errors.pop("lon", None)
            self.errors.pop("lat", None)
        else:
            point = service_area.storage_point((lon, lat))
            if point is None:
                self.add_error(None, forms.ValidationError(
                    _("这个位置不在张湾区内（含周边 %(km)s 公里），请在地图上重新点选问题所在的地方。")
                    % {"km": service_area.buffer_km()}, code="outside"))
            cleaned["point"] = point
        if self.photo is None:
            self.add_error(None, forms.ValidationError(_("请拍一张现场照片（或从相册选一张）。"), code="no_photo"))
        elif self.photo.size > settings.PHOTO_MAX_BYTES:
            self.add_error(None, forms.ValidationError(photo_too_large_message(self.photo.size), code="too_large"))
        return cleaned

    def is_too_large(self) -> bool:
        return any(error.code == "too_large" for error in self.errors.as_data().get("__all__", []))


def photo_too_large_message(size: int) -> str:
    return _("照片太大（%(size).1f MB），上限 %(max).0f MB。请换一张，或在手机相机设置里调低照片尺寸后重拍。") % {
        "size": size / 1e6, "max": settings.PHOTO_MAX_BYTES / 1e6}


class TrackingCodeForm(forms.Form):
    code = StorableCharField(label=gettext_lazy("查询码"), max_length=40,
                           error_messages={"required": gettext_lazy("请输入查询码。")})
