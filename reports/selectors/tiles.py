"""Vector tiles (Mapbox Vector Tile, ST_AsMVT) for the heavy map layers: patrol tracks and
activities. One SQL statement per tile; the tile box is turned into the storage SRID once so that
the GiST indexes on track and point do the work."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from patrols.scopes import READABLE_SQL, Reader

from ..filters import ACTIVITY_FILTER_CONDITIONS, ReportFilters

LAYERS = ("tracks", "activities")
MAX_ZOOM = 22
# Below this zoom a province's tracks are a solid smear; the map shows coverage colours instead.
TRACK_MIN_ZOOM = 9
EXTENT = 4096
# Web Mercator's world width in metres: a tile's width is this over 2**z.
WORLD_M = 40075016.685578488
# Activities are merged per kind into cells this many to a tile side (8 px on a 256 px tile), so
# a tile carries at most a few thousand points however many activities lie under it.
CELLS_PER_TILE = 32
# Pieces per side of the tile box before it is transformed to the storage SRID.
BOX_SEGMENTS = 16

# The tile in Web Mercator, and the tile with its margin in the storage SRID for the index. The
# box is densified before it is transformed: its edges are straight in Web Mercator, curves in the
# storage projection, and a box of four corners would cut into the tile at low zoom (at zoom 3 by
# more than 100 km near the storage projection's central meridian).
_BOUNDS = """
WITH bounds AS MATERIALIZED (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS mercator,
           ST_Transform(ST_Segmentize(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s),
                                      %(segment)s), %(srid)s) AS box
)
"""

# Tracks, simplified to half a pixel before leaving the storage SRID.
TRACK_TILE_SQL = _BOUNDS + """
, rows AS (
    SELECT a.id, a.kind, to_char(a.started_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD') AS day,
           round(a.distance_m)::integer AS distance_m,
           ST_AsMVTGeom(ST_Transform(ST_Simplify(a.track, %(tolerance)s), 3857), bounds.mercator,
                        %(extent)s, 64, true) AS geom
      FROM patrols_activity a, bounds
     WHERE a.track && bounds.box
       AND (%(waterways)s::bigint[] IS NULL OR a.waterway_id = ANY(%(waterways)s::bigint[]))
       AND """ + ACTIVITY_FILTER_CONDITIONS + """
       AND """ + READABLE_SQL + """
)
SELECT ST_AsMVT(rows, 'tracks', %(extent)s, 'geom', 'id') FROM rows WHERE geom IS NOT NULL
"""

# Activities by kind, merged into grid cells (count per cell and kind). The grid is anchored at
# the Mercator origin, so a cell never differs between neighbouring tiles: tile edges are grid lines
# of cell centres, so cells straddle them. The margin (at least a cell) brings every point of such a
# cell into both tiles, so both compute the same merged point, and the half-open bounds on that
# point (x in [xmin, xmax), y in (ymin, ymax]) keep it in exactly one of them.
ACTIVITY_TILE_SQL = _BOUNDS + """
, located AS MATERIALIZED (
    SELECT a.kind, ST_Transform(COALESCE(a.point, ST_PointOnSurface(a.track)), 3857) AS spot
      FROM patrols_activity a, bounds
     WHERE (a.point && bounds.box OR (a.point IS NULL AND a.track && bounds.box))
       AND (%(waterways)s::bigint[] IS NULL OR a.waterway_id = ANY(%(waterways)s::bigint[]))
       AND """ + ACTIVITY_FILTER_CONDITIONS + """
       AND """ + READABLE_SQL + """
), cells AS (
    SELECT kind, count(*) AS n, ST_Centroid(ST_Collect(spot)) AS spot
      FROM located
     GROUP BY kind, ST_SnapToGrid(spot, %(cell)s)
), rows AS (
    SELECT kind, n::integer AS count, ST_AsMVTGeom(spot, bounds.mercator, %(extent)s, 0, true) AS geom
      FROM cells, bounds
     WHERE ST_X(spot) >= ST_XMin(bounds.mercator) AND ST_X(spot) < ST_XMax(bounds.mercator)
       AND ST_Y(spot) > ST_YMin(bounds.mercator) AND ST_Y(spot) <= ST_YMax(bounds.mercator)
)
SELECT ST_AsMVT(rows, 'activities', %(extent)s, 'geom') FROM rows WHERE geom IS NOT NULL
"""

def tile_in_range(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile_sql_and_params(layer: str, z: int, x: int, y: int, filters: ReportFilters, *, reader: Reader):
    """The statement and parameters for one tile (also what the benchmark runs in psql).
    reader: patrols.scopes.reader_of(user), or patrols.scopes.EVERYTHING."""
    tile_width_m = WORLD_M / 2**z
    # Tracks: 64 of 4096 tile units, so features just outside still draw their edge into this tile.
    # Activities: a whole cell (see ACTIVITY_TILE_SQL), and a little more for the transformed box.
    margin = 64 / EXTENT if layer == "tracks" else 1.5 / CELLS_PER_TILE
    params = {
        **filters.sql_params(),
        **reader.sql_params(),
        "z": z, "x": x, "y": y,
        "srid": settings.GIS_SRID,
        "tz": settings.TIME_ZONE,
        "extent": EXTENT,
        "margin": margin,
        "segment": tile_width_m * (1 + 2 * margin) / BOX_SEGMENTS,
        "tolerance": tile_width_m / 256 / 2,
        "cell": tile_width_m / CELLS_PER_TILE,
    }
    return (TRACK_TILE_SQL if layer == "tracks" else ACTIVITY_TILE_SQL), params


def tile(layer: str, z: int, x: int, y: int, filters: ReportFilters, *, reader: Reader) -> bytes:
    """One tile as MVT bytes (empty when nothing lies in it). reader: patrols.scopes.reader_of(user)
    for what a user may read; patrols.scopes.EVERYTHING must be asked for by name."""
    if layer not in LAYERS:
        raise ValueError(layer)
    if layer == "tracks" and z < TRACK_MIN_ZOOM:
        return b""
    sql, params = tile_sql_and_params(layer, z, x, y, filters, reader=reader)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""
