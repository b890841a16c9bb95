from django.conf import settings
from django.db import migrations

# The rows as the visits gave them when this migration was written, frozen here as a migration's
# state is (patrols.rollups owns the live SQL; `manage.py check_rollups` compares and mends): every
# reach, year, kind ('' too) and role ('' too) with the last moment of each Beijing day visited by an
# activity that is not rejected.
FILL_SQL = """
INSERT INTO patrols_reachvisityear (reach_id, waterway_id, reach_length_m, year, kind, role, day_last, visits)
WITH counted AS (
    SELECT v.reach_id, r.waterway_id, r.end_m - r.start_m AS reach_length_m, v.visited_at, a.id AS activity_id, a.kind,
           EXTRACT(year FROM v.visited_at AT TIME ZONE %(tz)s)::smallint AS year,
           (v.visited_at AT TIME ZONE %(tz)s)::date AS day
      FROM patrols_reachvisit v
      JOIN patrols_activity a ON a.id = v.activity_id
      JOIN waterways_reach r ON r.id = v.reach_id
     WHERE a.status <> 'rejected'
), keyed AS (
    SELECT c.reach_id, c.waterway_id, c.reach_length_m, c.year, k.kind, p.role, c.day,
           MAX(c.visited_at) AS last_at, COUNT(*) AS visits
      FROM counted c
     CROSS JOIN LATERAL (VALUES (''), (c.kind)) AS k(kind)
     CROSS JOIN LATERAL (SELECT ''
                         UNION
                         SELECT s.role FROM patrols_servicerecord s WHERE s.activity_id = c.activity_id) AS p(role)
     GROUP BY c.reach_id, c.waterway_id, c.reach_length_m, c.year, k.kind, p.role, c.day
)
SELECT reach_id, waterway_id, reach_length_m, year, kind, role, array_agg(last_at ORDER BY last_at) AS day_last,
       SUM(visits)::integer AS visits
  FROM keyed
 GROUP BY reach_id, waterway_id, reach_length_m, year, kind, role
"""


def fill_from_visits(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM patrols_reachvisityear")
        cursor.execute(FILL_SQL, {"tz": settings.TIME_ZONE})


class Migration(migrations.Migration):
    # Apart from 0013: the rows must not be written in the transaction that still has to build the
    # table's indexes (PostgreSQL refuses while the foreign key's deferred checks are pending).
    dependencies = [("patrols", "0013_reach_visit_years")]
    operations = [migrations.RunPython(fill_from_visits, migrations.RunPython.noop)]
