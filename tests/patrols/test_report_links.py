"""The activity list as the list behind a report's figures: ?role= (someone of that role took part, the
reports' own rule) and ?counted= (not rejected) give, on the page and in the API, exactly the activities
a query written out here in SQL gives; the list's head adds up what a report quotes of them, as
service_record_stats() counts it, in one query; bad values are refused in Chinese."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from psycopg import sql

from patrols import selectors, services, submissions
from patrols.models import Activity
from reports.filters import ReportFilters, counted_activities
from tests.support.clock import beijing
from tests.support.factories import make_person

pytestmark = pytest.mark.django_db

LIST = reverse("activity-list")
API = "/api/activities/"
YEAR_2026 = ("2026-01-01 00:00:00+08", "2027-01-01 00:00:00+08")


def recorded(by, started, *, kind="patrol", minutes=60, participants=(), figures=None):
    submission = submissions.build(
        client_uuid=uuid.uuid4(), kind=kind, started_at=beijing(started),
        ended_at=beijing(started) + timedelta(minutes=minutes), points=None, point=None, location_source="",
        participant_ids=[person.pk for person in participants], figures=submissions.Figures(**(figures or {})), notes="",
    )
    activity, _created = services.record_activity(submitted_by=by.user, submission=submission,
                                                  payload_sha256=uuid.uuid4().hex * 2)
    return activity


@pytest.fixture
def season(crew, clock):
    """Seen from 1 March 2027 (Beijing): a patrol at 23:30 on 31 December 2026 with a chief and a
    volunteer (verified), a cleanup at 00:10 on 1 January 2027, a rejected patrol in 2026, and a sewer
    inspection of a chief and a post worker in 2026."""
    clock.move_to(beijing("2027-03-01 10:00"))
    reviewer = make_person(name="审核员", role="staff")
    post_worker = make_person(name="孙公益", role="post_worker")
    staff, volunteer, teammate, chief = crew["staff"], crew["volunteer"], crew["teammate"], crew["chief"]
    dec31 = recorded(staff, "2026-12-31 23:30", minutes=90, participants=[volunteer, chief],
                     figures={"debris_kg": "3.5", "bags": 2})
    services.review_activity(activity=dec31, reviewer=reviewer.user, decision="verify", note="")
    jan1 = recorded(volunteer, "2027-01-01 00:10", kind="cleanup", participants=[teammate],
                    figures={"debris_kg": "8", "bags": 5})
    rejected = recorded(volunteer, "2026-06-01 08:00", minutes=120, figures={"debris_kg": "10"})
    services.review_activity(activity=rejected, reviewer=reviewer.user, decision="reject", note="不是巡河")
    sewer = recorded(staff, "2026-05-01 09:00", kind="sewer_inspection", minutes=30, participants=[chief, post_worker],
                     figures={"manholes_checked": 12, "outfalls_checked": 3})
    return {**crew, "dec31": dec31, "jan1": jan1, "rejected": rejected, "sewer": sewer, "post_worker": post_worker}


def by_sql(where: str, params=()) -> set[int]:
    with connection.cursor() as cursor:
        # The condition is one of this module's own SQL fragments; the values go as parameters.
        cursor.execute(sql.SQL("SELECT a.id FROM patrols_activity a WHERE {}").format(sql.SQL(where)), list(params))
        return {row[0] for row in cursor.fetchall()}


def head_by_sql(ids: set[int], role: str | None) -> dict:
    """What the head should say of these activities, added up here in SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(debris_kg), 0), coalesce(sum(bags), 0),"
                       " coalesce(sum(manholes_checked), 0), coalesce(sum(outfalls_checked), 0)"
                       " FROM patrols_activity WHERE id = ANY(%s)", [list(ids)])
        activities, debris, bags, manholes, outfalls = cursor.fetchone()
        cursor.execute("SELECT count(*), count(DISTINCT person_id), coalesce(sum(hours), 0) FROM patrols_servicerecord"
                       " WHERE activity_id = ANY(%s) AND (%s::text IS NULL OR role = %s)", [list(ids), role, role])
        records, people, hours = cursor.fetchone()
    return {"activities": activities, "service_records": records, "people": people, "hours": hours,
            "debris_kg": debris, "bags": bags, "manholes_checked": manholes, "outfalls_checked": outfalls}


TOOK_PART_AS = "EXISTS (SELECT 1 FROM patrols_servicerecord s WHERE s.activity_id = a.id AND s.role = '{}')"
IN_2026 = "a.started_at >= %s AND a.started_at < %s"

# (query, the independent SQL's WHERE, its parameters, the role whose records the head counts)
CASES = [
    ("role=chief", TOOK_PART_AS.format("chief"), (), "chief"),
    ("role=volunteer", TOOK_PART_AS.format("volunteer"), (), "volunteer"),
    ("role=post_worker", TOOK_PART_AS.format("post_worker"), (), "post_worker"),
    ("role=deputy", TOOK_PART_AS.format("deputy"), (), "deputy"),
    ("counted=1", "a.status <> 'rejected'", (), None),
    ("counted=0", "a.status = 'rejected'", (), None),
    ("start=2026-01-01&end=2026-12-31", IN_2026, YEAR_2026, None),
    ("start=2027-01-01&end=2027-12-31", "a.started_at >= '2027-01-01 00:00+08' AND a.started_at < '2028-01-01 00:00+08'",
     (), None),
    ("start=2026-01-01&end=2026-12-31&counted=1", IN_2026 + " AND a.status <> 'rejected'", YEAR_2026, None),
    ("start=2026-01-01&end=2026-12-31&counted=1&role=volunteer",
     IN_2026 + " AND a.status <> 'rejected' AND " + TOOK_PART_AS.format("volunteer"), YEAR_2026, "volunteer"),
    ("start=2026-01-01&end=2026-12-31&counted=1&role=chief&kind=patrol",
     IN_2026 + " AND a.status <> 'rejected' AND a.kind = 'patrol' AND " + TOOK_PART_AS.format("chief"), YEAR_2026, "chief"),
]


