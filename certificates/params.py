"""Query parameters of the office's certificate list: one serializer, read by the page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.params import QueryParams, WholeNumberField


class CertificateListParams(QueryParams):
    year = WholeNumberField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year,
                            label=gettext_lazy("年份"), help_text=gettext_lazy("出具于该年（出具日期，北京时间）"))
