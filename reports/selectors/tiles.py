"""Vector tiles (Mapbox Vector Tile, ST_AsMVT) for the heavy map layers: patrol tracks and
activities, and the reaches' freshness and gaps. One ST_AsMVT statement per tile. Activities at
zooms 6-12 without a role or team filter are summed from the grid kept ahead (patrols.cells) and
tracks at zooms 9-12 drawn from the lines simplified ahead (patrols.track_bands); otherwise the
tile box is turned into the storage SRID once so that the GiST indexes on track, point and reach do
the work.

Freshness and gaps are aggregates (reports.selectors.coverage): every activity that is not rejected
counts, whoever looks, so they take no reader. Each reach's latest visit comes from coverage's own
reach_last_sql(), never derived here: a first statement finds the waterways with a reach in the
tile (GiST), the second reads their reaches' latest visits through it and draws the runs."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import connection

from patrols import cells, scopes, track_bands
from patrols.cells import CELLS_PER_TILE, WORLD_M
from patrols.scopes import READABLE_SQL, Reader

from ..filters import ACTIVITY_FILTER_CONDITIONS, ReportFilters
from . import coverage

LAYERS = ("tracks", "activities", "freshness", "gaps")
# The layers of reaches, read through coverage's rule instead of an activity reader.
REACH_LAYERS = ("freshness", "gaps")
MAX_ZOOM = 22
# Below this zoom a province's tracks are a solid smear; the map shows coverage colours instead.
TRACK_MIN_ZOOM = 9
# Below this zoom a tile of reaches would hold a fifth of a province's (180,000 at zoom 7, most of
# a second): the map draws zoom 7 from zoom 8's tiles (leaflet's minNativeZoom) and nothing below.
REACH_MIN_ZOOM = 8
EXTENT = 4096
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

# Tracks, simplified to half a pixel before leaving the storage SRID. A feature carries the
# activity's id and kind, what the map draws by: a dense tile holds thousands of tracks, and every
# further property costs its encoding on each of them (a day and a distance: a third of a zoom-9
# tile's time). A track's details are one request away by its id.
TRACK_TILE_SQL = _BOUNDS + """
, rows AS (
    SELECT a.id, a.kind,
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

# The same tile at zooms 9-12 from the tracks simplified ahead for that zoom (patrols.TrackBand): the
# rows carry what the filters and the reading rule ask of the activity, under the activity's own
# names (a), so the same conditions apply; only clipping and encoding are left.
TRACK_BAND_TILE_SQL = """
WITH bounds AS MATERIALIZED (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS mercator,
           ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS box
), rows AS (
    SELECT a.id, a.kind,
           ST_AsMVTGeom(a.geom, bounds.mercator, %(extent)s, 64, true) AS geom
      FROM (SELECT b.activity_id AS id, b.kind, b.status, b.started_at, b.waterway_id, b.submitted_by_id,
                   b.geom
              FROM patrols_trackband b, bounds
             WHERE b.zoom = %(z)s AND b.geom && bounds.box) a, bounds
     WHERE (%(waterways)s::bigint[] IS NULL OR a.waterway_id = ANY(%(waterways)s::bigint[]))
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

# The same tile from the grid summed ahead (patrols.cells), for zooms up to cells.MAX_LEVEL and no
# role or team filter: per kind and cell, the rows of the period's spans in the tile's range of
# cells, counted (COUNTED_SQL on the row's status), of the kinds and waterways asked for. A reader
# who does not see everything sees through it the activities on their chief waterways only; the
# others they may read (READABLE_BESIDES_WATERWAYS_IDS_SQL, off those waterways) are located one by
# one and put in their cells as ACTIVITY_TILE_SQL does. Each merged point is the cell's centre plus
# the mean offset, kept in one tile by the same half-open bounds.
ACTIVITY_CELL_TILE_SQL = """
WITH bounds AS MATERIALIZED (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS mercator
), summed AS (
    SELECT a.kind, a.cx, a.cy, a.n, a.dx, a.dy
      FROM unnest(%(span_grains)s::text[], %(span_firsts)s::date[]) AS s(grain, first_day)
      JOIN patrols_activitycell a ON a.level = %(z)s AND a.grain = s.grain AND a.first_day = s.first_day
     WHERE a.cx BETWEEN %(cx_min)s AND %(cx_max)s AND a.cy BETWEEN %(cy_min)s AND %(cy_max)s
       AND """ + scopes.COUNTED_SQL + """
       AND (%(kinds)s::text[] IS NULL OR a.kind = ANY(%(kinds)s::text[]))
       AND (%(waterways)s::bigint[] IS NULL OR a.waterway_id = ANY(%(waterways)s::bigint[]))
       AND (%(sees_everything)s OR a.waterway_id = ANY(%(chief_waterways)s::bigint[]))
), besides AS (
    SELECT a.kind, ST_Transform(COALESCE(a.point, ST_PointOnSurface(a.track)), 3857) AS spot
      FROM patrols_activity a
     WHERE NOT %(sees_everything)s
       AND a.id IN (""" + scopes.READABLE_BESIDES_WATERWAYS_IDS_SQL + """)
       AND (a.waterway_id = ANY(%(chief_waterways)s::bigint[])) IS NOT TRUE
       AND (a.point IS NOT NULL OR a.track IS NOT NULL)
       AND (%(waterways)s::bigint[] IS NULL OR a.waterway_id = ANY(%(waterways)s::bigint[]))
       AND """ + ACTIVITY_FILTER_CONDITIONS + """
), besides_celled AS (
    SELECT kind, spot, round(ST_X(spot) / %(cell)s)::integer AS cx, round(ST_Y(spot) / %(cell)s)::integer AS cy
      FROM besides
), cells AS (
    SELECT kind, cx, cy, sum(n) AS n, sum(dx) AS dx, sum(dy) AS dy
      FROM (SELECT * FROM summed
            UNION ALL
            SELECT kind, cx, cy, 1, ST_X(spot) - cx * %(cell)s, ST_Y(spot) - cy * %(cell)s
              FROM besides_celled
             WHERE cx BETWEEN %(cx_min)s AND %(cx_max)s AND cy BETWEEN %(cy_min)s AND %(cy_max)s) AS parts
     GROUP BY kind, cx, cy
), spots AS (
    SELECT kind, n, ST_SetSRID(ST_MakePoint(cx * %(cell)s + dx / n, cy * %(cell)s + dy / n), 3857) AS spot
      FROM cells
), rows AS (
    SELECT kind, n::integer AS count, ST_AsMVTGeom(spot, bounds.mercator, %(extent)s, 0, true) AS geom
      FROM spots, bounds
     WHERE ST_X(spot) >= ST_XMin(bounds.mercator) AND ST_X(spot) < ST_XMax(bounds.mercator)
       AND ST_Y(spot) > ST_YMin(bounds.mercator) AND ST_Y(spot) <= ST_YMax(bounds.mercator)
)
SELECT ST_AsMVT(rows, 'activities', %(extent)s, 'geom') FROM rows WHERE geom IS NOT NULL
"""

# The waterways with a reach whose box meets the tile's (with its margin): the GiST index on the
# reaches finds them. (A run of theirs that only comes near is clipped away when drawn.)
WATERWAYS_IN_TILE_SQL = _BOUNDS + """
SELECT DISTINCT r.waterway_id
  FROM waterways_reach r, bounds
 WHERE r.geom && bounds.box
   AND (%(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[]))
"""

# The second statement reads every reach of those waterways through coverage.reach_last_sql(), asked
# for the waterways (its rollup read then takes its index on them; asked for the tile's reach ids
# instead, PostgreSQL reads the whole province's rollups: 80 ms at zoom 10). So a run is the GeoJSON
# layer's whole run, not a piece cut at the tile's edge: the same class, days and metres on every
# tile it crosses. Each run is drawn as the waterway's line between its ends, as
# coverage.PIECE_GEOJSON_SQL draws it (the reaches were cut from that line), simplified to half a
# pixel before leaving the storage SRID and clipped to the tile. A run's last visit is its
# newest reach's date, the end's date less its fewest days.
_RUN_MVT = """
, drawn AS (
    SELECT run.*, w.code, w.name,
           ST_LineSubstring(w.geom, LEAST(1.0, run.start_m / ST_Length(w.geom)),
                            LEAST(1.0, run.end_m / ST_Length(w.geom))) AS line
      FROM run
      JOIN waterways_waterway w ON w.id = run.waterway_id AND w.id = ANY(%(waterways)s::bigint[])
), rows AS (
    SELECT code AS waterway_code, name AS waterway_name, {columns} days_since_visit,
           to_char(%(end)s::date - days_since_visit, 'YYYY-MM-DD') AS last_visit,
           start_m, end_m,
           ST_AsMVTGeom(ST_Transform(ST_Simplify(line, %(tolerance)s), 3857), bounds.mercator,
                        %(extent)s, 64, true) AS geom
      FROM drawn, bounds
     WHERE drawn.line && bounds.box
)
SELECT ST_AsMVT(rows, '{layer}', %(extent)s, 'geom') FROM rows WHERE geom IS NOT NULL
"""

# Freshness and gaps: coverage's own runs (FRESHNESS_RUNS_SQL, GAP_RUNS_SQL: the classes, the gap
# window, the merging), drawn (tests/reports/test_reach_tiles.py holds the tiles to the GeoJSON layers).
FRESHNESS_TILE_SQL = coverage.FRESHNESS_RUNS_SQL + _RUN_MVT.format(columns="class,", layer="freshness")
GAPS_TILE_SQL = coverage.GAP_RUNS_SQL + _RUN_MVT.format(columns="", layer="gaps")


def tile_in_range(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def _tile_params(layer: str, z: int, x: int, y: int) -> dict:
    """The tile's own parameters: its address, box, margin and simplification."""
    tile_width_m = WORLD_M / 2**z
    # Lines: 64 of 4096 tile units, so features just outside still draw their edge into this tile.
    # Activities: a whole cell (see ACTIVITY_TILE_SQL), and a little more for the transformed box.
    margin = 1.5 / CELLS_PER_TILE if layer == "activities" else 64 / EXTENT
    return {
        "z": z, "x": x, "y": y,
        "srid": settings.GIS_SRID,
        "extent": EXTENT,
        "margin": margin,
        "segment": tile_width_m * (1 + 2 * margin) / BOX_SEGMENTS,
        "tolerance": track_bands.tolerance(z),
        "cell": cells.cell_size(z),
    }


def uses_cells(layer: str, z: int, filters: ReportFilters) -> bool:
    """Whether a tile is read from the grid summed ahead: activities up to its last level, with no
    role or team filter (who took part is no key of it)."""
    return (layer == "activities" and cells.MIN_LEVEL <= z <= cells.MAX_LEVEL
            and not filters.role and not filters.team_id)


def _cell_params(z: int, x: int, y: int, filters: ReportFilters) -> dict:
    """The period's spans and the range of cells whose merged point may lie in the tile (a point is
    within half a cell of its cell's centre; the bounds test decides)."""
    size = cells.cell_size(z)
    tile_width_m = WORLD_M / 2**z
    x_min = -WORLD_M / 2 + x * tile_width_m
    y_max = WORLD_M / 2 - y * tile_width_m
    grains, firsts = cells.spans(filters.start, filters.end)
    return {
        "span_grains": grains, "span_firsts": firsts,
        "cx_min": math.floor(x_min / size) - 1, "cx_max": math.ceil((x_min + tile_width_m) / size) + 1,
        "cy_min": math.floor((y_max - tile_width_m) / size) - 1, "cy_max": math.ceil(y_max / size) + 1,
    }


def tile_sql_and_params(layer: str, z: int, x: int, y: int, filters: ReportFilters, *, reader: Reader):
    """The statement and parameters for one tile of tracks or activities (also what the benchmark
    runs in psql). reader: patrols.scopes.reader_of(user), or patrols.scopes.EVERYTHING."""
    params = {**filters.sql_params(), **reader.sql_params(), **_tile_params(layer, z, x, y)}
    if uses_cells(layer, z, filters):
        params.update(_cell_params(z, x, y, filters))
        return ACTIVITY_CELL_TILE_SQL, params
    if layer == "tracks" and z in track_bands.ZOOMS:
        return TRACK_BAND_TILE_SQL, params
    return (TRACK_TILE_SQL if layer == "tracks" else ACTIVITY_TILE_SQL), params


def reach_tile_sql_and_params(layer: str, z: int, x: int, y: int, filters: ReportFilters, *,
                              days: int | None = None) -> tuple[str, dict]:
    """The second statement of a freshness or gaps tile and its parameters but `waterways` (the
    first statement's answer). `days`: the gap rule's, 1..coverage.MAX_GAP_DAYS (ValueError
    otherwise), default coverage.DEFAULT_GAP_DAYS."""
    if layer == "gaps":
        # The gap rule's parameters (its window) and its check of `days`, from their owner.
        _sql, params = coverage.gaps_query(filters, days=coverage.DEFAULT_GAP_DAYS if days is None else days)
        tail = GAPS_TILE_SQL
    elif layer == "freshness":
        _sql, params = coverage.freshness_query(filters)
        tail = FRESHNESS_TILE_SQL
    else:
        raise ValueError(layer)
    params.update(_tile_params(layer, z, x, y))
    return _BOUNDS + ", reach_last AS (" + coverage.reach_last_sql(filters) + ")" + tail, params


def reach_tile(layer: str, z: int, x: int, y: int, filters: ReportFilters, *, days: int | None = None) -> bytes:
    """A tile of freshness or gaps as MVT bytes (see reach_tile_sql_and_params), in two statements:
    the waterways with a reach in the tile, then their reaches' latest visits classed, merged, drawn."""
    sql, params = reach_tile_sql_and_params(layer, z, x, y, filters, days=days)
    if z < REACH_MIN_ZOOM:
        return b""
    with connection.cursor() as cursor:
        cursor.execute(WATERWAYS_IN_TILE_SQL, params)
        # The tile's waterways, within the filter's (which that statement applied): the reaches read.
        params["waterways"] = [waterway_id for (waterway_id,) in cursor.fetchall()]
        if not params["waterways"]:
            return b""
        cursor.execute(sql, params)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""


def tile(layer: str, z: int, x: int, y: int, filters: ReportFilters, *, reader: Reader,
         days: int | None = None) -> bytes:
    """One tile as MVT bytes (empty when nothing lies in it). reader: patrols.scopes.reader_of(user)
    for what a user may read; patrols.scopes.EVERYTHING must be asked for by name. Freshness and
    gaps count every activity that is not rejected (aggregates) and leave the reader aside; `days`
    is the gap layer's."""
    if layer not in LAYERS:
        raise ValueError(layer)
    if layer in REACH_LAYERS:
        return reach_tile(layer, z, x, y, filters, days=days)
    if layer == "tracks" and z < TRACK_MIN_ZOOM:
        return b""
    sql, params = tile_sql_and_params(layer, z, x, y, filters, reader=reader)
    if sql is ACTIVITY_CELL_TILE_SQL:
        cells.settle()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""
