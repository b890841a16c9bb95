"""Reads for the problem list."""

from __future__ import annotations

from datetime import date

from .models import CalendarDay
from .working_days import nth_working_day_after, span_needed


def calendar_exceptions(first: date, last: date) -> tuple[set[date], set[date]]:
    """(holidays, weekend days worked) between first and last, both included."""
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.filter(day__range=(first, last)).values_list("day", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
    return holidays, workdays


def deadline_after(start: date, working_days: int) -> date:
    """The day a deadline of `working_days` working days, given on `start`, falls on (one query, as
    a rule: the calendar is read again, over twice the span, only if the count ran past it)."""
    span = span_needed(working_days)
    while True:
        holidays, workdays = calendar_exceptions(start, start + span)
        deadline = nth_working_day_after(start, working_days, holidays, workdays)
        if deadline <= start + span:
            return deadline
        span *= 2
