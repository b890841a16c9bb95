"""The figures, checked against a computation written out here in plain Python over the same rows."""

import random
import statistics
from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.utils import timezone

from problems.figures import figures
from problems.models import Problem, ResponsibleUnit
from tests.support.clock import beijing
from tests.support.problems import jpeg, make_world, move, point_on, reported
from waterways.models import Waterway

pytestmark = pytest.mark.django_db
START, END, TODAY = date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 15)


def seed(rng):
    units = [ResponsibleUnit.objects.create(name=f"单位{n}", kind="village") for n in range(3)]
    waterways = list(Waterway.objects.filter(code__in=["ZW-G07", "ZW-G01"]))
    rows = []
    for n in range(160):
        observed = beijing("2026-06-01 08:00") + timedelta(hours=rng.randrange(0, 24 * 150))
        fate = rng.choice(["reported", "accepted", "assigned", "in_progress", "resolved", "fixed", "not_fixed",
                           "duplicate", "invalid"])
        source = rng.choice(["patrol", "phone", "hotline", "public", "deputy", "open311"])
        row = dict(category=rng.choice(["garbage", "sewage", "dumping"]), source=source, observed_at=observed,
                   unit=rng.choice(units + [None]), waterway=rng.choice(waterways + [None]),
                   reopen_count=rng.choice([0, 0, 0, 1, 2]), point=point_on("ZW-G07", 100))
        if source == "deputy":
            from tests.support.factories import make_person
            row["deputy"] = make_person(role="deputy", level="district", login=False)
        accepted = fate != "reported" and rng.random() < 0.9
        row["accepted_at"] = observed + timedelta(days=1) if accepted else None
        row["state"] = {"fixed": "closed", "not_fixed": "closed", "duplicate": "closed", "invalid": "closed"}.get(fate, fate)
        row["ending"] = fate if row["state"] == "closed" else ""
        row["not_fixed_reason"] = "no_action" if fate == "not_fixed" else ""
        if fate == "duplicate":
            row["duplicate_of"] = rows[0] if rows else None
            if row["duplicate_of"] is None:
                row["state"], row["ending"] = "accepted", ""
        if row["state"] in ("assigned", "in_progress", "resolved", "closed") and rng.random() < 0.85:
            row["first_deadline"] = row["deadline"] = (observed + timedelta(days=rng.randrange(1, 40))).date()
            if rng.random() < 0.2:  # supervised or reassigned: a later deadline that must not excuse lateness
                row["deadline"] = row["first_deadline"] + timedelta(days=rng.randrange(1, 30))
        if fate in ("resolved", "fixed"):
            row["resolved_at"] = observed + timedelta(hours=rng.randrange(2, 24 * 50))
        rows.append(Problem.objects.create(**row))
    return rows


def by_hand(rows, key):
    start_at, end_at = beijing(f"{START} 00:00"), beijing(f"{END + timedelta(days=1)} 00:00")
    groups = defaultdict(lambda: defaultdict(int))
    fix_days = defaultdict(list)
    for p in rows:
        if p.source in ("public", "open311") and p.accepted_at is None:
            continue
        k = key(p)
        g = groups[k]
        if start_at <= p.observed_at < end_at:
            g["found"] += 1
            g["accepted"] += p.accepted_at is not None and p.ending not in ("duplicate", "invalid")
            g["fixed"] += p.ending == "fixed"
            g["closed_not_fixed"] += p.ending == "not_fixed"
            g["open"] += p.state != "closed"
            g["overdue"] += p.state in ("accepted", "assigned", "in_progress") and p.deadline is not None and p.deadline < TODAY
            g["reopened"] += p.reopen_count
            if p.ending == "fixed" and p.resolved_at:
                fix_days[k].append((p.resolved_at - p.observed_at).total_seconds() / 86400)
        first = p.first_deadline
        still_in_time = p.state != "closed" and first is not None and first >= TODAY
        if first and START <= first <= END and p.ending not in ("duplicate", "invalid") and not still_in_time:
            g["due"] += 1
            g["on_time"] += (p.ending == "fixed" and p.resolved_at is not None
                             and timezone.localtime(p.resolved_at).date() <= first)
    for k, values in fix_days.items():
        groups[k]["median_days_to_fix"] = round(statistics.median(values), 2)
    return groups


