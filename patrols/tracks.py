"""Cleaning a phone's GPS fixes into a track: drop poor fixes, split at gaps (never bridge
them), flag implausible speeds. Plain data in and out (numpy only to check a usual body at
once), so it is easy to test."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from pyproj import Transformer

from riverwatch.dates import unix_ms_bounds

# Fix times outside the dates the app accepts anywhere (riverwatch.dates) are a unit mix-up
# (seconds for milliseconds) or a broken clock.
EARLIEST_MS, AFTER_LATEST_MS = unix_ms_bounds()


class TrackError(ValueError):
    """A track that cannot be used at all; the message is for the person who sent it."""


@dataclass
class Fix:
    lon: float
    lat: float
    ms: int  # unix time in milliseconds
    accuracy_m: float | None
    x: float = 0.0  # metres in the storage SRID
    y: float = 0.0


@dataclass
class CleanTrack:
    segments: list = field(default_factory=list)  # lists of (x, y) in the storage SRID
    distance_m: float = 0.0
    duration_s: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    quality: dict = field(default_factory=dict)


_per_thread = threading.local()


def _transformer(source: int, target: int) -> Transformer:
    """Building a transformer costs ~80 ms, using one microseconds, so each thread keeps its own
    (pyproj transformers are not thread-safe)."""
    cache = getattr(_per_thread, "transformers", None)
    if cache is None:
        cache = _per_thread.transformers = {}
    if (source, target) not in cache:
        cache[source, target] = Transformer.from_crs(source, target, always_xy=True)
    return cache[source, target]


def lonlat_to_storage() -> Transformer:
    """Lon/lat (GPS, GeoJSON) → the storage SRID."""
    return _transformer(settings.API_SRID, settings.GIS_SRID)


def storage_to_lonlat() -> Transformer:
    return _transformer(settings.GIS_SRID, settings.API_SRID)


def is_finite_number(value) -> bool:
    """A JSON number usable as a coordinate or a time: not a bool (an int in Python), not NaN or
    infinite, and not an integer too large for a float (a 400-digit one overflows float())."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _usual_fixes(segment):
    """The fixes of a segment whose rows are all four plain numbers within bounds (what phones
    send), checked at once with numpy; None for anything else, which the row-by-row check then
    reads and names the first bad row of."""
    if not all(type(row) is list and len(row) == 4 for row in segment):
        return None
    if not all(type(value) is float or type(value) is int for row in segment for value in row):
        return None  # bools, strings, None and nested lists are the slow path's to name
    try:
        rows = np.array(segment, dtype=np.float64).reshape(-1, 4)
    except OverflowError:  # an integer too large for a float
        return None
    lon, lat, ms, accuracy = rows.T
    usable = (np.isfinite(rows).all() and ((-180 <= lon) & (lon <= 180) & (-90 <= lat) & (lat <= 90)).all()
              and ((EARLIEST_MS <= ms) & (ms < AFTER_LATEST_MS)).all() and (accuracy >= 0).all())
    if not usable:
        return None
    return [Fix(float(a), float(b), int(c), float(d)) for a, b, c, d in segment]


def parse_fixes(raw_segments):
    """Checks [lon, lat, unix_ms, accuracy_m] rows, raising TrackError with the row that is wrong.
    `raw_segments` is a list of segments, each a list of rows."""
    total = sum(len(segment) for segment in raw_segments)
    if total > settings.TRACK_MAX_FIXES:
        raise TrackError(_("轨迹点太多（%(n)s 个），上限 %(max)s 个。") % {"n": total, "max": settings.TRACK_MAX_FIXES})
    parsed = []
    number = 0
    for segment in raw_segments:
        fixes = _usual_fixes(segment)
        if fixes is not None:
            number += len(fixes)
            parsed.append(fixes)
            continue
        fixes = []
        for row in segment:
            number += 1
            if not isinstance(row, (list, tuple)) or len(row) not in (3, 4):
                raise TrackError(_("第 %(n)s 个轨迹点格式不对，应为 [经度, 纬度, 毫秒时间戳, 精度米]。") % {"n": number})
            lon, lat, ms = row[0], row[1], row[2]
            accuracy = row[3] if len(row) == 4 else None
            numbers = [lon, lat, ms] + ([accuracy] if accuracy is not None else [])
            if not all(is_finite_number(value) for value in numbers):
                raise TrackError(_("第 %(n)s 个轨迹点含有非数字的值。") % {"n": number})
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise TrackError(_("第 %(n)s 个轨迹点的经纬度超出范围（应为 WGS-84 经度、纬度）。") % {"n": number})
            if not EARLIEST_MS <= ms < AFTER_LATEST_MS:
                raise TrackError(_("第 %(n)s 个轨迹点的时间不对（应为 Unix 毫秒时间戳）。") % {"n": number})
            if accuracy is not None and accuracy < 0:
                raise TrackError(_("第 %(n)s 个轨迹点的精度为负数。") % {"n": number})
            fixes.append(Fix(float(lon), float(lat), int(ms), None if accuracy is None else float(accuracy)))
        parsed.append(fixes)
    return parsed


