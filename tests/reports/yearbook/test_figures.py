"""The annual report's figures, each against a computation written out here in SQL over the same rows,
on a seeded year: activities either side of the New Year in Beijing time, a rejected one, a reopened
problem, an overdue one, a public report never accepted, points and a certificate."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from points.models import Entry
from problems.models import Problem, ResponsibleUnit
from reports.yearbook.scope import Scope
from reports.yearbook.sections import district_report
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.problems import point_on

pytestmark = pytest.mark.django_db

YEAR_START, NEXT_YEAR_START = beijing("2025-01-01 00:00"), beijing("2026-01-01 00:00")


@pytest.fixture
def seeded_year(report_people, plant_visits, reject, clock):
    clock.move_to(beijing("2026-02-01 09:00"))
    deputy = make_person(name="吴代表", role="deputy", level="district")
    make_person(name="郑代表", role="deputy", level="district")  # took part in nothing
    volunteer, chief = report_people["volunteer"], report_people["chief"]
    plant_visits("ZW-G07", range(1, 7), beijing("2025-03-02 09:00"), person=volunteer, kind="cleanup")
    plant_visits("ZW-G07", range(5, 10), beijing("2025-12-31 23:30"), person=deputy)  # still 2025 in Beijing
    plant_visits("ZW-G09", range(1, 6), beijing("2026-01-01 00:10"), person=chief)  # 2026 in Beijing
    rejected = plant_visits("ZW-G09", range(5, 12), beijing("2025-06-10 10:00"), person=chief)
    reject(rejected)
    plant_visits("ZW-R01", range(1, 4), beijing("2024-05-05 09:00"), person=volunteer)  # last year
    from patrols.models import Activity
    Activity.objects.filter(kind="cleanup").update(debris_kg=Decimal("12.5"), bags=3)

    unit = ResponsibleUnit.objects.create(name="狮子沟村委会", kind=ResponsibleUnit.Kind.VILLAGE)
    common = dict(category="garbage", point=point_on("ZW-G07", 100), unit=unit)
    Problem.objects.create(source="hotline", observed_at=beijing("2025-04-01 08:00"), state="closed", ending="fixed",
                           accepted_at=beijing("2025-04-01 09:00"), resolved_at=beijing("2025-04-03 09:00"),
                           first_deadline=date(2025, 4, 8), deadline=date(2025, 4, 8), reopen_count=1, **common)
    Problem.objects.create(source="hotline", observed_at=beijing("2025-11-20 08:00"), state="assigned",
                           accepted_at=beijing("2025-11-20 09:00"), first_deadline=date(2025, 12, 10),
                           deadline=date(2025, 12, 10), **common)  # overdue on 2025-12-31
    # Found in 2025, due in January: overdue by the day the report is built, as its list shows it.
    Problem.objects.create(source="hotline", observed_at=beijing("2025-12-20 08:00"), state="in_progress",
                           accepted_at=beijing("2025-12-20 09:00"), first_deadline=date(2026, 1, 10),
                           deadline=date(2026, 1, 10), **common)
    Problem.objects.create(source="deputy", deputy=deputy, observed_at=beijing("2025-12-31 23:40"), state="accepted",
                           accepted_at=beijing("2026-01-02 09:00"), **common)
    Problem.objects.create(source="public", observed_at=beijing("2025-07-01 08:00"), state="reported",
                           **common)  # never accepted: not counted
    Problem.objects.create(source="hotline", observed_at=beijing("2026-01-01 00:05"), state="accepted",
                           accepted_at=beijing("2026-01-01 09:00"), **common)  # 2026
    Entry.objects.create(person=volunteer, amount=Decimal("5"), kind="credit", reason="测试", key="t-1",
                         earned_on=date(2025, 3, 2), at=beijing("2025-03-03 09:00"))
    Entry.objects.create(person=volunteer, amount=Decimal("-1"), kind="adjustment", reason="测试", key="t-2", made_by=report_people["staff"].user,
                         earned_on=date(2025, 3, 2), at=beijing("2025-03-03 09:00"))
    Entry.objects.create(person=deputy, amount=Decimal("7"), kind="credit", reason="测试", key="t-3",
                         earned_on=date(2026, 1, 1), at=beijing("2026-01-02 09:00"))
    return {"deputy": deputy}


def one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def figure(snapshot, key):
    for part in snapshot["sections"]:
        for item in part["figures"]:
            if item["key"] == key:
                return item
    raise AssertionError(f"no figure {key}")


RECORDS_2025 = """
    SELECT {what} FROM patrols_servicerecord sr JOIN patrols_activity a ON a.id = sr.activity_id
     WHERE a.status <> 'rejected' AND a.started_at >= %s AND a.started_at < %s"""


def test_the_headline_figures_equal_sql_written_here(seeded_year):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    period = (YEAR_START, NEXT_YEAR_START)
    records = one(RECORDS_2025.format(what="COUNT(*)"), period)
    assert records == 2  # the cleanup and the deputy's New Year's Eve patrol; not the rejected one, not 2026's
    assert figure(snapshot, "service_records")["value"] == records
    assert figure(snapshot, "service_records")["previous"] == 1
    assert figure(snapshot, "people")["value"] == one(RECORDS_2025.format(what="COUNT(DISTINCT sr.person_id)"), period)
    assert figure(snapshot, "hours")["value"] == float(one(RECORDS_2025.format(what="SUM(sr.hours)"), period))
    assert figure(snapshot, "activities")["value"] == one(
        "SELECT COUNT(*) FROM patrols_activity WHERE status <> 'rejected' AND started_at >= %s AND started_at < %s",
        period) == 2
    deputies = one("SELECT COUNT(*) FROM people_person WHERE role = 'deputy' AND is_active")
    took_part = one(RECORDS_2025.format(what="COUNT(DISTINCT sr.person_id)") + " AND sr.role = 'deputy'", period)
    assert figure(snapshot, "deputy_rate")["value"] == round(100 * took_part / deputies, 1) == 50.0


def test_coverage_counts_the_reaches_visited_by_activities_that_count(seeded_year):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    visited, total = (one("""
        SELECT SUM(r.end_m - r.start_m) FILTER (WHERE EXISTS (
                   SELECT 1 FROM patrols_reachvisit v JOIN patrols_activity a ON a.id = v.activity_id
                    WHERE v.reach_id = r.id AND a.status <> 'rejected' AND v.visited_at >= %s AND v.visited_at < %s))
          FROM waterways_reach r""", (YEAR_START, NEXT_YEAR_START)), one(
        "SELECT SUM(end_m - start_m) FROM waterways_reach"))
    assert figure(snapshot, "coverage_pct")["value"] == round(100 * visited / total, 1)
    assert figure(snapshot, "visited_km")["value"] == round(visited / 1000, 1)
    rows = {row["code"]: row for row in next(block for part in snapshot["sections"] for block in part["blocks"]
                                             if block["key"] == "coverage_by_waterway")["rows"]}
    assert rows["ZW-G09"]["visited_km"] == 0  # only the rejected patrol and 2026's walked it


def test_problem_figures_count_the_overdue_and_the_reopened_and_leave_out_unaccepted_reports(seeded_year):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    counted = """FROM problems_problem WHERE observed_at >= %s AND observed_at < %s
                   AND (source NOT IN ('public', 'open311') OR accepted_at IS NOT NULL)"""
    period = (YEAR_START, NEXT_YEAR_START)
    assert figure(snapshot, "problems_found")["value"] == one("SELECT COUNT(*) " + counted, period) == 4
    assert figure(snapshot, "problems_fixed")["value"] == one(
        "SELECT COUNT(*) " + counted + " AND ending = 'fixed'", period) == 1
    assert figure(snapshot, "problems_overdue")["value"] == one(
        "SELECT COUNT(*) " + counted + " AND state IN ('accepted', 'assigned', 'in_progress') AND deadline < %s",
        (*period, date(2026, 2, 1))) == 2  # as of the build day, not the year's last
    assert figure(snapshot, "problems_reopened_problems")["value"] == one(
        "SELECT COUNT(*) " + counted + " AND reopen_count > 0", period) == 1
    assert "1 次" in figure(snapshot, "problems_reopened_problems")["note"]
    # Due in 2025: the fixed one (on time) and the overdue one (late, not left out).
    assert figure(snapshot, "problems_on_time_rate")["value"] == 50.0
    assert "1" in figure(snapshot, "deputy_suggestions")["note"]


def test_work_and_points_figures(seeded_year):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    assert figure(snapshot, "debris_kg")["value"] == float(one(
        "SELECT SUM(debris_kg) FROM patrols_activity WHERE status <> 'rejected' AND started_at >= %s AND started_at < %s",
        (YEAR_START, NEXT_YEAR_START))) == 12.5
    assert figure(snapshot, "points_awarded")["value"] == float(one(
        "SELECT SUM(amount) FROM points_entry WHERE kind IN ('credit', 'reversal', 'adjustment') "
        "AND earned_on BETWEEN %s AND %s", (date(2025, 1, 1), date(2025, 12, 31)))) == 4.0


def test_every_headline_figure_links_to_the_list_behind_it_and_has_last_year_beside_it(seeded_year):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    headline = snapshot["sections"][0]
    assert all(item["link"] for item in headline["figures"])
    assert figure(snapshot, "problems_overdue")["link"].startswith("/problems/?")
    assert "overdue=1" in figure(snapshot, "problems_overdue")["link"]
    changes = next(block for part in snapshot["sections"] for block in part["blocks"] if block["key"] == "changes")
    assert {row["label"] for row in changes["rows"]} >= {"服务记录", "河道巡查覆盖率", "发现问题"}


def test_the_methods_state_the_settings_and_the_network_s_accuracy(seeded_year, settings):
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    methods = snapshot["sections"][-1]
    text = str(methods)
    assert f"{settings.PATROL_BUFFER_M}" in text and f"{settings.HOTSPOT_PERMUTATIONS}" in text
    assert "河网精度" in text


def test_the_quarterly_notice_has_the_notice_s_shape(seeded_year):
    snapshot = district_report(Scope(2025, 4), today=date(2026, 2, 1))
    assert snapshot["scope"]["start"] == "2025-10-01" and snapshot["scope"]["end"] == "2025-12-31"
    assert "第四季度" in snapshot["scope"]["title"]
    keys = [block["key"] for part in snapshot["sections"] for block in part["blocks"]]
    assert "chiefs_all" in keys and "chiefs_behind" in keys
    assert figure(snapshot, "service_records")["value"] == 1  # only New Year's Eve in Q4


def test_each_problem_figure_s_link_lists_exactly_that_many_problems(seeded_year, report_people, client):
    """What the office clicks: every problem figure of the report against the list its link opens."""
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    client.force_login(report_people["staff"].user)
    checked = 0
    for part in snapshot["sections"]:
        for item in part["figures"]:
            link = item["link"] or ""
            if not link.startswith("/problems/?") or item["unit"] == "%" or item["key"] == "problems_median_days":
                continue
            response = client.get("/api" + link)
            assert response.status_code == 200, (item["key"], response.content[:300])
            listed = response.json()["count"]
            assert listed == item["value"], (item["key"], link, listed)
            checked += 1
    assert checked >= 7
    on_time = figure(snapshot, "problems_on_time_rate")
    due = client.get("/api" + on_time["link"]).json()["count"]
    in_time = client.get("/api" + on_time["link"] + "&on_time=1").json()["count"]
    assert round(100 * in_time / due, 1) == on_time["value"]


HEAD_OF = {"service_records": "service_records", "people": "people", "hours": "hours", "activities": "activities",
           "cleanups": "activities", "inspections": "activities", "debris_kg": "debris_kg", "bags": "bags",
           "manholes": "manholes_checked", "outfalls": "outfalls_checked"}


def test_each_activity_figure_s_link_opens_a_list_whose_head_shows_that_figure(seeded_year, report_people, client):
    import re
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    client.force_login(report_people["staff"].user)
    checked = 0
    for key, head in HEAD_OF.items():
        item = figure(snapshot, key)
        page = client.get(item["link"]).content.decode()
        shown = re.search(rf'data-figure="{head}"><strong>([\d.,]+)</strong>', page)
        value = float(shown.group(1).replace(",", "")) if shown else 0.0  # the head leaves out zero totals
        assert value == float(item["value"]), (key, item["link"], value, item["value"])
        checked += 1
    assert checked == len(HEAD_OF)


def test_the_quarterly_notice_counts_a_chief_s_last_month_once_the_quarter_is_over(seeded_year, report_people):
    """A monthly rule's December ends with the quarter: built in February, it is over and counts."""
    from reports.selectors.compliance import chief_compliance
    from reports.yearbook.sections import OFFICE
    snapshot = district_report(Scope(2025, 4), today=date(2026, 2, 1))
    rows = next(block for part in snapshot["sections"] for block in part["blocks"] if block["key"] == "chiefs_all")
    township = next(row for row in rows["rows"] if row["name"] == report_people["township_chief"].name)
    page = chief_compliance(viewer=OFFICE, start=date(2025, 10, 1), end=date(2025, 12, 31), today=date(2026, 2, 1))
    on_page = next(chief for chief in page["chiefs"] if chief["id"] == report_people["township_chief"].pk)
    assert township["required"] == on_page["required"] == 3  # October, November and December
    assert township["missing"] == 3


def test_the_points_figures_link_to_the_boards_which_show_the_same_totals(seeded_year, client):
    import re
    snapshot = district_report(Scope(2025), today=date(2026, 2, 1))
    page = client.get(figure(snapshot, "points_awarded")["link"]).content.decode()
    shown = dict(re.findall(r'data-total="(\w+)">([\d.]+)</strong>', page))
    assert float(shown["points"]) == figure(snapshot, "points_awarded")["value"] == 4.0
    assert int(shown["people"]) == figure(snapshot, "points_people")["value"] == 1
    assert int(shown["redemptions"]) == figure(snapshot, "redemptions")["value"] == 0
