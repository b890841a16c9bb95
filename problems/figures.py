"""The problem list's figures (the annual report and the list's summary read them): per unit,
category or waterway, over a period. One selector, `figures()`; the definitions live here.

- found: problems that count (selectors.counted_q: a public report only once accepted) seen in the period;
- accepted: of those, accepted by the office and not set aside as a duplicate or invalid;
- fixed / closed_not_fixed: of those, closed as fixed / closed without a fix (never lumped together);
- open: of those, not closed; overdue: of the open, past their deadline and not resolved (as of `today`);
- due (`due_q`): counted problems whose first deadline (Problem.first_deadline: a supervision or
  reassignment that moves the deadline later does not move this one) falls in the period, except
  duplicates and invalid ones, whatever became of them, and except those still open whose deadline has
  not passed by `today` (they may yet be on time); on_time (`on_time_q`): of those, fixed, with the fix
  resolved by the end of that day. The problem list filters by both rules (?due_start=&due_end=&on_time=1),
  so each of these two figures has its list;
- on_time_rate: on_time ÷ due. An item still open past its deadline is late, not left out;
- median_days_to_fix: for the fixed among `found`, the median of (resolved − seen), in days;
- reopened: of `found`, how many times they were reopened in all; reopened_problems: how many of them
  were reopened at least once (what the list's `reopened=1` shows).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Q, Sum, Value
from django.db.models.functions import Coalesce, Extract

from riverwatch.dates import day_start

from .models import Ending, Problem, State
from .selectors import accepted_q, counted_q, overdue_q

# A duplicate or an invalid report was never a problem to fix: it is never due.
NEVER_DUE_ENDINGS = [Ending.DUPLICATE, Ending.INVALID]


def due_q(start: date | None, end: date | None, today: date) -> Q:
    """The problems whose on-time rate a period measures: counted, with a first deadline in [start, end]
    (None: open on that side), neither a duplicate nor invalid, and not still open with that deadline
    today or later (it may yet be met). One rule for figures() and the problem list."""
    condition = counted_q() & Q(first_deadline__isnull=False) & ~Q(ending__in=NEVER_DUE_ENDINGS)
    if start is not None:
        condition &= Q(first_deadline__gte=start)
    if end is not None:
        condition &= Q(first_deadline__lte=end)
    undecided = ~Q(state=State.CLOSED) & Q(first_deadline__gte=today)
    return condition & ~undecided


def on_time_q() -> Q:
    """Fixed, and resolved on its first deadline's day (in the district's time zone) or before."""
    return Q(ending=Ending.FIXED, resolved_at__isnull=False, first_deadline__isnull=False,
             resolved_at__date__lte=F("first_deadline"))


# Without a group, every row falls in one (values() of no field would mean every field).
GROUP_FIELDS = {
    None: ["everything"],
    "unit": ["unit_id", "unit__name"],
    "category": ["category"],
    "waterway": ["waterway_id", "waterway__name"],
}


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _key(row, fields):
    return tuple(row[field] for field in fields)


def figures(*, start: date, end: date, today: date, by: str | None = None, queryset=None) -> list[dict]:
    """One row per group (a single row without `by`), in the group's order: see the module's docstring."""
    fields = GROUP_FIELDS[by]
    problems = (Problem.objects.all() if queryset is None else queryset).annotate(everything=Value(1))
    start_at, end_at = day_start(start), day_start(end + timedelta(days=1))
    days_to_fix = Extract(ExpressionWrapper(F("resolved_at") - F("observed_at"), output_field=DurationField()),
                          "epoch") / 86400.0
    fixed = Q(ending=Ending.FIXED)
    seen = (
        problems.filter(counted_q(), observed_at__gte=start_at, observed_at__lt=end_at)
        .values(*fields)
        .annotate(
            found=Count("id"),
            accepted=Count("id", filter=accepted_q()),
            fixed=Count("id", filter=fixed),
            closed_not_fixed=Count("id", filter=Q(ending=Ending.NOT_FIXED)),
            open=Count("id", filter=~Q(state=State.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
            median_days_to_fix=Median(days_to_fix, filter=fixed & Q(resolved_at__isnull=False)),
            reopened=Coalesce(Sum("reopen_count"), 0),
            reopened_problems=Count("id", filter=Q(reopen_count__gt=0)),
        )
        .order_by(*fields)
    )
    due = (
        problems.filter(due_q(start, end, today))
        .values(*fields)
        .annotate(due=Count("id"), on_time=Count("id", filter=on_time_q()))
        .order_by(*fields)
    )
    rows = {_key(row, fields): {**row, "due": 0, "on_time": 0} for row in seen}
    for row in due:
        target = rows.setdefault(_key(row, fields), {
            **{field: row[field] for field in fields}, "found": 0, "accepted": 0, "fixed": 0, "closed_not_fixed": 0,
            "open": 0, "overdue": 0, "median_days_to_fix": None, "reopened": 0, "reopened_problems": 0})
        target["due"], target["on_time"] = row["due"], row["on_time"]
    result = []
    for key in sorted(rows, key=lambda key: tuple((value is None, value if value is not None else 0) for value in key)):
        row = rows[key]
        row["on_time_rate"] = row["on_time"] / row["due"] if row["due"] else None
        if row["median_days_to_fix"] is not None:
            row["median_days_to_fix"] = round(row["median_days_to_fix"], 2)
        row.pop("everything", None)
        result.append(row)
    if by is None and not result:
        result.append({"found": 0, "accepted": 0, "fixed": 0, "closed_not_fixed": 0, "open": 0, "overdue": 0,
                       "median_days_to_fix": None, "reopened": 0, "reopened_problems": 0, "due": 0, "on_time": 0,
                       "on_time_rate": None})
    return result
