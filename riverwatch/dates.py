"""Calendar days of the district (settings.TIME_ZONE, Beijing time) as moments.

Every read that selects by day uses these half-open bounds, [first moment of the first day, first
moment after the last day), so a record at 23:59:59.5 is never lost between two days and never
counted in both."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone

# Dates a user may name. Beyond them there are no records, and the arithmetic on them (the next
# day, a window of days before) would leave Python's and PostgreSQL's calendars (year 1 … 9999).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def day_start(day: date) -> datetime:
    """The first moment of a district day."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) of the district days first … last, both included."""
    return day_start(first), day_start(last + timedelta(days=1))


def local_day(moment: datetime) -> date:
    """The district day a moment falls on."""
    return timezone.localtime(moment).date()


def unix_ms_bounds() -> tuple[int, int]:
    """[first, after the last) moment of FIRST_DAY … LAST_DAY, in Unix milliseconds: the range of a
    phone's or GPS unit's time stamps."""
    low, high = day_bounds(FIRST_DAY, LAST_DAY)
    return int(low.timestamp() * 1000), int(high.timestamp() * 1000)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return day_bounds(date(year, 1, 1), date(year, 12, 31))


def from_unix_ms(unix_ms: int) -> datetime:
    """A phone's or GPS unit's time stamp (milliseconds since 1970, UTC) as a moment."""
    return datetime.fromtimestamp(unix_ms / 1000, tz=dt_timezone.utc)


def local_minute(moment: datetime) -> str:
    """A moment as people read it in messages: 2026-05-01 08:30, district time."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
