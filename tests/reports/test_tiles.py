"""Vector tiles of the activity layer: every activity is counted in exactly one tile, however it
lies against the tile grid; the tile box stays true at low zoom; bad tile addresses are Chinese 404s;
the tile function never reads everything unless told to."""

import math
import uuid
from datetime import date, timedelta

import mapbox_vector_tile
import numpy as np
import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection

from patrols import scopes
from patrols.models import Activity
from reports.filters import ReportFilters
from reports.selectors import tiles
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.geo import to_metres
from waterways.models import Waterway

YEAR = {"start": "2026-01-01", "end": "2026-12-31"}
HALF_WORLD = tiles.WORLD_M / 2

# The storage-SRID point whose Web Mercator position is exactly (x, y) in the coordinates asked for: the
# transform there and back is not exact, so the neighbours of the first guess a few ulps apart are
# tried and the first that lands exactly is kept.
EXACT_POINT_SQL = """
WITH guess AS (
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 3857), %(srid)s) AS p
), tried AS (
    SELECT ST_X(guess.p) + i * 2e-10 AS x, ST_Y(guess.p) + j * 2e-10 AS y,
           ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(guess.p) + i * 2e-10, ST_Y(guess.p) + j * 2e-10), %(srid)s), 3857) AS m
      FROM guess, generate_series(-40, 40) AS i, generate_series(-40, 40) AS j
)
SELECT x, y FROM tried
 WHERE (NOT %(exact_x)s OR ST_X(m) = %(x)s) AND (NOT %(exact_y)s OR ST_Y(m) = %(y)s)
 ORDER BY abs(ST_X(m) - %(x)s) + abs(ST_Y(m) - %(y)s)
 LIMIT 1
"""


def tile_bounds(z, x, y):
    """(xmin, ymin, xmax, ymax) of a tile in EPSG:3857, as PostGIS computes them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ST_TileEnvelope(%s, %s, %s) AS e",
                       [z, x, y])
        return cursor.fetchone()


def tile_of(mx, my, z):
    width = tiles.WORLD_M / 2**z
    return int((mx + HALF_WORLD) // width), int((HALF_WORLD - my) // width)


def stored_point(mx, my, *, exact_x=False, exact_y=False):
    """A storage-SRID point at Web Mercator (mx, my), exactly on it in the coordinates asked for."""
    with connection.cursor() as cursor:
        cursor.execute(EXACT_POINT_SQL, {"x": mx, "y": my, "exact_x": exact_x, "exact_y": exact_y,
                                         "srid": settings.GIS_SRID})
        row = cursor.fetchone()
    assert row is not None, f"no storage point lands exactly on {mx!r}, {my!r} ({exact_x}, {exact_y})"
    return Point(row[0], row[1], srid=settings.GIS_SRID)


def located_activity(user, point, kind="patrol"):
    at = beijing("2026-05-01 09:00")
    return Activity.objects.create(client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=user,
                                   started_at=at, ended_at=at + timedelta(hours=1), point=point)


def counted(client, z, x, y, query=YEAR):
    response = client.get(f"/api/tiles/activities/{z}/{x}/{y}.mvt", query)
    assert response.status_code == 200
    layer = mapbox_vector_tile.decode(response.content).get("activities") if response.content else None
    return sum(feature["properties"]["count"] for feature in layer["features"]) if layer else 0


def test_an_activity_on_a_tile_edge_is_counted_in_exactly_one_tile(crew, api):
    staff = api(crew["staff"])
    user = crew["volunteer"].user
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_LineInterpolatePoint(geom, 0.3), 3857) AS p"
                       " FROM waterways_waterway WHERE code = 'ZW-G07') AS g")
        gx, gy = cursor.fetchone()
    z = 12
    px, py = tile_of(gx, gy, z)
    xmin, ymin, xmax, ymax = tile_bounds(z, px, py)
    mid_x, mid_y = (xmin + xmax) / 2, (ymin + ymax) / 2  # where the four child tiles meet
    width = xmax - xmin
    child_cell = width / 2 / tiles.CELLS_PER_TILE
    points = [
        stored_point(mid_x, mid_y, exact_x=True, exact_y=True),  # the corner of all four children, twice
        stored_point(mid_x, mid_y, exact_x=True, exact_y=True),
        stored_point(xmin, ymin + 0.45 * (ymax - ymin), exact_x=True),  # the parent's own left edge
    ]
    for share in (0.1, 0.37, 0.8):
        points.append(stored_point(mid_x, ymin + share * width, exact_x=True))  # on the vertical edge
        points.append(stored_point(xmin + share * width, mid_y, exact_y=True))  # on the horizontal edge
    # One cell straddling the vertical edge, two points left of it and one right: its centre is
    # left, and must be computed from all three in both children.
    for dx in (-0.3, -0.25, 0.2):
        points.append(stored_point(mid_x + dx * child_cell, ymin + 0.6 * width))
    rng = np.random.default_rng(12)
    for fx, fy in rng.uniform(0.02, 0.98, size=(12, 2)):
        points.append(stored_point(xmin + fx * width, ymin + fy * width))
    for k, point in enumerate(points):
        located_activity(user, point, kind="patrol" if k % 2 else "cleanup")

    in_parent = counted(staff, z, px, py)
    in_children = [counted(staff, z + 1, 2 * px + dx, 2 * py + dy) for dx in (0, 1) for dy in (0, 1)]
    assert sum(in_children) == in_parent == len(points), in_children


def test_the_tile_box_stays_true_far_from_the_storage_central_meridian(crew, api):
    """At zoom 3 a tile spans 45° of longitude; its bottom edge, a parallel, dips towards the equator
    at the storage projection's central meridian (111°E) and rises at the tile's corners. A box made
    of the four corners alone misses activities just above that edge; a densified box does not."""
    lon, lat = 111.0, 41.3
    z = 3
    x, y = int((lon + 180) / 360 * 2**z), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    assert (x, y) == (6, 2)  # 90°E–135°E, 41.0°N–66.5°N
    point = Point(*to_metres(lon, lat), srid=settings.GIS_SRID)
    located_activity(crew["volunteer"].user, point)
    assert counted(api(crew["staff"]), z, x, y) == 1


@pytest.mark.parametrize("address", ["12/-1/1658", "12/3305/-1", "-1/0/0", "12/4096/1658", "12/3305/4096"])
def test_a_tile_outside_the_grid_is_a_chinese_404(crew, api, address):
    response = api(crew["staff"]).get(f"/api/tiles/activities/{address}.mvt")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "超出范围" in response.json()["detail"]


def test_the_tile_function_reads_everything_only_when_told(crew):
    filters = ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    gully = Waterway.objects.get(code="ZW-G07").geom.interpolate(400)
    located_activity(make_person().user, Point(gully.x, gully.y, srid=settings.GIS_SRID))
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), %s), 3857)"
                       " AS p) AS t", [gully.x, gully.y, settings.GIS_SRID])
        x, y = tile_of(*cursor.fetchone(), 12)
    with pytest.raises(TypeError):
        tiles.tile("activities", 12, x, y, filters)  # no reader: refused, not "everything"
    with pytest.raises(TypeError):
        tiles.tile_sql_and_params("activities", 12, x, y, filters)
    assert tiles.tile("activities", 12, x, y, filters, reader=scopes.EVERYTHING)
