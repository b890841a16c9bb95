"""Reads for the problem list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Area, Distance, PointOnSurface, Transform
from django.contrib.gis.measure import D
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, OuterRef, Prefetch, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from people import selectors as people_selectors
from people.models import CHIEF_LEVELS_LOW_TO_HIGH, ChiefAssignment, Role
from riverwatch.dates import day_start, year_bounds

from . import lifecycle
from .models import (
    OPEN_STATES,
    UNRESOLVED_STATES,
    UNVETTED_SOURCES,
    Action,
    CalendarDay,
    CategorySetting,
    Ending,
    Problem,
    ProblemEvent,
    ResponsibleUnit,
    State,
    supervised_first,
)
from .working_days import nth_working_day_after, span_needed

# A category without its settings row (the migration ships one for each) gets this.
DEFAULT_DEADLINE_DAYS = 5


def calendar_exceptions(first: date, last: date) -> tuple[set[date], set[date]]:
    """(holidays, weekend days worked) between first and last, both included."""
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.filter(day__range=(first, last)).values_list("day", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
    return holidays, workdays


def years_without_calendar(first: date, last: date) -> list[int]:
    """The years between first and last for which nobody has entered the holidays yet: their
    deadlines count Monday to Friday only, and whoever sets one should know."""
    years = range(first.year, last.year + 1)
    entered = {day.year for day in CalendarDay.objects.filter(day__year__in=years).dates("day", "year")}
    return [year for year in years if year not in entered]


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


def default_deadline(category: str, given_on: date) -> date:
    """The category's default deadline (its setting's working days) for a problem assigned on `given_on`."""
    setting = CategorySetting.objects.filter(category=category).first()
    return deadline_after(given_on, setting.deadline_days if setting else DEFAULT_DEADLINE_DAYS)


# --- the rules the figures, lists and maps share (a rule that must also run as SQL has its fragment beside it) ---

def counted_q(prefix: str = "") -> Q:
    """A problem counts in figures and maps once it is more than a claim: reported by our own people
    (a patrol, the office, a deputy), or from outside (the public, Open311) and accepted by the office."""
    return ~Q(**{f"{prefix}source__in": UNVETTED_SOURCES}) | Q(**{f"{prefix}accepted_at__isnull": False})



def overdue_q(today: date, prefix: str = "") -> Q:
    """Past its deadline (the deadline day itself is still in time) and not yet resolved."""
    return Q(**{f"{prefix}state__in": UNRESOLVED_STATES, f"{prefix}deadline__lt": today})



def is_overdue(problem, today: date) -> bool:
    return problem.state in UNRESOLVED_STATES and problem.deadline is not None and problem.deadline < today


def overdue(today: date):
    return Problem.objects.filter(overdue_q(today))


def days_left(problem, today: date) -> int | None:
    """Calendar days to the deadline (negative: days overdue); None without a deadline or once resolved."""
    if problem.deadline is None or problem.state not in UNRESOLVED_STATES:
        return None
    return (problem.deadline - today).days


# --- routing: which unit to propose ---

@dataclass
class Proposal:
    unit: ResponsibleUnit | None
    why: str


def propose_unit(problem, today: date | None = None) -> Proposal:
    """The unit the office is offered when it assigns: by the category alone for categories routed
    to a department; otherwise the unit whose drawn area holds the point, then the unit of the
    village or town of the waterway's lowest-level chief, then the category's default unit."""
    setting = CategorySetting.objects.select_related("default_unit").filter(category=problem.category).first()
    default = setting.default_unit if setting and setting.default_unit and setting.default_unit.is_active else None
    if setting is not None and not setting.route_by_place and default is not None:
        return Proposal(default, _("按问题类别：%(category)s默认由%(unit)s办理") % {
            "category": problem.get_category_display(), "unit": default})
    active = ResponsibleUnit.objects.filter(is_active=True)
    if problem.point is not None:
        holder = active.filter(area__contains=problem.point).annotate(size=Area("area")).order_by("size", "pk").first()
        if holder is not None:
            return Proposal(holder, _("按位置：问题点位在%(unit)s辖区内") % {"unit": holder})
    if problem.waterway_id:
        for assignment in (
            ChiefAssignment.objects.filter(waterway_id=problem.waterway_id)
            .filter(Q(until__isnull=True) | Q(until__gte=today or timezone.localdate()), since__lte=today or timezone.localdate())
            .select_related("person").order_by(_chief_rank_order(), "pk")
        ):
            person = assignment.person
            unit = (active.filter(kind=ResponsibleUnit.Kind.VILLAGE, village_id=person.village_id).first()
                    if person.village_id else None) or \
                   (active.filter(kind=ResponsibleUnit.Kind.TOWN, town_id=person.town_id).first() if person.town_id else None)
            if unit is not None:
                return Proposal(unit, _("按河长：%(waterway)s的%(level)s河长%(name)s所在单位") % {
                    "waterway": problem.waterway.name, "level": assignment.get_level_display(), "name": person.name,
                    })
    if default is not None:
        return Proposal(default, _("按问题类别的默认责任单位"))
    return Proposal(None, _("没有可推荐的单位：请在后台为该类别设置默认责任单位，或为单位画出辖区"))


def _chief_rank_order():
    """The lowest level first: the chief closest to the place answers first."""
    whens = [When(level=level, then=rank) for rank, level in enumerate(CHIEF_LEVELS_LOW_TO_HIGH)]
    return Case(*whens, default=len(whens), output_field=IntegerField())


# --- duplicates ---

def possible_duplicates(*, category: str, point, observed_at, exclude_id=None):
    """Open problems of the same category within DUPLICATE_DISTANCE_M and DUPLICATE_DAYS of this one,
    nearest first: offered for merging, never merged without a person's act."""
    if point is None:
        return Problem.objects.none()
    found = (
        Problem.objects.filter(_duplicate_q(category, point, observed_at))
        .annotate(distance=Distance("point", point))
        .order_by("distance", "pk")
    )
    return found.exclude(pk=exclude_id) if exclude_id else found


