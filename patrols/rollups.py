"""The reach visits rolled up per reach, year, kind and role (models.ReachVisitYear): the SQL that
derives the rows from the visits, and the form a read takes of them.

A row holds, for one reach and one Beijing year, the last moment of each day on which an activity
that counts (patrols.scopes.COUNTED_SQL: not rejected) visited it, ascending; one row per kind of
those activities and per role someone taking part had on their service record (as
scopes.took_part_as_q reads it), plus rows for any kind ('') and anyone (''). The latest visit before
a moment T in year Y is then the array's element found by width_bucket (a binary search), or, for an
earlier year's row, its last element: what coverage, gaps and freshness need, one short array per
reach and year instead of every visit. A team is not a key: who is in a team changes after the
fact, so the team filter reads the visits (reports.selectors.coverage).

A newly recorded activity's visits are merged into the rows (add_activities: an upsert, so a save
costs the same however often its reaches were walked before). Every other write that changes what a
row holds refreshes the rows of the (reach, year) pairs it touches, re-reading their visits,
inside the writer's transaction (patrols.services: a rejection, an overturn, reaches re-cut; and
patrols.receivers after any deletion of an activity or a service record, whoever deletes it);
`manage.py check_rollups` compares every row with the visits."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import scopes
from .models import Activity, ReachVisitYear

# The rows for the visits in `scoped` (a CTE the statement defines first: reach_id, activity_id,
# visited_at). Visits of one day collapse to its last moment: a read asks "before T" only for T at
# the start of a Beijing day, where the day's last visit answers for the whole day.
ROWS_FROM_SCOPED_VISITS_SQL = """
, counted AS (
    SELECT v.reach_id, r.waterway_id, r.end_m - r.start_m AS reach_length_m, v.visited_at, a.id AS activity_id, a.kind,
           EXTRACT(year FROM v.visited_at AT TIME ZONE %(tz)s)::smallint AS year,
           (v.visited_at AT TIME ZONE %(tz)s)::date AS day
      FROM scoped v
      JOIN patrols_activity a ON a.id = v.activity_id
      JOIN waterways_reach r ON r.id = v.reach_id
     WHERE """ + scopes.COUNTED_SQL + """
), keyed AS (
    SELECT c.reach_id, c.waterway_id, c.reach_length_m, c.year, k.kind, p.role, c.day,
           MAX(c.visited_at) AS last_at, COUNT(*) AS visits
      FROM counted c
     CROSS JOIN LATERAL (VALUES (%(any)s), (c.kind)) AS k(kind)
     CROSS JOIN LATERAL (SELECT %(any)s
                         UNION
                         SELECT s.role FROM patrols_servicerecord s WHERE s.activity_id = c.activity_id) AS p(role)
     GROUP BY c.reach_id, c.waterway_id, c.reach_length_m, c.year, k.kind, p.role, c.day
)
SELECT reach_id, waterway_id, reach_length_m, year, kind, role, array_agg(last_at ORDER BY last_at) AS day_last,
       SUM(visits)::integer AS visits
  FROM keyed
 GROUP BY reach_id, waterway_id, reach_length_m, year, kind, role
"""

_INSERT = "INSERT INTO patrols_reachvisityear (reach_id, waterway_id, reach_length_m, year, kind, role, day_last, visits) "

# The (reach, year) pairs of some activities' visits.
KEYS_OF_ACTIVITIES_SQL = """
SELECT DISTINCT v.reach_id, EXTRACT(year FROM v.visited_at AT TIME ZONE %(tz)s)::smallint
  FROM patrols_reachvisit v
 WHERE v.activity_id = ANY(%(activities)s::bigint[])
"""

# Replace the rows of the pairs (%(reaches)s[i], %(years)s[i]) with what their visits give now.
_PAIRS = """
    SELECT DISTINCT * FROM unnest(%(reaches)s::bigint[], %(years)s::smallint[]) AS pair(reach_id, year)
"""
DELETE_PAIRS_SQL = """
DELETE FROM patrols_reachvisityear u
 USING (""" + _PAIRS + """) pair
 WHERE u.reach_id = pair.reach_id AND u.year = pair.year
