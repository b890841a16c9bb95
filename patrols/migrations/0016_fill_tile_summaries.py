from django.conf import settings
from django.db import migrations

BATCH = 5000  # activities per statement


def fill_from_activities(apps, schema_editor):
    # With the functions 0015 defined, as the triggers add rows (check_rollups compares and mends).
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM patrols_activity")
        low, high = cursor.fetchone()
        if low is None:
            return
        for first in range(low, high + 1, BATCH):
            cursor.execute("SELECT patrols_activity_cells_add(ARRAY(SELECT a FROM patrols_activity a"
                           " WHERE a.id >= %s AND a.id < %s), 1, %s)", [first, first + BATCH, settings.TIME_ZONE])
            cursor.execute("SELECT patrols_track_bands_add(ARRAY(SELECT a FROM patrols_activity a"
                           " WHERE a.id >= %s AND a.id < %s AND a.track IS NOT NULL))", [first, first + BATCH])


class Migration(migrations.Migration):
    dependencies = [("patrols", "0015_tile_summaries")]
    operations = [migrations.RunPython(fill_from_activities, migrations.RunPython.noop)]
