"""The compliance and coverage reports as if today were each of the days a calendar bug shows on: a
Sunday (the last day of an ISO week, once also the last of a month), a Monday, 31 March (a month's and a
quarter's end), 31 December, 1 January and 29 February. On each, a chief who patrolled today is
counted for the period in progress and is never shown as having missed a period that ends today; the
coverage of "this year so far" includes today's patrol; the reach it walked is fresh."""

from datetime import date, datetime, time, timedelta

import pytest

from people.models import ChiefAssignment
from tests.support.clock import DISTRICT_TZ
from tests.support.factories import make_person
from tests.support.walks import points_along
from waterways.models import Waterway

DAYS = [
    date(2027, 1, 3),  # a Sunday: ISO week 53 of 2026 ends
    date(2026, 5, 31),  # a Sunday that also ends May
    date(2027, 1, 4),  # a Monday: a week begins
    date(2027, 3, 31),  # March and the first quarter end
    date(2026, 12, 31),  # the year ends (and the first target campaign)
    date(2027, 1, 1),  # a year begins, with no campaign running
    date(2028, 2, 29),  # a leap day
]


@pytest.fixture
def chiefs(report_people):
    """The village chief of 狮子沟, the township chief of 堵河, and a district chief of 神定河."""
    district = make_person(name="区级河长", role="chief", level="district")
    ChiefAssignment.objects.create(person=district, waterway=Waterway.objects.get(code="ZW-R03"), level="district",
                                   since=date(2024, 1, 1))
    return {"village": report_people["chief"], "township": report_people["township_chief"], "district": district}


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=DISTRICT_TZ)


@pytest.mark.parametrize("today", DAYS, ids=[day.strftime("%Y-%m-%d-%a") for day in DAYS])
def test_on_any_day_today_s_patrols_count_and_nothing_ending_today_is_missed(today, clock, chiefs, report_people,
                                                                            submit_walk, api):
    clock.move_to(_at(today, 21, 30))
    # Each chief walks 2.5 km of their own waterway this morning (45 minutes at a walker's pace).
    walks = {"village": "ZW-G07", "township": "ZW-R01", "district": "ZW-R03"}
    for level, code in walks.items():
        submit_walk(chiefs[level], points_along(code, 200, 2500, step_m=10), _at(today, 8))
    staff = api(report_people["staff"])

    body = staff.get("/api/compliance/chiefs/", {"behind": "0"}).json()
    assert body["period"] == {"start": f"{today.year}-01-01", "end": today.isoformat(), "as_of": today.isoformat()}
    for level, person in chiefs.items():
        chief_row = next(row for row in body["chiefs"] if row["id"] == person.pk)
        for period in chief_row["periods"]:
            last_day = date.fromisoformat(period["last_day"])
            if last_day >= today:
                assert period["state"] in ("in_progress", "not_required") and period["missing"] == 0, (level, period)
            else:
                assert period["state"] in ("finished", "not_required"), (level, period)
        walked_id = Waterway.objects.get(code=walks[level]).pk  # the village chief has a second gully
        current = [period for period in chief_row["periods"] if period["waterway_id"] == walked_id
                   and date.fromisoformat(period["first_day"]) <= today <= date.fromisoformat(period["last_day"])]
        assert len(current) == 1, (level, chief_row["periods"])
        if current[0]["state"] == "in_progress":  # in season: today's patrol counts, nothing to go
            assert (current[0]["counted"], current[0]["to_go"]) == (1, 0), (level, current[0])
        assert [patrol["counts"] for patrol in chief_row["patrols"] if patrol["day"] == today.isoformat()] == [
            current[0]["state"] == "in_progress"], level

    coverage = staff.get("/api/coverage/", {"waterway": "ZW-G07"}).json()
    assert coverage["period"] == {"start": f"{today.year}-01-01", "end": today.isoformat()}
    gully = coverage["waterways"][0]
    assert gully["visited_m"] >= 2000 and gully["last_visit"].startswith(today.isoformat())

    freshness = staff.get("/api/coverage/reaches/", {"waterway": "ZW-G07"}).json()
    fresh = [feature["properties"] for feature in freshness["features"] if feature["properties"]["class"] == "0-7"]
    assert fresh and all(properties["days_since_visit"] == 0 for properties in fresh)
    assert sum(properties["length_m"] for properties in fresh) >= 2000

    gaps = staff.get("/api/coverage/gaps/", {"waterway": "ZW-G07", "days": "1"}).json()
    walked = (200 + 100, 200 + 2500 - 100)  # well inside the walk
    assert not any(gap["properties"]["start_m"] < walked[1] and gap["properties"]["end_m"] > walked[0]
                   for gap in gaps["features"])

    # Yesterday's view, asked for on purpose, is a past date: its periods ending yesterday are over.
    yesterday = today - timedelta(days=1)
    past = staff.get("/api/compliance/chiefs/", {"behind": "0", "start": f"{yesterday.year}-01-01",
                                                 "end": yesterday.isoformat()}).json()
    for chief_row in past["chiefs"]:
        for period in chief_row["periods"]:
            if period["last_day"] == yesterday.isoformat():
                assert period["state"] in ("finished", "not_required"), period


@pytest.mark.parametrize("today", DAYS, ids=[day.strftime("%Y-%m-%d-%a") for day in DAYS])
def test_on_any_day_the_header_shows_a_running_campaign_or_the_last_one_and_this_year(today, clock, client,
                                                                                      report_people, submit_walk):
    clock.move_to(_at(today, 21, 30))
    submit_walk(report_people["volunteer"], points_along("ZW-G07", 200, 500), _at(today, 8),
                participants=[report_people["teammate"]])
    client.force_login(report_people["volunteer"].user)
    page = client.get("/activities/").content.decode()
    me = client.get("/api/field/me/").json()["district"]
    if today <= date(2026, 12, 31):  # the district's 2025–2026 campaign is running
        assert me["running"] and me["target"] == 3200 and me["count"] >= 2
        assert "/ 3200" in page
    else:
        assert not me["running"] and me["campaign"] == "2025—2026 年服务记录目标"
        assert (me["year"], me["year_count"]) == (today.year, 2)
        assert f"{today.year} 年服务记录" in page and "上期目标完成" in page
