from people.services import person_anonymising
from waterways.signals import reaches_rebuilt


def recompute_visits_after_rebuild(sender, waterway_ids, **kwargs):
    from .services import recompute_reach_visits

    recompute_reach_visits(waterway_ids=waterway_ids)


def forget_person_in_patrols(sender, person, label, **kwargs):
    from .services import forget_person

    return forget_person(person=person, label=label)


def connect():
    reaches_rebuilt.connect(recompute_visits_after_rebuild, dispatch_uid="patrols.recompute_visits")
    person_anonymising.connect(forget_person_in_patrols, dispatch_uid="patrols.forget_person")
