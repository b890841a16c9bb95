from waterways.signals import reaches_rebuilt


def recompute_visits_after_rebuild(sender, waterway_ids, **kwargs):
    from .services import recompute_reach_visits

    recompute_reach_visits(waterway_ids=waterway_ids)


def connect():
    reaches_rebuilt.connect(recompute_visits_after_rebuild, dispatch_uid="patrols.recompute_visits")