def listed_ids(html):
    return {int(pk) for pk in re.findall(r'<tr data-id="(\d+)"', html)}


@pytest.mark.parametrize("query, where, params, role", CASES)
def test_the_page_the_api_and_the_head_agree_with_the_sql(client, api, season, query, where, params, role):
    expected = by_sql(where, params)
    client.force_login(season["staff"].user)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert listed_ids(html) == expected
    answer = api(season["staff"]).get(f"{API}?{query}")
    assert answer.status_code == 200, answer.json()
    assert {feature["id"] for feature in answer.json()["features"]} == expected
    assert answer.json()["count"] == len(expected)
    if not expected:
        assert 'class="list-figures"' not in html
        return
    head = head_by_sql(expected, role)
    assert response.context["figures"] == head
    for name, value in head.items():
        shown = re.search(rf'<li data-figure="{name}"><strong>([^<]*)</strong>', html)
        if name in ("debris_kg", "bags", "manholes_checked", "outfalls_checked") and not value:
            assert shown is None, name  # a zero cleanup or sewer figure is left out
        else:
            assert shown is not None and Decimal(shown.group(1)) == Decimal(value), name


def test_a_role_s_year_turns_in_beijing_time_and_leaves_the_rejected_out(client, season):
    """A patrol at 23:30 on 31 December belongs to that year; a rejected one is listed only when asked for."""
    client.force_login(season["staff"].user)
    year = {"start": "2026-01-01", "end": "2026-12-31"}
    assert listed_ids(client.get(LIST, {**year, "role": "chief"}).content.decode()) == {season["dec31"].pk, season["sewer"].pk}
    volunteer_2026 = listed_ids(client.get(LIST, {**year, "role": "volunteer"}).content.decode())
    assert volunteer_2026 == {season["dec31"].pk, season["rejected"].pk}
    counted = listed_ids(client.get(LIST, {**year, "role": "volunteer", "counted": 1}).content.decode())
    assert counted == {season["dec31"].pk}
    assert listed_ids(client.get(LIST, {"start": "2027-01-01", "role": "volunteer"}).content.decode()) == {season["jan1"].pk}


def test_the_head_is_what_service_record_stats_counts(client, season):
    """A report quotes service_record_stats(): the head of the list its link opens says the same."""
    client.force_login(season["staff"].user)
    stats = selectors.service_record_stats(start=date(2026, 1, 1), end=date(2026, 12, 31))
    head = client.get(LIST, {"start": "2026-01-01", "end": "2026-12-31", "counted": 1}).context["figures"]
    assert (head["service_records"], head["people"]) == (stats["total"], stats["people"]) == (6, 4)
    for row in stats["by_role"]:
        by_role = client.get(LIST, {"start": "2026-01-01", "end": "2026-12-31", "counted": 1, "role": row["role"]})
        assert (by_role.context["figures"]["service_records"] if "figures" in by_role.context else 0) == row["count"]
    assert head["hours"] == Decimal("6.0")  # 1.5 h × 3 people + 0.5 h × 3 people; the rejected 2 h left out


def test_the_role_filter_is_the_reports_rule(season):
    """The list's ?role= and the reports' role filter are one rule (patrols.scopes.took_part_as_q)."""
    for role in ("chief", "volunteer", "post_worker", "staff"):
        report = counted_activities(ReportFilters(start=date(2026, 1, 1), end=date(2027, 12, 31), role=role))
        listed = selectors.activity_list(season["staff"].user, role=role, counted=True)
        assert set(report.values_list("pk", flat=True)) == set(listed.values_list("pk", flat=True)), role


def test_the_head_is_one_query(season):
    with CaptureQueriesContext(connection) as queries:
        figures = selectors.activity_list_figures(season["staff"].user, role="chief", counted=True)
    assert len(queries.captured_queries) == 1
    assert figures["activities"] == 2 and figures["service_records"] == 2 and figures["people"] == 1


def test_the_head_reads_only_what_the_viewer_may_read(client, season):
    """A volunteer's head adds up their own activities, not the district's."""
    client.force_login(season["volunteer"].user)
    response = client.get(LIST)
    readable = {season["dec31"].pk, season["jan1"].pk, season["rejected"].pk}
    assert listed_ids(response.content.decode()) == readable
    assert response.context["figures"] == head_by_sql(readable, None)


@pytest.mark.parametrize("query, message", [
    ("role=king", "身份的值“king”无效"),
    ("counted=maybe", "计入统计应为 1 或 0"),
    ("role=chief&start=2026-13-01", "开始日期格式应为 YYYY-MM-DD"),
])
def test_bad_values_are_refused_in_chinese_and_list_nothing(client, api, season, query, message):
    answer = api(season["staff"]).get(f"{API}?{query}")
    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    client.force_login(season["staff"].user)
    html = client.get(f"{LIST}?{query}").content.decode()
    assert message in html
    assert listed_ids(html) == set() and 'class="list-figures"' not in html  # never the whole list under a filter


def test_the_form_offers_the_role_and_counted_filters(client, season):
    client.force_login(season["staff"].user)
    html = client.get(LIST, {"role": "chief", "counted": "1"}).content.decode()
    assert '<option value="chief" selected>' in html and '<option value="1" selected>只看计入统计的（未驳回）' in html
    assert "河长服务记录（条）" in html and "参与的河长（人）" in html and "身份为河长的人员每人每次计 1 条" in html
    assert Activity.objects.filter(status="rejected").exists()
