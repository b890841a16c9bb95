"""Query parameters of the points pages: the boards' period, a village's year and the redemption
desk's search, read with the project's fields (riverwatch/params.py), so a bad value is refused with
a sentence in the user's language that names it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.params import BIGINT_MAX, QueryParams, WholeNumberField


def year_field():
    return WholeNumberField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year,
                            label=gettext_lazy("年份"))


class BoardParams(QueryParams):
    """No parameters: this month. A year alone: that whole year. A month alone: that month of this year."""

    year = year_field()
    month = WholeNumberField(required=False, min_value=1, max_value=12, label=gettext_lazy("月份"))


class YearParams(QueryParams):
    year = year_field()


class RedeemDeskParams(QueryParams):
    q = serializers.CharField(required=False, max_length=64, label=gettext_lazy("查找人员"))
    person = WholeNumberField(required=False, min_value=1, max_value=BIGINT_MAX, label=gettext_lazy("人员"))
