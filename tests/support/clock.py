"""The moment tests run at. The suite must pass on any day (a Sunday, a month's end, a leap day, after
the service-target campaign ends), so every test that is not a browser test runs at FROZEN_NOW by
default (the root conftest's `clock` fixture); a test about a particular day moves the clock there."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

DISTRICT_TZ = ZoneInfo(settings.TIME_ZONE)

# A Wednesday in the middle of a month, a quarter and the district's first target campaign.
FROZEN_NOW = datetime(2026, 11, 18, 10, 30, tzinfo=DISTRICT_TZ)


def beijing(text: str) -> datetime:
    """'2026-04-30 23:50' as an aware time in the district's zone (Beijing)."""
    return datetime.fromisoformat(text).replace(tzinfo=DISTRICT_TZ)
