"""Snapping to a waterway, and reach visits: a reach counts when at least half of it lies within
PATROL_BUFFER_M of the track. Checked against an independent shapely computation, and on a long
patrol against the statement as it was when it buffered the whole track at once."""

import random

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.db import connection

from patrols.models import Activity, ReachVisit
from patrols.services import ALONG_SAMPLE_M, MIN_VISITED_FRACTION
from tests.support.factories import activity_body
from tests.support.geo import to_lonlat, to_metres
from tests.support.walks import MAY_DAY_8AM_MS, fixes, lonlat_on, points_along, walk_along
from waterways.models import Reach, Waterway
from waterways.services import rebuild_reaches


def _post(client, body):
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


def _lonlat_at(code, along_m, side_m):
    point = Waterway.objects.get(code=code).geom.interpolate(along_m)
    return list(to_lonlat(point.x + side_m, point.y))


def test_a_cleanup_point_snaps_to_the_nearest_waterway_within_200_m(crew, api):
    activity = _post(api(crew["volunteer"]), activity_body(kind="cleanup", point=_lonlat_at("ZW-G07", 800, 120)))
    assert activity.waterway.code == "ZW-G07"
    assert activity.off_network is False
    assert activity.waterway_position_m == pytest.approx(800, abs=130)


def test_a_point_far_from_every_waterway_is_flagged_off_network(crew, api):
    # A spot in the district's hills: check the premise first, in the database.
    lon, lat = 110.70, 32.60
    x, y = to_metres(lon, lat)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(ST_Distance(geom, ST_SetSRID(ST_MakePoint(%s, %s), %s))) FROM waterways_waterway",
                       [x, y, settings.GIS_SRID])
        assert cursor.fetchone()[0] > 200
    activity = _post(api(crew["volunteer"]), activity_body(kind="cleanup", point=[lon, lat]))
    assert activity.waterway is None
    assert activity.off_network is True


def test_an_activity_without_any_location_is_not_called_off_network(crew, api):
    activity = _post(api(crew["volunteer"]), activity_body(kind="garbage_sorting"))
    assert activity.waterway is None and activity.off_network is False


def test_a_patrol_along_a_gully_snaps_to_the_gully_even_where_it_starts_at_the_river(crew, api):
    gully = Waterway.objects.get(code="ZW-G07")
    # Walk the last 600 m of the gully down to its mouth on the 堵河.
    fixes = walk_along("ZW-G07", start_m=gully.length_m - 600, length_m=600)
    activity = _post(api(crew["volunteer"]), activity_body(fixes))
    assert activity.waterway == gully


def test_crossing_a_river_on_a_bridge_is_not_patrolling_it(crew, api):
    river = Waterway.objects.get(code="ZW-R01")
    middle = river.geom.interpolate(river.length_m / 2)
    after = river.geom.interpolate(river.length_m / 2 + 20)
    # Perpendicular to the river, 300 m each side.
    dx, dy = after.x - middle.x, after.y - middle.y
    norm = (dx**2 + dy**2) ** 0.5
    nx, ny = -dy / norm, dx / norm
    fixes = []
    for i in range(61):
        offset = -300 + i * 10
        lon, lat = to_lonlat(middle.x + nx * offset, middle.y + ny * offset)
        fixes.append([lon, lat, 1777593600000 + i * 8000, 6])
    activity = _post(api(crew["volunteer"]), activity_body(fixes))
    assert not activity.reach_visits.filter(reach__waterway=river).exists()


def _along_fraction(reach, samples, buffer_m):
    near = samples[shapely.dwithin(samples, reach, buffer_m)]
    if len(near) == 0:
        return 0.0
    positions = shapely.line_locate_point(reach, near, normalized=True)
    return positions.max() - positions.min()


