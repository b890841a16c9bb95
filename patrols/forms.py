"""The review forms of the activity page: the same fields and limits as the review APIs' bodies."""

from django import forms
from django.utils.translation import gettext_lazy as _

NOTE_MAX_LENGTH = 2000
OVERTURN_REASON_REQUIRED = _("撤销审核时请写明原因。")
REMOVAL_REASON_REQUIRED = _("移除参与人员时请写明原因。")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verify", _("通过")), ("reject", _("驳回"))])
    # Django's CharField refuses NUL characters, which PostgreSQL cannot store.
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class OverturnForm(forms.Form):
    """Staff overturning a verification (撤销审核并驳回): the reason becomes the review note."""

    note = forms.CharField(max_length=NOTE_MAX_LENGTH, error_messages={"required": OVERTURN_REASON_REQUIRED})


class RemoveParticipantForm(forms.Form):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, error_messages={"required": REMOVAL_REASON_REQUIRED})
