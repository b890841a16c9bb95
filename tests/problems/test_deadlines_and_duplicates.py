"""Deadlines in working days (across a holiday and a make-up Saturday), overdue and escalation at the
boundary minute, and duplicates offered for merging (same category, 50 m, 14 days, still open)."""

from datetime import date, timedelta

import pytest

from problems import selectors, services
from problems.models import CategorySetting
from tests.support.clock import beijing
from tests.support.problems import jpeg, make_world, move, point_on, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(crew):
    return make_world(crew)


def test_the_default_deadline_counts_working_days_across_national_day_and_a_make_up_saturday(world, clock):
    CategorySetting.objects.filter(category="garbage").update(deadline_days=3)
    clock.move_to(beijing("2026-09-30 09:00"))
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    move(problem, world["staff"], "assign", unit=world["unit"])
    problem.refresh_from_db()
    # 1–7 October off; Thursday 8, Friday 9 and Saturday 10 October (worked in exchange) are the three days.
    assert problem.deadline == date(2026, 10, 10)
    assert problem.events.get(action="assign").deadline == date(2026, 10, 10)


def test_overdue_and_escalation_at_the_boundary_minute(world, clock):
    clock.move_to(beijing("2026-11-16 09:00"))  # a Monday
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    move(problem, world["staff"], "assign", unit=world["unit"], deadline=date(2026, 11, 18))

    clock.move_to(beijing("2026-11-18 23:59"))
    assert not selectors.is_overdue(problem, date(2026, 11, 18))
    assert services.escalate_overdue() == []
    clock.move_to(beijing("2026-11-19 00:00"))
    problem.refresh_from_db()
    assert selectors.is_overdue(problem, date(2026, 11, 19))
    assert selectors.days_left(problem, date(2026, 11, 19)) == -1
    assert [p.pk for p in services.escalate_overdue()] == [problem.pk]
    assert services.escalate_overdue() == []  # once only
    problem.refresh_from_db()
    assert problem.escalated_to == world["supervisor"]
    event = problem.events.get(action="escalate")
    assert event.actor is None and "钱镇长" in event.note and event.from_state == event.to_state == "assigned"


def test_a_unit_without_a_supervisor_escalates_to_the_office_and_resolved_items_never(world, clock):
    world["unit"].supervisor = None
    world["unit"].save()
    clock.move_to(beijing("2026-11-16 09:00"))
    late, done = reported(world["staff"]), reported(world["staff"], position_m=900)
    for problem in (late, done):
        move(problem, world["staff"], "accept")
        move(problem, world["staff"], "assign", unit=world["unit"], deadline=date(2026, 11, 17))
    move(done, world["member"], "resolve", photos=[jpeg()])
    clock.move_to(beijing("2026-11-20 08:00"))
    assert [p.pk for p in services.escalate_overdue()] == [late.pk]
    late.refresh_from_db()
    assert late.escalated_to is None and "区河长办" in late.events.get(action="escalate").note


def test_a_report_nearby_of_the_same_kind_is_offered_for_merging(world, clock):
    open_one = reported(world["volunteer"], position_m=300)
    candidates = lambda **kw: [p.pk for p in selectors.possible_duplicates(  # noqa: E731
        category=kw.get("category", "garbage"), point=kw["point"], observed_at=kw.get("at", open_one.observed_at))]
    assert candidates(point=point_on("ZW-G07", 300, sideways_m=40)) == [open_one.pk]
    assert candidates(point=point_on("ZW-G07", 300, sideways_m=60)) == []
    assert candidates(point=point_on("ZW-G07", 300), category="sewage") == []
    assert candidates(point=point_on("ZW-G07", 300), at=open_one.observed_at + timedelta(days=15)) == []
    assert candidates(point=point_on("ZW-G07", 300), at=open_one.observed_at + timedelta(days=13)) == [open_one.pk]
    move(open_one, world["staff"], "reject", note="不是垃圾，是浮萍")
    assert candidates(point=point_on("ZW-G07", 300)) == []  # closed: nothing to merge into
