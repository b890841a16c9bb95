"""What the map's tiles read, made ahead and kept by triggers on patrols_activity: the activity tiles'
grid summed ahead (patrols.ActivityCell, patrols.cells) and the tracks simplified per zoom
(patrols.TrackBand, patrols.track_bands). 0016 fills them, in a transaction of its own.

The SQL is frozen here, as a migration's state is: the function that turns activities into grid
rows, the one that adds them (or takes them away), the function that simplifies tracks per zoom,
and the triggers that call them (and empty both tables when patrols_activity is truncated). The grid
(levels 6..12, 32 cells to a tile's side, anchored at the Web Mercator origin) is patrols.cells';
the grid trigger's argument is the time zone whose days the spans count (settings.TIME_ZONE when
migrated). A change to any of it is a new migration; `manage.py check_rollups` compares the rows
with the activities.

For later migrations: a column named in the triggers (kind, status, waterway, started_at, point,
track) cannot change type while they exist (drop and create them around it), and a migration that
updates those columns and then alters patrols_activity in one transaction meets PostgreSQL's
"pending trigger events" (SET CONSTRAINTS ALL IMMEDIATE first). A bulk load is faster with the
triggers off (ALTER TABLE patrols_activity DISABLE TRIGGER USER) and `check_rollups --rebuild` after,
as benchmarks/province_scale.py does."""

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from psycopg import sql

# An activity's spot is its point, else a point on its track (as the tiles' raw statement places it).
# Per level its cell is round(x / size) (ST_SnapToGrid's rounding), per span its year, month and day.
CELL_ROWS_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION patrols_activity_cell_rows(activities patrols_activity[], tz text)
RETURNS TABLE (level smallint, grain varchar, first_day date, cx integer, cy integer, kind varchar,
               status varchar, waterway_id bigint, n integer, dx double precision, dy double precision)
LANGUAGE sql STABLE AS $$
    WITH spots AS (
        SELECT a.kind, a.status, a.waterway_id, (a.started_at AT TIME ZONE tz)::date AS day,
               ST_Transform(COALESCE(a.point, ST_PointOnSurface(a.track)), 3857) AS spot
          FROM unnest(activities) AS a
         WHERE a.point IS NOT NULL OR a.track IS NOT NULL
    ), placed AS (
        SELECT s.kind, s.status, s.waterway_id, s.day, l.level, ST_X(s.spot) AS x, ST_Y(s.spot) AS y,
               40075016.685578488::double precision / power(2::double precision, l.level) / 32 AS size
          FROM spots s CROSS JOIN generate_series(6, 12) AS l(level)
    ), celled AS (
        SELECT p.*, round(p.x / p.size)::integer AS cx, round(p.y / p.size)::integer AS cy FROM placed p
    )
    SELECT c.level::smallint, g.grain::varchar, g.first_day, c.cx, c.cy, c.kind, c.status, c.waterway_id,
           count(*)::integer, sum(c.x - c.cx * c.size), sum(c.y - c.cy * c.size)
      FROM celled c
     CROSS JOIN LATERAL (VALUES ('y', date_trunc('year', c.day)::date), ('m', date_trunc('month', c.day)::date),
                                ('d', c.day)) AS g(grain, first_day)
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;
"""

# In key order, so two writers lock shared rows in the same order. Rows a deletion empties go.
CELLS_ADD_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION patrols_activity_cells_add(activities patrols_activity[], sign integer, tz text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO patrols_activitycell AS c (level, grain, first_day, cx, cy, kind, status, waterway_id, n, dx, dy)
    SELECT r.level, r.grain, r.first_day, r.cx, r.cy, r.kind, r.status, r.waterway_id,
           sign * r.n, sign * r.dx, sign * r.dy
      FROM patrols_activity_cell_rows(activities, tz) r
     ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (level, grain, first_day, cx, cy, kind, status, waterway_id)
        DO UPDATE SET n = c.n + EXCLUDED.n, dx = c.dx + EXCLUDED.dx, dy = c.dy + EXCLUDED.dy;
    DELETE FROM patrols_activitycell WHERE n = 0;
$$;
"""

