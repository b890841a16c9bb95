"""Coverage, gaps and freshness of the reaches: which parts of the rivers were patrolled when.

Scope: like hotspots, these are aggregates over every activity that is not rejected, for any chief
or staff member: they reveal whether and when a reach was visited, not who walked it or any note.
Individual records (the map's layers and tiles, the patrols in the compliance details) follow the
reading rule (patrols.scopes) instead.

All three start from one fact per reach: its latest visit before the end of the period by an
activity that passes the report filters (kind, role, team, not rejected). A reach was visited in the
period when that visit falls on or after the period's start; it is in a gap of N days when the
visit is more than N days old (or there is none); its freshness is the visit's age in days. The waterway filter restricts the reaches, never
the activities: a patrol snapped to the 堵河 still covers the gully it walked up."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patrols import rollups
from riverwatch.dates import day_start
from waterways.models import Waterway

from ..filters import ACTIVITY_SCOPE_CONDITIONS, TEAM_ACTIVITY_IDS_SQL, ReportFilters

# Each reach looked at, with its latest visit before %(end_at)s by an activity that passes the
# filters, in two forms chosen in Python (one SQL form with optional parts would defeat the planner).
# Without a team: from the rollups (patrols.rollups), one short array per reach and year of the
# kinds and role chosen, so the cost follows the reaches, not the visits behind them.
_REACH_SCOPE = """
   (%(waterways)s::bigint[] IS NULL OR {alias}.waterway_id = ANY(%(waterways)s::bigint[]))
   AND (%(reach_ids)s::bigint[] IS NULL OR {alias}.{reach} = ANY(%(reach_ids)s::bigint[]))"""
REACH_LAST_VISIT_SQL = """
SELECT r.id, r.waterway_id, r.seq, r.start_m, r.end_m, last.visited_at
  FROM waterways_reach r
  LEFT JOIN (
        SELECT u.reach_id, MAX(""" + rollups.LATEST_BEFORE_SQL + """) AS visited_at
          FROM patrols_reachvisityear u
         WHERE """ + rollups.ROWS_FOR_FILTERS_SQL + """
           AND """ + _REACH_SCOPE.format(alias="u", reach="reach_id") + """
         GROUP BY u.reach_id) last ON last.reach_id = r.id
 WHERE """ + _REACH_SCOPE.format(alias="r", reach="id") + """
"""

# With a team (its members change, so it is no rollup key): from the visits of the activities its
# members took part in, the few among the many, each reach keeping its latest. Their ids come as an
# array, looked up through the primary key: as a join PostgreSQL cannot tell how few they are and
# may scan every activity (0.5 s at a million).
_TEAM_REACH_VISITS_SQL = """
        SELECT v.reach_id, vr.waterway_id, vr.start_m, vr.end_m, MAX(v.visited_at) AS visited_at
          FROM patrols_activity a
          JOIN patrols_reachvisit v ON v.activity_id = a.id
          JOIN waterways_reach vr ON vr.id = v.reach_id
         WHERE a.id = ANY(ARRAY(""" + TEAM_ACTIVITY_IDS_SQL + """))
           AND v.visited_at < %(end_at)s
           AND """ + ACTIVITY_SCOPE_CONDITIONS + """
           AND """ + _REACH_SCOPE.format(alias="vr", reach="id") + """
         GROUP BY v.reach_id, vr.waterway_id, vr.start_m, vr.end_m"""
REACH_LAST_VISIT_TEAM_SQL = """
SELECT r.id, r.waterway_id, r.seq, r.start_m, r.end_m, last.visited_at
  FROM waterways_reach r
  LEFT JOIN (""" + _TEAM_REACH_VISITS_SQL + """) last ON last.reach_id = r.id
 WHERE """ + _REACH_SCOPE.format(alias="r", reach="id") + """
