"""The activity tiles' grid, summed ahead (models.ActivityCell): what a cell is, the spans of days a
period is read in, and the check and rebuild of the rows.

A tile of activities at zoom z merges the activities of each kind lying in one cell of a grid
CELLS_PER_TILE cells to the tile's side, anchored at the Web Mercator origin (cell (cx, cy) is
centred on (cx·size, cy·size), size = WORLD_M / 2**z / CELLS_PER_TILE), into one point at their
centroid. For zooms up to MAX_LEVEL the database keeps, per cell, the count and the sum of offsets
from the cell's centre for every span of Beijing days an activity started in: its year ("y"), its
month ("m") and its day ("d"). A period of whole days is then read as whole years, whole months and
the days left over (spans()), a handful of rows per cell.

The rows are written by the database: triggers on patrols_activity call patrols_activity_cells_add()
for each inserted and deleted row and each row whose place, day, kind, status or waterway changed,
deferred to the commit (a grid row is shared by every activity under it: its lock is then taken
after the write's other locks and held for a moment). Migration 0015 defines both; a change to them
is a new migration. So every writer keeps them in step, the services, the admin, a cascade or
an SQL script alike; `manage.py check_rollups` compares them with the activities and rebuilds them."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction

# Web Mercator's world width in metres: a tile's width is this over 2**z.
WORLD_M = 40075016.685578488
# Activities are merged per kind into cells this many to a tile side (8 px on a 256 px tile), so
# a tile carries at most a few thousand points however many activities lie under it.
CELLS_PER_TILE = 32
# The zooms summed ahead (also in migration 0015's function). The map opens no lower than zoom 8 (6
# leaves room for a province's overview); above 12 a tile is a few kilometres wide and locating its
# activities one by one is fast.
MIN_LEVEL, MAX_LEVEL = 6, 12
# Activities per statement when the rows are rebuilt or checked.
BATCH = 5000


def cell_size(z: int) -> float:
    """A cell's side in Web Mercator metres at zoom z (exact: the divisions are by powers of two)."""
    return WORLD_M / 2**z / CELLS_PER_TILE


def spans(start: date, end: date) -> tuple[list[str], list[date]]:
    """The days start..end (inclusive) as whole years, whole months and single days, greedily from
    the start: (grains, first days), two lists of one length, as the read's parameters."""
    grains, firsts = [], []
    day = start
    while day <= end:
        year_end = date(day.year, 12, 31)
        month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        if day.month == 1 and day.day == 1 and year_end <= end:
            grains.append("y")
            next_day = year_end
        elif day.day == 1 and month_end <= end:
            grains.append("m")
            next_day = month_end
        else:
            grains.append("d")
            next_day = day
        firsts.append(day)
        if next_day == date.max:
            break
        day = next_day + timedelta(days=1)
    return grains, firsts


# The grid's triggers, deferred to the commit.
DEFERRED_TRIGGERS = "activity_cells_change, activity_cells_update"


def settle() -> None:
    """Inside a transaction that wrote activities, bring the grid up to its writes now (a read of it
    in the same transaction then sees them; the grid rows it touches stay locked until it ends);
    outside one there is nothing pending."""
    if connection.in_atomic_block or not connection.get_autocommit():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS " + DEFERRED_TRIGGERS + " IMMEDIATE")
            cursor.execute("SET CONSTRAINTS " + DEFERRED_TRIGGERS + " DEFERRED")


def _id_batches(cursor):
    cursor.execute("SELECT min(id), max(id) FROM patrols_activity")
    low, high = cursor.fetchone()
    if low is None:
        return []
    return [(first, first + BATCH) for first in range(low, high + 1, BATCH)]


# The rows the activities with ids in [first, after) give, from the trigger's own function.
_FRESH_ROWS_SQL = """
SELECT r.level, r.grain, r.first_day, r.cx, r.cy, r.kind, r.status, r.waterway_id, r.n, r.dx, r.dy
  FROM patrols_activity_cell_rows(ARRAY(SELECT a FROM patrols_activity a WHERE a.id >= %(first)s AND a.id < %(after)s),
                                  %(tz)s) r
"""