def _duplicate_q(category, point, observed_at) -> Q:
    """The duplicate rule, for values or for an outer row's columns (OuterRef)."""
    window = timedelta(days=settings.PROBLEM_DUPLICATE_DAYS)
    return counted_q() & Q(category=category, state__in=OPEN_STATES, observed_at__gte=observed_at - window,
                           observed_at__lte=observed_at + window,
                           point__dwithin=(point, D(m=settings.PROBLEM_DUPLICATE_DISTANCE_M)))


def with_possible_duplicate(problems):
    """Each problem still open to merging (reported or accepted) with `possible_duplicate`: the id of
    the nearest other problem it may duplicate, else None. For the office list's rows (one query)."""
    nearest = (
        Problem.objects.filter(_duplicate_q(OuterRef("category"), OuterRef("point"), OuterRef("observed_at")))
        .exclude(pk=OuterRef("pk"))
        # Distance cannot take a bare OuterRef (it asks its arguments for their field).
        .annotate(distance=Distance("point", ExpressionWrapper(OuterRef("point"),
                                                               output_field=PointField(srid=settings.GIS_SRID))))
        .order_by("distance", "pk")
        .values("pk")[:1]
    )
    mergeable = Q(state__in=list(lifecycle.MOVES[Action.MERGE].from_states), point__isnull=False)
    return problems.annotate(possible_duplicate=Case(When(mergeable, then=Subquery(nearest)), default=None))


# --- the map: where a problem is and how it stands ---

def map_states():
    """The river-chief map's problem classes, in legend order."""
    return {"open": _("办理中"), "overdue": _("已逾期"), "fixed": _("已解决"), "not_fixed": _("关闭未解决")}


def on_map_q() -> Q:
    """Counted problems that are problems: a duplicate is drawn once (as its survivor), an invalid one not at all."""
    return counted_q() & ~Q(ending__in=[Ending.DUPLICATE, Ending.INVALID])