"""

# Per waterway: what was visited, from each reach's latest visit before the end, in three forms.
# Without a team, read from the rollups, where the reaches without a row were never visited and need
# not be read at all. When the period lies in the end's year and one kind is asked for (or any), a
# reach has at most one row that can fall in the period (that year's): each row counts as it stands.
def _waterway_visits(reaches_sql: str) -> str:
    """The waterway_visits CTE over `reaches_sql`: one row per reach (waterway_id, length_m, visited_at)."""
    return """
WITH waterway_visits AS (
    SELECT rv.waterway_id,
           SUM(rv.length_m) FILTER (WHERE rv.visited_at >= %(period_start)s) AS visited_m,
           COUNT(*) FILTER (WHERE rv.visited_at >= %(period_start)s) AS reaches_visited,
           MAX(rv.visited_at) AS last_visit
      FROM (""" + reaches_sql + """) rv
     GROUP BY rv.waterway_id
)"""


_WATERWAY_VISITS_ONE_ROW_SQL = _waterway_visits("""
    SELECT u.waterway_id, u.reach_length_m AS length_m, """ + rollups.LATEST_BEFORE_SQL + """ AS visited_at
      FROM patrols_reachvisityear u
     WHERE """ + rollups.ROWS_FOR_ONE_KIND_SQL + """
       AND """ + _REACH_SCOPE.format(alias="u", reach="reach_id"))
# Otherwise each reach's rows are merged first (its latest visit over the kinds and years), as they
# come in order from one branch per kind (rollups.ROWS_OF_EACH_KIND_SQL): a form per count of kinds.
def _waterway_visits_of_kinds(count: int) -> str:
    branches = "\n     UNION ALL\n".join("""
    (SELECT u.waterway_id, u.reach_id, u.reach_length_m, """ + rollups.LATEST_BEFORE_SQL + """ AS visited_at
       FROM patrols_reachvisityear u
      WHERE """ + rows + """
        AND """ + _REACH_SCOPE.format(alias="u", reach="reach_id") + """
      ORDER BY u.waterway_id, u.reach_id)""" for rows in rollups.ROWS_OF_EACH_KIND_SQL[:count])
    return _waterway_visits("""
    SELECT k.waterway_id, MIN(k.reach_length_m) AS length_m, MAX(k.visited_at) AS visited_at
      FROM (""" + branches + """) k
     GROUP BY k.waterway_id, k.reach_id
     ORDER BY k.waterway_id, k.reach_id""")


# With a team: only the reaches its activities visited (the totals come from the waterways).
_WATERWAY_VISITS_TEAM_SQL = _waterway_visits("""
    SELECT tv.waterway_id, tv.end_m - tv.start_m AS length_m, tv.visited_at
      FROM (""" + _TEAM_REACH_VISITS_SQL + """) tv""")

# Per waterway: length and reaches (the totals kept when its reaches were cut), visited length and
# reaches in [period_start, end_at), the last visit at any time before the end; the signed-in
# chief's own waterways first, then rivers before gullies. coverage_summary reads the columns by
# position, in this order.
_COVERAGE_TAIL = """
SELECT w.id, w.code, w.name, w.kind, w.reach_length_m AS length_m, COALESCE(wv.visited_m, 0) AS visited_m,
       COALESCE(wv.reaches_visited, 0) AS reaches_visited, w.reach_count AS reaches_total,
       wv.last_visit::text AS last_visit,  -- read by datetime.fromisoformat: a province's 5,000 cost ~1 ms
       COALESCE(w.id = ANY(%(own)s::bigint[]), FALSE) AS mine
  FROM waterways_waterway w
  LEFT JOIN waterway_visits wv ON wv.waterway_id = w.id
 WHERE %(waterways)s::bigint[] IS NULL OR w.id = ANY(%(waterways)s::bigint[])
 ORDER BY mine DESC, w.kind = %(river)s DESC, w.code
