"""The tracks as the tiles of tracks draw them at zooms 9-12 (models.TrackBand): which zooms, and
the check and rebuild of the rows.

A tile of tracks simplifies each track to half a pixel of its zoom and turns it into Web Mercator.
At zooms 9-12 a tile holds a province's tracks by the thousand, so that is done ahead, once per
track and zoom, by triggers on patrols_activity (migration 0015's SQL, the functions as 0018 left
them: patrols_track_bands_add() for inserted tracks; a row's bands drawn again when its track
changes, what the tile filters on copied onto them when that changes; dropped with it, all of them
on a TRUNCATE). The tile then only clips and encodes (reports.selectors.tiles)."""

from __future__ import annotations

from django.db import connection, transaction

from .cells import WORLD_M

# Also in migration 0018's function. Tiles below are empty (reports.selectors.tiles.TRACK_MIN_ZOOM);
# above, a tile holds few tracks and is drawn from the activities directly.
ZOOMS = (9, 10, 11, 12)
BATCH = 2000  # activities per statement when the rows are rebuilt or checked


def tolerance(z: int) -> float:
    """Half a pixel of a 256-pixel tile at zoom z, in metres: the simplification of a track drawn there."""
    return WORLD_M / 2**z / 256 / 2


def _batches(cursor):
    cursor.execute("SELECT min(id), max(id) FROM patrols_activity WHERE track IS NOT NULL")
    low, high = cursor.fetchone()
    return [] if low is None else [(first, first + BATCH) for first in range(low, high + 1, BATCH)]


def batch_count() -> int:
    with connection.cursor() as cursor:
        return len(_batches(cursor))


_IN_BATCH = " WHERE activity_id >= %(first)s AND activity_id < %(after)s"
# A batch's rows as stored, the geometry as bytes (compared exactly).
STORED_BATCH_SQL = ("SELECT activity_id, zoom, ST_AsEWKB(geom) AS geom, kind, status, started_at, waterway_id,"
                    " submitted_by_id FROM patrols_trackband" + _IN_BATCH)
DELETE_BATCH_SQL = "DELETE FROM patrols_trackband" + _IN_BATCH
ADD_BATCH_SQL = """
SELECT patrols_track_bands_add(ARRAY(SELECT a.id FROM patrols_activity a
                                      WHERE a.id >= %(first)s AND a.id < %(after)s AND a.track IS NOT NULL))
"""
# Rows in one and not the other, both ways (the geometry compared exactly: the function computes it
# again the same way).
COMPARE_SQL = """
SELECT (SELECT count(*) FROM ((SELECT * FROM bands_stored) EXCEPT ALL (""" + STORED_BATCH_SQL + """)) extra)
     + (SELECT count(*) FROM ((""" + STORED_BATCH_SQL + """) EXCEPT ALL (SELECT * FROM bands_stored)) missing)
"""
# Rows of activities that are gone or have no track any more (no batch holds them).
ORPHANS_SQL = """
SELECT count(*) FROM patrols_trackband b
 WHERE NOT EXISTS (SELECT 1 FROM patrols_activity a WHERE a.id = b.activity_id AND a.track IS NOT NULL)
"""


def differences(progress=None) -> int:
    """How many rows differ from what the activities give now (missing, extra or changed): each batch
    written again by the trigger's function inside a savepoint, compared, and rolled back. Each
    batch holds writers off for its own moment only (a track changed between the copy and the
    writing again would read as a difference)."""
    differing = 0
    with connection.cursor() as cursor:
        batches = _batches(cursor)
    for first, after in batches:
        params = {"first": first, "after": after}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE patrols_activity IN SHARE MODE")
            cursor.execute("CREATE TEMPORARY TABLE bands_stored ON COMMIT DROP AS " + STORED_BATCH_SQL, params)
            cursor.execute("SAVEPOINT bands_check")
            cursor.execute(DELETE_BATCH_SQL, params)
            cursor.execute(ADD_BATCH_SQL, params)
            cursor.execute(COMPARE_SQL, params)
            differing += cursor.fetchone()[0]
            cursor.execute("ROLLBACK TO SAVEPOINT bands_check")
            cursor.execute("DROP TABLE bands_stored")  # at once: inside a test's transaction no commit comes
        if progress:
            progress(1)
    with connection.cursor() as cursor:
        cursor.execute(ORPHANS_SQL)
        differing += cursor.fetchone()[0]
    return differing


def rebuild(progress=None) -> int:
    """Every row anew from the activities, in one transaction. Returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE patrols_activity IN SHARE MODE")
        cursor.execute("DELETE FROM patrols_trackband")
        for first, after in _batches(cursor):
            cursor.execute(ADD_BATCH_SQL, {"first": first, "after": after})
            if progress:
                progress(1)
        cursor.execute("SELECT count(*) FROM patrols_trackband")
        return cursor.fetchone()[0]
