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
from django.utils.translation import gettext as _

from . import selectors
from .models import OPEN_STATES, Category, Ending

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


# The filters a report's links add that the list's form does not show: kept in the form as hidden
# fields, and each said above the list with a link that drops it.
REPORT_FILTERS = ("year", "ending", "reopened", "counted", "accepted", "due_start", "due_end", "on_time")


def kept_report_filters(query, refused=()) -> list[tuple[str, str]]:
    """(name, value) of the report filters in the query, for the form's hidden fields; a refused one
    is dropped, so sending the form again does not repeat the mistake."""
    return [(name, ",".join(query.getlist(name))) for name in REPORT_FILTERS
            if any(query.getlist(name)) and name not in refused]


def report_filter_chips(validated: dict, query) -> list[dict]:
    """What each active report filter means, in words, with the link that drops it: why the list
    holds exactly the rows a report's figure counts."""
    chips = []

    def chip(label, *names):
        chips.append({"label": label, "remove_url": with_query(query, **{name: None for name in names})})

    if validated.get("year") is not None:
        chip(_("发现于 %(year)s 年（北京时间）") % {"year": validated["year"]}, "year")
    if validated.get("ending"):
        labels = dict(Ending.choices)
        chip(_("结果：%(endings)s") % {"endings": _("、").join(str(labels[value]) for value in validated["ending"])},
             "ending")
    for name, if_true, if_false in (
        ("reopened", _("曾被重新打开"), _("从未重新打开")),
        ("counted", _("仅统计口径内"), _("统计口径外（未受理的群众扫码或外部系统上报）")),
        ("accepted", _("已受理（不含重复、无效问题）"), _("未受理，或为重复、无效问题")),
    ):
        if validated.get(name) is not None:
            chip(if_true if validated[name] else if_false, name)
    due_start, due_end = validated.get("due_start"), validated.get("due_end")
    if due_start and due_end:
        chip(_("应办结：首次办理期限在 %(start)s 至 %(end)s 之间") % {"start": due_start, "end": due_end},
             "due_start", "due_end")
    elif due_start:
        chip(_("应办结：首次办理期限在 %(start)s 或之后") % {"start": due_start}, "due_start")
    elif due_end:
        chip(_("应办结：首次办理期限在 %(end)s 或之前") % {"end": due_end}, "due_end")
    if validated.get("on_time") is not None:
        chip(_("按时办结（在首次办理期限当天或之前解决）") if validated["on_time"] else _("未按时办结"), "on_time")
    return chips


def duplicate_candidates(user, problem):
    """Open problems that may be the same as this one, among those the viewer may read; none once
    it is closed or merged."""
    if not problem.is_open or problem.duplicate_of_id:
        return []
    found = selectors.possible_duplicates(category=problem.category, point=problem.point,
                                          observed_at=problem.observed_at, exclude_id=problem.pk)
    readable = set(selectors.readable_by(user).filter(pk__in=found.values("pk")).values_list("pk", flat=True))
    return [candidate for candidate in found.select_related("waterway", "unit")[:10] if candidate.pk in readable]