"""

# A waterway's line between two distances from its source, as GeoJSON in the API's SRID (6 decimals).
# Used on a row aliased `piece` joined to its waterway `w`.
PIECE_GEOJSON_SQL = """
       ST_AsGeoJSON(ST_Transform(ST_LineSubstring(w.geom, LEAST(1.0, piece.start_m / ST_Length(w.geom)),
                                                           LEAST(1.0, piece.end_m / ST_Length(w.geom))),
                                 %(api_srid)s), 6)::json AS geometry"""

# Reaches with no visit in [window_start, end_at) (none for more than `days` days, see gaps_query),
# merged into runs of consecutive reaches (gaps and islands: seq minus the row number is constant
# along a run of consecutive seqs). The map's gap tiles (reports.selectors.tiles) draw these runs.
GAP_RUNS_SQL = """,
gap AS (
    SELECT rl.*, rl.seq - ROW_NUMBER() OVER (PARTITION BY rl.waterway_id ORDER BY rl.seq) AS island
      FROM reach_last rl
     WHERE rl.visited_at IS NULL OR rl.visited_at < %(window_start)s
), run AS (
    SELECT waterway_id, MIN(start_m) AS start_m, MAX(end_m) AS end_m, SUM(end_m - start_m) AS length_m,
           COUNT(*) AS reach_count, MAX(visited_at) AS last_visit,
           %(end)s::date - (MAX(visited_at) AT TIME ZONE %(tz)s)::date AS days_since_visit
      FROM gap
     GROUP BY waterway_id, island
)"""
_GAPS_TAIL = GAP_RUNS_SQL + """
SELECT piece.waterway_id, w.code, w.name, piece.start_m, piece.end_m, piece.length_m, piece.reach_count,
       piece.last_visit, piece.days_since_visit,
""" + PIECE_GEOJSON_SQL + """
  FROM run piece
  JOIN waterways_waterway w ON w.id = piece.waterway_id
 ORDER BY piece.length_m DESC, w.code, piece.start_m
"""

# Each reach classed by the age of its latest visit (days between Beijing dates), and consecutive
# reaches of one waterway in the same class merged into one run: a few hundred features for the
# district instead of one per reach. The bounds are those of FRESHNESS_CLASSES. The map's freshness
# tiles (reports.selectors.tiles) draw these runs.
FRESHNESS_RUNS_SQL = """,
aged AS MATERIALIZED (
    SELECT rl.waterway_id, rl.seq, rl.start_m, rl.end_m,
           %(end)s::date - (rl.visited_at AT TIME ZONE %(tz)s)::date AS days
      FROM reach_last rl
), classed AS (
    SELECT aged.*,
           CASE WHEN days IS NULL THEN 'never'
                WHEN days <= 7 THEN '0-7'
                WHEN days <= 30 THEN '8-30'
                WHEN days <= 90 THEN '31-90'
                ELSE '90+' END AS class
      FROM aged
), run AS (
    SELECT waterway_id, class, MIN(days) AS days_since_visit, MIN(start_m) AS start_m, MAX(end_m) AS end_m,
           SUM(end_m - start_m) AS length_m
      FROM (SELECT classed.*,
                   seq - ROW_NUMBER() OVER (PARTITION BY waterway_id, class ORDER BY seq) AS island
              FROM classed) islands
     GROUP BY waterway_id, class, island
)"""
_FRESHNESS_TAIL = FRESHNESS_RUNS_SQL + """
SELECT piece.waterway_id, w.code, w.name, piece.class, piece.days_since_visit, piece.start_m, piece.end_m,
       piece.length_m,
""" + PIECE_GEOJSON_SQL + """
  FROM run piece
  JOIN waterways_waterway w ON w.id = piece.waterway_id
 ORDER BY w.kind = %(river)s DESC, w.code, piece.start_m
