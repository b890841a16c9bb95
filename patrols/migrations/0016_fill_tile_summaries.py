from django.conf import settings
from django.db import migrations

BATCH = 5000  # activities per statement
KEY = "level, grain, first_day, cx, cy, kind, status, waterway_id"
SUM_FILL_SQL = ("INSERT INTO patrols_activitycell (" + KEY + ", n, dx, dy) SELECT " + KEY
                + ", sum(n), sum(dx), sum(dy) FROM cells_fill GROUP BY " + KEY + " ORDER BY " + KEY)


def fill_from_activities(apps, schema_editor):
    # With the functions 0015 defined, as the triggers add rows (check_rollups compares and mends).
    # Anew, under a lock that holds writers off: rows the triggers wrote since 0015 (or a fill run
    # before) are replaced, not counted twice.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE patrols_activity IN SHARE MODE")
        cursor.execute("DELETE FROM patrols_activitycell")
        cursor.execute("DELETE FROM patrols_trackband")
        cursor.execute("SELECT min(id), max(id) FROM patrols_activity")
        low, high = cursor.fetchone()
        if low is None:
            return
        # The grid's rows of each batch gathered first and summed once at the end: upserting batch after
        # batch would rewrite the shared rows (a year's, at low zoom) hundreds of times.
        cursor.execute("CREATE TEMPORARY TABLE cells_fill AS SELECT * FROM patrols_activity_cell_rows('{}'::patrols_activity[], 'UTC')")
        for first in range(low, high + 1, BATCH):
            cursor.execute("INSERT INTO cells_fill SELECT * FROM patrols_activity_cell_rows(ARRAY(SELECT a FROM"
                           " patrols_activity a WHERE a.id >= %s AND a.id < %s), %s)",
                           [first, first + BATCH, settings.TIME_ZONE])
            cursor.execute("SELECT patrols_track_bands_add(ARRAY(SELECT a.id FROM patrols_activity a"
                           " WHERE a.id >= %s AND a.id < %s AND a.track IS NOT NULL))", [first, first + BATCH])
        cursor.execute(SUM_FILL_SQL)
        cursor.execute("DROP TABLE cells_fill")


def empty(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM patrols_activitycell")
        cursor.execute("DELETE FROM patrols_trackband")


class Migration(migrations.Migration):
    dependencies = [("patrols", "0015_tile_summaries")]
    operations = [migrations.RunPython(fill_from_activities, empty)]
