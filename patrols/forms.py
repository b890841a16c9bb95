"""The review form of the activity page: the same fields and limits as the review API's body."""

from django import forms
from django.utils.translation import gettext_lazy as _

NOTE_MAX_LENGTH = 2000


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verify", _("通过")), ("reject", _("驳回"))])
    # Django's CharField refuses NUL characters, which PostgreSQL cannot store.
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