"""


def _with_reach_last(tail):
    return ("WITH reach_last AS (" + REACH_LAST_VISIT_SQL + ")" + tail,
            "WITH reach_last AS (" + REACH_LAST_VISIT_TEAM_SQL + ")" + tail)


COVERAGE_ONE_ROW_SQL = _WATERWAY_VISITS_ONE_ROW_SQL + _COVERAGE_TAIL
COVERAGE_OF_KINDS_SQL = {count: _waterway_visits_of_kinds(count) + _COVERAGE_TAIL
                         for count in range(1, len(rollups.ROWS_OF_EACH_KIND_SQL) + 1)}
COVERAGE_TEAM_SQL = _WATERWAY_VISITS_TEAM_SQL + _COVERAGE_TAIL
GAPS_SQL, GAPS_TEAM_SQL = _with_reach_last(_GAPS_TAIL)
FRESHNESS_SQL, FRESHNESS_TEAM_SQL = _with_reach_last(_FRESHNESS_TAIL)

# (class, legend label): the map's colour classes by days since the last visit, in legend order.
FRESHNESS_CLASSES = (
    ("0-7", _("7 天内")),
    ("8-30", _("8–30 天")),
    ("31-90", _("31–90 天")),
    ("90+", _("90 天以上")),
    ("never", _("从未巡查")),
)

MAX_GAP_DAYS = 3650
# The gap window the map and the API start with: no visit for more than 30 days.
DEFAULT_GAP_DAYS = 30


def read_params(filters: ReportFilters, **extra) -> dict:
    """The parameters of every statement here (and of a caller's built on reach_last_sql)."""
    params = filters.sql_params()
    params.update(rollups.read_params(kinds=filters.kinds, role=filters.role, end_at=filters.end_at))
    params.update(period_start=filters.start_at, end=filters.end, tz=settings.TIME_ZONE, reach_ids=None,
                  api_srid=settings.API_SRID, river=Waterway.Kind.RIVER.value)
    params.update(extra)
    return params


def _form(filters: ReportFilters, rollup_sql: str, team_sql: str) -> str:
    return team_sql if filters.team_id is not None else rollup_sql


def reach_last_sql(filters: ReportFilters) -> str:
    """Each reach's latest visit before the end (id, waterway_id, seq, start_m, end_m, visited_at), in the
    form these filters take; its parameters are read_params(filters)."""
    return _form(filters, REACH_LAST_VISIT_SQL, REACH_LAST_VISIT_TEAM_SQL)


# The statement and parameters each selector runs, for the benchmark to time the same SQL bare.
def coverage_query(filters: ReportFilters, *, own_ids=None) -> tuple[str, dict]:
    params = read_params(filters, own=list(own_ids or []))
    kinds = len(params["rollup_kinds"])
    if filters.team_id is not None:
        sql = COVERAGE_TEAM_SQL
    elif kinds == 1 and filters.start.year == filters.end.year:
        sql = COVERAGE_ONE_ROW_SQL
    else:
        sql = COVERAGE_OF_KINDS_SQL[kinds]
    return sql, params


def gaps_query(filters: ReportFilters, *, days: int) -> tuple[str, dict]:
    if not 1 <= days <= MAX_GAP_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_GAP_DAYS}")
    sql = _form(filters, GAPS_SQL, GAPS_TEAM_SQL)
    # In a gap: no visit for more than `days` days, counted as the freshness legend counts them (the
    # end's Beijing date minus the visit's). A visit on the day `days` days before the end is
    # `days` days old and closes the gap, so the window opens at the start of that day: a reach last
    # walked 30 days ago is "8–30 天" on the map and not in the 30-day gap list.
    return sql, read_params(filters, window_start=day_start(filters.end - timedelta(days=days)))


def freshness_query(filters: ReportFilters) -> tuple[str, dict]:
    return _form(filters, FRESHNESS_SQL, FRESHNESS_TEAM_SQL), read_params(filters)


def _rows(query):
    with connection.cursor() as cursor:
        cursor.execute(*query)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment is not None else None


def _metres(value):
    return round(float(value), 1)


def _percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else 0.0


