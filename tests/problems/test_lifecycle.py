"""The life cycle: every move for every role in every state, against a table written out here (not
read from problems.lifecycle); the events are the record; endings stay apart; reopen is counted."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from problems import lifecycle, services
from problems.models import Notice, Problem, ProblemEvent
from tests.support.problems import jpeg, make_world, move, reported

pytestmark = pytest.mark.django_db

ROLES = ["staff", "chief", "other_chief", "member", "volunteer", "deputy"]
STATES = ["reported", "accepted", "assigned", "in_progress", "resolved", "closed"]
OPEN_TO_WORK = {"accepted", "assigned", "in_progress"}
# action: (states it may start from, roles that may make it). The office = staff; the chief of ZW-G07 = chief.
EXPECTED = {
    "accept": ({"reported"}, {"staff"}),
    "reject": ({"reported", "accepted"}, {"staff"}),
    "merge": ({"reported", "accepted"}, {"staff"}),
    "assign": (OPEN_TO_WORK, {"staff"}),
    "start": ({"assigned"}, {"member"}),
    "resolve": ({"assigned", "in_progress"}, {"member"}),
    "verify": ({"resolved"}, {"staff", "chief"}),
    "send_back": ({"resolved"}, {"staff", "chief"}),
    "close_not_fixed": (OPEN_TO_WORK | {"resolved"}, {"staff"}),
    "reopen": ({"closed"}, {"staff", "chief"}),
    "supervise": (OPEN_TO_WORK, {"staff"}),
    "reinspect": ({"closed"}, {"staff", "chief"}),
    "comment": (set(STATES), {"staff", "chief", "member"}),
}


@pytest.fixture
def world(crew):
    return make_world(crew)


def drive_to(state, world):
    """A problem on 狮子沟 (ZW-G07) brought to `state` by the people whose move each step is."""
    problem = reported(world["staff"])
    steps = {"accepted": [("staff", "accept", {})],
             "assigned": [("staff", "accept", {}), ("staff", "assign", {"unit": world["unit"]})],
             "in_progress": [("staff", "accept", {}), ("staff", "assign", {"unit": world["unit"]}),
                             ("member", "start", {})],
             "resolved": [("staff", "accept", {}), ("staff", "assign", {"unit": world["unit"]}),
                          ("member", "resolve", {"photos": [jpeg()]})],
             "closed": [("staff", "accept", {}), ("staff", "assign", {"unit": world["unit"]}),
                        ("member", "resolve", {"photos": [jpeg()]}), ("chief", "verify", {})]}
    for who, action, fields in steps.get(state, []):
        move(problem, world[who], action, **fields)
    problem.refresh_from_db()
    assert problem.state == state
    return problem


def fields_for(action, world, other):
    return {
        "assign": {"unit": world["unit"]},
        "supervise": {"deadline": timezone.localdate() + timedelta(days=7)},
        "close_not_fixed": {"reason": "referred"},
        "merge": {"duplicate_of": other},
        "resolve": {"photos": [jpeg((200, 30, 30))]},
        "reinspect": {"passed": True},
    }.get(action, {})


def attempt(problem, person, action, fields):
    """'allowed' or 'forbidden', the problem left as it was either way."""
    events = problem.events.count()
    with transaction.atomic():
        try:
            services.act(problem=problem, user=person.user, move=services.Move(action=action, note="经核实", **fields))
            outcome = "allowed"
        except PermissionDenied:
            outcome = "forbidden"
        transaction.set_rollback(True)
    assert problem.events.count() == events
    return outcome


@pytest.mark.parametrize("state", STATES)
def test_every_move_for_every_role(world, state):
    problem = drive_to(state, world)
    other = reported(world["volunteer"], position_m=900)
    for action, (from_states, roles) in EXPECTED.items():
        if problem.unit_id is None:
            roles = roles - {"member"}  # no unit yet: nobody is its member
        for role in ROLES:
            expected = "allowed" if state in from_states and role in roles else "forbidden"
            assert attempt(problem, world[role], action, fields_for(action, world, other)) == expected, (action, role)
        allowed = {role for role in ROLES if action in lifecycle.allowed_actions(world[role].user, problem)}
        assert allowed == (roles if state in from_states else set()), action


def test_nobody_verifies_their_own_resolution(world):
    problem = drive_to("assigned", world)
    world["unit"].members.add(world["staff"])  # an office worker who also sits in the unit
    move(problem, world["staff"], "resolve", photos=[jpeg()])
    with pytest.raises(PermissionDenied, match="自己办结"):
        move(problem, world["staff"], "verify")
    move(problem, world["chief"], "verify")
    problem.refresh_from_db()
    assert (problem.state, problem.ending) == ("closed", "fixed")


def test_a_resolution_needs_a_note_and_a_photo(world):
    problem = drive_to("in_progress", world)
    with pytest.raises(ValidationError) as refused:
        services.act(problem=problem, user=world["member"].user, move=services.Move(action="resolve", note=" "))
    assert set(refused.value.message_dict) == {"note", "photos"}
    problem.refresh_from_db()
    assert problem.state == "in_progress" and problem.own_photos.count() == 0


def test_the_state_is_the_last_event_and_events_cannot_be_changed(world):
    problem = drive_to("closed", world)
    events = list(problem.events.order_by("at", "id"))
    assert [event.action for event in events] == ["report", "accept", "assign", "resolve", "verify"]
    assert [(event.from_state, event.to_state) for event in events][-1] == ("resolved", "closed")
    assert events[-1].to_state == problem.state and events[-1].actor == world["chief"].user
    assert events[3].photos.count() == 1  # the resolution's evidence
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemEvent.objects.filter(pk=events[-1].pk).update(to_state="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemEvent.objects.filter(pk=events[-1].pk).update(actor=world["staff"].user)


def test_endings_stay_apart_and_a_reopen_is_counted(world):
    fixed = drive_to("closed", world)
    unfixed = drive_to("in_progress", world)
    move(unfixed, world["staff"], "close_not_fixed", reason="not_ours", note="属企业厂区内部管网")
    unfixed.refresh_from_db()
    assert (unfixed.ending, unfixed.not_fixed_reason) == ("not_fixed", "not_ours")
    assert (fixed.ending, fixed.not_fixed_reason) == ("fixed", "")

    move(fixed, world["chief"], "reopen", note="群众反映又有垃圾")
    fixed.refresh_from_db()
    assert (fixed.state, fixed.ending, fixed.reopen_count, fixed.closed_at) == ("assigned", "", 1, None)
    assert fixed.deadline is not None and fixed.unit == world["unit"]
    with pytest.raises(PermissionDenied, match="已交办"):
        move(fixed, world["staff"], "reopen", note="又一次")  # open again: nothing to reopen


def test_a_failed_reinspection_reopens_and_a_passed_one_does_not(world):
    problem = drive_to("closed", world)
    move(problem, world["chief"], "reinspect", passed=True, note="回头看：水面干净")
    problem.refresh_from_db()
    assert problem.state == "closed" and problem.reopen_count == 0
    move(problem, world["chief"], "reinspect", passed=False, note="回头看：又有垃圾")
    problem.refresh_from_db()
    assert problem.state == "assigned" and problem.reopen_count == 1
    assert problem.events.order_by("-id").first().action == "reinspect"


def test_merging_keeps_the_reporter_and_tells_everyone_the_ending(world, django_capture_on_commit_callbacks):
    first = reported(world["volunteer"], source="phone")
    second = reported(world["teammate"], source="phone", sideways_m=20, photos=[jpeg()])
    move(first, world["staff"], "accept")
    move(second, world["staff"], "merge", duplicate_of=first, note="同一处垃圾")
    second.refresh_from_db()
    assert (second.state, second.ending, second.duplicate_of) == ("closed", "duplicate", first)
    assert second.reported_by == world["teammate"].user and second.own_photos.count() == 1
    assert list(first.duplicates.all()) == [second]

    move(first, world["staff"], "assign", unit=world["unit"])
    move(first, world["member"], "resolve", photos=[jpeg()])
    with django_capture_on_commit_callbacks(execute=True):
        move(first, world["chief"], "verify")
    told = set(Notice.objects.filter(kind="ending", problem=first).values_list("user", flat=True))
    assert told == {world["volunteer"].user.pk, world["teammate"].user.pk}


def test_merging_into_a_closed_problem_or_itself_is_refused(world):
    problem = drive_to("accepted", world)
    closed = drive_to("closed", world)
    for target in (closed, problem):
        with pytest.raises(ValidationError) as refused:
            move(problem, world["staff"], "merge", duplicate_of=target, note="重复")
        assert "duplicate_of" in refused.value.message_dict
    assert Problem.objects.get(pk=problem.pk).state == "accepted"


def test_supervision_sets_a_new_deadline_and_puts_the_item_first(world):
    from problems.selectors import ListFilters, problem_list

    plain = drive_to("assigned", world)
    flagged = drive_to("assigned", world)
    new_deadline = timezone.localdate() + timedelta(days=30)
    move(flagged, world["staff"], "supervise", deadline=new_deadline, note="区河长办督办")
    flagged.refresh_from_db()
    assert flagged.deadline == new_deadline and flagged.supervised_at is not None
    rows = list(problem_list(world["staff"].user, ListFilters(), timezone.localdate()))
    assert [row.pk for row in rows][:1] == [flagged.pk] and plain.pk in [row.pk for row in rows]


def test_a_passed_reinspection_tells_the_reporters_nothing_new(world, django_capture_on_commit_callbacks):
    problem = drive_to("closed", world)
    before = Notice.objects.filter(kind="ending", problem=problem).count()
    with django_capture_on_commit_callbacks(execute=True):
        move(problem, world["chief"], "reinspect", passed=True, note="回头看：水面干净")
        move(problem, world["staff"], "comment", note="已归档")
    assert Notice.objects.filter(kind="ending", problem=problem).count() == before


def test_a_resolution_needs_a_photo_new_to_this_fix(world):
    problem = drive_to("in_progress", world)
    old = jpeg(colour=(200, 30, 30))
    move(problem, world["member"], "resolve", photos=[old])
    move(problem, world["chief"], "send_back", note="垃圾还在")
    for attempt in ({"photos": [old]}, {}):
        services.add_photo(problem=problem, user=world["member"].user, data=old)  # sent ahead again
        with pytest.raises(ValidationError) as refused:
            move(problem, world["member"], "resolve", **attempt)
        assert "photos" in refused.value.message_dict
    problem.refresh_from_db()
    assert problem.state == "in_progress" and problem.own_photos.count() == 1  # sent back to work
    move(problem, world["member"], "resolve", photos=[jpeg(colour=(30, 200, 30))])
    problem.refresh_from_db()
    assert problem.state == "resolved"


@pytest.mark.django_db(transaction=True)
def test_two_merges_crossing_each_other_leave_one_survivor(crew):
    """A into B and B into A at the same moment, each in its own connection: one merge wins, the
    other is refused because its target has just been closed."""
    import threading

    from django.db import connection

    world = make_world(crew)
    a, b = reported(world["volunteer"], source="phone"), reported(world["teammate"], source="phone", sideways_m=20)
    barrier = threading.Barrier(2)
    outcomes = []

    def merge(problem, into):
        try:
            barrier.wait()
            move(problem, world["staff"], "merge", duplicate_of=into, note="重复")
            outcomes.append("merged")
        except (ValidationError, PermissionDenied):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["merged", "refused"]
    states = sorted(Problem.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True))
    assert states == ["closed", "reported"]

