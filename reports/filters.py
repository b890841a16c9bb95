"""The filters every river-chief map layer and report shares: period, waterway, kind, role, team.

Dates are the district's calendar days (Asia/Shanghai); `end` is inclusive. Parsed once, with
errors in the user's language, and handed to SQL as parameters (never spliced into the text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from patrols.models import Activity
from people.models import Role, Team

from .permissions import own_waterway_ids

# Longer windows are reports, not map views; they would also make a slow query easy to ask for.
MAX_PERIOD_DAYS = 366 * 5
# Dates a report may name. Beyond them there are no records, and the arithmetic on them (the next
# day, a window of days before) would leave Python's and PostgreSQL's calendars (year 1 … 9999).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# Ids and small counts: ASCII digits only (str.isdigit also takes "²", which int() refuses) and short
# enough for a PostgreSQL integer.
SMALL_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    waterway_ids: tuple[int, ...] | None = None  # None: every waterway
    kinds: tuple[str, ...] | None = None
    role: str | None = None
    team_id: int | None = None

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def sql_params(self) -> dict:
        return {
            "start_at": self.start_at,
            "end_at": self.end_at,
            "waterways": list(self.waterway_ids) if self.waterway_ids is not None else None,
            "kinds": list(self.kinds) if self.kinds is not None else None,
            "role": self.role,
            "team": self.team_id,
        }


# The activities a report counts: in the period, not rejected, of the chosen kinds, with someone
# of the chosen role or team taking part. Rejected work did not happen as recorded. The waterway
# filter is left to each query: coverage filters reaches, the activity layers filter activities.
# The conditions alone (on `a`, an activity row) serve queries that select other columns; those
# without the period serve problems, which belong to the period they were observed in.
ACTIVITY_SCOPE_CONDITIONS = """
       a.status <> 'rejected'
   AND (%(kinds)s::text[] IS NULL OR a.kind = ANY(%(kinds)s::text[]))
   AND (%(role)s::text IS NULL OR EXISTS (
           SELECT 1 FROM patrols_servicerecord s WHERE s.activity_id = a.id AND s.role = %(role)s))
   AND (%(team)s::bigint IS NULL OR EXISTS (
           SELECT 1 FROM patrols_servicerecord s
             JOIN people_team_members m ON m.person_id = s.person_id
            WHERE s.activity_id = a.id AND m.team_id = %(team)s))
"""

ACTIVITY_FILTER_CONDITIONS = """
       a.started_at >= %(start_at)s AND a.started_at < %(end_at)s
   AND """ + ACTIVITY_SCOPE_CONDITIONS

FILTERED_ACTIVITIES_SQL = """
SELECT a.id, a.kind, a.started_at, a.waterway_id
  FROM patrols_activity a
 WHERE """ + ACTIVITY_FILTER_CONDITIONS


def parse_date(params, name, default, label):
    """A YYYY-MM-DD date between FIRST_DAY and LAST_DAY from a query string, or `default` when
    absent; a ValidationError naming `label` (开始日期, 截至日期, …) otherwise."""
    text = (params.get(name) or "").strip()
    if not text:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: _("%(label)s格式应为 YYYY-MM-DD，例如 2026-05-01；收到“%(value)s”。")
                               % {"label": label, "value": text[:40]}})
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError({name: _("%(label)s应在 %(first)s 到 %(last)s 之间；收到“%(value)s”。")
                               % {"label": label, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat(),
                                  "value": text[:40]}})
    return day


def small_number(text) -> int | None:
    """The whole number written in `text` (ASCII digits, at most nine), else None."""
    return int(text) if SMALL_NUMBER.fullmatch(text) else None


def parse_bounded_int(params, name, default, low, high, what):
    """A whole number between low and high from a query string, or `default` when absent; a
    ValidationError naming `what` (天数, 年份, …) otherwise."""
    text = (params.get(name) or "").strip()
    if not text:
        return default
    number = small_number(text)
    if number is None or not low <= number <= high:
        raise ValidationError({name: _("%(what)s应为 %(low)s 到 %(high)s 之间的整数；收到“%(value)s”。")
                               % {"what": what, "low": low, "high": high, "value": text[:40]}})
    return number


def _date(params, name, default):
    return parse_date(params, name, default, _("开始日期") if name == "start" else _("结束日期"))


def _id_list(params, name):
    values = []
    for chunk in params.getlist(name):
        values.extend(part.strip() for part in chunk.split(",") if part.strip())
    return values


def default_period(today: date | None = None) -> tuple[date, date]:
    """This year so far: what an office asks about first."""
    today = today or timezone.localdate()
    return date(today.year, 1, 1), today


def parse_filters(request, *, allow_waterways=True) -> ReportFilters:
    """ReportFilters from a request's query string. `waterway` takes ids (repeated or comma
    separated) or `mine`, the waterways the signed-in chief is chief of today."""
    params = request.query_params if hasattr(request, "query_params") else request.GET
    last_day = default_period()[1]
    end = _date(params, "end", last_day)
    # Without a start, the year of the end so far: `?end=2025-12-31` alone (gaps and freshness take
    # only an end) means 2025, not a backwards period from this year's 1 January.
    start = _date(params, "start", date(end.year, 1, 1))
    if end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"start": _("时间范围最长 5 年。")})

    waterway_ids = None
    raw_waterways = _id_list(params, "waterway") if allow_waterways else []
    if raw_waterways == ["mine"]:
        mine = own_waterway_ids(request.user)
        waterway_ids = tuple(mine) if mine is not None else None
    elif raw_waterways:
        if not all(SMALL_NUMBER.fullmatch(value) for value in raw_waterways):
            raise ValidationError({"waterway": _("河道参数应为河道编号（数字，可用逗号分隔）或 mine。")})
        waterway_ids = tuple(sorted({int(value) for value in raw_waterways}))

    kinds = None
    raw_kinds = _id_list(params, "kind")
    if raw_kinds:
        unknown = [value for value in raw_kinds if value not in Activity.Kind.values]
        if unknown:
            raise ValidationError({"kind": _("未知的活动类型：%(kinds)s。可选：%(choices)s。")
                                   % {"kinds": _("、").join(unknown[:5]), "choices": _("、").join(Activity.Kind.values)}})
        kinds = tuple(sorted(set(raw_kinds)))

    role = (params.get("role") or "").strip() or None
    if role is not None and role not in Role.values:
        raise ValidationError({"role": _("未知的身份：%(role)s。可选：%(choices)s。")
                               % {"role": role[:40], "choices": _("、").join(Role.values)}})

    team_id = (params.get("team") or "").strip() or None
    if team_id is not None:
        number = small_number(team_id)
        if number is None or not Team.objects.filter(pk=number).exists():
            raise ValidationError({"team": _("没有编号为 %(team)s 的队伍。") % {"team": team_id[:40]}})
        team_id = number

    return ReportFilters(start=start, end=end, waterway_ids=waterway_ids, kinds=kinds, role=role, team_id=team_id)
