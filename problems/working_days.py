"""Counting working days (工作日): Monday to Friday, except public holidays, plus the weekend days
worked in exchange. Pure: the calendar's exceptions are passed in (problems.selectors reads them)."""

from __future__ import annotations

from datetime import date, timedelta


def is_working_day(day: date, holidays: set[date], workdays: set[date]) -> bool:
    if day in holidays:
        return False
    return day.weekday() < 5 or day in workdays


def nth_working_day_after(start: date, count: int, holidays: set[date], workdays: set[date]) -> date:
    """The `count`-th working day after `start` (start itself not counted): a deadline of `count`
    working days given on `start`. With count 0, start itself."""
    if count < 0:
        raise ValueError("count must not be negative")
    day, left = start, count
    while left:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            left -= 1
    return day


def span_needed(count: int) -> timedelta:
    """Calendar days that surely hold `count` working days: 5 in 7, plus the longest run of holidays
    in a year (the Spring Festival's 9 days, with room to spare)."""
    return timedelta(days=count * 7 // 5 + 7 + 21)
