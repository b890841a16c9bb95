"""The problem reports now live on the problem list (problems.0004 copied every row, ids kept):
photos point at the new table, and the old one goes."""

import django.db.models.deletion
from django.db import migrations, models

COPY_BACK = [
    """
    INSERT INTO patrols_problemreport (id, activity_id, client_uuid, category, note, point, observed_at, waterway_id,
                                       position_m)
    SELECT id, activity_id, client_uuid, category, note, point, observed_at, waterway_id, position_m
      FROM problems_problem WHERE activity_id IS NOT NULL
    """,
    "SELECT setval(pg_get_serial_sequence('patrols_problemreport', 'id'), "
    "GREATEST((SELECT MAX(id) FROM patrols_problemreport), 1))",
]


class Migration(migrations.Migration):

    dependencies = [
        ('patrols', '0010_activity_and_problem_times_in_range'),
        ('problems', '0004_problem_reports_moved_here'),
    ]

    operations = [
        migrations.AlterField(
            model_name='photo',
            name='problem',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='photos', to='problems.problem', verbose_name='问题'),
        ),
        # Undone: the reports come back before the photos' link points at their table again.
        migrations.RunSQL(migrations.RunSQL.noop, COPY_BACK),
        migrations.DeleteModel(
            name='ProblemReport',
        ),
    ]
