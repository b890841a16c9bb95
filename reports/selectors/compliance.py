"""Patrol compliance of river chiefs and participation of deputies: reads only, as plain data.

Definitions (the page and the API state them the same way); the rule periods and whether one patrol
meets its rule are patrols.compliance's:
- A period belongs to a report window [start, end] when it ends inside the window. The period that
  contains min(end, today) and is not over by then is "in progress": done so far, never missing.
  A period ending today is in progress until midnight.
- A post (ChiefAssignment) is measured for a period only when it covers the whole period.
- done = the chief's patrols on the post's waterway that started (Beijing date) within the period;
  counted = done that meet the CURRENT rule (patrols.compliance.judge_patrol);
  missing = max(0, required − counted) per finished period, summed.
- Who sees which chiefs is the reading rule's: a chief sees themselves and the lower-level chiefs on
  the waterways they oversee today (their posts and the tributaries below), staff see everyone; and
  the patrols listed in a row are those the viewer may open (patrols.scopes), which include every
  patrol counted in it.

Everything is fetched in a fixed number of queries (rules, scope, posts, patrols, which of them the
viewer may read), whatever the number of chiefs; the per-period arithmetic is done here in Python on
those rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from patrols import scopes
from patrols.compliance import (
    FINISHED,
    IN_PROGRESS,
    PatrolFigures,
    covers,
    describe_rule,
    judge_patrol,
    level_label,
    period_containing,
    period_in_season,
    periods_for_window,
    post_term,
    season_label,
    word_reason,
)
from patrols.models import Activity, PatrolRule, ServiceRecord
from people import selectors as people_selectors
from people.models import ChiefAssignment, Person, Role, chief_rank
from riverwatch.dates import day_bounds, local_day

# What the district reported for deputies' participation (two years): shown beside our figure.
DISTRICT_REPORTED_PCT = 98
DEFAULT_SILENT_DAYS = 90

NOT_REQUIRED = "not_required"


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


# --- Who sees which chiefs ---------------------------------------------------------------------

def visible_posts(viewer, start: date, as_of: date, waterway_ids=None, *, today: date | None = None) -> list:
    """The chief posts held at some time in [start, as_of] that the viewer may look at: staff every
    post; a chief their own and those of lower levels on the waterways they oversee today."""
    posts = (ChiefAssignment.objects.filter(since__lte=as_of).filter(Q(until__isnull=True) | Q(until__gte=start))
             .select_related("person", "waterway").order_by("person__name", "person_id", "waterway__code", "since"))
    if waterway_ids is not None:
        posts = posts.filter(waterway_id__in=waterway_ids)
    if people_selectors.is_office_staff(viewer):
        return list(posts)
    person = people_selectors.person_of(viewer)
    if person is None:
        return []
    scope = people_selectors.chief_scope(person, today)
    candidates = posts.filter(Q(person=person) | Q(waterway_id__in=list(scope)))
    return [post for post in candidates
            if post.person_id == person.pk or chief_rank(post.level) < scope.get(post.waterway_id, 0)]


# --- Chief compliance ----------------------------------------------------------------------------

def _fetch_patrols(person_ids, first_day: date, last_day: date) -> dict[int, list[dict]]:
    """{person_id: [patrol rows]} of the patrols those people took part in, one query."""
    rows = (ServiceRecord.objects
            .filter(person_id__in=person_ids, activity__kind=Activity.Kind.PATROL,
                    activity__started_at__gte=day_bounds(first_day, last_day)[0],
                    activity__started_at__lt=day_bounds(first_day, last_day)[1])
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


def _readable_ids(viewer, activity_ids, today: date) -> set[int]:
    """The ids among activity_ids of the activities the viewer may read, in one query."""
    if not activity_ids:
        return set()
    if scopes.readable_q(scopes.reader_of(viewer, today)) is None:  # the office reads every one: no query
        return set(activity_ids)
    candidates = Activity.objects.filter(id__in=set(activity_ids))
    return set(scopes.readable_by(viewer, candidates, day=today).values_list("id", flat=True))


def _post_periods(post, rule, start: date, as_of: date, today: date) -> list[dict]:
    entries = []
    for period, state in periods_for_window(rule.period, start, as_of, today=today):
        if period.last_day < post.since or (post.until and period.first_day > post.until):
            continue  # wholly outside the post's term: not this chief's period at all
        reason = None
        if not period_in_season(rule, period):
            reason = ("out_of_season", {"season": season_label(rule)})
        elif not covers(post.since, post.until, period):
            reason = ("post_partial", post_term(post.since, post.until))
        entries.append({
            "period": period, "post": post, "state": NOT_REQUIRED if reason else state, "reason": reason,
            "required": 0 if reason else rule.required_count, "done": 0, "counted": 0,
        })
    return entries


def _evaluate_patrol(patrol, posts, rules, period_index) -> tuple[bool, list[tuple[str, dict]]]:
    """Whether a patrol counts for one of the chief's measured periods, and if not, why."""
    rejected = [("rejected", {"note": patrol["review_note"]})] if patrol["rejected"] else []
    if patrol["waterway_id"] is None:
        return False, rejected + [("no_waterway", {})]
    matching = [post for post in posts if post.waterway_id == patrol["waterway_id"]]
    if not matching:
        return False, rejected + [("not_own_waterway", {})]
    day = patrol["day"]
    holding = [post for post in matching if post.since <= day and (post.until is None or day <= post.until)]
    if not holding:
        return False, rejected + [("not_chief_then", post_term(matching[0].since, matching[0].until))]
    figures = PatrolFigures(day=day, duration_s=patrol["duration_s"], distance_m=patrol["distance_m"],
                            rejected=patrol["rejected"])
    counts, reasons = False, list(rejected)
    for post in holding:
        rule = rules.get(post.level)
        verdict = judge_patrol(figures, post.level, rule, since=post.since, until=post.until)
        if rule is not None:
            entry = period_index.get((post.pk, period_containing(rule.period, day).first_day))
            if entry is None:
                reasons.append(("outside_periods", {}))
                continue
            entry["done"] += 1
            if entry["reason"]:
                reasons.append(entry["reason"])
            elif verdict.counts:
                entry["counted"] += 1
                counts = True
        reasons.extend(reason for reason in verdict.reasons if reason[0] != "rejected")
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
    posts = visible_posts(viewer, start, as_of, waterway_ids, today=today) if start <= as_of else []

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
                entries.extend(_post_periods(post, rule, start, as_of, today))
        entries_by_chief[person_id] = entries
        fetch_from = min([fetch_from] + [entry["period"].first_day for entry in entries])
    patrols_by_chief = _fetch_patrols(list(posts_by_chief), fetch_from, as_of) if posts_by_chief else {}
    # Listed are the patrols the viewer may open (the reading rule); every patrol counted in a row
    # the viewer sees is among them. One query for every patrol fetched.
    readable = _readable_ids(viewer, [patrol["id"] for rows in patrols_by_chief.values() for patrol in rows], today)

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
            if patrol["id"] not in readable:
                continue
            patrols_out.append({
                "id": patrol["id"], "started_at": patrol["started_at"], "day": patrol["day"],
                "waterway": patrol["waterway"], "waterway_id": patrol["waterway_id"],
                "minutes": patrol["duration_s"] // 60, "km": round(patrol["distance_m"] / 1000, 2),
                "rejected": patrol["rejected"], "counts": counts,
                "reason_codes": [] if counts else [code for code, _params in reasons],
                "reasons": [] if counts else [word_reason(code, params) for code, params in reasons],
            })
        entries.sort(key=lambda entry: (entry["post"].waterway.code, entry["post"].level, entry["period"].first_day))
        periods_out = [_period_out(entry) for entry in entries]
        finished = [period for period in periods_out if period["state"] == FINISHED]
        missing = sum(period["missing"] for period in finished)
        levels = sorted({post.level for post in chief_posts}, key=lambda level: -chief_rank(level))
        chiefs.append({
            "id": person.pk, "name": person.name, "is_active": person.is_active,
            "level": levels[0], "level_label": level_label(levels[0]), "levels": levels,
            "waterways": list(dict.fromkeys(post.waterway.name for post in chief_posts)),
            "posts": [{"waterway": post.waterway.name, "waterway_id": post.waterway_id, "level": post.level,
                       "since": post.since, "until": post.until} for post in chief_posts],
            "notes": [word_reason("no_rule", {"level": level_label(level)})
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
        "rules": [describe_rule(rule) for rule in sorted(rules.values(), key=lambda r: -chief_rank(r.level))],
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
    low, high = day_bounds(date(year, 1, 1), date(year, 12, 31))
    year_records = ServiceRecord.objects.filter(
        scopes.counted_q("activity__"), person=OuterRef("pk"), activity__started_at__gte=low,
        activity__started_at__lt=high,
    )
    counts = deputies.aggregate(total=Count("pk"), participated=Count("pk", filter=Exists(year_records)))
    total, participated = counts["total"], counts["participated"]

    # Records after as_of are ignored, so a past as_of shows who was silent then.
    rows = deputies.annotate(last_at=Max(
        "service_records__activity__started_at",
        filter=Q(service_records__activity__started_at__lt=day_bounds(as_of, as_of)[1])
        & scopes.counted_q("service_records__activity__"),
    ))
    silent = []
    for deputy in rows:
        last = local_day(deputy.last_at) if deputy.last_at else None
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
