"""Photos stored with an EXIF time outside the days the app accepts (a phone's 0001:01:01, which
lies before year 1 in UTC) could not be read back: every page and list with their activity failed.
Such a time is forgotten (NULL), as a photo without a time, before 0008 forbids it for good. A
separate migration, so the repair is committed before the table is altered."""

from datetime import date

from django.db import migrations
from django.db.models import Q

# riverwatch.dates.FIRST_DAY and LAST_DAY when this was written; district days (Beijing time),
# the same lookups as the constraint photo_taken_at_in_range.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def forget_times_out_of_range(apps, schema_editor):
    """Sets taken_at to NULL where the district day it falls on is outside FIRST_DAY … LAST_DAY.
    One UPDATE: the rows are never read into Python, where such a time cannot be represented."""
    Photo = apps.get_model("patrols", "Photo")
    return Photo.objects.filter(Q(taken_at__date__lt=FIRST_DAY) | Q(taken_at__date__gt=LAST_DAY)).update(taken_at=None)


class Migration(migrations.Migration):
    dependencies = [("patrols", "0006_first_campaign_and_visits_cascade")]
    operations = [
        # Not undone: the forgotten times were never usable.
        migrations.RunPython(forget_times_out_of_range, migrations.RunPython.noop),
    ]
