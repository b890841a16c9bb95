"""Points follow the events of the apps before them: a review, a participant removed, a move on a
problem. Each receiver runs after the event's own transaction has committed; if it fails, the event
still stands and `manage.py replay_points` makes the missing entries later (every entry has a key)."""

import logging

from patrols.signals import activity_reviewed, participant_removed
from people.services import person_anonymising
from problems.signals import problem_moved

log = logging.getLogger(__name__)


def _safely(what, write, **kwargs):
    # The review or the move is already committed: a failure here must not turn its answer into a 500.
    try:
        write(**kwargs)
    except Exception:
        log.exception("points: %s failed; run manage.py replay_points", what)


def on_activity_reviewed(sender, activity, decision, **kwargs):
    from . import services

    if decision == "verify":
        _safely("credit", services.credit_activity, activity_id=activity.pk)
    elif decision == "reject":
        _safely("reversal", services.reverse_activity, activity_id=activity.pk)


def on_participant_removed(sender, activity, person, service_record_id, by=None, reason="", **kwargs):
    from . import services

    _safely("reversal", services.reverse_participation, activity_id=activity.pk, service_record_id=service_record_id,
            person_id=person.pk, by=by, why=reason)


def on_problem_moved(sender, event, **kwargs):
    from . import services

    _safely("problem credit", services.on_problem_event, event=event)


def forget_person_in_points(sender, person, label, **kwargs):
    # Inside the anonymising transaction: a failure here must undo it all, so no _safely.
    from .services import forget_person

    return forget_person(person=person, label=label)


def connect():
    activity_reviewed.connect(on_activity_reviewed, dispatch_uid="points.activity_reviewed")
    participant_removed.connect(on_participant_removed, dispatch_uid="points.participant_removed")
    problem_moved.connect(on_problem_moved, dispatch_uid="points.problem_moved")
    person_anonymising.connect(forget_person_in_points, dispatch_uid="points.forget_person")
