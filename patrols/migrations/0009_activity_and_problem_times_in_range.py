"""Activity and problem times bounded in the database, as photo times are (0008). The API never
stored one outside 2000–2100, so no row is expected to need repair; if some other writer did, the
migration stops and names the rows rather than guess at the right time."""

import datetime

from django.conf import settings
from django.db import migrations, models


def refuse_times_out_of_range(apps, schema_editor):
    first, last = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)
    Activity, ProblemReport = apps.get_model("patrols", "Activity"), apps.get_model("patrols", "ProblemReport")
    activities = list(Activity.objects.exclude(started_at__date__gte=first, ended_at__date__lte=last)
                      .values_list("pk", flat=True)[:20])
    problems = list(ProblemReport.objects.exclude(observed_at__date__gte=first, observed_at__date__lte=last)
                    .values_list("pk", flat=True)[:20])
    if activities or problems:
        raise RuntimeError(
            f"Times outside 2000-01-01 … 2100-12-31: activities {activities}, problem reports {problems}. "
            "Correct them in the admin (or delete them) and migrate again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ('patrols', '0008_photo_taken_at_in_range'),
        ('waterways', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_times_out_of_range, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='activity',
            constraint=models.CheckConstraint(condition=models.Q(('ended_at__date__lte', datetime.date(2100, 12, 31)), ('started_at__date__gte', datetime.date(2000, 1, 1))), name='activity_times_in_range'),
        ),
        migrations.AddConstraint(
            model_name='problemreport',
            constraint=models.CheckConstraint(condition=models.Q(('observed_at__date__gte', datetime.date(2000, 1, 1)), ('observed_at__date__lte', datetime.date(2100, 12, 31))), name='problem_report_observed_at_in_range'),
        ),
    ]
