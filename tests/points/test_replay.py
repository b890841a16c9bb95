"""manage.py replay_points (services.replay) writes only what is missing: run over a ledger the
receivers kept, it adds nothing, even for a problem fixed, reopened and fixed again."""

from decimal import Decimal

from points import selectors, services
from points.models import Entry
from problems.models import Source
from tests.support.problems import jpeg, make_world, move, reported


def test_replay_keeps_the_second_fix_of_a_reopened_problem(crew, django_capture_on_commit_callbacks):
    world = make_world(crew)
    volunteer = world["volunteer"]
    problem = reported(volunteer, source=Source.PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        move(problem, world["staff"], "accept")
        move(problem, world["staff"], "assign", unit=world["unit"])
        move(problem, world["member"], "resolve", photos=[jpeg()])
        move(problem, world["chief"], "verify")
        move(problem, world["chief"], "reopen", note="群众反映又有垃圾")
        move(problem, world["member"], "resolve", photos=[jpeg((200, 30, 30))])  # a new photo
        move(problem, world["chief"], "verify")
    # Accepted 2, fixed 3, the fix reversed on reopening, fixed again 3.
    assert sorted(Entry.objects.filter(person=volunteer).values_list("amount", flat=True)) == [
        Decimal("-3"), Decimal("2"), Decimal("3"), Decimal("3")]
    assert selectors.balance(volunteer) == 5

    assert services.replay() == 0
    assert services.replay() == 0
    assert selectors.balance(volunteer) == 5
