"""Synthesised GPS fixes: what a phone records while someone walks the bank of a waterway.

Pure and seeded: a TrackSpec (decided by the planner) always gives the same fixes. The noise drifts
as real GPS error does, and walks are interrupted as real ones are (pauses, detours, the screen
locked, now and then a motorbike), so the demo's tracks exercise the real cleaning.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from .network import Way


@dataclass
class TrackSpec:
    """A planned walk: along which waterway, from where, which way, how far and fast, how good the phone."""

    way: str
    start_s: float
    direction: int
    distance_m: float
    speed: float
    interval_s: float
    accuracy_m: float
    seed: int  # the walk's own random stream


def _walk_events(rng):
    """What interrupts a walk, as (share of the distance walked, kind, seconds or metres), in order:
    pauses to look at something, a detour off the bank and back (metres out), the screen locked
    with no fixes for 6–20 minutes, rarely a stretch on a motorbike (too fast: flagged)."""
    events = []
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 2)):
            events.append((rng.uniform(0.1, 0.9), "stop", rng.uniform(120, 480)))
    if rng.random() < 0.2:
        events.append((rng.uniform(0.2, 0.8), "detour", rng.uniform(60, 180)))
    if rng.random() < 0.2:
        events.append((rng.uniform(0.15, 0.85), "gap", rng.uniform(360, 1200)))
    if rng.random() < 0.03:
        events.append((rng.uniform(0.2, 0.8), "ride", rng.uniform(60, 150)))
    return sorted(events)


def track_fixes(spec: TrackSpec, way: Way, started_at: datetime, to_lonlat):
    """A phone's fixes [lon, lat, unix_ms, accuracy_m] for a walk along the bank: noise that
    drifts as real GPS error does, a few wild fixes, pauses, a detour, a gap with the screen locked."""
    rng = random.Random(spec.seed)
    events = _walk_events(rng)
    bad_share = 0.0 if rng.random() < 0.5 else rng.uniform(0.01, 0.05)

    s, direction, walked, t = spec.start_s, spec.direction, 0.0, 0.0
    side = rng.choice([-1, 1])
    bank = rng.uniform(4, 15)
    error_x = error_y = 0.0
    mode, mode_left, detour_out, lateral = "walk", 0.0, 0.0, 0.0
    gap_until = -1.0
    points = []
    while walked < spec.distance_m and len(points) < 5000:
        if mode == "walk" and events and walked >= events[0][0] * spec.distance_m:
            _f, kind, amount = events.pop(0)
            if kind == "gap":
                gap_until = t + amount
            elif kind == "detour":
                mode, detour_out, mode_left = "detour", amount, 2 * amount / spec.speed
            else:
                mode, mode_left = kind, amount
        dt = min(15.0, max(5.0, spec.interval_s + rng.uniform(-1, 1)))
        t += dt
        if mode == "walk" or mode == "ride":
            step = (rng.uniform(6, 8) if mode == "ride" else spec.speed * rng.uniform(0.9, 1.1)) * dt
            s += direction * step
            walked += step
            if s > way.length:  # walk back at the ends
                s, direction = 2 * way.length - s, -direction
            elif s < 0:
                s, direction = -s, -direction
        if mode != "walk":
            mode_left -= dt
            if mode == "detour":
                total = 2 * detour_out / spec.speed
                done = total - mode_left
                lateral = detour_out * (1 - abs(1 - 2 * min(max(done / total, 0), 1)))
            if mode_left <= 0:
                mode, lateral = "walk", 0.0
        bank = min(25.0, max(2.0, bank + rng.gauss(0, 0.3)))
        x, y, ux, uy = way.at(s)
        offset = side * (bank + lateral)
        accuracy = min(15.0, max(3.0, spec.accuracy_m * rng.uniform(0.8, 1.25)))
        rho = math.exp(-dt / 60)
        spread = math.sqrt(1 - rho * rho) * accuracy * 0.7
        error_x = rho * error_x + rng.gauss(0, spread)
        error_y = rho * error_y + rng.gauss(0, spread)
        fx, fy = x - uy * offset + error_x, y + ux * offset + error_y
        if rng.random() < bad_share:  # a wild fix the phone itself knows is poor
            accuracy = rng.uniform(60, 150)
            angle = rng.uniform(0, 2 * math.pi)
            fx, fy = fx + math.cos(angle) * accuracy, fy + math.sin(angle) * accuracy
        if t > gap_until:
            points.append((fx, fy, t, accuracy))
    lons, lats = to_lonlat.transform([p[0] for p in points], [p[1] for p in points])
    first_ms = round(started_at.timestamp() * 1000) + rng.randint(5000, 60000)
    return [
        [round(lon, 6), round(lat, 6), first_ms + round(p[2] * 1000), round(p[3], 1)]
        for lon, lat, p in zip(lons, lats, points)
    ]