def _expected_visits(activity, buffer_m=50.0):
    """Independent of PostGIS: shapely buffers the stored track and measures every reach, both
    how much of it lies in the buffer and how much of it the track runs along."""
    track = shapely.from_wkb(bytes(activity.track.wkb))
    zone = shapely.buffer(track, buffer_m, quad_segs=8)
    samples = shapely.points(shapely.get_coordinates(shapely.segmentize(track, 5.0)))
    reaches = list(Reach.objects.values_list("id", "geom"))
    geoms = np.array([shapely.from_wkb(bytes(geom.wkb)) for _, geom in reaches])
    near = np.minimum(1.0, shapely.length(shapely.intersection(geoms, zone)) / shapely.length(geoms))
    candidates = shapely.dwithin(geoms, track, buffer_m)
    along = np.array([_along_fraction(g, samples, buffer_m) if c else 0.0 for g, c in zip(geoms, candidates)])
    fractions = np.minimum(near, along)
    visited = {reach_id for (reach_id, _), fraction in zip(reaches, fractions) if fraction >= 0.5}
    # Buffers are polygons approximating circles differently in the two libraries; a reach
    # within a hair of the threshold may fall either way and is not a disagreement.
    ambiguous = {reach_id for (reach_id, _), fraction in zip(reaches, fractions) if abs(fraction - 0.5) < 0.005}
    return visited, ambiguous


def test_reach_visits_equal_an_independent_shapely_computation_on_random_tracks(crew, api):
    rng = random.Random(20261126)
    client = api(crew["volunteer"])
    codes = list(Waterway.objects.values_list("code", flat=True))
    compared = 0
    for _ in range(12):
        code = rng.choice(codes)
        waterway = Waterway.objects.get(code=code)
        length = rng.uniform(200, 1500)
        start = rng.uniform(0, max(0.0, waterway.length_m - length))
        side = rng.choice([0, 20, 40, 55, 70])  # on the bank, near the buffer's edge, and beyond it
        line = waterway.geom
        fixes = []
        for i in range(int(length / 15) + 1):
            point = line.interpolate(min(line.length, start + i * 15))
            jitter_x, jitter_y = rng.gauss(0, 6), rng.gauss(0, 6)
            lon, lat = to_lonlat(point.x + side + jitter_x, point.y + jitter_y)
            fixes.append([lon, lat, 1777593600000 + i * 12000, 6])
        activity = _post(client, activity_body(fixes))
        stored = set(activity.reach_visits.values_list("reach_id", flat=True))
        expected, ambiguous = _expected_visits(activity)
        assert stored - ambiguous == expected - ambiguous, (code, side)
        compared += len(expected)
    assert compared > 50  # the scenarios did cover reaches, not only misses


def _expected_waterway(activity):
    """Independent of PostGIS: among the waterways within SNAP_DISTANCE_M of the track (or point),
    the one whose visited reaches add up to most metres, then the nearest, then the lowest id."""
    shape = shapely.from_wkb(bytes((activity.track or activity.point).wkb))
    covered = {}
    for reach in Reach.objects.filter(visits__activity=activity):
        covered[reach.waterway_id] = covered.get(reach.waterway_id, 0.0) + reach.end_m - reach.start_m
    near = [(-covered.get(w.id, 0.0), shapely.distance(line, shape), w.id)
            for w in Waterway.objects.all()
            for line in [shapely.from_wkb(bytes(w.geom.wkb))]
            if shapely.dwithin(line, shape, settings.SNAP_DISTANCE_M)]
    return min(near)[2] if near else None


def test_snapping_equals_an_independent_computation_near_junctions(crew, api):
    """Tracks and points near gully mouths (two waterways within reach, often neither or both
    covered) and out in the hills: the covered-most-then-nearest rule, whichever way SQL finds it."""
    rng = random.Random(20261207)
    client = api(crew["volunteer"])
    gullies = list(Waterway.objects.filter(parent__isnull=False))
    outcomes = set()
    for case in range(16):
        gully = rng.choice(gullies)
        along = gully.length_m - rng.uniform(0, 400)  # near its mouth on the river
        if case % 2:
            body = activity_body(kind="cleanup", point=lonlat_on(gully.code, along, rng.uniform(-250, 250)))
        else:
            length = rng.uniform(60, 500)
            points = points_along(gully.code, max(0.0, along - length), length, sideways_m=rng.choice([0, 45, 120, 190]))
            body = activity_body(fixes(_jittered(points, rng, 4.0)))
        activity = _post(client, body)
        expected = _expected_waterway(activity)
        assert activity.waterway_id == expected, (case, gully.code)
        assert activity.off_network == (expected is None)
        outcomes.add("none" if expected is None else "gully" if expected == gully.id else "other")
    assert {"gully", "other"} <= outcomes  # both sides of a junction were decided, not only one


