import threading

from django.db.models.signals import post_delete, pre_delete

from people.services import person_anonymising
from waterways.signals import reaches_rebuilt

from .models import Activity, ServiceRecord


def recompute_visits_after_rebuild(sender, waterway_ids, **kwargs):
    from .services import recompute_reach_visits

    recompute_reach_visits(waterway_ids=waterway_ids)


def forget_person_in_patrols(sender, person, label, **kwargs):
    from .services import forget_person

    return forget_person(person=person, label=label)


# The (reach, year) rollup rows that deletions under way touch, per thread (a thread has its own
# database connection). Django sends every pre_delete of a deletion before its first DELETE (the reach
# visits go first, without signals), then each model's post_delete after that model's DELETE; so the
# first post_delete refreshes them all at once, and the rest find nothing to do: a reset that deletes
# thousands of activities refreshes each row once, not once per activity. Pairs left by a deletion
# that failed are refreshed by the next one, which does no harm.
_pending = threading.local()


def _pending_pairs() -> set:
    if not hasattr(_pending, "pairs"):
        _pending.pairs = set()
    return _pending.pairs


def remember_visit_rollup_pairs(sender, instance, **kwargs):
    # Before the visits go with the activity: which (reach, year) rows they were part of (a record's
    # role may no longer take part in its activity's).
    from . import rollups

    activity_id = instance.pk if sender is Activity else instance.activity_id
    _pending_pairs().update(rollups.keys_of_activities([activity_id]))


def refresh_visit_rollups_after_delete(sender, instance, **kwargs):
    """An activity or a service record deleted, by whatever path: the reach rollups follow, in the
    same transaction (an activity's visits are gone; a record's role may no longer take part)."""
    from . import rollups

    pairs = _pending_pairs()
    if pairs:
        rollups.refresh_pairs(sorted(pairs))
        pairs.clear()


def connect():
    reaches_rebuilt.connect(recompute_visits_after_rebuild, dispatch_uid="patrols.recompute_visits")
    person_anonymising.connect(forget_person_in_patrols, dispatch_uid="patrols.forget_person")
    pre_delete.connect(remember_visit_rollup_pairs, sender=Activity, dispatch_uid="patrols.rollup_pairs")
    pre_delete.connect(remember_visit_rollup_pairs, sender=ServiceRecord, dispatch_uid="patrols.rollup_pairs_record")
    post_delete.connect(refresh_visit_rollups_after_delete, sender=Activity, dispatch_uid="patrols.rollups_activity")
    post_delete.connect(refresh_visit_rollups_after_delete, sender=ServiceRecord, dispatch_uid="patrols.rollups_record")