def map_state(problem, today: date) -> str:
    if problem.state == State.CLOSED:
        return "fixed" if problem.ending == Ending.FIXED else "not_fixed"
    return "overdue" if is_overdue(problem, today) else "open"


def accepted_q(prefix: str = "") -> Q:
    """Accepted by the office and not set aside as a duplicate or invalid: what the hotspot counts."""
    return Q(**{f"{prefix}accepted_at__isnull": False}) & ~Q(**{f"{prefix}ending__in": [Ending.DUPLICATE, Ending.INVALID]})


ACCEPTED_SQL = "(p.accepted_at IS NOT NULL AND p.ending <> ALL(%(set_aside_endings)s))"


def accepted_sql_params() -> dict:
    return {"set_aside_endings": [str(Ending.DUPLICATE), str(Ending.INVALID)]}


def located(problems, start_at, end_at, *, waterway_ids=None):
    """These problems seen in [start_at, end_at), on the given waterways (by their own snapped
    waterway), each with `location`: its point, else its activity's (the point, else a point on the
    track), in lon/lat; those with no location at all are left out."""
    problems = problems.filter(observed_at__gte=start_at, observed_at__lt=end_at)
    if waterway_ids is not None:
        problems = problems.filter(waterway_id__in=waterway_ids)
    location = Coalesce("point", "activity__point", PointOnSurface("activity__track"),
                        output_field=PointField(srid=settings.GIS_SRID))
    return problems.annotate(location=Transform(location, settings.API_SRID)).filter(location__isnull=False)


# --- who reads what ---

def readable_by(user, queryset=None):
    """The office and every river chief read the whole list (清单); a unit's members read their
    unit's problems; everyone reads what they reported and, for a deputy, their own suggestions."""
    queryset = Problem.objects.all() if queryset is None else queryset
    if not user or not user.is_authenticated:
        return queryset.none()
    if people_selectors.is_office_staff(user):
        return queryset
    person = people_selectors.person_of(user)
    if person is not None and person.role == Role.CHIEF and person.is_active:
        return queryset
    mine = Q(reported_by=user)
    if person is not None:
        # The units' ids first (one small query): then each branch is an indexed column, with no
        # join that could repeat a problem and no subquery over the whole table.
        unit_ids = list(ResponsibleUnit.members.through.objects.filter(person=person)
                        .values_list("responsibleunit_id", flat=True))
        mine |= Q(unit_id__in=unit_ids) | Q(deputy=person)
    return queryset.filter(mine)


def tasks_of(user, today: date):
    """My tasks (我的待办): what waits for this login to act. A unit member: the unit's problems
    assigned or in progress; a chief: resolutions on their waterways to verify, and re-inspections
    due; the office: reports to accept and resolutions to verify. Supervised first, then by deadline."""
    person = people_selectors.person_of(user)
    wanted = Q(pk__in=[])
    if person is not None:
        wanted |= Q(unit__members=person, state__in=[State.ASSIGNED, State.IN_PROGRESS])
        scope = people_selectors.chief_scope(person, today)
        if scope:
            wanted |= Q(waterway_id__in=list(scope), state=State.RESOLVED)
            wanted |= Q(waterway_id__in=list(scope), follow_ups__done_at__isnull=True, state=State.CLOSED)
    if people_selectors.is_office_staff(user):
        wanted |= Q(state__in=[State.REPORTED, State.RESOLVED])
    found = Problem.objects.filter(pk__in=Problem.objects.filter(wanted).values("pk"))
    return found.exclude(state=State.RESOLVED, resolved_by=user).order_by(*LIST_ORDER)


# Supervised (督办) items head every list while open; then the nearest deadline; then the newest.
LIST_ORDER = [supervised_first(), F("deadline").asc(nulls_last=True), "-observed_at", "-pk"]  # indexes problem_*list_order


# --- the list (清单) ---