def test_a_covered_waterway_beyond_the_snap_distance_is_not_the_one(crew, api, settings):
    """With a snap distance shorter than the patrol buffer, a walk 45 m off the gully covers its reaches
    but lies beyond the snap distance of it: the gully is no candidate, as the rule says."""
    settings.SNAP_DISTANCE_M = 30.0
    activity = _post(api(crew["volunteer"]), activity_body(walk_along("ZW-G07", start_m=1000, length_m=600, sideways_m=45)))
    assert activity.reach_visits.filter(reach__waterway__code="ZW-G07").exists()
    assert activity.waterway_id == _expected_waterway(activity)
    assert activity.waterway is None or activity.waterway.code != "ZW-G07"


# The statement as it was before it buffered the track in pieces: one ST_Buffer of the whole track,
# about a minute for a patrol of 20,000 fixes that folds back on itself. Kept as the reference the
# pieces must agree with (benchmarks/activity_throughput.py --reach-sql old times it too).
OLD_REACH_VISITS_SQL = """
WITH a AS MATERIALIZED (
    SELECT id, started_at, track, ST_Buffer(track, %(buffer)s) AS zone
      FROM patrols_activity
     WHERE id = ANY(%(activities)s) AND track IS NOT NULL
), samples AS MATERIALIZED (
    SELECT a.id AS activity_id, d.geom
      FROM a CROSS JOIN LATERAL ST_DumpPoints(ST_Segmentize(a.track, %(sample)s)) AS d
), along AS (
    SELECT r.id AS reach_id, s.activity_id,
           MAX(ST_LineLocatePoint(r.geom, s.geom)) - MIN(ST_LineLocatePoint(r.geom, s.geom)) AS fraction
      FROM samples s JOIN waterways_reach r ON ST_DWithin(r.geom, s.geom, %(buffer)s)
     WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
     GROUP BY r.id, s.activity_id
), covered AS (
    SELECT along.reach_id, a.id AS activity_id, a.started_at,
           LEAST(1.0, ST_Length(ST_Intersection(r.geom, a.zone)) / ST_Length(r.geom), along.fraction) AS fraction
      FROM along
      JOIN a ON a.id = along.activity_id
      JOIN waterways_reach r ON r.id = along.reach_id
     WHERE along.fraction >= %(min_fraction)s  -- the costly intersection only where it can matter
)
INSERT INTO patrols_reachvisit (reach_id, activity_id, visited_at, covered_fraction)
SELECT reach_id, activity_id, started_at, fraction
  FROM covered
 WHERE fraction >= %(min_fraction)s
ON CONFLICT (reach_id, activity_id) DO NOTHING
"""


def _old_visits(activity):
    """{reach id: covered fraction} as the old statement records them for the activity."""
    ReachVisit.objects.filter(activity=activity).delete()
    with connection.cursor() as cursor:
        cursor.execute(OLD_REACH_VISITS_SQL, {
            "buffer": settings.PATROL_BUFFER_M, "activities": [activity.pk], "waterways": None,
            "min_fraction": MIN_VISITED_FRACTION, "sample": ALONG_SAMPLE_M,
        })
    return dict(activity.reach_visits.values_list("reach_id", "covered_fraction"))


def _jittered(points, rng, metres):
    return [(x + rng.gauss(0, metres), y + rng.gauss(0, metres)) for x, y in points]


