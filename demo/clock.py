"""The demo's clock: the services stamp what they write with django.utils.timezone.now() (an
activity's receipt, a problem's events, a photo's upload, a notice), and the demo writes a past it
plans. `frozen_at(moment)` makes timezone.now() (and so timezone.localdate()) answer `moment` while
the demo calls a service, so every record carries the time it would have had.

Only for the single-threaded seed_demo command: it patches the module attribute for the whole process.
"""

from contextlib import contextmanager
from datetime import timezone as dt_timezone
from unittest import mock

from django.utils import timezone


@contextmanager
def frozen_at(moment):
    """timezone.now() answers `moment` (an aware datetime) inside the block."""
    fixed = moment.astimezone(dt_timezone.utc)
    with mock.patch.object(timezone, "now", lambda: fixed):
        yield fixed
