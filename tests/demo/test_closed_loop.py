"""manage.py seed_demo, the problem list: demo units, and demo problems moved through the real life
cycle (problems.services), each move at the moment it happened and by someone allowed to make it."""

import io
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from demo import planner, reset
from demo.closed_loop import DEMO_TAG, LAST_MOVE
from people import selectors as people_selectors
from problems.models import Action, FollowUp, Notice, Problem, ProblemEvent, ProblemPhoto, ResponsibleUnit, State
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.problems import move, reported
from waterways.models import Town

SMALL = 0.04
OFFICE_ACTIONS = {Action.ACCEPT, Action.ASSIGN, Action.REJECT, Action.MERGE, Action.CLOSE_NOT_FIXED, Action.SUPERVISE}


def seed(**options):
    call_command("seed_demo", scale=SMALL, stdout=io.StringIO(), stderr=io.StringIO(), **options)


def demo_problems():
    return reset.demo_problems(reset.demo_user_ids(), reset.Activity.objects.values("id"))


def demo_units():
    return reset.demo_units(reset.demo_people().values_list("id", flat=True))


def test_the_demo_has_units_of_every_kind_with_demo_people_acting_for_them(district_data):
    seed()
    units = list(demo_units().prefetch_related("members"))
    kinds = Counter(unit.kind for unit in units)
    assert kinds[ResponsibleUnit.Kind.DEPARTMENT] == 4
    assert kinds[ResponsibleUnit.Kind.TOWN] == Town.objects.count()
    assert kinds[ResponsibleUnit.Kind.VILLAGE] >= 10
    assert {unit.name for unit in units} >= {"区住建局", "区生态环境分局", "区水利和湖泊局", "区城管局"}
    demo = set(reset.demo_people().values_list("id", flat=True))
    for unit in units:
        members = list(unit.members.all())
        assert members and all(m.id in demo and m.user_id for m in members), unit.name
        assert unit.supervisor_id in demo, unit.name
        if unit.kind == ResponsibleUnit.Kind.VILLAGE:
            assert unit.village_id and unit.town_id and any(m.role == "chief" for m in members), unit.name
        if unit.kind == ResponsibleUnit.Kind.TOWN:
            assert unit.town_id, unit.name
    # Every demo problem that was assigned went to a demo unit.
    assert not demo_problems().exclude(unit=None).exclude(unit__in=units).exists()


def test_a_unit_name_an_office_already_uses_is_marked(district_data):
    real = ResponsibleUnit.objects.create(name="区城管局", kind=ResponsibleUnit.Kind.DEPARTMENT)
    seed()
    assert ResponsibleUnit.objects.filter(name=f"区城管局{DEMO_TAG}").exists()
    assert not real.problems.exists() and not real.members.exists()


def test_the_demo_problems_show_every_state_and_ending_of_the_closed_loop(district_data):
    seed()
    problems = demo_problems()
    states = Counter(problems.values_list("state", flat=True))
    assert {State.REPORTED, State.ASSIGNED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED} <= set(states)
    endings = Counter(problems.filter(state=State.CLOSED).values_list("ending", flat=True))
    assert endings["fixed"] >= 5 and endings["fixed"] == max(endings.values())
    assert endings["not_fixed"] >= 2 and endings["duplicate"] >= 2 and endings["invalid"] >= 1
    assert not problems.filter(ending="not_fixed", not_fixed_reason="").exists()
    assert problems.filter(events__action=Action.ESCALATE).distinct().count() >= 2
    overdue = problems.filter(state__in=[State.ASSIGNED, State.IN_PROGRESS], deadline__lt=planner.DEFAULT_END)
    assert overdue.count() >= 2 and not overdue.filter(escalated_at=None).exists()
    assert problems.filter(supervised_at__isnull=False, state__in=[State.ASSIGNED, State.IN_PROGRESS]).exists()
    assert problems.filter(reopen_count__gt=0).exists()
    assert FollowUp.objects.filter(problem__in=problems, done_at__isnull=False).exists()
    # Where they came from: patrols, and what the office and the public entered.
    sources = Counter(problems.values_list("source", flat=True))
    assert {"patrol", "hotline", "inspection", "deputy", "public"} <= set(sources)
    deputy = problems.get(source="deputy", state=State.CLOSED)
    assert deputy.deputy.role == "deputy" and deputy.deputy.note.startswith(planner.DEMO_NOTE)
    waiting = problems.filter(source="public", state=State.REPORTED)
    assert waiting.count() >= 2
    assert all(p.reported_by_id is None and p.tracking_code and p.own_photos.exists() for p in waiting)