"""
REFRESH_PAIRS_SQL = "WITH pair AS (" + _PAIRS + """), scoped AS (
    SELECT v.reach_id, v.activity_id, v.visited_at
      FROM pair
      JOIN patrols_reachvisit v ON v.reach_id = pair.reach_id
     WHERE v.visited_at >= make_timestamptz(pair.year, 1, 1, 0, 0, 0, %(tz)s)
       AND v.visited_at < make_timestamptz(pair.year + 1, 1, 1, 0, 0, 0, %(tz)s)
)""" + ROWS_FROM_SCOPED_VISITS_SQL

# A new activity's visits added to the rows (the visits are new, so nothing of theirs is counted yet):
# its own rows, as the visits give them, merged into those there. A day already in a row keeps the
# later of its two last moments; visits add up. Exact for an activity that is recorded, not for a
# change to one already counted (a rejection, a removed participant: refresh_pairs).
ADD_ACTIVITIES_SQL = """
WITH scoped AS (
    SELECT v.reach_id, v.activity_id, v.visited_at
      FROM patrols_reachvisit v
     WHERE v.activity_id = ANY(%(activities)s::bigint[])
)""" + ROWS_FROM_SCOPED_VISITS_SQL + """
ORDER BY reach_id, year, kind, role
ON CONFLICT (reach_id, year, kind, role) DO UPDATE
   SET day_last = (SELECT array_agg(last_at ORDER BY last_at)
                     FROM (SELECT MAX(t) AS last_at
                             FROM unnest(patrols_reachvisityear.day_last || EXCLUDED.day_last) AS t
                            GROUP BY (t AT TIME ZONE %(tz)s)::date) AS days),
       visits = patrols_reachvisityear.visits + EXCLUDED.visits
"""

# Every row of some waterways' reaches (all of them: NULL), from scratch.
DELETE_WATERWAYS_SQL = """
DELETE FROM patrols_reachvisityear
 WHERE %(waterways)s::bigint[] IS NULL OR waterway_id = ANY(%(waterways)s::bigint[])
"""
REBUILD_WATERWAYS_SQL = """
WITH scoped AS (
    SELECT v.reach_id, v.activity_id, v.visited_at
      FROM patrols_reachvisit v
      JOIN waterways_reach r ON r.id = v.reach_id
     WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
)""" + ROWS_FROM_SCOPED_VISITS_SQL

# Rows that differ between the table and the visits, both ways, for some waterways' reaches (check_rollups).
_STORED = """
SELECT reach_id, waterway_id, reach_length_m, year, kind, role, day_last, visits FROM patrols_reachvisityear
 WHERE %(waterways)s::bigint[] IS NULL OR waterway_id = ANY(%(waterways)s::bigint[])
"""
DIFFERENCES_SQL = """
SELECT 'missing' AS side, * FROM ((""" + REBUILD_WATERWAYS_SQL + ") EXCEPT (" + _STORED + """)) missing
UNION ALL
SELECT 'extra' AS side, * FROM ((""" + _STORED + ") EXCEPT (" + REBUILD_WATERWAYS_SQL + """)) extra
"""


# --- The read: each reach's latest visit before a moment ----------------------------------------------

# One value per row: its reach's latest visit before %(last_moment)s's end, in %(end_year)s or earlier
# (rows of later years are left out by the caller's WHERE). width_bucket gives how many of the sorted
# moments are at or below its first argument, so the element at that index is the latest of them
# (index 0: none, which reads as NULL).
LATEST_BEFORE_SQL = """
CASE WHEN u.year < %(end_year)s THEN u.day_last[cardinality(u.day_last)]
     ELSE u.day_last[width_bucket(%(last_moment)s::timestamptz, u.day_last)] END"""

# The rows a read takes: of the years up to the end's, for the kinds chosen (any: ''), and the role
# chosen (anyone: ''). With one kind (or any), equality: the index then yields them in its order.
ROWS_FOR_FILTERS_SQL = """
u.year <= %(end_year)s AND u.kind = ANY(%(rollup_kinds)s::text[]) AND u.role = %(rollup_role)s"""
# The same, one kind apart from the others: ROWS_OF_EACH_KIND_SQL[i] takes the i-th kind asked for.
# A read that merges each reach's rows over several kinds reads each kind on its own, in the index's
# order (waterway, reach), so PostgreSQL merges them as they come (Merge Append); `kind = ANY(...)`
# yields them kind after kind and they were sorted again (a province's 180,000 rows spilled to disk).
ROWS_OF_EACH_KIND_SQL = tuple("""
u.year <= %(end_year)s AND u.kind = %(rollup_kind_""" + str(i) + """)s AND u.role = %(rollup_role)s"""
    for i in range(len(Activity.Kind)))
# The rows of one kind (or any), when only one is asked for.
ROWS_FOR_ONE_KIND_SQL = ROWS_OF_EACH_KIND_SQL[0]


def read_params(*, kinds, role, end_at) -> dict:
    """The parameters of LATEST_BEFORE_SQL and the ROWS_… forms for visits before end_at (the start of a
    Beijing day) by activities of `kinds` (None: any) with someone of `role` (None: anyone)."""
    last_moment = end_at - timedelta(microseconds=1)
    rollup_kinds = sorted(set(kinds)) if kinds is not None else [ReachVisitYear.ANY]
    if not rollup_kinds or len(rollup_kinds) > len(ROWS_OF_EACH_KIND_SQL):
        raise ValueError("kinds: None for any, else one to %d of them" % len(ROWS_OF_EACH_KIND_SQL))
    return {
        "end_year": timezone.localtime(last_moment).year,
        "last_moment": last_moment,
        "rollup_kinds": rollup_kinds,
        **{"rollup_kind_" + str(i): kind for i, kind in enumerate(rollup_kinds)},
        "rollup_role": role if role is not None else ReachVisitYear.ANY,
    }


def _params(**extra) -> dict:
    return {**scopes.counted_sql_params(), "tz": settings.TIME_ZONE, "any": ReachVisitYear.ANY, **extra}


def keys_of_activities(activity_ids) -> list[tuple[int, int]]:
    """The (reach, year) pairs the visits of these activities fall in."""
    with connection.cursor() as cursor:
        cursor.execute(KEYS_OF_ACTIVITIES_SQL, _params(activities=list(activity_ids)))
        return cursor.fetchall()


# Two writers refreshing one reach at once would both delete its rows and both insert them (the second
# insert then breaks the unique key): each takes its reaches' locks first, in id order, so they take
# turns per reach and never wait on each other in a circle. A rebuild takes the whole table.
LOCK_NAMESPACE = 4_546_200
LOCK_REACHES_SQL = """
SELECT pg_advisory_xact_lock(%(namespace)s, reach::integer)
  FROM unnest(%(reaches)s::bigint[]) AS reach
