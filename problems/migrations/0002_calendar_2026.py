"""The official 2026 public holidays and the weekend days worked in exchange: 国务院办公厅关于2026年
部分节假日安排的通知 (published 4 November 2025). Next year's are entered by staff in the admin once
the State Council publishes them (usually in November)."""

from datetime import date, timedelta

from django.db import migrations

HOLIDAYS = [  # (name, first day, last day), both included
    ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
]
WORKDAYS = [  # (the holiday they make up for, a Saturday or Sunday worked)
    ("元旦", date(2026, 1, 4)),
    ("春节", date(2026, 2, 14)),
    ("春节", date(2026, 2, 28)),
    ("劳动节", date(2026, 5, 9)),
    ("国庆节", date(2026, 9, 20)),
    ("国庆节", date(2026, 10, 10)),
]


def shipped_days():
    """(day, kind, name) of every day of the notice."""
    days = [(first + timedelta(days=offset), "holiday", name)
            for name, first, last in HOLIDAYS for offset in range((last - first).days + 1)]
    return days + [(day, "workday", name) for name, day in WORKDAYS]


def add_2026(apps, schema_editor):
    CalendarDay = apps.get_model("problems", "CalendarDay")
    rows = [CalendarDay(day=day, kind=kind, name=name) for day, kind, name in shipped_days()]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)  # days staff already entered stay


def remove_2026(apps, schema_editor):
    CalendarDay = apps.get_model("problems", "CalendarDay")
    for day, kind, name in shipped_days():
        CalendarDay.objects.filter(day=day, kind=kind, name=name).delete()


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]
    operations = [migrations.RunPython(add_2026, remove_2026)]