def clean(fix_segments):
    """Drops inaccurate and repeated fixes, splits at gaps and jumps, flags speeds.
    Returns a CleanTrack; segments with fewer than two distinct positions are dropped."""
    transformer = lonlat_to_storage()
    max_accuracy = settings.GPS_MAX_ACCURACY_M
    gap_ms = settings.TRACK_GAP_SECONDS * 1000
    jump_m = settings.TRACK_JUMP_M
    max_speed = settings.TRACK_MAX_SPEED_KMH / 3.6

    received = sum(len(segment) for segment in fix_segments)
    inaccurate = repeated = 0
    gaps, speed_flags = [], []
    pieces = []

    for segment in fix_segments:
        good = []
        for fix in sorted(segment, key=lambda f: f.ms):
            if fix.accuracy_m is not None and fix.accuracy_m > max_accuracy:
                inaccurate += 1
                continue
            good.append(fix)
        if not good:
            continue
        xs, ys = transformer.transform([f.lon for f in good], [f.lat for f in good])
        for fix, x, y in zip(good, xs, ys):
            fix.x, fix.y = x, y

        current = [good[0]]
        for fix in good[1:]:
            previous = current[-1]  # the last fix kept, so a dropped one never hides a jump
            step_m = math.hypot(fix.x - previous.x, fix.y - previous.y)
            step_ms = fix.ms - previous.ms
            if step_ms <= 0:
                repeated += 1  # the same instant sent twice
                continue
            if step_ms > gap_ms or step_m > jump_m:
                gaps.append({"from_ms": previous.ms, "to_ms": fix.ms, "seconds": round(step_ms / 1000), "metres": round(step_m)})
                pieces.append(current)
                current = [fix]
                continue
            speed = step_m / (step_ms / 1000)
            if speed > max_speed:
                last = speed_flags[-1] if speed_flags else None
                if last and last["to_ms"] == previous.ms:  # one flag per fast stretch
                    last["to_ms"] = fix.ms
                    last["max_kmh"] = max(last["max_kmh"], round(speed * 3.6, 1))
                else:
                    speed_flags.append({"from_ms": previous.ms, "to_ms": fix.ms, "max_kmh": round(speed * 3.6, 1)})
            current.append(fix)
        pieces.append(current)
        if len(pieces) > settings.TRACK_MAX_SEGMENTS:
            raise TrackError(
                _("轨迹断开的段数太多（超过 %(max)s 段），请检查手机定位。") % {"max": settings.TRACK_MAX_SEGMENTS}
            )

    usable, unusable_fixes = [], 0
    for piece in pieces:
        if len({(fix.x, fix.y) for fix in piece}) >= 2:
            usable.append(piece)
        else:
            unusable_fixes += len(piece)
    track = CleanTrack(
        segments=[[(fix.x, fix.y) for fix in piece] for piece in usable],
        distance_m=sum(
            math.hypot(b.x - a.x, b.y - a.y) for piece in usable for a, b in zip(piece, piece[1:])
        ),
        duration_s=round(sum(piece[-1].ms - piece[0].ms for piece in usable) / 1000),
    )
    if usable:
        track.first_ms = min(piece[0].ms for piece in usable)
        track.last_ms = max(piece[-1].ms for piece in usable)
    track.quality = {
        "fixes_received": received,
        "fixes_dropped_inaccurate": inaccurate,
        "fixes_dropped_repeated": repeated,
        "fixes_in_unusable_segments": unusable_fixes,
        "segments": len(usable),
        "gaps": gaps,
        "speed_flags": speed_flags,
        "max_accuracy_m": max_accuracy,
    }
    return track


def from_lines(lines_lonlat):
    """A track given as lon/lat lines (GeoJSON, no times): projected, and split where two
    vertices lie further apart than TRACK_JUMP_M, as a gap in the fixes would be."""
    transformer = lonlat_to_storage()
    jump_m = settings.TRACK_JUMP_M
    segments, gaps = [], []
    for line in lines_lonlat:
        xs, ys = transformer.transform([p[0] for p in line], [p[1] for p in line])
        current = []
        for point in zip(xs, ys):
            if current and point == current[-1]:
                continue
            if current and math.hypot(point[0] - current[-1][0], point[1] - current[-1][1]) > jump_m:
                gaps.append({"metres": round(math.hypot(point[0] - current[-1][0], point[1] - current[-1][1]))})
                segments.append(current)
                current = []
            current.append(point)
        segments.append(current)
    segments = [segment for segment in segments if len(segment) >= 2]
    if not segments:
        raise TrackError(_("轨迹至少要有两段相距不超过 %(jump)g 米的点。") % {"jump": jump_m})
    if len(segments) > settings.TRACK_MAX_SEGMENTS:
        raise TrackError(_("轨迹断开的段数太多（超过 %(max)s 段）。") % {"max": settings.TRACK_MAX_SEGMENTS})
    return CleanTrack(
        segments=segments,
        distance_m=sum(math.hypot(b[0] - a[0], b[1] - a[1]) for line in segments for a, b in zip(line, line[1:])),
        quality={"segments": len(segments), "gaps": gaps, "speed_flags": [], "fixes_received": sum(map(len, lines_lonlat))},
    )
