"""Snapping to a waterway, and reach visits: a reach counts when at least half of it lies within
PATROL_BUFFER_M of the track. Checked against an independent shapely computation."""

import random

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.db import connection

from patrols.models import Activity, ReachVisit
from tests.support.factories import activity_body
from tests.support.geo import to_lonlat, to_metres
from tests.support.walks import walk_along
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