def coverage_summary(filters: ReportFilters, *, own_ids=None) -> dict:
    """Coverage of each waterway in the period, and the total over the waterways listed.

    own_ids: the signed-in chief's waterways, listed first and marked `mine` (None for staff)."""
    # A province lists 5,000 waterways: its rows are read as tuples, in _COVERAGE_TAIL's column
    # order, in one pass (dicts and a second pass cost 3-26 ms more).
    with connection.cursor() as cursor:
        cursor.execute(*coverage_query(filters, own_ids=own_ids))
        rows = cursor.fetchall()
    zone = timezone.get_current_timezone()
    waterways, lengths, visited_lengths = [], [], []
    reaches_visited = reaches_total = 0
    latest = None
    for id_, code, name, kind, length_m, visited_m, visited_count, total_count, last_visit, mine in rows:
        if last_visit is not None:
            last_visit = datetime.fromisoformat(last_visit).astimezone(zone)
            latest = last_visit if latest is None or last_visit > latest else latest
        waterways.append({
            "id": id_,
            "code": code,
            "name": name,
            "kind": kind,
            "length_m": _metres(length_m),
            "visited_m": _metres(visited_m),
            "coverage_pct": _percent(visited_m, length_m),
            "reaches_visited": visited_count,
            "reaches_total": total_count,
            "last_visit": last_visit and last_visit.isoformat(),
            "mine": mine,
        })
        lengths.append(length_m)
        visited_lengths.append(visited_m)
        reaches_visited += visited_count
        reaches_total += total_count
    # sum() of the lengths, not a running total: from Python 3.12 sum() compensates rounding errors.
    length, visited = sum(lengths), sum(visited_lengths)
    return {
        "period": {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
        "waterways": waterways,
        "district": {
            "waterways": len(rows),
            "length_m": _metres(length),
            "visited_m": _metres(visited),
            "coverage_pct": _percent(visited, length),
            "reaches_visited": reaches_visited,
            "reaches_total": reaches_total,
            "last_visit": latest and latest.isoformat(),
        },
    }


def _feature(geometry, properties):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def gap_stretches(filters: ReportFilters, *, days: int) -> list[dict]:
    """GeoJSON features (lon/lat, settings.API_SRID) of the stretches nobody visited for more than `days` days before
    filters.end (days_since_visit > days, Beijing dates), or never, longest first."""
    return [
        _feature(row["geometry"], {
            "waterway": row["waterway_id"],
            "waterway_code": row["code"],
            "waterway_name": row["name"],
            "start_m": _metres(row["start_m"]),
            "end_m": _metres(row["end_m"]),
            "length_m": _metres(row["length_m"]),
            "reach_count": row["reach_count"],
            "last_visit": _iso(row["last_visit"]),
            "days_since_visit": row["days_since_visit"],
        })
        for row in _rows(gaps_query(filters, days=days))
    ]


def reach_freshness(filters: ReportFilters) -> dict:
    """A GeoJSON FeatureCollection (lon/lat) of the reaches by days since their last visit
    before the end of filters.end, runs of one class merged, with the legend's classes."""
    lengths = dict.fromkeys((name for name, _label in FRESHNESS_CLASSES), 0.0)
    features = []
    for row in _rows(freshness_query(filters)):
        lengths[row["class"]] += row["length_m"]
        features.append(_feature(row["geometry"], {
            "waterway": row["waterway_id"],
            "waterway_code": row["code"],
            "waterway_name": row["name"],
            "class": row["class"],
            "days_since_visit": row["days_since_visit"],
            "start_m": _metres(row["start_m"]),
            "end_m": _metres(row["end_m"]),
            "length_m": _metres(row["length_m"]),
        }))
    return {
        "type": "FeatureCollection",
        "end": filters.end.isoformat(),
        "classes": [
            {"class": name, "label": str(label), "length_m": _metres(lengths[name])}
            for name, label in FRESHNESS_CLASSES
        ],
        "features": features,
    }


def last_visits(filters: ReportFilters, reach_ids) -> dict[int, datetime | None]:
    """Each reach's latest visit before filters.end_at by an activity that passes the filters (None: never),
    for the reaches named: what a page of reaches (OGC API Features) shows beside each one."""
    ids = list(reach_ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, visited_at FROM (" + reach_last_sql(filters) + ") reach_last", read_params(filters, reach_ids=ids))
        return dict(cursor.fetchall())