@dataclass
class ListFilters:
    states: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    unit_id: int | None = None
    waterway_ids: tuple[int, ...] | None = None
    sources: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None  # inclusive
    overdue: bool | None = None
    supervised: bool | None = None
    # The filters a report's figure links with (None: not filtered). year: observed in that Beijing
    # year, on top of start/end (both apply: their intersection).
    year: int | None = None
    endings: tuple[str, ...] | None = None
    reopened: bool | None = None
    counted: bool | None = None
    accepted: bool | None = None
    due_start: date | None = None  # the figures' due rule (problems.figures.due_q), first deadline from …
    due_end: date | None = None  # … to (inclusive)
    on_time: bool | None = None  # problems.figures.on_time_q

    @property
    def due(self) -> bool:
        return self.due_start is not None or self.due_end is not None


def _flag(queryset, wanted: bool | None, condition: Q):
    """Only the rows that meet the condition (True), only those that do not (False), or all (None)."""
    if wanted is None:
        return queryset
    return queryset.filter(condition) if wanted else queryset.exclude(condition)


def filtered(queryset, filters: ListFilters, today: date):
    # The figures read this module's rules; the list reads their due and on-time rules back.
    from .figures import due_q, on_time_q

    if filters.states:
        queryset = queryset.filter(state__in=filters.states)
    if filters.categories:
        queryset = queryset.filter(category__in=filters.categories)
    if filters.unit_id is not None:
        queryset = queryset.filter(unit_id=filters.unit_id)
    if filters.waterway_ids is not None:
        queryset = queryset.filter(waterway_id__in=filters.waterway_ids)
    if filters.sources:
        queryset = queryset.filter(source__in=filters.sources)
    if filters.start is not None:
        queryset = queryset.filter(observed_at__gte=day_start(filters.start))
    if filters.end is not None:
        queryset = queryset.filter(observed_at__lt=day_start(filters.end + timedelta(days=1)))
    if filters.overdue is not None:
        queryset = queryset.filter(overdue_q(today)) if filters.overdue else queryset.exclude(overdue_q(today))
    if filters.supervised is not None:
        queryset = queryset.filter(supervised_at__isnull=not filters.supervised)
    if filters.year is not None:
        year_start, year_end = year_bounds(filters.year)
        queryset = queryset.filter(observed_at__gte=year_start, observed_at__lt=year_end)
    if filters.endings:
        queryset = queryset.filter(ending__in=filters.endings)
    queryset = _flag(queryset, filters.reopened, Q(reopen_count__gt=0))
    queryset = _flag(queryset, filters.counted, counted_q())
    queryset = _flag(queryset, filters.accepted, accepted_q())
    if filters.due:
        queryset = queryset.filter(due_q(filters.due_start, filters.due_end, today))
    return _flag(queryset, filters.on_time, on_time_q())


def problem_list(user, filters: ListFilters, today: date):
    """The problems this login may read that pass the filters, supervised first, with what a row shows."""
    return (
        filtered(readable_by(user), filters, today)
        .select_related("unit", "waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .order_by(*LIST_ORDER)
    )


def state_counts(user, filters: ListFilters, today: date) -> dict:
    """How many of the filtered problems are in each state, and how many are overdue (the list's head).
    The state filter itself is left out, so the counts show every state to pick from."""
    queryset = filtered(readable_by(user), replace(filters, states=None), today)
    counts = dict(queryset.order_by().values_list("state").annotate(n=Count("id")))
    return {
        "states": [{"state": state, "label": label, "count": counts.get(state, 0)} for state, label in State.choices],
        "overdue": queryset.filter(overdue_q(today)).count(),
        "supervised": queryset.filter(supervised_at__isnull=False, state__in=OPEN_STATES).count(),
    }


def problem_detail(user, pk):
    """One problem this login may read, with its events (oldest first), photos and duplicates."""
    return (
        readable_by(user)
        .select_related("unit", "waterway", "deputy", "duplicate_of", "activity", "escalated_to", "reported_by")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .prefetch_related(
            Prefetch("events", queryset=ProblemEvent.objects.select_related("unit").prefetch_related("photos")),
            "own_photos", "photos", "duplicates", "follow_ups",
        )
        .filter(pk=pk)
        .first()
    )
