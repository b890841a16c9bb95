"""Every time a person supplies is stored only within the days the app accepts (2000–2100,
riverwatch.dates): the API refuses others with a 400, and the database refuses them from any other
writer (the demo, an import, a script), so no row can later break the pages that show it."""


import pytest
from django.db import IntegrityError, connection, transaction

from patrols.models import Activity
from problems.models import Problem
from tests.support.factories import activity_body
from tests.support.walks import walk_along

pytestmark = pytest.mark.django_db
OUT_OF_RANGE = ["0001-01-01 00:00:00+08", "1999-12-31 23:59:59+08", "2101-01-01 00:00:00+08", "infinity"]


@pytest.fixture
def report(crew, api):
    point = walk_along(start_m=300, length_m=0)[0][:2]
    body = activity_body(kind="problem_report", point=point, problems=[
        {"client_uuid": "5f0c5e53-7a0e-4c55-9a61-8f1f5b0d2c11", "category": "garbage", "note": "塑料瓶",
         "observed_at": "2026-05-01T08:30:00+08:00"}])
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


def raw_update(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_the_database_refuses_an_activity_time_out_of_range(report, moment):
    with pytest.raises(IntegrityError):
        raw_update("UPDATE patrols_activity SET started_at = %s::timestamptz WHERE id = %s", [moment, report.pk])
    if moment != "1999-12-31 23:59:59+08":  # (an end before the start is refused anyway)
        with pytest.raises(IntegrityError):
            raw_update("UPDATE patrols_activity SET ended_at = %s::timestamptz WHERE id = %s", [moment, report.pk])


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_the_database_refuses_a_problem_time_out_of_range(report, moment):
    with pytest.raises(IntegrityError):
        raw_update("UPDATE problems_problem SET observed_at = %s::timestamptz WHERE activity_id = %s",
                   [moment, report.pk])


def test_the_first_and_last_days_are_accepted(report):
    raw_update("UPDATE patrols_activity SET started_at = %s::timestamptz, ended_at = %s::timestamptz WHERE id = %s",
               ["2000-01-01 00:00:00+08", "2100-12-31 23:59:59.999+08", report.pk])
    raw_update("UPDATE problems_problem SET observed_at = %s::timestamptz WHERE activity_id = %s",
               ["2100-12-31 23:59:59.999+08", report.pk])
    assert Problem.objects.get(activity=report).observed_at.year == 2100