# Deferred to the commit, one row at a time: a grid row (a cell of zoom 6, some 20 km across, for a
# year) is shared by every activity under it, and its lock is held from the upsert to the end of the
# transaction. Taken at the commit, after everything else a write locks (the rollups' per-reach
# locks included), it is held for a moment. A write of one activity (a phone's, a review, a
# correction) moves it one way only, so two of them never wait on each other in a circle; two
# transactions that each change several activities may (their events fire in their own order), and
# PostgreSQL then aborts one at its commit, to be run again. The
# event's row image is used, so an insert then an update in one transaction add up to the row as
# committed. An update counts only when a column the rows depend on changed (a note, a review's
# time, the snapped position cost nothing); geometries are compared as EWKB, since pg_dump writes the
# trigger with an empty search_path, where PostGIS's `=` is not found but a qualified call is.
TRIGGER_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION patrols_activity_cells_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM patrols_activity_cells_add(ARRAY[OLD], -1, TG_ARGV[0]);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM patrols_activity_cells_add(ARRAY[NEW], 1, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION patrols_tile_tables_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE of several tables at once (Django's flush) may hold these.
    DELETE FROM patrols_activitycell;
    DELETE FROM patrols_trackband;
    RETURN NULL;
END
$$;
"""

TRIGGERS_SQL = """
CREATE CONSTRAINT TRIGGER activity_cells_change AFTER INSERT OR DELETE ON patrols_activity
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patrols_activity_cells_follow({tz});
CREATE CONSTRAINT TRIGGER activity_cells_update AFTER UPDATE OF kind, status, waterway_id, started_at, point, track
    ON patrols_activity DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.kind, OLD.status, OLD.waterway_id, OLD.started_at) IS DISTINCT FROM (NEW.kind, NEW.status, NEW.waterway_id, NEW.started_at)
          OR ST_AsEWKB(OLD.point) IS DISTINCT FROM ST_AsEWKB(NEW.point)
          OR ST_AsEWKB(OLD.track) IS DISTINCT FROM ST_AsEWKB(NEW.track))
    EXECUTE FUNCTION patrols_activity_cells_follow({tz});
CREATE TRIGGER activity_tile_tables_truncate AFTER TRUNCATE ON patrols_activity
    FOR EACH STATEMENT EXECUTE FUNCTION patrols_tile_tables_truncate();
"""

# A track per zoom 9..12 as the raw tile statement draws it: ST_Simplify to half a pixel of the zoom
# (the tile's width / 512) in the storage SRID, then Web Mercator; the columns the tile's filters and
# reading rule ask of the activity beside it. Each activity has rows of its own (no writer waits on
# another), so they are written at once: per statement on insert and delete, read by id from the
# table (no array of whole rows, which a bulk load would push past a value's 1 GB), per row on update.
TRACK_BANDS_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION patrols_track_bands_add(activity_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO patrols_trackband (activity_id, zoom, geom, kind, status, started_at, waterway_id, submitted_by_id,
                                   distance_m)
    SELECT a.id, z.zoom,
           ST_Multi(ST_Transform(ST_Simplify(a.track, 40075016.685578488::double precision / power(2::double precision, z.zoom) / 256 / 2), 3857)),
           a.kind, a.status, a.started_at, a.waterway_id, a.submitted_by_id, a.distance_m
      FROM patrols_activity a CROSS JOIN generate_series(9, 12) AS z(zoom)
     WHERE a.id = ANY(activity_ids) AND a.track IS NOT NULL
     ORDER BY a.id, z.zoom;
$$;
CREATE OR REPLACE FUNCTION patrols_track_bands_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM patrols_track_bands_add(ARRAY(SELECT n.id FROM new_rows n WHERE n.track IS NOT NULL));
    ELSE
        DELETE FROM patrols_trackband WHERE activity_id IN (SELECT o.id FROM old_rows o WHERE o.track IS NOT NULL);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION patrols_track_bands_follow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM patrols_trackband WHERE activity_id = OLD.id;
    PERFORM patrols_track_bands_add(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;
"""

