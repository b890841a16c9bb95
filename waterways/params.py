"""Waterways in query parameters: by code (ZW-G07, what people read on the map and the signboards)
or by id, wherever one is accepted."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from riverwatch.params import WHOLE_NUMBER, shown, split_list

from .models import Waterway

MINE = "mine"
MAX_WATERWAYS = 500


def resolve(values) -> dict[str, int]:
    """{value: waterway id} for the codes and ids among values that name a waterway."""
    ids = [int(value) for value in values if WHOLE_NUMBER.fullmatch(value)]
    # A NUL cannot be in a code, and PostgreSQL refuses it in a text parameter.
    codes = [value for value in values if not WHOLE_NUMBER.fullmatch(value) and "\x00" not in value]
    found = {}
    for pk, code in Waterway.objects.filter(Q(pk__in=ids) | Q(code__in=codes)).values_list("pk", "code"):
        found[code] = pk
        found[str(pk)] = pk
    return found


def _unknown(values):
    return ValidationError(_("没有这条河道：%(values)s。河道可用编码（如 ZW-G07）或编号。")
                           % {"values": _("、").join(shown(value) for value in values[:5])})


@extend_schema_field(OpenApiTypes.STR)
class WaterwayField(serializers.CharField):
    """One waterway, by code or id: the waterway's id."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        found = resolve([text]) if len(text) <= 64 else {}
        if text not in found:
            raise _unknown([text])
        return found[text]


class WaterwayListField(serializers.ListField):
    """Several waterways by code or id (repeated or comma-separated), or `mine`: the waterways the
    signed-in chief is chief of today. Gives a tuple of ids, or None for `mine` said by someone who
    looks at the whole district (staff). The caller puts `own_waterway_ids` (a function of no
    arguments) in the serializer's context."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(max_length=64), **kwargs)

    def to_internal_value(self, data):
        values = split_list(data)
        if values == [MINE]:
            own = self.context["own_waterway_ids"]()
            return tuple(sorted(own)) if own is not None else None
        if len(values) > MAX_WATERWAYS:
            raise ValidationError(_("一次最多选 %(max)s 条河道。") % {"max": MAX_WATERWAYS})
        found = resolve(values)
        unknown = [value for value in values if value not in found]
        if unknown:
            raise _unknown(unknown)
        return tuple(sorted({found[value] for value in values}))
