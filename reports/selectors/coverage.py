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
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riverwatch.dates import day_start
from waterways.models import Waterway

from ..filters import FILTERED_ACTIVITIES_SQL, ReportFilters

# A visit's own time decides which period it belongs to, so the activity filter looks at all of
# history before the end (the shared filter's period bound on started_at is opened up with this).
ALL_HISTORY = datetime(1, 1, 1, tzinfo=dt_timezone.utc)

# Each reach looked at, with its latest visit before %(end_at)s by a filtered activity, in two
# shapes. When every activity counts but the rejected: one backward probe of the (reach, visited_at)
# index per reach, stopped at the first visit not rejected, so the cost follows the number of
# reaches, not the years of visits behind them.
REACH_LAST_VISIT_SQL = """
SELECT r.id, r.waterway_id, r.seq, r.start_m, r.end_m, last.visited_at
  FROM waterways_reach r
  LEFT JOIN LATERAL (
        SELECT v.visited_at
          FROM patrols_reachvisit v
          JOIN (""" + FILTERED_ACTIVITIES_SQL + """) fa ON fa.id = v.activity_id
         WHERE v.reach_id = r.id AND v.visited_at < %(end_at)s
         ORDER BY v.visited_at DESC
         LIMIT 1) last ON TRUE
 WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
"""

# When kind, role or team narrow the activities, that probe would walk past every visit of each
# reach the chosen people never walked (48 s instead of 3 s for a team over 500k reaches and 5M
# visits): start from the visits of the activities that pass instead, and keep each reach's latest.
REACH_LAST_VISIT_NARROWED_SQL = """
SELECT r.id, r.waterway_id, r.seq, r.start_m, r.end_m, last.visited_at
  FROM waterways_reach r
  LEFT JOIN (
        SELECT v.reach_id, MAX(v.visited_at) AS visited_at
          FROM patrols_reachvisit v
          JOIN waterways_reach vr ON vr.id = v.reach_id
          JOIN (""" + FILTERED_ACTIVITIES_SQL + """) fa ON fa.id = v.activity_id
         WHERE v.visited_at < %(end_at)s
           AND (%(waterways)s::bigint[] IS NULL OR vr.waterway_id = ANY(%(waterways)s::bigint[]))
         GROUP BY v.reach_id) last ON last.reach_id = r.id
 WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
"""

# Per waterway: length, visited length in [period_start, end_at), reaches, last visit at any time
# before the end; the signed-in chief's own waterways first, then rivers before gullies.
_COVERAGE_TAIL = """
SELECT w.id, w.code, w.name, w.kind,
       COALESCE(SUM(rl.end_m - rl.start_m), 0) AS length_m,
       COALESCE(SUM(rl.end_m - rl.start_m) FILTER (WHERE rl.visited_at >= %(period_start)s), 0) AS visited_m,
       COUNT(rl.id) FILTER (WHERE rl.visited_at >= %(period_start)s) AS reaches_visited,
       COUNT(rl.id) AS reaches_total,
       MAX(rl.visited_at) AS last_visit,
       COALESCE(w.id = ANY(%(own)s::bigint[]), FALSE) AS mine
  FROM waterways_waterway w
  LEFT JOIN reach_last rl ON rl.waterway_id = w.id
 WHERE %(waterways)s::bigint[] IS NULL OR w.id = ANY(%(waterways)s::bigint[])
 GROUP BY w.id
 ORDER BY mine DESC, w.kind = %(river)s DESC, w.code
"""

# A waterway's line between two distances from its source, as GeoJSON in the API's SRID (6 decimals).
# Used on a row aliased `piece` joined to its waterway `w`.
PIECE_GEOJSON_SQL = """
       ST_AsGeoJSON(ST_Transform(ST_LineSubstring(w.geom, LEAST(1.0, piece.start_m / ST_Length(w.geom)),
                                                           LEAST(1.0, piece.end_m / ST_Length(w.geom))),
                                 %(api_srid)s), 6)::json AS geometry"""

# Reaches with no visit in [window_start, end_at) (none for more than `days` days, see gaps_query),
# merged into stretches of consecutive reaches
# (gaps and islands: seq minus the row number is constant along a run of consecutive seqs).
_GAPS_TAIL = """,
gap AS (
    SELECT rl.*, rl.seq - ROW_NUMBER() OVER (PARTITION BY rl.waterway_id ORDER BY rl.seq) AS island
      FROM reach_last rl
     WHERE rl.visited_at IS NULL OR rl.visited_at < %(window_start)s
), stretch AS (
    SELECT waterway_id, MIN(start_m) AS start_m, MAX(end_m) AS end_m, SUM(end_m - start_m) AS length_m,
           COUNT(*) AS reach_count, MAX(visited_at) AS last_visit
      FROM gap
     GROUP BY waterway_id, island
)
SELECT piece.waterway_id, w.code, w.name, piece.start_m, piece.end_m, piece.length_m, piece.reach_count,
       piece.last_visit, %(end)s::date - (piece.last_visit AT TIME ZONE %(tz)s)::date AS days_since_visit,
""" + PIECE_GEOJSON_SQL + """
  FROM stretch piece
  JOIN waterways_waterway w ON w.id = piece.waterway_id
 ORDER BY piece.length_m DESC, w.code, piece.start_m
"""