def test_every_move_is_an_event_by_someone_allowed_to_make_it_at_a_time_in_the_demo(district_data):
    seed()
    horizon = beijing(f"{planner.DEFAULT_END} {LAST_MOVE:%H:%M}")
    checked = Counter()
    for problem in demo_problems().select_related("activity", "waterway"):
        events = list(problem.events.select_related("actor__person", "unit").order_by("at", "id"))
        assert events[0].action == Action.REPORT and events[0].to_state == State.REPORTED
        if problem.activity_id:
            # The report is when the phone's record arrived, not when the demo was seeded.
            assert events[0].at == problem.activity.received_at
        state, unit, resolver = State.REPORTED, None, None
        for event in events[1:]:
            assert event.from_state == state, (problem.pk, event.action)
            assert events[0].at <= event.at <= horizon
            day = timezone.localtime(event.at).date()
            actor = event.actor
            if event.action in OFFICE_ACTIONS:
                assert people_selectors.is_office_staff(actor), (problem.pk, event.action)
            elif event.action in (Action.START, Action.RESOLVE):
                assert unit.members.filter(user=actor).exists(), (problem.pk, event.action)
            elif event.action in (Action.VERIFY, Action.SEND_BACK, Action.REOPEN, Action.REINSPECT):
                assert people_selectors.is_office_staff(actor) or \
                    problem.waterway_id in people_selectors.chief_scope(actor.person, day), (problem.pk, event.action)
            elif event.action == Action.ESCALATE:
                assert actor is None
            if event.action in (Action.VERIFY, Action.SEND_BACK):
                assert actor.pk != resolver, (problem.pk, "checked by whoever resolved it")
            if event.action == Action.RESOLVE:
                assert event.note and event.photos.exists()
                resolver = actor.pk
            if event.action == Action.ASSIGN:
                unit = event.unit
            state = event.to_state
            checked[event.action] += 1
        assert state == problem.state
    assert {Action.VERIFY, Action.SEND_BACK, Action.RESOLVE, Action.MERGE, Action.REJECT, Action.SUPERVISE,
            Action.REOPEN, Action.ESCALATE, Action.CLOSE_NOT_FIXED} <= set(checked)


def test_the_daily_run_in_the_demo_never_touches_problems_that_are_not_the_demos(district_data, clock):
    world_unit = ResponsibleUnit.objects.create(name="真实单位", kind=ResponsibleUnit.Kind.OTHER)
    staff = make_person(name="河长办真实人员", role="staff")
    clock.move_to(beijing("2026-06-01 10:00"))
    real = reported(staff)
    move(real, staff, "accept")
    move(real, staff, "assign", unit=world_unit)
    clock.move_to(beijing("2026-11-18 10:30"))
    seed()
    assert not real.events.filter(action=Action.ESCALATE).exists()
    assert demo_problems().exists() and not demo_problems().filter(pk=real.pk).exists()


def test_reset_removes_every_problem_unit_event_photo_and_notice_the_demo_wrote(
        district_data, django_capture_on_commit_callbacks):
    staff = make_person(name="河长办真实人员", role="staff")
    real_unit = ResponsibleUnit.objects.create(name="真实单位", kind=ResponsibleUnit.Kind.OTHER)
    real_unit.members.add(staff)
    real = reported(staff)
    seed()
    problem_ids = list(demo_problems().values_list("id", flat=True))
    files = [Path(settings.MEDIA_ROOT) / name for pair in
             ProblemPhoto.objects.filter(problem_id__in=problem_ids).values_list("image", "thumbnail") for name in pair]
    assert problem_ids and files and all(path.exists() for path in files)
    assert demo_units().exists() and FollowUp.objects.filter(problem_id__in=problem_ids).exists()
    Notice.objects.create(user=staff.user, kind=Notice.Kind.ENDING, day=timezone.localdate(),
                          problem_id=problem_ids[0], subject="演示问题", body="")

    with django_capture_on_commit_callbacks(execute=True):
        counts = reset.delete_demo_data()

    assert counts["problems"] == len(problem_ids) and counts["units"] >= 50
    assert not Problem.objects.filter(id__in=problem_ids).exists()
    assert not ProblemEvent.objects.filter(problem_id__in=problem_ids).exists()
    assert not ProblemPhoto.objects.filter(problem_id__in=problem_ids).exists()
    assert not FollowUp.objects.exists() and not Notice.objects.filter(problem_id__in=problem_ids).exists()
    assert not any(path.exists() for path in files)
    assert not ResponsibleUnit.objects.exclude(pk=real_unit.pk).exists()
    assert Problem.objects.filter(pk=real.pk).exists() and real_unit.members.filter(pk=staff.pk).exists()


def fingerprint():
    problems = demo_problems()
    return {
        "units": sorted((u.name, u.kind, tuple(sorted(u.members.values_list("name", flat=True)))) for u in demo_units()),
        "problems": sorted(problems.values_list("client_uuid", "source", "category", "state", "ending", "unit__name",
                                                "deadline", "reopen_count", "observed_at", "duplicate_of__client_uuid")),
        # A merge's note names the surviving problem by its id, which a new run gives anew.
        "events": sorted((*row[:-2], re.sub(r"#\d+", "#", row[-2]), row[-1]) for row in ProblemEvent.objects.filter(
            problem__in=problems).values_list("problem__client_uuid", "action", "at", "actor_name", "from_state",
                                               "to_state", "note", "deadline")),
        "photos": sorted(ProblemPhoto.objects.filter(problem__in=problems).values_list("problem__client_uuid", "sha256")),
    }


def test_seeding_again_after_a_reset_gives_the_same_problem_list_once(district_data):
    seed()
    first = fingerprint()
    assert first["problems"] and first["events"] and first["photos"]
    seed(reset=True)
    again = fingerprint()
    assert again == first
    assert ResponsibleUnit.objects.count() == len(first["units"])
    assert Problem.objects.count() == len(first["problems"])
    assert not ResponsibleUnit.objects.filter(name__endswith=DEMO_TAG).exists()


def test_the_demos_clock_is_only_moved_while_it_writes(district_data):
    original, before = timezone.now, timezone.now()
    seed()
    assert timezone.now is original  # the patch is gone
    assert abs(timezone.now() - before) < timedelta(minutes=5)
