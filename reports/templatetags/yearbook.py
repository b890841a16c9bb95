"""{% load yearbook %}: how the report's templates (templates/reports/yearbook/) show a snapshot's values,
so the templates stay simple: a value by its column type, a figure's value and its change, a cell's
link, and a site link made absolute for the downloadable file."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

register = template.Library()

DASH = "—"  # a value the report does not have
MINUS = "\u2212"  # a typographic minus: "−2.1", not a hyphen
PERCENT_UNIT = "%"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimal(value: float) -> str:
    """One or two decimals, with thousands separators: 1,234.5, 12.25, 12.0."""
    text = f"{value:,.2f}"
    return text[:-1] if text.endswith("0") else text


def _plain_number(value) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return _decimal(value)


@register.filter
def number(value) -> str:
    """3210 → "3,210", 1234.5 → "1,234.5", None → "—"."""
    if not _is_number(value):
        return DASH if value is None or value == "" else str(value)
    return _plain_number(value)


@register.filter
def cell(value, kind="text") -> str:
    """A table cell by its column's type (reports/yearbook/snapshot.py: text, int, float, pct, date)."""
    if value is None or value == "":
        return DASH
    if kind in ("int", "float") and _is_number(value):
        return _plain_number(int(value) if kind == "int" and float(value).is_integer() else value)
    if kind == "pct" and _is_number(value):
        return _plain_number(value) + "%"
    if kind == "date":
        return _date_text(value)
    return str(value)


def _date_text(value) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat() if timezone.is_aware(value) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    parsed = parse_date(str(value))
    return parsed.isoformat() if parsed else str(value)


@register.filter
def moment(value) -> str:
    """A build time (datetime or ISO text) as Beijing "2026-11-18 10:30"."""
    if isinstance(value, str):
        value = parse_datetime(value) or value
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


@register.filter
def amount(value, unit="") -> str:
    """A figure's number with its unit: "3,210 条", "87.5%", "—" when there is none."""
    if not _is_number(value):
        return DASH
    if unit == PERCENT_UNIT:
        return _plain_number(value) + PERCENT_UNIT
    return f"{_plain_number(value)} {unit}".rstrip()


@register.filter
def figure_value(figure) -> str:
    """The figure's value without its unit (the template sets the unit apart): "3,210", "87.5"."""
    value = figure.get("value")
    return _plain_number(value) if _is_number(value) else DASH


@register.filter
def figure_change(figure) -> str:
    """The change against the previous period: "+320", "−2.1 个百分点" for a percentage, "" when unknown."""
    change = figure.get("change")
    if not _is_number(change):
        return ""
    sign = "+" if change > 0 else MINUS if change < 0 else "±"
    if figure.get("unit") == PERCENT_UNIT:
        return _("%(change)s 个百分点") % {"change": sign + _decimal(abs(float(change)))}
    return sign + _plain_number(abs(change))


@register.filter
def change_direction(figure) -> str:
    """"up", "down" or "" (a class for the change; whether up is good is for the reader)."""
    change = figure.get("change")
    if not _is_number(change) or change == 0:
        return ""
    return "up" if change > 0 else "down"


@register.filter
def get(mapping, key):
    """mapping[key], or "" (templates cannot index a dict by a variable)."""
    if not hasattr(mapping, "get"):
        return ""
    value = mapping.get(key)
    return "" if value is None else value


@register.filter
def absolute(link, base_url="") -> str:
    """A site link ("/activities/?…") for an href: absolute when base_url is given; "" for anything
    but a site path or an http(s) address (a snapshot's links are ours, but an href is not the place to trust)."""
    link = str(link or "")
    if link.startswith(("http://", "https://")):
        return link
    if not link.startswith("/") or link.startswith("//"):
        return ""
    return f"{str(base_url or '').rstrip('/')}{link}"


@register.filter
def cell_link(row, key) -> str:
    """The link behind a row's cell (the row's "_links"; templates cannot read names with a leading _)."""
    links = row.get("_links") if hasattr(row, "get") else None
    return (links or {}).get(key) or ""


@register.filter
def has_value(rows, key) -> bool:
    """Whether any row has something under key (a definitions table shows 设置 only then)."""
    return any(row.get(key) for row in rows or ())


NUMERIC_COLUMNS = ("int", "float", "pct")


@register.filter
def is_numeric(column) -> bool:
    return column.get("type") in NUMERIC_COLUMNS
