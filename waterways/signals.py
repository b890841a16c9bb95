"""Events other apps listen to; waterways imports none of them."""

from django.dispatch import Signal

# Sent inside the rebuild's transaction, with waterway_ids= (the re-cut waterways): visits that
# pointed at the old reaches must be recomputed before it commits.
reaches_rebuilt = Signal()
