"""Query parameters of the people list, read like every other endpoint's (riverwatch.params)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from riverwatch.params import FlagField, QueryParams


class PeopleParams(QueryParams):
    teammates = FlagField(required=False, default=False, label=gettext_lazy("只看队友"),
                          help_text=gettext_lazy("1：只列与你同队的人（选同伴用）"))
    q = serializers.CharField(required=False, max_length=64, label=gettext_lazy("姓名"),
                              help_text=gettext_lazy("按姓名查找（包含这些字）"))
