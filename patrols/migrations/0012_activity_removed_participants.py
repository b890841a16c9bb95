"""The trail of participants staff removed from an activity (services.remove_participant). The
database fills [] itself, so rows written in plain SQL (benchmarks/province_scale.py) need not name it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patrols', '0011_problem_reports_moved_to_problems'),
    ]

    operations = [
        migrations.AddField(
            model_name='activity',
            name='removed_participants',
            field=models.JSONField(blank=True, db_default=[], default=list, verbose_name='已移除的参与人员'),
        ),
    ]
