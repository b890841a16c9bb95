"""The tracks simplified per zoom (patrols.TrackBand) without the distance, and a change that leaves the
track as it was copied onto its bands instead of drawing them again.

The tiles of tracks carry an activity's id and kind only (reports.selectors.tiles), so the bands keep
no distance. A new patrol is inserted and then updated with the waterway it snapped to: each of
those drew its four bands before, now the update copies one column. The SQL is frozen here, as in
0015, which it replaces for the bands (the grid's functions stay 0015's)."""

from importlib import import_module

from django.db import migrations, models

TRACK_BANDS_SQL = """
CREATE OR REPLACE FUNCTION patrols_track_bands_add(activity_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO patrols_trackband (activity_id, zoom, geom, kind, status, started_at, waterway_id, submitted_by_id)
    SELECT a.id, z.zoom,
           ST_Multi(ST_Transform(ST_Simplify(a.track, 40075016.685578488::double precision / power(2::double precision, z.zoom) / 256 / 2), 3857)),
           a.kind, a.status, a.started_at, a.waterway_id, a.submitted_by_id
      FROM patrols_activity a CROSS JOIN generate_series(9, 12) AS z(zoom)
     WHERE a.id = ANY(activity_ids) AND a.track IS NOT NULL
     ORDER BY a.id, z.zoom;
$$;
-- A new track is drawn again; otherwise only the columns the tile filters on are copied.
CREATE OR REPLACE FUNCTION patrols_track_bands_follow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF ST_AsEWKB(OLD.track) IS DISTINCT FROM ST_AsEWKB(NEW.track) THEN
        DELETE FROM patrols_trackband WHERE activity_id = NEW.id;
        PERFORM patrols_track_bands_add(ARRAY[NEW.id]);
    ELSE
        UPDATE patrols_trackband
           SET kind = NEW.kind, status = NEW.status, started_at = NEW.started_at, waterway_id = NEW.waterway_id,
               submitted_by_id = NEW.submitted_by_id
         WHERE activity_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER track_bands_update ON patrols_activity;
CREATE TRIGGER track_bands_update
    AFTER UPDATE OF track, kind, status, started_at, waterway_id, submitted_by_id ON patrols_activity
    FOR EACH ROW
    WHEN ((OLD.kind, OLD.status, OLD.started_at, OLD.waterway_id, OLD.submitted_by_id)
          IS DISTINCT FROM (NEW.kind, NEW.status, NEW.started_at, NEW.waterway_id, NEW.submitted_by_id)
          OR ST_AsEWKB(OLD.track) IS DISTINCT FROM ST_AsEWKB(NEW.track))
    EXECUTE FUNCTION patrols_track_bands_follow_row();
"""

# Back to 0015's functions and triggers (its own SQL, run again), the distance copied again from
# the activities.
_0015 = import_module("patrols.migrations.0015_tile_summaries")
TRACK_BANDS_0015_SQL = """
DROP TRIGGER track_bands_insert ON patrols_activity;
DROP TRIGGER track_bands_delete ON patrols_activity;
DROP TRIGGER track_bands_update ON patrols_activity;
""" + _0015.TRACK_BANDS_FUNCTION_SQL + _0015.TRACK_BANDS_TRIGGERS_SQL + """
UPDATE patrols_trackband b SET distance_m = a.distance_m FROM patrols_activity a WHERE a.id = b.activity_id;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('patrols', '0017_track_band_indexes_per_zoom'),
    ]

    operations = [
        # A default first, so that going back can add the column to bands that exist (the reverse SQL,
        # run after it, fills in each activity's distance).
        migrations.AlterField(
            model_name='trackband',
            name='distance_m',
            field=models.FloatField(default=0),
        ),
        migrations.RunSQL(TRACK_BANDS_SQL, TRACK_BANDS_0015_SQL),
        migrations.RemoveField(
            model_name='trackband',
            name='distance_m',
        ),
    ]
