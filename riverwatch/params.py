"""Query parameters, read one way everywhere: a serializer per endpoint, built from the fields here,
with the app's bounds and messages in the user's language. The API views, the pages that take the
same parameters and the OpenAPI schema (extend_schema(parameters=[TheParams])) all use it, so what
the schema says is what is checked.

Each field refuses with a sentence that names the parameter (its label) and quotes what was sent."""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from .dates import FIRST_DAY, LAST_DAY

# ASCII digits only: str.isdigit() also takes "²", which int() refuses; no longer than PostgreSQL's
# bigint (ids), whose largest value a field's max_value may name.
WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")
BIGINT_MAX = 2**63 - 1
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def shown(value) -> str:
    """What the user sent, short and printable, to quote back in a message."""
    text = value if isinstance(value, str) else str(value)
    return text.replace("\x00", "\\0")[:40]


class DayField(serializers.DateField):
    """YYYY-MM-DD, a district date between FIRST_DAY and LAST_DAY."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        text = value.strip() if isinstance(value, str) else value
        try:
            day = date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(_("%(label)s格式应为 YYYY-MM-DD，例如 2026-05-01；收到“%(value)s”。")
                                  % {"label": self.label, "value": shown(value)})
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(_("%(label)s应在 %(first)s 到 %(last)s 之间；收到“%(value)s”。")
                                  % {"label": self.label, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat(),
                                     "value": shown(value)})
        return day


class WholeNumberField(serializers.IntegerField):
    """A whole number in ASCII digits between min_value and max_value (both required)."""

    def to_internal_value(self, value):
        text = value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""
        number = int(text) if WHOLE_NUMBER.fullmatch(text) else None
        if number is None or not self.min_value <= number <= self.max_value:
            raise ValidationError(_("%(label)s应为 %(low)s 到 %(high)s 之间的整数；收到“%(value)s”。")
                                  % {"label": self.label, "low": self.min_value, "high": self.max_value,
                                     "value": shown(value)})
        return number


class FlagField(serializers.BooleanField):
    """1/0 (also true/false, yes/no, on/off)."""

    # DRF reads a boolean missing from form data (a query string) as False; absent means absent here.
    default_empty_html = serializers.empty

    def to_internal_value(self, value):
        word = value.strip().lower() if isinstance(value, str) else value
        if word in TRUE_WORDS or word is True:
            return True
        if word in FALSE_WORDS or word is False:
            return False
        raise ValidationError(_("%(label)s应为 1 或 0；收到“%(value)s”。") % {"label": self.label, "value": shown(value)})


class ChoiceField(serializers.ChoiceField):
    """One of the choices, the refusal listing them."""

    def to_internal_value(self, value):
        if value in self.choices:
            return value
        raise ValidationError(_("%(label)s的值“%(value)s”无效，可选：%(choices)s。")
                              % {"label": self.label, "value": shown(value), "choices": _("、").join(map(str, self.choices))})


class ChoiceListField(serializers.ListField):
    """Several of the choices, as repeated parameters (?kind=a&kind=b) or separated by commas."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), **kwargs)
        self.choice_values = [str(key) for key in self.child.choices]

    def to_internal_value(self, data):
        values = split_list(data)
        unknown = [value for value in values if value not in self.choice_values]
        if unknown:
            raise ValidationError(_("%(label)s的值“%(value)s”无效，可选：%(choices)s。")
                                  % {"label": self.label, "value": _("、").join(map(shown, unknown[:5])),
                                     "choices": _("、").join(self.choice_values)})
        return sorted(set(values))


def split_list(data) -> list[str]:
    """Repeated parameters and comma-separated values as one list of non-empty strings."""
    chunks = data if isinstance(data, (list, tuple)) else [data]
    values = []
    for chunk in chunks:
        if not isinstance(chunk, str):
            raise ValidationError(_("应为逗号分隔的文字；收到“%(value)s”。") % {"value": shown(chunk)})
        values.extend(part.strip() for part in chunk.split(",") if part.strip())
    return values


class QueryParams(serializers.Serializer):
    """A query string read by its declared fields. Empty values count as absent, so a form submitted
    with blank boxes reads like one without them."""

    def __init__(self, params=None, **kwargs):
        if params is None:  # the OpenAPI generator builds one without data, to read its fields
            super().__init__(**kwargs)
            return
        data = params.copy() if hasattr(params, "copy") else dict(params)
        for key in [key for key in data if all(not str(value).strip() for value in _values(data, key))]:
            del data[key]
        super().__init__(data=data, **kwargs)

    @classmethod
    def read(cls, params, **context) -> dict:
        """The validated values, or ValidationError naming each parameter that was wrong."""
        reader = cls(params, context=context)
        reader.is_valid(raise_exception=True)
        return reader.validated_data


def _values(data, key):
    return data.getlist(key) if hasattr(data, "getlist") else [data[key]]
