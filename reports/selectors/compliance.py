"""Patrol compliance of river chiefs and participation of deputies: reads only, as plain data.

Definitions (the page and the API state them the same way):
- Rule periods are ISO weeks (Mon–Sun), calendar months and calendar quarters, in Beijing dates.
- A period belongs to a report window [start, end] when it ends inside the window. The period that
  contains min(end, today) and has not ended by then is "in progress": done so far, never missing.
- A period is in season when at least one of its days falls in the rule's season months (a season
  may wrap the year end, e.g. 11–2).
- A post (ChiefAssignment) is measured for a period only when it covers the whole period.
- done = the chief's patrols on the post's waterway that started (Beijing date) within the period;
  counted = done that are not rejected and meet the CURRENT rule's minimum duration and distance;
  missing = max(0, required − counted) per finished period, summed.

Everything is fetched in a fixed number of queries (rules, scope, posts, patrols, which of them the
viewer may read), whatever the number of chiefs; the per-period arithmetic is done here in Python on
those rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from patrols import selectors as patrol_selectors
from patrols.models import Activity, PatrolRule, ServiceRecord
from people import selectors as people_selectors
from people.models import ChiefAssignment, Level, Person, Role

# Higher outranks lower: a chief oversees the chiefs of lower levels on their waterways.
LEVEL_RANK = {Level.VILLAGE: 1, Level.TOWNSHIP: 2, Level.DISTRICT: 3}

# What the district reported for deputies' participation (two years): shown beside our figure.
DISTRICT_REPORTED_PCT = 98
DEFAULT_SILENT_DAYS = 90

FINISHED, IN_PROGRESS, NOT_REQUIRED = "finished", "in_progress", "not_required"

# The waterways a chief oversees, with the highest level of their post there: the waterways of their
# posts during the window and every tributary below them (any depth, via parent). UNION (not
# UNION ALL) drops repeated rows, so even a parent cycle in bad data ends the recursion.
CHIEF_SCOPE_SQL = """
WITH RECURSIVE scope(waterway_id, rank) AS (
    SELECT a.waterway_id,
           CASE a.level WHEN 'district' THEN 3 WHEN 'township' THEN 2 ELSE 1 END
      FROM people_chiefassignment a
     WHERE a.person_id = %(person)s
       AND a.since <= %(last_day)s
       AND (a.until IS NULL OR a.until >= %(first_day)s)
    UNION
    SELECT w.id, s.rank
      FROM waterways_waterway w
      JOIN scope s ON w.parent_id = s.waterway_id
)
SELECT waterway_id, MAX(rank) FROM scope GROUP BY waterway_id
"""


# --- Rule periods -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RulePeriod:
    kind: str  # week | month | quarter
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        if self.kind == PatrolRule.Period.WEEK:
            year, week, _weekday = self.first_day.isocalendar()
            return _("%(year)s 年第 %(week)s 周（%(first)s 至 %(last)s）") % {
                "year": year, "week": week, "first": self.first_day.strftime("%m-%d"),
                "last": self.last_day.strftime("%m-%d"),
            }
        if self.kind == PatrolRule.Period.MONTH:
            return _("%(year)s 年 %(month)s 月") % {"year": self.first_day.year, "month": self.first_day.month}
        return _("%(year)s 年第 %(quarter)s 季度") % {
            "year": self.first_day.year, "quarter": (self.first_day.month - 1) // 3 + 1,
        }

    def months(self):
        """(year, month) of every month the period has a day in."""
        year, month = self.first_day.year, self.first_day.month
        while (year, month) <= (self.last_day.year, self.last_day.month):
            yield year, month
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def period_containing(kind: str, day: date) -> RulePeriod:
    if kind == PatrolRule.Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return RulePeriod(kind, monday, monday + timedelta(days=6))
    if kind == PatrolRule.Period.MONTH:
        return RulePeriod(kind, day.replace(day=1), _month_end(day.year, day.month))
    first_month = (day.month - 1) // 3 * 3 + 1
    return RulePeriod(kind, date(day.year, first_month, 1), _month_end(day.year, first_month + 2))


def periods_for_window(kind: str, start: date, as_of: date) -> list[tuple[RulePeriod, bool]]:
    """(period, finished) for the periods ending in [start, as_of], then the one containing as_of
    if it has not ended by then (finished=False)."""
    periods = []
    period = period_containing(kind, start)
    while period.first_day <= as_of:
        if period.last_day <= as_of:
            if period.last_day >= start:
                periods.append((period, True))
        else:
            periods.append((period, False))
        period = period_containing(kind, period.last_day + timedelta(days=1))
    return periods


def in_season_month(rule, month: int) -> bool:
    first, last = rule.season_start_month, rule.season_end_month
    if first <= last:
        return first <= month <= last
    return month >= first or month <= last  # wraps the year end, e.g. November to February


def period_in_season(rule, period: RulePeriod) -> bool:
    return any(in_season_month(rule, month) for _year, month in period.months())


def season_label(rule) -> str:
    first, last = rule.season_start_month, rule.season_end_month
    if (first, last) == (1, 12) or last == first - 1:
        return _("全年")
    if first <= last:
        return _("%(first)s–%(last)s 月") % {"first": first, "last": last}
    return _("%(first)s 月至次年 %(last)s 月") % {"first": first, "last": last}


def _km(metres: float) -> str:
    """2000 → "2", 2250 → "2.25": the rule as the office wrote it."""
    return f"{metres / 1000:.3f}".rstrip("0").rstrip(".")


def describe_rule(rule) -> dict:
    level_label = dict(Level.choices).get(rule.level, rule.level)
    parts = [
        _("%(period)s至少 %(count)s 次") % {"period": rule.get_period_display(), "count": rule.required_count},
        _("每次不少于 %(minutes)s 分钟") % {"minutes": rule.min_duration_min},
    ]
    if rule.min_distance_m:
        parts.append(_("不少于 %(km)s 公里") % {"km": _km(rule.min_distance_m)})
    parts.append(_("考核月份：%(season)s") % {"season": season_label(rule)})
    return {
        "id": rule.pk, "level": rule.level, "level_label": level_label, "period": rule.period,
        "period_label": rule.get_period_display(), "required_count": rule.required_count,
        "min_duration_min": rule.min_duration_min, "min_distance_m": rule.min_distance_m,
        "season_start_month": rule.season_start_month, "season_end_month": rule.season_end_month,
        "season_label": season_label(rule), "source": rule.source, "summary": _("，").join(parts),
    }


def window_presets(today: date) -> list[dict]:
    """The periods an office asks about: this and last month, quarter and year (this one so far)."""
    month = period_containing(PatrolRule.Period.MONTH, today)
    last_month = period_containing(PatrolRule.Period.MONTH, month.first_day - timedelta(days=1))
    quarter = period_containing(PatrolRule.Period.QUARTER, today)
    last_quarter = period_containing(PatrolRule.Period.QUARTER, quarter.first_day - timedelta(days=1))
    return [
        {"key": "month", "label": _("本月"), "start": month.first_day, "end": today},
        {"key": "last_month", "label": _("上月"), "start": last_month.first_day, "end": last_month.last_day},
        {"key": "quarter", "label": _("本季度"), "start": quarter.first_day, "end": today},
        {"key": "last_quarter", "label": _("上季度"), "start": last_quarter.first_day, "end": last_quarter.last_day},
        {"key": "year", "label": _("今年"), "start": date(today.year, 1, 1), "end": today},
        {"key": "last_year", "label": _("去年"), "start": date(today.year - 1, 1, 1), "end": date(today.year - 1, 12, 31)},
    ]


# --- Reasons: data first, worded in the viewer's language when output ------------------------

def word_reason(code: str, params: dict) -> str:
    if code == "rejected":
        if "note" not in params:  # the viewer may not read the patrol, so not the reviewer's note either
            return _("审核已驳回")
        note = params["note"] or _("未写明原因")
        return _("审核已驳回（%(note)s）") % {"note": note}
    if code == "short_minutes":
        return _("时长不足 %(need)s 分钟（本次 %(done)s 分钟）") % params
    if code == "short_distance":
        return _("里程不足 %(need)s 公里（本次 %(done)s 公里）") % params
    if code == "not_own_waterway":
        return _("不是本人任河长的河道")
    if code == "no_waterway":
        return _("未能确定所在河道（位置不在水系附近）")
    if code == "out_of_season":
        return _("不在考核季节（%(season)s）") % params
    if code == "not_chief_then":
        return _("巡河时不在这条河道的河长任期内（任期 %(term)s）") % params
    if code == "post_partial":
        return _("任期未覆盖整个周期（任期 %(term)s），该周期不考核") % params
    if code == "no_rule":
        return _("尚未设置%(level)s河长的巡河规则（管理后台 › 巡河规则）") % params
    if code == "outside_periods":
        return _("所在周期不在本次统计范围内")
    return code


def _post_term(post) -> dict:
    if post.until:
        return {"term": _("%(since)s 至 %(until)s") % {"since": post.since.isoformat(), "until": post.until.isoformat()}}
    return {"term": _("%(since)s 起") % {"since": post.since.isoformat()}}


def _shortfalls(rule, duration_s: int, distance_m: float) -> list[tuple[str, dict]]:
    found = []
    if duration_s < rule.min_duration_min * 60:
        # Rounded down, so "本次" never reads as much as the minimum it fell short of.
        found.append(("short_minutes", {"need": rule.min_duration_min, "done": duration_s // 60}))
    if distance_m < rule.min_distance_m:
        found.append(("short_distance", {"need": _km(rule.min_distance_m),
                                         "done": f"{math.floor(distance_m / 10) / 100:.2f}"}))
    return found


# --- Who sees which chiefs ---------------------------------------------------------------------

def chief_scope(person, first_day: date, last_day: date) -> dict[int, int]:
    """{waterway_id: rank of the person's highest post there or on a waterway it flows into}."""
    with connection.cursor() as cursor:
        cursor.execute(CHIEF_SCOPE_SQL, {"person": person.pk, "first_day": first_day, "last_day": last_day})
        return dict(cursor.fetchall())


def visible_posts(viewer, start: date, as_of: date, waterway_ids=None) -> list:
    """The chief posts held at some time in [start, as_of] that the viewer may look at: staff every
    post; a chief their own and those of lower levels on their waterways and tributaries."""
    posts = (ChiefAssignment.objects.filter(since__lte=as_of).filter(Q(until__isnull=True) | Q(until__gte=start))
             .select_related("person", "waterway").order_by("person__name", "person_id", "waterway__code", "since"))
    if waterway_ids is not None:
        posts = posts.filter(waterway_id__in=waterway_ids)
    if people_selectors.is_office_staff(viewer):
        return list(posts)
    person = people_selectors.person_of(viewer)
    if person is None:
        return []
    scope = chief_scope(person, start, as_of)
    candidates = posts.filter(Q(person=person) | Q(waterway_id__in=list(scope)))
    return [post for post in candidates
            if post.person_id == person.pk or LEVEL_RANK.get(post.level, 0) < scope.get(post.waterway_id, 0)]


# --- Chief compliance ----------------------------------------------------------------------------

def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _fetch_patrols(person_ids, first_day: date, last_day: date) -> dict[int, list[dict]]:
    """{person_id: [patrol rows]} of the patrols those people took part in, one query."""
    rows = (ServiceRecord.objects
            .filter(person_id__in=person_ids, activity__kind=Activity.Kind.PATROL,
                    activity__started_at__gte=_aware(first_day), activity__started_at__lt=_aware(last_day + timedelta(days=1)))
            .order_by("activity__started_at", "activity_id")
            .values("person_id", "activity_id", "activity__started_at", "activity__waterway_id",
                    "activity__waterway__name", "activity__duration_s", "activity__distance_m", "activity__status",
                    "activity__review_note"))
    patrols = defaultdict(list)
    for row in rows:
        started_at = timezone.localtime(row["activity__started_at"])
        patrols[row["person_id"]].append({
            "id": row["activity_id"], "started_at": started_at, "day": started_at.date(),
            "waterway_id": row["activity__waterway_id"], "waterway": row["activity__waterway__name"],
            "duration_s": row["activity__duration_s"], "distance_m": row["activity__distance_m"],
            "rejected": row["activity__status"] == Activity.Status.REJECTED, "review_note": row["activity__review_note"],
        })
    return patrols


def _readable_ids(viewer, activity_ids) -> set[int]:
    """The ids among activity_ids of the activities the viewer may read, in one query."""
    if not activity_ids:
        return set()
    visible = patrol_selectors.activities_visible_to(viewer).filter(id__in=set(activity_ids))
    return set(visible.values_list("id", flat=True))


def _post_periods(post, rule, start: date, as_of: date) -> list[dict]:
    entries = []
    for period, finished in periods_for_window(rule.period, start, as_of):
        if period.last_day < post.since or (post.until and period.first_day > post.until):
            continue  # wholly outside the post's term: not this chief's period at all
        covers = post.since <= period.first_day and (post.until is None or post.until >= period.last_day)
        reason = None
        if not period_in_season(rule, period):
            reason = ("out_of_season", {"season": season_label(rule)})
        elif not covers:
            reason = ("post_partial", _post_term(post))
        state = NOT_REQUIRED if reason else FINISHED if finished else IN_PROGRESS
        entries.append({
            "period": period, "post": post, "state": state, "reason": reason,
            "required": 0 if reason else rule.required_count, "done": 0, "counted": 0,
        })
    return entries


def _evaluate_patrol(patrol, posts, rules, period_index) -> tuple[bool, list[tuple[str, dict]]]:
    """Whether a patrol counts for one of the chief's measured periods, and if not, why."""
    reasons = []
    if patrol["rejected"]:
        reasons.append(("rejected", {"note": patrol["review_note"]} if patrol["readable"] else {}))
    if patrol["waterway_id"] is None:
        reasons.append(("no_waterway", {}))
        return False, reasons
    matching = [post for post in posts if post.waterway_id == patrol["waterway_id"]]
    if not matching:
        reasons.append(("not_own_waterway", {}))
        return False, reasons
    day = patrol["day"]
    holding = [post for post in matching if post.since <= day and (post.until is None or day <= post.until)]
    if not holding:
        reasons.append(("not_chief_then", _post_term(matching[0])))
        return False, reasons
    counts = False
    for post in holding:
        rule = rules.get(post.level)
        if rule is None:
            reasons.append(("no_rule", {"level": dict(Level.choices).get(post.level, post.level)}))
            continue
        entry = period_index.get((post.pk, period_containing(rule.period, day).first_day))
        if entry is None:
            reasons.append(("outside_periods", {}))
            continue
        entry["done"] += 1
        shortfalls = _shortfalls(rule, patrol["duration_s"], patrol["distance_m"])
        if entry["reason"]:
            reasons.append(entry["reason"])
        reasons.extend(shortfalls)
        if not entry["reason"] and not shortfalls and not patrol["rejected"]:
            entry["counted"] += 1
            counts = True
    unique = []
    for reason in reasons:
        if reason not in unique:
            unique.append(reason)
    return counts, unique


def _period_out(entry) -> dict:
    period, post = entry["period"], entry["post"]
    finished = entry["state"] == FINISHED
    reason = entry["reason"]
    return {
        "label": period.label, "kind": period.kind, "first_day": period.first_day, "last_day": period.last_day,
        "state": entry["state"], "waterway": post.waterway.name, "waterway_id": post.waterway_id, "level": post.level,
        "required": entry["required"], "done": entry["done"], "counted": entry["counted"],
        "missing": max(0, entry["required"] - entry["counted"]) if finished else 0,
        "to_go": max(0, entry["required"] - entry["counted"]) if entry["state"] == IN_PROGRESS else 0,
        "reason_if_not_required": word_reason(*reason) if reason else "",
    }


def chief_compliance(*, viewer, start: date, end: date, today: date | None = None, behind_only=False,
                     waterway_ids=None) -> dict:
    """Per chief in the viewer's scope: required, done, counted and missing over the finished
    periods of the window, each period, and each patrol with the reasons it did not count."""
    today = today or timezone.localdate()
    as_of = min(end, today)
    rules = {rule.level: rule for rule in PatrolRule.objects.all()}
    posts = visible_posts(viewer, start, as_of, waterway_ids) if start <= as_of else []

    posts_by_chief = defaultdict(list)
    for post in posts:
        posts_by_chief[post.person_id].append(post)

    # Every shown period and the window itself, so one query fetches every patrol that feeds them.
    entries_by_chief = {}
    fetch_from = start
    for person_id, chief_posts in posts_by_chief.items():
        entries = []
        for post in chief_posts:
            rule = rules.get(post.level)
            if rule is not None:
                entries.extend(_post_periods(post, rule, start, as_of))
        entries_by_chief[person_id] = entries
        fetch_from = min([fetch_from] + [entry["period"].first_day for entry in entries])
    patrols_by_chief = _fetch_patrols(list(posts_by_chief), fetch_from, as_of) if posts_by_chief else {}
    # A chief oversees lower chiefs on tributaries but may read only the patrols on their own
    # waterways (patrols.selectors.activities_visible_to): the others are listed without a link
    # and without the reviewer's note. One query for every patrol listed.
    readable = _readable_ids(viewer, [patrol["id"] for rows in patrols_by_chief.values() for patrol in rows])
    for rows in patrols_by_chief.values():
        for patrol in rows:
            patrol["readable"] = patrol["id"] in readable

    chiefs = []
    for person_id, chief_posts in posts_by_chief.items():
        person = chief_posts[0].person
        entries = entries_by_chief[person_id]
        period_index = {(entry["post"].pk, entry["period"].first_day): entry for entry in entries}
        list_from = min([start] + [entry["period"].first_day for entry in entries])
        patrols_out = []
        for patrol in patrols_by_chief.get(person_id, []):
            if patrol["day"] < list_from:
                continue
            counts, reasons = _evaluate_patrol(patrol, chief_posts, rules, period_index)
            patrols_out.append({
                "id": patrol["id"], "started_at": patrol["started_at"], "day": patrol["day"],
                "waterway": patrol["waterway"], "waterway_id": patrol["waterway_id"],
                "minutes": patrol["duration_s"] // 60, "km": round(patrol["distance_m"] / 1000, 2),
                "rejected": patrol["rejected"], "counts": counts, "readable": patrol["readable"],
                "reason_codes": [] if counts else [code for code, _params in reasons],
                "reasons": [] if counts else [word_reason(code, params) for code, params in reasons],
            })
        entries.sort(key=lambda entry: (entry["post"].waterway.code, entry["post"].level, entry["period"].first_day))
        periods_out = [_period_out(entry) for entry in entries]
        finished = [period for period in periods_out if period["state"] == FINISHED]
        missing = sum(period["missing"] for period in finished)
        levels = sorted({post.level for post in chief_posts}, key=lambda level: -LEVEL_RANK.get(level, 0))
        chiefs.append({
            "id": person.pk, "name": person.name, "is_active": person.is_active,
            "level": levels[0], "level_label": dict(Level.choices).get(levels[0], levels[0]), "levels": levels,
            "waterways": list(dict.fromkeys(post.waterway.name for post in chief_posts)),
            "posts": [{"waterway": post.waterway.name, "waterway_id": post.waterway_id, "level": post.level,
                       "since": post.since, "until": post.until} for post in chief_posts],
            "notes": [word_reason("no_rule", {"level": dict(Level.choices).get(level, level)})
                      for level in levels if level not in rules],
            "required": sum(period["required"] for period in finished),
            "done": sum(period["done"] for period in finished),
            "counted": sum(period["counted"] for period in finished),
            "missing": missing, "behind": missing > 0,
            "periods": periods_out, "patrols": patrols_out,
        })

    chiefs.sort(key=lambda chief: (-chief["missing"], chief["name"], chief["id"]))
    summary = {
        "chiefs": len(chiefs),
        "measured": sum(1 for chief in chiefs if chief["required"]),
        "behind": sum(1 for chief in chiefs if chief["behind"]),
        "required": sum(chief["required"] for chief in chiefs),
        "counted": sum(chief["counted"] for chief in chiefs),
        "missing": sum(chief["missing"] for chief in chiefs),
    }
    if behind_only:
        chiefs = [chief for chief in chiefs if chief["behind"]]
    return {
        "period": {"start": start, "end": end, "as_of": as_of},
        "rules": [describe_rule(rule) for rule in sorted(rules.values(), key=lambda r: -LEVEL_RANK.get(r.level, 0))],
        "summary": summary,
        "chiefs": chiefs,
    }


# --- Deputies --------------------------------------------------------------------------------------

def deputy_participation(*, viewer, year: int, days: int = DEFAULT_SILENT_DAYS, as_of: date | None = None) -> dict:
    """The share of active deputies with a service record on a non-rejected activity that started in
    `year`, and the active deputies with none in the `days` days up to `as_of` (as_of included),
    longest silence first: the people to remind."""
    as_of = as_of or timezone.localdate()
    deputies = Person.objects.filter(role=Role.DEPUTY, is_active=True)
    year_records = ServiceRecord.objects.filter(
        person=OuterRef("pk"), activity__started_at__gte=_aware(date(year, 1, 1)),
        activity__started_at__lt=_aware(date(year + 1, 1, 1)),
    ).exclude(activity__status=Activity.Status.REJECTED)
    counts = deputies.aggregate(total=Count("pk"), participated=Count("pk", filter=Exists(year_records)))
    total, participated = counts["total"], counts["participated"]

    # Records after as_of are ignored, so a past as_of shows who was silent then.
    rows = deputies.annotate(last_at=Max(
        "service_records__activity__started_at",
        filter=Q(service_records__activity__started_at__lt=_aware(as_of + timedelta(days=1)))
        & ~Q(service_records__activity__status=Activity.Status.REJECTED),
    ))
    silent = []
    for deputy in rows:
        last = timezone.localtime(deputy.last_at).date() if deputy.last_at else None
        days_silent = (as_of - last).days if last else None
        # "In the last N days" is as_of and the N−1 days before it.
        if last is None or days_silent >= days:
            silent.append({
                "id": deputy.pk, "name": deputy.name, "level": deputy.level, "level_label": deputy.get_level_display(),
                "last_record": last, "days_silent": days_silent,
                **({"phone": deputy.phone} if people_selectors.may_see_phone(viewer, deputy) else {}),
            })
    silent.sort(key=lambda row: (row["last_record"] is not None, -(row["days_silent"] or 0), row["name"], row["id"]))
    return {
        "year": year, "days": days, "as_of": as_of,
        "deputies_total": total, "participated": participated,
        "rate_pct": round(100 * participated / total, 1) if total else None,
        "district_reported_pct": DISTRICT_REPORTED_PCT,
        "silent": silent,
    }
