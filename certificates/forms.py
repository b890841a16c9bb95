"""What the certificate pages read: a period (and the person, for staff), a request's note, a reason
to decline. They check shapes and say what is wrong in Chinese; certificates.services decides."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from problems.forms import DayInput, TextField

from .selectors import people_to_certify
from .services import CONTENT_MAX_CHARS, NOTE_MAX_CHARS, REASON_MAX_CHARS, period_problems

DAY_ERRORS = {"invalid": _("请按 年-月-日 填写有效的日期，例如 2026-05-01。"), "required": _("请填写日期。")}


class PeriodForm(forms.Form):
    start = DayInput(label=_("服务时段起"), error_messages=DAY_ERRORS)
    end = DayInput(label=_("服务时段止"), error_messages=DAY_ERRORS)

    def clean(self):
        data = super().clean()
        if "start" in data and "end" in data:
            for problem in period_problems(data["start"], data["end"], timezone.localdate()):
                self.add_error(None, problem)
        return data


class RequestForm(PeriodForm):
    note = TextField(label=_("说明（选填）"), required=False, max_length=NOTE_MAX_CHARS,
                     widget=forms.Textarea(attrs={"rows": 2}),
                     error_messages={"max_length": _("说明最多 %(limit_value)d 个字。")})


class IssueForm(PeriodForm):
    person = forms.ModelChoiceField(
        label=_("志愿者"), queryset=people_to_certify(),
        error_messages={"invalid_choice": _("没有这位人员，请重新选择。"), "required": _("请选择志愿者。")},
    )
    content = TextField(label=_("服务内容（选填，留空按服务记录自动填写）"), required=False, max_length=CONTENT_MAX_CHARS,
                        widget=forms.Textarea(attrs={"rows": 2}),
                        error_messages={"max_length": _("服务内容最多 %(limit_value)d 个字。")})
    request = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1,
                                 error_messages={"invalid": _("申请编号有误。"), "min_value": _("申请编号有误。"),
                                                 "max_value": _("申请编号有误。")})


class DeclineForm(forms.Form):
    reason = TextField(label=_("不予出具的原因"), max_length=REASON_MAX_CHARS,
                       error_messages={"required": _("请写明不予出具的原因，申请人会看到。"),
                                       "max_length": _("原因最多 %(limit_value)d 个字。")})