def _leg(code, from_m, to_m, side_m, rng):
    """A walk along the waterway from from_m to to_m (either way), a fix every 1.5 m, side_m to its left."""
    points = points_along(code, min(from_m, to_m), abs(to_m - from_m), step_m=1.5, sideways_m=side_m)
    return _jittered(points if to_m > from_m else points[::-1], rng, 3.0)


def test_a_long_back_and_forth_patrol_gets_the_visits_of_the_whole_track_buffer(crew, api):
    """Thousands of fixes up and down the lower 狮子沟 and onto the 堵河 at its mouth, on both banks
    and along the buffer's edge, with a long stop and gaps: the reaches and covered fractions the
    old statement (one buffer of the whole track) gave, whichever way the new one measured them."""
    rng = random.Random(20261206)
    first = (_leg("ZW-G07", 3000, 3860, 12, rng) + _leg("ZW-G07", 3860, 3000, -15, rng)  # both banks
             + _leg("ZW-G07", 3000, 2300, -54, rng)  # the buffer's edge runs over the reaches
             + _jittered(points_along("ZW-G07", 2300, 0, sideways_m=-50) * 300, rng, 4.0)  # a stop: a dense scribble
             + _leg("ZW-G07", 2300, 3000, -70, rng) + _leg("ZW-G07", 3000, 3870, 20, rng)
             + _leg("ZW-R01", 10150, 10420, 8, rng) + _leg("ZW-R01", 10420, 10010, -35, rng))
    # After ten minutes without a fix each, more lines: one ending part way along a reach it covers
    # in part; one ending on the 堵河 (the round cap at its end measures the reach) and a short walk
    # towards the river that stops 45 m short of it, further along the same reach.
    lines = [first, _leg("ZW-R01", 10480, 10755, 45, rng), _leg("ZW-R01", 11300, 11410, 0, rng),
             _jittered([points_along("ZW-R01", 11495, 0, sideways_m=70 - 1.5 * i)[0] for i in range(17)], rng, 3.0)]
    body_fixes, start_ms = [], MAY_DAY_8AM_MS
    for line in lines:
        body_fixes += fixes(line, start_ms, seconds_per_step=1.5)
        start_ms = body_fixes[-1][2] + 600_000
    activity = _post(api(crew["volunteer"]), activity_body(body_fixes, ended_at="2026-05-01T10:00:00+08:00"))
    assert len(body_fixes) > 3000 and activity.track.num_geom == len(lines)

    stored = dict(activity.reach_visits.values_list("reach_id", "covered_fraction"))
    old = _old_visits(activity)
    assert set(stored) == set(old)
    assert sum(1 for fraction in old.values() if fraction < 1) >= 3  # reaches covered in part were compared too
    for reach_id, fraction in old.items():
        assert stored[reach_id] == pytest.approx(fraction, rel=1e-6, abs=0), reach_id


def test_visits_are_recomputed_when_the_network_is_recut(crew, api):
    activity = _post(api(crew["volunteer"]), activity_body(walk_along(length_m=1200)))
    before = activity.reach_visits.count()
    assert before >= 11
    rebuild_reaches()  # new reach ids: the old visits pointed at reaches that no longer exist
    after = activity.reach_visits.all()
    assert after.count() == before
    assert all(visit.reach.waterway.code == "ZW-G07" for visit in after.select_related("reach__waterway"))


def test_the_database_deletes_a_reachs_visits_with_it(crew, api):
    """Re-cutting the reaches deletes them with plain SQL; no visit may outlive its reach, whatever
    listens to the rebuild (ON DELETE CASCADE, checked at once rather than at commit)."""
    activity = _post(api(crew["volunteer"]), activity_body(walk_along(length_m=1200)))
    assert activity.reach_visits.count() >= 11
    gully = Waterway.objects.get(code="ZW-G07")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM waterways_reachlink")
        cursor.execute("DELETE FROM waterways_reach WHERE waterway_id = %s", [gully.pk])
    assert not ReachVisit.objects.filter(activity=activity).exists()
