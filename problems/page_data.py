"""What the office pages show beside the selectors' reads: a row's days left and map class, the
list map's points, the count links at the head of the list, and a problem's possible duplicates as
this viewer may see them. Plain data, no HTML."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db.models import FloatField, Func
from django.urls import reverse

from . import selectors
from .models import OPEN_STATES, Category

# The list map draws at most this many points: beyond it the filters narrow the list first.
MAP_LIMIT = 3000


def decorate(problems, today: date):
    """Each problem with what a row shows: days_left (negative: overdue), map_state, is_supervised."""
    rows = list(problems)
    for problem in rows:
        problem.days_left = selectors.days_left(problem, today)
        problem.days_overdue = -problem.days_left if problem.days_left is not None and problem.days_left < 0 else None
        problem.map_state = selectors.map_state(problem, today)
        problem.is_supervised = problem.supervised_at is not None and problem.state in OPEN_STATES
    return rows


def lonlat(point):
    return [round(point.x, 6), round(point.y, 6)] if point is not None else None


def map_points(problems, today: date) -> dict:
    """The filtered problems that have a point, for the list map: id, place, class, link. Plain values
    (lon/lat from the database), no model instances: a page draws up to MAP_LIMIT of them."""
    labels = {value: str(label) for value, label in Category.choices}
    detail = reverse("problem-detail", args=[0]).removesuffix("0/")  # each point's link: detail + "<pk>/"
    in_api = Transform("point", settings.API_SRID)
    located = (
        problems.filter(point__isnull=False)
        .annotate(lon=Func(in_api, function="ST_X", output_field=FloatField()),
                  lat=Func(in_api, function="ST_Y", output_field=FloatField()))
        .values_list("pk", "category", "state", "ending", "deadline", "lon", "lat")
    )
    points = []
    for pk, category, state, ending, deadline, lon, lat in located[:MAP_LIMIT]:
        problem = SimpleNamespace(state=state, ending=ending, deadline=deadline)
        points.append({
            "id": pk, "lonlat": [round(lon, 6), round(lat, 6)], "state": selectors.map_state(problem, today),
            "label": f"#{pk} {labels[category]}", "url": f"{detail}{pk}/",
        })
    return {"points": points, "truncated": len(points) >= MAP_LIMIT}


def with_query(query, **changes) -> str:
    """The query string with some parameters replaced (None drops one) and the page dropped."""
    query = query.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def count_links(counts: dict, query, validated: dict) -> dict:
    """The head of the list: each count with the link that filters by it and whether it is the filter now."""
    picked = set(validated.get("state") or [])
    states = [{**item, "url": with_query(query, state=item["state"]), "active": picked == {item["state"]}}
              for item in counts["states"]]
    return {
        "states": states,
        "total": sum(item["count"] for item in counts["states"]),
        "all_url": with_query(query, state=None, overdue=None, supervised=None),
        "overdue": counts["overdue"], "overdue_url": with_query(query, overdue="1"),
        "overdue_active": validated.get("overdue") is True,
        "supervised": counts["supervised"], "supervised_url": with_query(query, supervised="1"),
        "supervised_active": validated.get("supervised") is True,
    }


def duplicate_candidates(user, problem):
    """Open problems that may be the same as this one, among those the viewer may read; none once
    it is closed or merged."""
    if not problem.is_open or problem.duplicate_of_id:
        return []
    found = selectors.possible_duplicates(category=problem.category, point=problem.point,
                                          observed_at=problem.observed_at, exclude_id=problem.pk)
    readable = set(selectors.readable_by(user).filter(pk__in=found.values("pk")).values_list("pk", flat=True))
    return [candidate for candidate in found.select_related("waterway", "unit")[:10] if candidate.pk in readable]
