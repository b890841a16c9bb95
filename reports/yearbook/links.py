"""The list behind each figure: site-relative URLs of the office's pages, filtered to exactly the
records a figure counts (the filters are the pages' own query parameters)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse


def _url(name, query: dict, **kwargs) -> str:
    query = {key: value.isoformat() if isinstance(value, date) else value
             for key, value in query.items() if value not in (None, "")}
    path = reverse(name, kwargs=kwargs or None)
    return f"{path}?{urlencode(query)}" if query else path


def activities(start: date, end: date, *, kind=None, role=None, status=None, waterway="", counted=True) -> str:
    """Activities that started in the period; counted: not rejected (the report's rule)."""
    return _url("activity-list", {"start": start, "end": end, "kind": kind, "role": role, "status": status,
                                  "waterway": waterway, "counted": 1 if counted and not status else None})


def problems(start: date | None, end: date, **filters) -> str:
    """Problems that count, observed in the period, with the list's other filters (state, ending,
    overdue, reopened, accepted, category, unit, source, waterway, due_start/due_end, on_time)."""
    return _url("problem-list", {"start": start, "end": end, "counted": 1, **filters})


def problems_due(start: date, end: date, *, on_time=False, **filters) -> str:
    """Problems whose first deadline falls in the period: the on-time rate's denominator (and numerator)."""
    return _url("problem-list", {"due_start": start, "due_end": end, "on_time": 1 if on_time else None, **filters})


def problem(pk: int) -> str:
    return reverse("problem-detail", kwargs={"pk": pk})


def coverage_map(start: date, end: date, *, waterway="", days=None, measure=None) -> str:
    """The river-chief map over the period (coverage, gaps, hotspots), one waterway or all."""
    return _url("river-chief-map", {"start": start, "end": end, "waterway": waterway, "days": days, "measure": measure})


def compliance(start: date, end: date, *, behind=True) -> str:
    return _url("compliance", {"start": start, "end": end, "behind": 1 if behind else 0})


def deputies(year: int) -> str:
    """The compliance page's deputies: the year's participation rate and who has been silent."""
    return _url("compliance", {"year": year}) + "#deputies-heading"


def points(year: int) -> str:
    return _url("points-boards", {"year": year})


def certificates(year: int) -> str:
    return _url("certificate-list", {"year": year})


def village_points(code: str, year: int) -> str:
    return _url("points-village", {"year": year}, code=code)
