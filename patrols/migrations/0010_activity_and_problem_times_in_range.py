import datetime

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("patrols", "0009_repair_activity_and_problem_times"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(condition=models.Q(("ended_at__date__lte", datetime.date(2100, 12, 31)), ("started_at__date__gte", datetime.date(2000, 1, 1))), name="activity_times_in_range"),
        ),
        migrations.AddConstraint(
            model_name="problemreport",
            constraint=models.CheckConstraint(condition=models.Q(("observed_at__date__gte", datetime.date(2000, 1, 1)), ("observed_at__date__lte", datetime.date(2100, 12, 31))), name="problem_report_observed_at_in_range"),
        ),
    ]
