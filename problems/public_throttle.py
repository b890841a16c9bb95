"""How often the public may report: settings.PUBLIC_REPORTS_PER_HOUR per client address and, separately,
per phone number, over the last hour (a sliding window), counted in Django's cache.

The cache is the database table every worker shares (settings.CACHES), so a second worker cannot
double the limit. Its keys hold a keyed hash of the address or number, never the number itself: the
cache table is no second copy of people's phone numbers. The count is read and written back (the
database cache has no atomic increment), so reports sent at the same instant to several workers may
pass it by a few; it is there against floods, not as an exact quota."""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 3600


def _key(kind: str, value: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"public-report:{kind}:{digest[:40]}"


def _keys(address: str | None, phone: str) -> list[str]:
    keys = [_key("address", address or "unknown")]
    if phone:
        keys.append(_key("phone", phone))
    return keys


def _recent(key: str, now: float) -> list[float]:
    stamps = cache.get(key)
    if not isinstance(stamps, list):
        return []
    return [stamp for stamp in stamps if isinstance(stamp, float) and now - WINDOW_SECONDS < stamp <= now]


def wait_seconds(address: str | None, phone: str = "", now: float | None = None) -> int:
    """Seconds until this address and number may report again; 0 when they may now."""
    now = time.time() if now is None else now
    limit = settings.PUBLIC_REPORTS_PER_HOUR
    if limit <= 0:  # public reporting switched off
        return WINDOW_SECONDS
    wait = 0.0
    for key in _keys(address, phone):
        stamps = sorted(_recent(key, now))
        if len(stamps) >= limit:
            # The report that falls out of the window first frees a place.
            wait = max(wait, stamps[len(stamps) - limit] + WINDOW_SECONDS - now)
    return max(1, math.ceil(wait)) if wait > 0 else 0


def record(address: str | None, phone: str = "", now: float | None = None) -> None:
    """Counts one stored report against the address and the number."""
    now = time.time() if now is None else now
    for key in _keys(address, phone):
        cache.set(key, [*_recent(key, now), now], timeout=WINDOW_SECONDS)
