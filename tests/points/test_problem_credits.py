"""A reporter earns when their problem is accepted and again when it is fixed; the points go back
by new entries when it proves invalid or a duplicate, or is reopened. A deputy earns for their suggestion."""

from decimal import Decimal

import pytest

from points import selectors, services
from points.models import Entry, Measure
from problems.models import Source
from tests.support.problems import jpeg, make_world, move, reported


@pytest.fixture
def world(crew):
    return make_world(crew)


@pytest.fixture
def moving(django_capture_on_commit_callbacks):
    def act(problem, person, action, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            event = move(problem, person, action, **fields)
        problem.refresh_from_db()
        return event

    return act


def fix(problem, world, moving):
    moving(problem, world["staff"], "assign", unit=world["unit"])
    moving(problem, world["member"], "resolve", photos=[jpeg()])
    moving(problem, world["chief"], "verify")


def test_accepted_then_fixed_then_reopened(world, moving):
    problem = reported(world["volunteer"], source=Source.PHONE)
    assert selectors.balance(world["volunteer"]) == 0  # a report alone earns nothing
    moving(problem, world["staff"], "accept")
    assert selectors.balance(world["volunteer"]) == Decimal("2.0")
    fix(problem, world, moving)
    assert selectors.balance(world["volunteer"]) == Decimal("5.0")
    fixed = Entry.objects.get(problem=problem, rule__measure=Measure.PROBLEM_FIXED)
    assert fixed.made_by == world["chief"].user and f"问题 #{problem.pk} 已核验解决" in fixed.reason
    moving(problem, world["chief"], "reopen", note="又有垃圾")
    assert selectors.balance(world["volunteer"]) == Decimal("2.0")  # the fix is undone, the acceptance stands
    assert Entry.objects.get(reverses=fixed).amount == Decimal("-3.0")
    moving(problem, world["member"], "resolve", photos=[jpeg((10, 200, 10))])
    moving(problem, world["chief"], "verify")
    assert selectors.balance(world["volunteer"]) == Decimal("5.0")  # fixed for real this time


def test_nobody_earns_for_the_reporters_work_but_the_reporter(world, moving):
    problem = reported(world["volunteer"], source=Source.PHONE)
    moving(problem, world["staff"], "accept")
    fix(problem, world, moving)
    assert {entry.person for entry in Entry.objects.all()} == {world["volunteer"]}


def test_a_duplicate_merged_after_acceptance_gives_its_points_back(world, moving):
    first = reported(world["teammate"], source=Source.PHONE)
    again = reported(world["volunteer"], source=Source.PHONE)
    moving(again, world["staff"], "accept")
    assert selectors.balance(world["volunteer"]) == Decimal("2.0")
    moving(again, world["staff"], "merge", duplicate_of=first)
    assert selectors.balance(world["volunteer"]) == 0
    assert Entry.objects.filter(problem=again, kind=Entry.Kind.REVERSAL).count() == 1


def test_an_invalid_report_earns_nothing(world, moving):
    problem = reported(world["volunteer"], source=Source.PHONE)
    moving(problem, world["staff"], "reject", note="现场无此问题")
    assert not Entry.objects.exists()


def test_a_deputy_earns_for_their_suggestion_not_the_staff_who_entered_it(world, moving):
    problem = reported(world["staff"], source=Source.DEPUTY, deputy=world["deputy"])
    moving(problem, world["staff"], "accept")
    assert selectors.balance(world["deputy"]) == Decimal("2.0")
    assert selectors.balance(world["staff"]) == 0


def test_replaying_problem_moves_adds_nothing(world, moving):
    problem = reported(world["volunteer"], source=Source.PHONE)
    moving(problem, world["staff"], "accept")
    fix(problem, world, moving)
    moving(problem, world["chief"], "reopen", note="又有垃圾")
    count = Entry.objects.count()
    assert services.replay() == 0
    assert Entry.objects.count() == count


def test_the_office_earns_nothing_for_what_it_types_in_for_others(world, moving):
    call = reported(world["staff"], source=Source.HOTLINE)
    moving(call, world["staff"], "accept")
    inspection = reported(world["staff"], source=Source.INSPECTION)
    moving(inspection, world["staff"], "accept")
    assert not Entry.objects.exists()


def test_nobody_earns_by_accepting_or_verifying_their_own_report(world, moving):
    own = reported(world["staff"], source=Source.PHONE)
    moving(own, world["staff"], "accept")
    assert selectors.balance(world["staff"]) == 0
    chiefs = reported(world["chief"], source=Source.PHONE)
    moving(chiefs, world["staff"], "accept")
    assert selectors.balance(world["chief"]) == Decimal("2.0")
    fix(chiefs, world, moving)  # verified by the chief who reported it
    assert selectors.balance(world["chief"]) == Decimal("2.0")


def test_a_problem_reopened_after_being_judged_invalid_is_accepted_again(world, moving):
    problem = reported(world["volunteer"], source=Source.PHONE)
    moving(problem, world["staff"], "accept")
    moving(problem, world["staff"], "reject", note="看错了")
    assert selectors.balance(world["volunteer"]) == 0
    moving(problem, world["staff"], "reopen", note="复核确有其事")
    assert selectors.balance(world["volunteer"]) == Decimal("2.0")
    assert services.replay() == 0
