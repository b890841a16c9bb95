"""Activities and problems stored with a device time outside the days the app accepts (a phone whose
clock had reset, before the API bounded these times) would break every page that shows them once
0010 forbids them. Repaired here, in SQL (such a time may not be representable in Python): the
activity is moved to when the server received it, keeping its duration (at most a day), and says so
in its notes; a problem seen at an impossible time takes its activity's start. A separate migration,
so the repair is committed before 0010 alters the tables."""

from datetime import date

from django.db import migrations

# riverwatch.dates.FIRST_DAY and LAST_DAY, and settings.ACTIVITY_MAX_HOURS's default, when this was
# written; district days in Beijing time, as the constraints of 0010 read them.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
LONGEST_S = 24 * 3600
TIME_ZONE = "Asia/Shanghai"
NOTE = "【设备时间有误（不在 2000–2100 年之间），已改为服务器收到记录的时间】"

REPAIR_ACTIVITIES_SQL = """
UPDATE patrols_activity
   SET ended_at = received_at,
       started_at = received_at - make_interval(secs => LEAST(duration_s, %(longest)s)),
       notes = CASE WHEN notes = '' THEN %(note)s ELSE notes || E'\\n' || %(note)s END
 WHERE (started_at AT TIME ZONE %(tz)s)::date NOT BETWEEN %(first)s AND %(last)s
    OR (ended_at AT TIME ZONE %(tz)s)::date NOT BETWEEN %(first)s AND %(last)s
"""
REPAIR_PROBLEMS_SQL = """
UPDATE patrols_problemreport AS problem
   SET observed_at = activity.started_at
  FROM patrols_activity AS activity
 WHERE activity.id = problem.activity_id
   AND (problem.observed_at AT TIME ZONE %(tz)s)::date NOT BETWEEN %(first)s AND %(last)s
"""


def repair_times_out_of_range(apps, schema_editor):
    """Returns (activities, problems) repaired."""
    params = {"tz": TIME_ZONE, "first": FIRST_DAY, "last": LAST_DAY, "longest": LONGEST_S, "note": NOTE}
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(REPAIR_ACTIVITIES_SQL, params)
        activities = cursor.rowcount
        cursor.execute(REPAIR_PROBLEMS_SQL, params)
        return activities, cursor.rowcount


class Migration(migrations.Migration):
    dependencies = [("patrols", "0008_photo_taken_at_in_range")]
    operations = [
        # Not undone: the replaced times were never usable.
        migrations.RunPython(repair_times_out_of_range, migrations.RunPython.noop),
    ]