@pytest.mark.parametrize("by, key", [
    (None, lambda p: ()), ("unit", lambda p: (p.unit_id,)), ("category", lambda p: (p.category,)),
    ("waterway", lambda p: (p.waterway_id,)),
])
def test_the_figures_match_an_independent_count(district_data, by, key):
    rows = seed(random.Random(4546))
    expected = by_hand(rows, key)
    computed = figures(start=START, end=END, today=TODAY, by=by)
    field = {None: None, "unit": "unit_id", "category": "category", "waterway": "waterway_id"}[by]
    got = {((row[field],) if field else ()): row for row in computed}
    assert set(got) == {k for k, g in expected.items() if g.get("found") or g.get("due")}
    for k, row in got.items():
        hand = expected[k]
        for name in ("found", "accepted", "fixed", "closed_not_fixed", "open", "overdue", "reopened", "due", "on_time"):
            assert row[name] == hand.get(name, 0), (k, name)
        assert row["median_days_to_fix"] == pytest.approx(hand.get("median_days_to_fix"), abs=0.011) \
            if hand.get("median_days_to_fix") is not None else row["median_days_to_fix"] is None
        assert row["on_time_rate"] == (hand["on_time"] / hand["due"] if hand.get("due") else None)
    total = figures(start=START, end=END, today=TODAY)[0]
    assert total["fixed"] > 0 and total["closed_not_fixed"] > 0 and total["overdue"] > 0 and total["due"] > total["on_time"]


def test_an_item_open_past_its_deadline_counts_as_late(district_data):
    unit = ResponsibleUnit.objects.create(name="某部门", kind="department")
    common = dict(category="garbage", source="hotline", observed_at=beijing("2026-08-01 09:00"), unit=unit,
                  accepted_at=beijing("2026-08-01 10:00"), deadline=date(2026, 8, 10), first_deadline=date(2026, 8, 10))
    Problem.objects.create(state="closed", ending="fixed", resolved_at=beijing("2026-08-10 23:59"), **common)
    Problem.objects.create(state="in_progress", **common)  # still open, past its deadline
    Problem.objects.create(state="closed", ending="not_fixed", not_fixed_reason="referred", **common)
    row = figures(start=date(2026, 8, 1), end=date(2026, 8, 31), today=TODAY)[0]
    assert (row["due"], row["on_time"], row["on_time_rate"]) == (3, 1, pytest.approx(1 / 3))
    assert (row["fixed"], row["closed_not_fixed"], row["open"], row["overdue"]) == (1, 1, 1, 1)


def test_a_later_deadline_does_not_excuse_lateness_and_an_item_still_in_time_is_not_yet_due(crew, clock, district_data):
    world = make_world(crew)
    staff, member, unit = world["staff"], world["member"], world["unit"]
    clock.move_to(beijing("2026-11-02 09:00"))  # a Monday
    extended = reported(staff)
    move(extended, staff, "accept")
    move(extended, staff, "assign", unit=unit, deadline=date(2026, 11, 4))
    clock.move_to(beijing("2026-11-05 09:00"))  # a day late: supervised with a new deadline
    move(extended, staff, "supervise", deadline=date(2026, 11, 9))
    move(extended, member, "resolve", photos=(jpeg(),))
    move(extended, staff, "verify")
    in_time = reported(staff, position_m=900)
    move(in_time, staff, "accept")
    move(in_time, staff, "assign", unit=unit, deadline=date(2026, 11, 20))
    extended.refresh_from_db()
    assert (extended.first_deadline, extended.deadline) == (date(2026, 11, 4), date(2026, 11, 9))

    row = figures(start=date(2026, 11, 1), end=date(2026, 11, 30), today=date(2026, 11, 5))[0]
    assert (row["due"], row["on_time"]) == (1, 0)  # the fix came after the first deadline; in_time is not yet due
    later = figures(start=date(2026, 11, 1), end=date(2026, 11, 30), today=date(2026, 11, 21))[0]
    assert (later["due"], later["on_time"]) == (2, 0)  # past its deadline and still open: late
