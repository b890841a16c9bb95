"""Deadlines count working days: Monday to Friday, without the public holidays, with the weekend days
worked in exchange (调休). 2026's come from the State Council's notice; staff add later years."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from problems.models import CalendarDay
from problems.selectors import deadline_after
from problems.working_days import nth_working_day_after

pytestmark = pytest.mark.django_db


def test_a_plain_week_skips_the_weekend():
    assert deadline_after(date(2026, 3, 12), 1) == date(2026, 3, 13)  # Thursday → Friday
    assert deadline_after(date(2026, 3, 13), 1) == date(2026, 3, 16)  # Friday → Monday
    assert deadline_after(date(2026, 3, 13), 5) == date(2026, 3, 20)
    assert deadline_after(date(2026, 3, 14), 0) == date(2026, 3, 14)  # no time given: the day itself


@pytest.mark.parametrize("given, days, due", [
    (date(2026, 9, 30), 1, date(2026, 10, 8)),  # the National Day week is off
    (date(2026, 9, 30), 3, date(2026, 10, 10)),  # … and Saturday 10 October is worked
    (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday 14 February is worked before the Spring Festival
    (date(2026, 2, 14), 1, date(2026, 2, 24)),  # 15–23 February off
    (date(2026, 12, 31), 1, date(2027, 1, 1)),  # 2027's days are not entered yet: a plain Friday
    (date(2026, 4, 30), 5, date(2026, 5, 11)),  # 1–5 May off, Saturday 9 May worked
])
def test_the_2026_holidays_and_make_up_days_are_shipped(given, days, due):
    assert deadline_after(given, days) == due


def test_staff_add_next_years_days_and_deadlines_follow(admin_client):
    listed = admin_client.get(reverse("admin:problems_calendarday_changelist"), {"day__year": "2026"})
    assert listed.status_code == 200 and "国庆节" in listed.content.decode()
    assert "周六" in listed.content.decode()  # the make-up Saturdays show as such
    assert deadline_after(date(2026, 12, 31), 1) == date(2027, 1, 1)
    response = admin_client.post(reverse("admin:problems_calendarday_add"),
                                 {"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert deadline_after(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_a_workday_on_a_weekday_is_refused_in_chinese():
    with pytest.raises(ValidationError) as refused:
        CalendarDay(day=date(2026, 3, 11), kind=CalendarDay.Kind.WORKDAY, name="误填").full_clean()
    assert "只用于周六、周日" in str(refused.value)


def test_a_long_deadline_reads_the_calendar_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert deadline_after(date(2026, 1, 5), 60) == date(2026, 4, 3)


def test_a_deadline_running_past_the_first_span_is_still_right():
    """The holidays are read for a span that should hold the count; if a calendar full of holidays
    pushes past it, the span is read again, twice as long."""
    CalendarDay.objects.bulk_create([CalendarDay(day=date(2026, 7, day), kind="holiday", name="演练")
                                     for day in range(1, 32)])
    assert deadline_after(date(2026, 6, 30), 3) == date(2026, 8, 5)


def test_counting_is_pure_and_refuses_a_negative_count():
    holidays = {date(2026, 3, 16)}
    assert nth_working_day_after(date(2026, 3, 13), 1, holidays, set()) == date(2026, 3, 17)
    with pytest.raises(ValueError):
        nth_working_day_after(date(2026, 3, 13), -1, set(), set())
