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


def remember_visit_rollup_pairs(sender, instance, **kwargs):
    # Before the visits go with the activity: which (reach, year) rows they were part of.
    from . import rollups

    instance._visit_rollup_pairs = rollups.keys_of_activities([instance.pk])


def refresh_visit_rollups_after_delete(sender, instance, **kwargs):
    """An activity or a service record deleted, by whatever path: the reach rollups follow, in the
    same transaction (an activity's visits are gone; a record's role may no longer take part)."""
    from . import rollups

    if sender is Activity:
        rollups.refresh_pairs(getattr(instance, "_visit_rollup_pairs", ()))
    else:
        rollups.refresh_pairs(rollups.keys_of_activities([instance.activity_id]))


def connect():
    reaches_rebuilt.connect(recompute_visits_after_rebuild, dispatch_uid="patrols.recompute_visits")
    person_anonymising.connect(forget_person_in_patrols, dispatch_uid="patrols.forget_person")
    pre_delete.connect(remember_visit_rollup_pairs, sender=Activity, dispatch_uid="patrols.rollup_pairs")
    post_delete.connect(refresh_visit_rollups_after_delete, sender=Activity, dispatch_uid="patrols.rollups_activity")
    post_delete.connect(refresh_visit_rollups_after_delete, sender=ServiceRecord, dispatch_uid="patrols.rollups_record")