"""
LOCK_TABLE_SQL = "LOCK TABLE patrols_reachvisityear IN SHARE ROW EXCLUSIVE MODE"


def refresh_pairs(pairs) -> None:
    """Make the rows of these (reach, year) pairs what their visits give now."""
    pairs = list(pairs)
    if not pairs:
        return
    params = _params(reaches=[reach for reach, _year in pairs], years=[year for _reach, year in pairs])
    with connection.cursor() as cursor:
        cursor.execute(LOCK_REACHES_SQL, {"namespace": LOCK_NAMESPACE,
                                          "reaches": sorted({reach for reach, _year in pairs})})
        cursor.execute(DELETE_PAIRS_SQL, params)
        cursor.execute(_INSERT + REFRESH_PAIRS_SQL, params)


def add_activities(activity_ids) -> None:
    """Add the visits of newly recorded activities to the rows (ADD_ACTIVITIES_SQL), under the same
    per-reach locks as refresh_pairs."""
    activity_ids = list(activity_ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT reach_id FROM patrols_reachvisit WHERE activity_id = ANY(%s::bigint[])",
                       [activity_ids])
        reaches = sorted(reach for (reach,) in cursor.fetchall())
        if not reaches:
            return
        cursor.execute(LOCK_REACHES_SQL, {"namespace": LOCK_NAMESPACE, "reaches": reaches})
        cursor.execute(_INSERT + ADD_ACTIVITIES_SQL, _params(activities=activity_ids))


def rebuild(waterway_ids=None) -> int:
    """Rebuild every row of these waterways' reaches (None: all). Returns the rows written."""
    params = _params(waterways=list(waterway_ids) if waterway_ids is not None else None)
    with connection.cursor() as cursor:
        cursor.execute(LOCK_TABLE_SQL)
        cursor.execute(DELETE_WATERWAYS_SQL, params)
        cursor.execute(_INSERT + REBUILD_WATERWAYS_SQL, params)
        return cursor.rowcount


def differences(waterway_ids=None, limit=20) -> tuple[int, list[dict]]:
    """How many rows of these waterways' reaches (None: all) differ from what the visits give (missing or
    extra, counted both ways), and the first few."""
    params = _params(waterways=list(waterway_ids) if waterway_ids is not None else None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM (" + DIFFERENCES_SQL + ") d ORDER BY reach_id, year, kind, role, side", params)
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    return len(rows), [dict(zip(columns, row)) for row in rows[:limit]]