TRACK_BANDS_TRIGGERS_SQL = """
CREATE TRIGGER track_bands_insert AFTER INSERT ON patrols_activity
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patrols_track_bands_follow();
CREATE TRIGGER track_bands_delete AFTER DELETE ON patrols_activity
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION patrols_track_bands_follow();
CREATE TRIGGER track_bands_update
    AFTER UPDATE OF track, kind, status, started_at, waterway_id, submitted_by_id, distance_m ON patrols_activity
    FOR EACH ROW
    WHEN ((OLD.kind, OLD.status, OLD.started_at, OLD.waterway_id, OLD.submitted_by_id, OLD.distance_m)
          IS DISTINCT FROM (NEW.kind, NEW.status, NEW.started_at, NEW.waterway_id, NEW.submitted_by_id, NEW.distance_m)
          OR ST_AsEWKB(OLD.track) IS DISTINCT FROM ST_AsEWKB(NEW.track))
    EXECUTE FUNCTION patrols_track_bands_follow_row();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS activity_cells_change ON patrols_activity;
DROP TRIGGER IF EXISTS activity_cells_update ON patrols_activity;
DROP TRIGGER IF EXISTS activity_tile_tables_truncate ON patrols_activity;
DROP TRIGGER IF EXISTS track_bands_insert ON patrols_activity;
DROP TRIGGER IF EXISTS track_bands_delete ON patrols_activity;
DROP TRIGGER IF EXISTS track_bands_update ON patrols_activity;
DROP FUNCTION IF EXISTS patrols_activity_cells_follow();
DROP FUNCTION IF EXISTS patrols_tile_tables_truncate();
DROP FUNCTION IF EXISTS patrols_activity_cells_add(patrols_activity[], integer, text);
DROP FUNCTION IF EXISTS patrols_activity_cell_rows(patrols_activity[], text);
DROP FUNCTION IF EXISTS patrols_track_bands_follow();
DROP FUNCTION IF EXISTS patrols_track_bands_follow_row();
DROP FUNCTION IF EXISTS patrols_track_bands_add(bigint[]);
"""

def create_functions_and_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CELL_ROWS_FUNCTION_SQL)
        cursor.execute(CELLS_ADD_FUNCTION_SQL)
        cursor.execute(TRIGGER_FUNCTION_SQL)
        cursor.execute(sql.SQL(TRIGGERS_SQL).format(tz=sql.Literal(settings.TIME_ZONE)).as_string(cursor.connection))
        cursor.execute(TRACK_BANDS_FUNCTION_SQL)
        cursor.execute(TRACK_BANDS_TRIGGERS_SQL)


def drop_functions_and_triggers(apps, schema_editor):
    schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('patrols', '0014_fill_reach_visit_years'),
        ('waterways', '0002_reach_totals'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActivityCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.SmallIntegerField()),
                ('grain', models.CharField(max_length=1)),
                ('first_day', models.DateField()),
                ('cx', models.IntegerField()),
                ('cy', models.IntegerField()),
                ('kind', models.CharField(max_length=24)),
                ('status', models.CharField(max_length=16)),
                ('n', models.IntegerField()),
                ('dx', models.FloatField(help_text="sum of the activities' x less the cell centre's (EPSG:3857 metres)")),
                ('dy', models.FloatField(help_text="sum of the activities' y less the cell centre's (EPSG:3857 metres)")),
                ('waterway', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='waterways.waterway')),
            ],
            options={
                'verbose_name': '活动瓦片网格汇总',
                'verbose_name_plural': '活动瓦片网格汇总',
                'indexes': [models.Index(condition=models.Q(('n', 0)), fields=['id'], name='activity_cell_empty')],
                'constraints': [models.UniqueConstraint(fields=('level', 'grain', 'first_day', 'cx', 'cy', 'kind', 'status', 'waterway'), name='activity_cell_once', nulls_distinct=False)],
            },
        ),
        migrations.CreateModel(
            name='TrackBand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('zoom', models.SmallIntegerField()),
                ('geom', django.contrib.gis.db.models.fields.MultiLineStringField(null=True, spatial_index=False, srid=3857)),
                ('kind', models.CharField(max_length=24)),
                ('status', models.CharField(max_length=16)),
                ('started_at', models.DateTimeField()),
                ('waterway_id', models.BigIntegerField(null=True)),
                ('submitted_by_id', models.BigIntegerField()),
                ('distance_m', models.FloatField()),
                ('activity', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patrols.activity')),
            ],
            options={
                'verbose_name': '轨迹瓦片简化线',
                'verbose_name_plural': '轨迹瓦片简化线',
                'indexes': [django.contrib.postgres.indexes.GistIndex(condition=models.Q(('zoom', 9)), fields=['geom'], name='track_band_z9_gist'), django.contrib.postgres.indexes.GistIndex(condition=models.Q(('zoom', 10)), fields=['geom'], name='track_band_z10_gist'), django.contrib.postgres.indexes.GistIndex(condition=models.Q(('zoom', 11)), fields=['geom'], name='track_band_z11_gist'), django.contrib.postgres.indexes.GistIndex(condition=models.Q(('zoom', 12)), fields=['geom'], name='track_band_z12_gist')],
                'constraints': [models.UniqueConstraint(fields=('activity', 'zoom'), name='track_band_once')],
            },
        ),
        migrations.RunPython(create_functions_and_triggers, drop_functions_and_triggers),
    ]
