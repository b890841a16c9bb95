"""The daily run: escalation, a digest per person of what is due and overdue (kept and e-mailed),
deputies without river work reminded, and nothing sent twice when cron runs it twice."""

from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from problems.models import FollowUp, Notice
from tests.support.clock import beijing
from tests.support.problems import jpeg, make_world, move, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(crew):
    return make_world(crew)


def test_the_daily_run_tells_each_person_what_is_due_and_overdue_once(world, clock):
    world["member"].user.email = "member@example.org"
    world["member"].user.save()
    clock.move_to(beijing("2026-11-16 09:00"))
    late, soon = reported(world["staff"]), reported(world["staff"], position_m=900)
    for problem, deadline in ((late, date(2026, 11, 17)), (soon, date(2026, 11, 20))):
        move(problem, world["staff"], "accept")
        move(problem, world["staff"], "assign", unit=world["unit"], deadline=deadline)

    clock.move_to(beijing("2026-11-18 07:30"))
    call_command("send_reminders")
    call_command("send_reminders")  # cron ran it twice
    digest = Notice.objects.get(user=world["member"].user, kind="digest")
    assert "1 件逾期，1 件即将到期" in digest.subject
    assert f"#{late.pk}" in digest.body and "逾期 1 天" in digest.body and f"#{soon.pk}" in digest.body
    assert [m.to for m in mail.outbox if m.subject == digest.subject] == [["member@example.org"]]
    # The chief of 狮子沟 hears too, and the supervisor the late item was escalated to.
    assert Notice.objects.filter(user=world["chief"].user, kind="digest").count() == 1
    assert f"#{late.pk}" in Notice.objects.get(user=world["supervisor"].user, kind="digest").body
    assert f"#{soon.pk}" not in Notice.objects.get(user=world["supervisor"].user, kind="digest").body
    assert Notice.objects.filter(user=world["volunteer"].user, kind="digest").count() == 0
    # The deputy did nothing this month.
    assert Notice.objects.filter(user=world["deputy"].user, kind="inactive").count() == 1


def test_a_quarter_s_first_day_plans_the_re_inspections_of_what_was_fixed(world, clock):
    clock.move_to(beijing("2026-11-16 09:00"))
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    move(problem, world["staff"], "assign", unit=world["unit"])
    move(problem, world["member"], "resolve", photos=[jpeg()])
    move(problem, world["chief"], "verify")
    clock.move_to(beijing("2027-01-01 07:30"))
    call_command("send_reminders", "--no-email")
    call_command("send_reminders", "--no-email")
    assert list(FollowUp.objects.values_list("problem_id", "quarter")) == [(problem.pk, "2026Q4")]
    assert FollowUp.objects.get().due > date(2027, 1, 1)


def test_a_missed_day_can_be_caught_up_but_no_day_run_ahead(world, clock):
    from django.core.management.base import CommandError

    clock.move_to(beijing("2026-11-16 09:00"))
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    move(problem, world["staff"], "assign", unit=world["unit"], deadline=date(2026, 11, 18))
    clock.move_to(beijing("2026-11-18 07:30"))
    with pytest.raises(CommandError, match="还没到这一天"):
        call_command("send_reminders", "--no-email", "--day", "2026-11-20")
    problem.refresh_from_db()
    assert problem.escalated_at is None and not Notice.objects.exists()  # still in time: nothing happened
    clock.move_to(beijing("2026-11-19 07:30"))
    call_command("send_reminders", "--no-email", "--day", "2026-11-18")  # yesterday's run, caught up
    problem.refresh_from_db()
    assert problem.escalated_at == beijing("2026-11-19 07:30")  # judged and dated when it ran
    assert Notice.objects.filter(user=world["member"].user, kind="digest", day=date(2026, 11, 18)).exists()