_KEY = "level, grain, first_day, cx, cy, kind, status, waterway_id"

# Differences between the stored rows and the fresh ones: a count, or a sum of offsets more than a
# millimetre per activity apart (the stored sums are added to and subtracted from, in another order).
_DIFFERENCES_SQL = """
WITH fresh AS (
    SELECT """ + _KEY + """, sum(n) AS n, sum(dx) AS dx, sum(dy) AS dy FROM cells_fresh GROUP BY """ + _KEY + """
)
SELECT coalesce(f.level, c.level), coalesce(f.grain, c.grain), coalesce(f.first_day, c.first_day),
       coalesce(f.cx, c.cx), coalesce(f.cy, c.cy), coalesce(f.kind, c.kind), coalesce(f.status, c.status),
       coalesce(f.waterway_id, c.waterway_id), coalesce(f.n, 0), coalesce(c.n, 0)
  FROM fresh f
  FULL JOIN patrols_activitycell c
    ON (c.level, c.grain, c.first_day, c.cx, c.cy, c.kind, c.status) = (f.level, f.grain, f.first_day, f.cx, f.cy, f.kind, f.status)
   AND c.waterway_id IS NOT DISTINCT FROM f.waterway_id
 WHERE f.n IS DISTINCT FROM c.n
    OR abs(f.dx - c.dx) > 0.001 * f.n OR abs(f.dy - c.dy) > 0.001 * f.n
 ORDER BY 1, 2, 3, 4, 5, 6, 7
"""


def _gather_fresh(cursor, progress):
    """The rows the activities give now, batch by batch, into the temporary table cells_fresh (the
    caller drops it: inside an outer transaction, a test's, ON COMMIT comes too late)."""
    cursor.execute("CREATE TEMPORARY TABLE cells_fresh ON COMMIT DROP AS " + _FRESH_ROWS_SQL + " LIMIT 0",
                   {"first": 0, "after": 0, "tz": settings.TIME_ZONE})
    for first, after in _id_batches(cursor):
        cursor.execute("INSERT INTO cells_fresh " + _FRESH_ROWS_SQL, {"first": first, "after": after, "tz": settings.TIME_ZONE})
        if progress:
            progress(1)


def differences(limit: int = 10, progress=None) -> tuple[int, list[dict]]:
    """How many stored rows differ from what the activities give now, and the first `limit` of
    them (stored n beside fresh n). `progress(batches)` is told each batch."""
    settle()
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for every batch, without holding writers off: a commit's activities and
            # its grid rows land together, so a snapshot sees both or neither.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        _gather_fresh(cursor, progress)
        cursor.execute(_DIFFERENCES_SQL)
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE cells_fresh")
    names = ("level", "grain", "first_day", "cx", "cy", "kind", "status", "waterway_id", "fresh", "stored")
    return len(rows), [dict(zip(names, row)) for row in rows[:limit]]


def batch_count() -> int:
    with connection.cursor() as cursor:
        return len(_id_batches(cursor))


# Fresh rows gathered per batch, then summed into the table at once (upserting batch after batch would
# rewrite the shared low-zoom rows hundreds of times).
_SUM_FRESH_SQL = ("INSERT INTO patrols_activitycell (" + _KEY + ", n, dx, dy) SELECT " + _KEY
                  + ", sum(n), sum(dx), sum(dy) FROM cells_fresh GROUP BY " + _KEY + " ORDER BY " + _KEY)


def rebuild(progress=None) -> int:
    """Every row anew from the activities, in one transaction (writers wait on the table lock, so
    none is counted twice or missed). Returns the rows written."""
    settle()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE patrols_activity IN SHARE MODE")
        cursor.execute("DELETE FROM patrols_activitycell")
        _gather_fresh(cursor, progress)
        cursor.execute(_SUM_FRESH_SQL)
        written = cursor.rowcount
        cursor.execute("DROP TABLE cells_fresh")
        return written
