import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patrols", "0007_forget_photo_times_out_of_range")]
    operations = [
        migrations.AddConstraint(
            model_name="photo",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("taken_at__isnull", True),
                    models.Q(
                        ("taken_at__date__gte", datetime.date(2000, 1, 1)),
                        ("taken_at__date__lte", datetime.date(2100, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="photo_taken_at_in_range",
            ),
        ),
    ]