# Each reach classed by the age of its latest visit (days between Beijing dates), and consecutive
# reaches of one waterway in the same class merged into one line: a few hundred features for the
# district instead of one per reach. The bounds are those of FRESHNESS_CLASSES.
_FRESHNESS_TAIL = """,
aged AS (
    SELECT rl.*, %(end)s::date - (rl.visited_at AT TIME ZONE %(tz)s)::date AS days
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
)
SELECT piece.waterway_id, w.code, w.name, piece.class, piece.days_since_visit, piece.start_m, piece.end_m,
       piece.length_m,
""" + PIECE_GEOJSON_SQL + """
  FROM run piece
  JOIN waterways_waterway w ON w.id = piece.waterway_id
 ORDER BY w.kind = %(river)s DESC, w.code, piece.start_m
"""

COVERAGE_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_SQL + ")" + _COVERAGE_TAIL
COVERAGE_NARROWED_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_NARROWED_SQL + ")" + _COVERAGE_TAIL
GAPS_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_SQL + ")" + _GAPS_TAIL
GAPS_NARROWED_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_NARROWED_SQL + ")" + _GAPS_TAIL
FRESHNESS_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_SQL + ")" + _FRESHNESS_TAIL
FRESHNESS_NARROWED_SQL = "WITH reach_last AS (" + REACH_LAST_VISIT_NARROWED_SQL + ")" + _FRESHNESS_TAIL

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


def _params(filters: ReportFilters, **extra) -> dict:
    params = filters.sql_params()
    params.update(start_at=ALL_HISTORY, period_start=filters.start_at, end=filters.end, tz=settings.TIME_ZONE,
                  api_srid=settings.API_SRID, river=Waterway.Kind.RIVER.value)
    params.update(extra)
    return params


# The statement and parameters each selector runs, for the benchmark to time the same SQL bare.
def coverage_query(filters: ReportFilters, *, own_ids=None) -> tuple[str, dict]:
    sql = COVERAGE_NARROWED_SQL if filters.narrows_activities else COVERAGE_SQL
    return sql, _params(filters, own=list(own_ids or []))


def gaps_query(filters: ReportFilters, *, days: int) -> tuple[str, dict]:
    if not 1 <= days <= MAX_GAP_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_GAP_DAYS}")
    sql = GAPS_NARROWED_SQL if filters.narrows_activities else GAPS_SQL
    # In a gap: no visit for more than `days` days, counted as the freshness legend counts them (the
    # end's Beijing date minus the visit's). A visit on the day `days` days before the end is
    # `days` days old and closes the gap, so the window opens at the start of that day: a reach last
    # walked 30 days ago is "8–30 天" on the map and not in the 30-day gap list.
    return sql, _params(filters, window_start=day_start(filters.end - timedelta(days=days)))


def freshness_query(filters: ReportFilters) -> tuple[str, dict]:
    return (FRESHNESS_NARROWED_SQL if filters.narrows_activities else FRESHNESS_SQL), _params(filters)


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
    rows = _rows(coverage_query(filters, own_ids=own_ids))
    waterways = [
        {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "kind": row["kind"],
            "length_m": _metres(row["length_m"]),
            "visited_m": _metres(row["visited_m"]),
            "coverage_pct": _percent(row["visited_m"], row["length_m"]),
            "reaches_visited": row["reaches_visited"],
            "reaches_total": row["reaches_total"],
            "last_visit": _iso(row["last_visit"]),
            "mine": row["mine"],
        }
        for row in rows
    ]
    length = sum(row["length_m"] for row in rows)
    visited = sum(row["visited_m"] for row in rows)
    last_visits = [row["last_visit"] for row in rows if row["last_visit"] is not None]
    return {
        "period": {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
        "waterways": waterways,
        "district": {
            "waterways": len(rows),
            "length_m": _metres(length),
            "visited_m": _metres(visited),
            "coverage_pct": _percent(visited, length),
            "reaches_visited": sum(row["reaches_visited"] for row in rows),
            "reaches_total": sum(row["reaches_total"] for row in rows),
            "last_visit": _iso(max(last_visits)) if last_visits else None,
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
