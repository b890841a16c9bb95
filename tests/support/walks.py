"""Walks along (or across) the district's water, as storage-SRID positions and as the fixes a phone
sends: [lon, lat, unix ms, accuracy m]."""

import math
from datetime import datetime, timezone

import shapely

from waterways.models import Waterway

from .geo import to_lonlat

# 2026-05-01 08:00 Beijing time, the start the default activity body declares.
MAY_DAY_8AM_MS = int(datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc).timestamp() * 1000)
SECONDS_PER_STEP = 8  # a walker's pace with a fix every 10 m: 4.5 km/h


def waterway_line(code):
    """The waterway's centre line as a shapely LineString in the storage SRID (metres)."""
    return shapely.from_wkb(bytes(Waterway.objects.get(code=code).geom.wkb))


def _left_normal(line, along_m):
    """Unit vector to the left of the line at along_m."""
    a = line.interpolate(max(0.0, along_m - 2))
    b = line.interpolate(min(line.length, along_m + 2))
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy) or 1.0
    return -dy / norm, dx / norm


def points_along(code, start_m, length_m, *, step_m=10.0, sideways_m=0.0, offsets=None):
    """Storage-SRID (x, y) every step_m along a waterway from start_m; each point moved sideways_m
    (or offsets[i] for the i-th), perpendicular to the line, left positive."""
    line = waterway_line(code)
    steps = max(1, int(round(length_m / step_m))) if length_m else 0
    points = []
    for i in range(steps + 1):
        along = min(line.length, max(0.0, start_m + i * step_m))
        point = line.interpolate(along)
        offset = offsets[i] if offsets is not None else sideways_m
        nx, ny = _left_normal(line, along)
        points.append((point.x + nx * offset, point.y + ny * offset))
    return points


def points_across(code, at_m, half_width_m, *, step_m=10.0):
    """A straight walk across a waterway at at_m (a bridge), half_width_m to each side."""
    line = waterway_line(code)
    middle = line.interpolate(at_m)
    nx, ny = _left_normal(line, at_m)
    steps = int(2 * half_width_m / step_m)
    return [(middle.x + nx * (-half_width_m + i * step_m), middle.y + ny * (-half_width_m + i * step_m))
            for i in range(steps + 1)]


def fixes(points, start=None, *, seconds_per_step=SECONDS_PER_STEP, accuracy=8.0):
    """Phone fixes for storage-SRID points, the first at `start` (an aware datetime or unix ms;
    default MAY_DAY_8AM_MS)."""
    start_ms = MAY_DAY_8AM_MS if start is None else start if isinstance(start, int) else int(start.timestamp() * 1000)
    lons, lats = to_lonlat([x for x, _y in points], [y for _x, y in points])
    return [[lon, lat, int(start_ms + i * seconds_per_step * 1000), accuracy] for i, (lon, lat) in enumerate(zip(lons, lats))]


def walk_along(code="ZW-G07", *, start_m=0.0, length_m=1000.0, step_m=10.0, seconds_per_step=SECONDS_PER_STEP,
               sideways_m=0.0, start_ms=None, accuracy=8.0):
    """Fixes every step_m along a waterway, sideways_m to its left: points_along, then fixes."""
    return fixes(points_along(code, start_m, length_m, step_m=step_m, sideways_m=sideways_m), start_ms,
                 seconds_per_step=seconds_per_step, accuracy=accuracy)


def lonlat_on(code, metres, sideways_m=0.0):
    """[lon, lat] of the point `metres` from the waterway's source."""
    x, y = points_along(code, metres, 0, sideways_m=sideways_m)[0]
    return list(to_lonlat(x, y))
