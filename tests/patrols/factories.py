"""Building blocks for activity tests: people with logins, and GPS walks along a waterway."""

import itertools
import uuid
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from pyproj import Transformer

from people.models import Person, Team
from waterways.models import Waterway

_numbers = itertools.count(1)
TO_LONLAT = Transformer.from_crs(4546, 4326, always_xy=True)
# 2026-05-01 08:00 Beijing time, the start the default activity body declares.
MAY_DAY_8AM_MS = int(datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc).timestamp() * 1000)


def make_person(*, role="volunteer", level="", login=True, name=None, phone="", **extra):
    number = next(_numbers)
    user = None
    if login:
        user = get_user_model().objects.create_user(username=f"user{number}-{uuid.uuid4().hex[:6]}", password="pw-12345")
    return Person.objects.create(name=name or f"人员{number}", role=role, level=level, user=user, phone=phone, **extra)


def make_team(*, members, leaders=(), kind="volunteer"):
    team = Team.objects.create(name=f"队伍{next(_numbers)}", kind=kind)
    team.members.set(list(members) + list(leaders))
    team.leaders.set(leaders)
    return team


def walk_along(code="ZW-G07", *, start_m=0.0, length_m=1000.0, step_m=10.0, seconds_per_step=8, offset_m=0.0,
               start_ms=None, accuracy=8.0):
    """Fixes [lon, lat, unix_ms, accuracy] every step_m along a waterway, offset_m to its side."""
    line = Waterway.objects.get(code=code).geom
    start_ms = start_ms if start_ms is not None else MAY_DAY_8AM_MS
    fixes = []
    steps = int(length_m / step_m)
    for i in range(steps + 1):
        distance = min(line.length, start_m + i * step_m)
        point = line.interpolate(distance)
        lon, lat = TO_LONLAT.transform(point.x + offset_m, point.y)
        fixes.append([lon, lat, start_ms + i * seconds_per_step * 1000, accuracy])
    return fixes


def activity_body(fixes=None, *, kind="patrol", client_uuid=None, **extra):
    body = {
        "client_uuid": str(client_uuid or uuid.uuid4()),
        "kind": kind,
        "started_at": "2026-05-01T08:00:00+08:00",
        "ended_at": "2026-05-01T09:00:00+08:00",
    }
    if fixes is not None:
        body["points"] = fixes
    body.update(extra)
    return body
