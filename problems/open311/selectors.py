"""Reads for Open311: the problems anyone may see through it, and only the columns it shows.

Public means: accepted by the office (problems.selectors.accepted_q), whatever its source, and never a
duplicate or an invalid report: nothing reaches the public unvetted. Only these columns are read, so no
reporter, phone, tracking code or event text can reach an answer: the category, the source, the note
(documents decides whether it is shown), the states, the times, the unit's and the waterway's names,
and the problem's own point in lon/lat. A problem placed only by its activity (a patrol's track) shows
no position: a volunteer's track is not public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Trunc

from ..models import Problem, ProblemEvent, Source, State
from ..selectors import accepted_q
from .params import RequestsQuery

COLUMNS = ("id", "category", "source", "note", "state", "ending", "not_fixed_reason", "deadline", "requested_at",
           "closed_at", "unit__name", "waterway__name", "lonlat", "last_event_at")
# A problem our own people found on their rounds tells where and when a named volunteer was: its time is
# published, filtered and sorted to the hour only (documents shows its place to about 100 m), so no
# narrowing of start_date and end_date can find the minute.
FOUND_ON_ROUNDS = (Source.PATROL, Source.PHONE)


@dataclass(frozen=True)
class PublicRequest:
    id: int
    category: str
    source: str
    note: str
    state: str
    ending: str
    not_fixed_reason: str
    deadline: date | None
    requested_at: datetime
    closed_at: datetime | None
    unit__name: str | None
    waterway__name: str | None
    lonlat: object  # a GEOS Point in settings.API_SRID, or None
    last_event_at: datetime | None


def _public():
    last_event = ProblemEvent.objects.filter(problem=OuterRef("pk")).order_by("-at", "-id").values("at")[:1]
    return (
        Problem.objects.filter(accepted_q())
        .annotate(lonlat=Transform("point", settings.API_SRID), last_event_at=Subquery(last_event),
                  # In UTC: the district's whole-hour offset gives the same hours, and the database
                  # session's zone (UTC) reads the truncated value back as the moment it is.
                  requested_at=Case(When(source__in=FOUND_ON_ROUNDS,
                                         then=Trunc("observed_at", "hour", tzinfo=dt_timezone.utc)),
                                    default=F("observed_at")))
        .values(*COLUMNS)
    )


def public_request(problem_id: int) -> PublicRequest | None:
    row = _public().filter(pk=problem_id).first()
    return PublicRequest(**row) if row else None


def public_requests(query: RequestsQuery) -> list[PublicRequest]:
    """By ids (in the order asked), else the window's newest first, at most query.limit."""
    found = _public()
    if query.ids is not None:
        rows = {row["id"]: row for row in found.filter(pk__in=query.ids)}
        return [PublicRequest(**rows[pk]) for pk in query.ids if pk in rows]
    # requested_datetime is when the problem was seen and reported (requested_at); both ends included.
    found = found.filter(requested_at__gte=query.start, requested_at__lte=query.end)
    if query.codes:
        found = found.filter(category__in=query.codes)
    if len(query.statuses) == 1:
        closed = Q(state=State.CLOSED)
        found = found.filter(closed if query.statuses[0] == "closed" else ~closed)
    return [PublicRequest(**row) for row in found.order_by("-requested_at", "-id")[:query.limit]]
