"""River-chief patrol compliance and deputies' participation: periods in Beijing dates, seasons,
posts, the reasons a patrol did not count, scoping by role, and the deputies' reminder list.

Patrols are stored as rows (an Activity and its ServiceRecord) with exact start times, so each test
places a patrol on the edge it is about; the rules are the shipped defaults unless a test edits them:
district quarterly all year 30 min; township monthly Mar–Dec 30 min 2 km; village weekly Mar–Dec 30 min 2 km."""

import uuid
from datetime import date, timedelta
from datetime import timezone as dt_timezone

import pytest

from patrols.compliance import period_containing
from patrols.models import Activity, PatrolRule, ServiceRecord
from people.models import ChiefAssignment
from reports.selectors.compliance import chief_compliance, deputy_participation
from tests.support.clock import beijing
from tests.support.factories import make_person
from waterways.models import Waterway


def chief(level, code, since=date(2024, 1, 1), until=None, name=None, role="chief"):
    person = make_person(role=role, level=level if role == "chief" else "", name=name)
    ChiefAssignment.objects.create(person=person, waterway=Waterway.objects.get(code=code), level=level, since=since,
                                   until=until)
    return person


def patrol(person, code, at, *, minutes=45, metres=2500, status="submitted", note="", kind="patrol"):
    """A patrol `person` took part in, on waterway `code`, starting at `at` (aware)."""
    reviewer = make_person(role="staff") if status != "submitted" else None
    activity = Activity.objects.create(
        client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=person.user,
        started_at=at, ended_at=at + timedelta(minutes=minutes), duration_s=minutes * 60, distance_m=metres,
        waterway=Waterway.objects.get(code=code) if code else None, status=status, review_note=note,
        reviewed_by=reviewer.user if reviewer else None, reviewed_at=at + timedelta(days=1) if reviewer else None,
    )
    ServiceRecord.objects.create(activity=activity, person=person, role=person.role, level=person.level, hours=1)
    return activity


def report(viewer, start, end, today=date(2026, 11, 26), **kwargs):
    return chief_compliance(viewer=viewer.user, start=start, end=end, today=today, **kwargs)


def row(result, person):
    matches = [entry for entry in result["chiefs"] if entry["id"] == person.pk]
    assert len(matches) == 1, [entry["name"] for entry in result["chiefs"]]
    return matches[0]


def periods(entry):
    return {period["first_day"]: period for period in entry["periods"]}


def patrol_out(entry, activity):
    return next(item for item in entry["patrols"] if item["id"] == activity.pk)


@pytest.fixture
def staff(district_data):
    return make_person(role="staff", name="河长办小刘", phone="13900000099")


# --- Periods ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, day, first, last", [
    ("week", date(2025, 3, 9), date(2025, 3, 3), date(2025, 3, 9)),          # a Sunday ends its ISO week
    ("week", date(2025, 12, 31), date(2025, 12, 29), date(2026, 1, 4)),      # a week across the year end
    ("month", date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),
    ("quarter", date(2025, 11, 5), date(2025, 10, 1), date(2025, 12, 31)),
])
def test_rule_periods_are_iso_weeks_calendar_months_and_quarters(kind, day, first, last):
    period = period_containing(kind, day)
    assert (period.first_day, period.last_day) == (first, last)


# --- Village chiefs: weekly, March to December -------------------------------------------------

def test_a_village_patrol_late_on_sunday_beijing_time_counts_for_that_week(staff):
    """23:30 on Sunday in Beijing is 15:30 UTC the same day; 00:30 on Monday in Beijing is still
    Sunday in UTC, and belongs to the next week."""
    village = chief("village", "ZW-G07")
    sunday_night = patrol(village, "ZW-G07", beijing("2025-03-09 23:30"))
    assert sunday_night.started_at.astimezone(dt_timezone.utc).strftime("%a %H:%M") == "Sun 15:30"
    entry = row(report(staff, date(2025, 3, 3), date(2025, 3, 16)), village)
    weeks = periods(entry)
    assert [weeks[date(2025, 3, 3)]["counted"], weeks[date(2025, 3, 10)]["counted"]] == [1, 0]
    assert (entry["required"], entry["counted"], entry["missing"], entry["behind"]) == (2, 1, 1, True)


def test_a_village_patrol_just_after_midnight_on_monday_beijing_time_is_the_next_week(staff):
    village = chief("village", "ZW-G07")
    monday_early = patrol(village, "ZW-G07", beijing("2025-03-10 00:30"))
    assert monday_early.started_at.astimezone(dt_timezone.utc).date() == date(2025, 3, 9)
    weeks = periods(row(report(staff, date(2025, 3, 3), date(2025, 3, 16)), village))
    assert (weeks[date(2025, 3, 3)]["missing"], weeks[date(2025, 3, 10)]["counted"]) == (1, 1)


def test_village_weeks_in_february_are_not_required_but_a_week_reaching_into_march_is(staff):
    village = chief("village", "ZW-G07")
    winter = patrol(village, "ZW-G07", beijing("2025-02-12 10:00"))
    weeks = periods(row(report(staff, date(2025, 2, 3), date(2025, 3, 9)), village))
    assert weeks[date(2025, 2, 10)]["state"] == "not_required"
    assert "不在考核季节（3–12 月）" in weeks[date(2025, 2, 10)]["reason_if_not_required"]
    # 24 February – 2 March has days in March: in season.
    assert (weeks[date(2025, 2, 24)]["state"], weeks[date(2025, 2, 24)]["required"]) == ("finished", 1)
    entry = row(report(staff, date(2025, 2, 3), date(2025, 3, 9)), village)
    assert entry["required"] == 2 and entry["missing"] == 2
    item = patrol_out(entry, winter)
    assert item["counts"] is False and "out_of_season" in item["reason_codes"]


def test_a_season_that_wraps_the_year_end_requires_january_and_not_july(staff):
    PatrolRule.objects.filter(level="township").update(season_start_month=11, season_end_month=2)
    township = chief("township", "ZW-R01")
    months = periods(row(report(staff, date(2025, 1, 1), date(2025, 12, 31)), township))
    required = sorted(first.month for first, period in months.items() if period["state"] == "finished")
    assert required == [1, 2, 11, 12]
    assert "11 月至次年 2 月" in months[date(2025, 7, 1)]["reason_if_not_required"]


def test_a_post_starting_mid_week_is_measured_from_the_first_whole_week(staff):
    village = chief("village", "ZW-G07", since=date(2025, 3, 12))  # a Wednesday
    first_days = patrol(village, "ZW-G07", beijing("2025-03-13 09:00"))
    entry = row(report(staff, date(2025, 3, 3), date(2025, 3, 23)), village)
    weeks = periods(entry)
    assert date(2025, 3, 3) not in weeks  # wholly before the post: not this chief's week at all
    assert weeks[date(2025, 3, 10)]["state"] == "not_required"
    assert "任期未覆盖整个周期" in weeks[date(2025, 3, 10)]["reason_if_not_required"]
    assert (weeks[date(2025, 3, 17)]["state"], weeks[date(2025, 3, 17)]["missing"]) == ("finished", 1)
    assert (entry["required"], entry["missing"]) == (1, 1)
    item = patrol_out(entry, first_days)
    assert item["counts"] is False and item["reason_codes"] == ["post_partial"]


def test_a_post_that_ended_mid_month_is_not_measured_for_that_month(staff):
    township = chief("township", "ZW-R01", until=date(2025, 4, 15))
    months = periods(row(report(staff, date(2025, 3, 1), date(2025, 5, 31)), township))
    assert months[date(2025, 3, 1)]["state"] == "finished"
    assert months[date(2025, 4, 1)]["state"] == "not_required"
    assert date(2025, 5, 1) not in months


def test_the_week_in_progress_is_shown_with_the_patrols_so_far_and_never_counts_missing(staff):
    village = chief("village", "ZW-G07")
    patrol(village, "ZW-G07", beijing("2025-03-04 09:00"))  # week of 3 March: done
    # Today is Wednesday 12 March 2025: the week of 10 March has not ended, and has no patrol yet.
    entry = row(report(staff, date(2025, 3, 1), date(2025, 3, 31), today=date(2025, 3, 12)), village)
    weeks = periods(entry)
    assert sorted(weeks) == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10)]
    assert (weeks[date(2025, 3, 10)]["state"], weeks[date(2025, 3, 10)]["missing"]) == ("in_progress", 0)
    assert weeks[date(2025, 3, 10)]["to_go"] == 1
    assert (entry["required"], entry["counted"], entry["missing"]) == (2, 1, 1)  # only 24 Feb – 2 Mar missing

    patrol(village, "ZW-G07", beijing("2025-03-11 09:00"))
    weeks = periods(row(report(staff, date(2025, 3, 1), date(2025, 3, 31), today=date(2025, 3, 12)), village))
    assert (weeks[date(2025, 3, 10)]["counted"], weeks[date(2025, 3, 10)]["to_go"]) == (1, 0)


# --- Township chiefs: monthly, March to December, with a distance minimum --------------------

def test_a_township_patrol_on_the_last_evening_of_march_counts_for_march(staff):
    township = chief("township", "ZW-R01")
    patrol(township, "ZW-R01", beijing("2025-03-31 23:30"))
    entry = row(report(staff, date(2025, 3, 1), date(2025, 4, 30)), township)
    months = periods(entry)
    assert (months[date(2025, 3, 1)]["counted"], months[date(2025, 4, 1)]["missing"]) == (1, 1)


def test_a_township_patrol_at_half_past_midnight_on_the_first_of_april_counts_for_april(staff):
    township = chief("township", "ZW-R01")
    patrol(township, "ZW-R01", beijing("2025-04-01 00:30"))  # 31 March 16:30 UTC
    months = periods(row(report(staff, date(2025, 3, 1), date(2025, 4, 30)), township))
    assert (months[date(2025, 3, 1)]["missing"], months[date(2025, 4, 1)]["counted"]) == (1, 1)


def test_february_is_out_of_season_and_march_is_required_for_a_township_chief(staff):
    township = chief("township", "ZW-R01")
    february = patrol(township, "ZW-R01", beijing("2025-02-28 10:00"))
    entry = row(report(staff, date(2025, 2, 1), date(2025, 3, 31)), township)
    months = periods(entry)
    assert months[date(2025, 2, 1)]["state"] == "not_required"
    assert (months[date(2025, 3, 1)]["state"], months[date(2025, 3, 1)]["missing"]) == ("finished", 1)
    assert patrol_out(entry, february)["reasons"] == ["不在考核季节（3–12 月）"]


# --- District chiefs: quarterly, all year, no distance minimum --------------------------------

def test_district_quarters_split_at_midnight_beijing_time(staff):
    district = chief("district", "ZW-R01")
    patrol(district, "ZW-R01", beijing("2025-01-15 09:00"), metres=300)  # no distance minimum at this level
    patrol(district, "ZW-R01", beijing("2025-04-01 07:00"), metres=0)  # 31 March 23:00 UTC: the second quarter
    entry = row(report(staff, date(2025, 1, 1), date(2025, 9, 30)), district)
    quarters = periods(entry)
    assert [quarters[date(2025, month, 1)]["counted"] for month in (1, 4, 7)] == [1, 1, 0]
    assert (entry["required"], entry["counted"], entry["missing"]) == (3, 2, 1)


def test_a_quarter_ending_in_the_window_is_measured_whole_even_if_it_began_before(staff):
    district = chief("district", "ZW-R01")
    before_window = patrol(district, "ZW-R01", beijing("2025-02-10 09:00"))
    entry = row(report(staff, date(2025, 3, 1), date(2025, 3, 31)), district)
    assert (entry["required"], entry["counted"], entry["missing"]) == (1, 1, 0)
    assert patrol_out(entry, before_window)["counts"] is True


# --- Why a patrol did not count -------------------------------------------------------------------

def test_a_short_patrol_is_done_but_not_counted_and_says_why(staff):
    village = chief("village", "ZW-G07")
    short = patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), minutes=20, metres=1200)
    entry = row(report(staff, date(2025, 5, 5), date(2025, 5, 11)), village)
    assert (entry["done"], entry["counted"], entry["missing"]) == (1, 0, 1)
    assert patrol_out(entry, short)["reasons"] == ["时长不足 30 分钟（本次 20 分钟）", "里程不足 2 公里（本次 1.20 公里）"]


def test_a_rejected_patrol_is_not_counted_and_gives_the_reviewers_reason(staff):
    village = chief("village", "ZW-G07")
    rejected = patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), status="rejected", note="轨迹是开车")
    entry = row(report(staff, date(2025, 5, 5), date(2025, 5, 11)), village)
    assert (entry["done"], entry["counted"], entry["missing"]) == (1, 0, 1)
    assert patrol_out(entry, rejected)["reasons"] == ["审核已驳回（轨迹是开车）"]


def test_a_verified_patrol_counts(staff):
    village = chief("village", "ZW-G07")
    verified = patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), status="verified")
    entry = row(report(staff, date(2025, 5, 5), date(2025, 5, 11)), village)
    assert (entry["counted"], entry["missing"], patrol_out(entry, verified)["counts"]) == (1, 0, True)


def test_a_patrol_on_another_waterway_is_not_the_chiefs(staff):
    village = chief("village", "ZW-G07")
    elsewhere = patrol(village, "ZW-G01", beijing("2025-05-06 09:00"))
    entry = row(report(staff, date(2025, 5, 5), date(2025, 5, 11)), village)
    assert (entry["done"], entry["missing"]) == (0, 1)
    item = patrol_out(entry, elsewhere)
    assert (item["counts"], item["reasons"], item["waterway"]) == (False, ["不是本人任河长的河道"], "斤坪沟")


def test_other_kinds_of_activity_are_not_patrols(staff):
    village = chief("village", "ZW-G07")
    cleanup = patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), kind="cleanup")
    entry = row(report(staff, date(2025, 5, 5), date(2025, 5, 11)), village)
    assert entry["missing"] == 1 and cleanup.pk not in [item["id"] for item in entry["patrols"]]


def test_editing_a_rule_in_the_office_changes_the_result(staff):
    village = chief("village", "ZW-G07")
    patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), minutes=20, metres=1200)
    window = (date(2025, 5, 5), date(2025, 5, 11))
    assert row(report(staff, *window), village)["missing"] == 1

    PatrolRule.objects.filter(level="village").update(min_duration_min=15, min_distance_m=1000)
    entry = row(report(staff, *window), village)
    assert (entry["counted"], entry["missing"]) == (1, 0)

    PatrolRule.objects.filter(level="village").update(required_count=2)
    assert row(report(staff, *window), village)["missing"] == 1


def test_chiefs_are_listed_most_missing_first_and_behind_filters(staff):
    on_time = chief("village", "ZW-G07", name="按时村长")
    patrol(on_time, "ZW-G07", beijing("2025-05-06 09:00"))
    patrol(on_time, "ZW-G07", beijing("2025-05-13 09:00"))
    late = chief("village", "ZW-G01", name="落后村长")
    patrol(late, "ZW-G01", beijing("2025-05-06 09:00"))
    absent = chief("village", "ZW-G02", name="缺席村长")
    result = report(staff, date(2025, 5, 5), date(2025, 5, 18))
    assert [entry["id"] for entry in result["chiefs"]] == [absent.pk, late.pk, on_time.pk]
    assert [entry["missing"] for entry in result["chiefs"]] == [2, 1, 0]
    assert result["summary"] == {"chiefs": 3, "measured": 3, "behind": 2, "required": 6, "counted": 3, "missing": 3}
    behind = report(staff, date(2025, 5, 5), date(2025, 5, 18), behind_only=True)
    assert [entry["id"] for entry in behind["chiefs"]] == [absent.pk, late.pk]


# --- Who sees whom ---------------------------------------------------------------------------------

@pytest.fixture
def hierarchy(district_data):
    """堵河 (ZW-R01) takes 狮子沟 (ZW-G07) and 犟河 (ZW-R02), which takes 袁家沟 (ZW-G16); 神定河 (ZW-R03) is separate."""
    return {
        "township": chief("township", "ZW-R01", name="堵河乡镇河长"),
        "same_level": chief("township", "ZW-R01", name="堵河另一乡镇河长"),
        "gully": chief("village", "ZW-G07", name="狮子沟村河长"),
        "deep": chief("village", "ZW-G16", name="袁家沟村河长"),
        "river_village": chief("village", "ZW-R01", name="堵河村河长"),
        "other_township": chief("township", "ZW-R03", name="神定河乡镇河长"),
        "other_village": chief("village", "ZW-G33", name="张湾河村河长"),
        "district": chief("district", "ZW-R03", name="神定河区级河长"),
    }


def seen(viewer):
    return {entry["name"] for entry in report(viewer, date(2025, 5, 5), date(2025, 5, 11))["chiefs"]}


def test_staff_see_every_chief(hierarchy, staff):
    assert seen(staff) == {person.name for person in hierarchy.values()}


def test_a_township_chief_sees_village_chiefs_on_their_river_and_its_tributaries_at_any_depth(hierarchy):
    assert seen(hierarchy["township"]) == {"堵河乡镇河长", "狮子沟村河长", "袁家沟村河长", "堵河村河长"}


def test_a_district_chief_sees_the_lower_chiefs_of_their_river(hierarchy):
    assert seen(hierarchy["district"]) == {"神定河区级河长", "神定河乡镇河长", "张湾河村河长"}


def test_a_village_chief_sees_only_themselves(hierarchy):
    assert seen(hierarchy["gully"]) == {"狮子沟村河长"}


def test_a_chief_sees_only_the_posts_under_them(hierarchy):
    """A village chief with a gully on each river appears to the 堵河 township chief with the
    堵河 gully only: the other is not theirs to oversee."""
    person = hierarchy["gully"]
    ChiefAssignment.objects.create(person=person, waterway=Waterway.objects.get(code="ZW-G34"), level="village",
                                   since=date(2024, 1, 1))
    as_township = row(report(hierarchy["township"], date(2025, 5, 5), date(2025, 5, 11)), person)
    as_self = row(report(person, date(2025, 5, 5), date(2025, 5, 11)), person)
    assert as_township["waterways"] == ["狮子沟"]
    assert sorted(as_self["waterways"]) == sorted(["狮子沟", "水堤沟"])


def test_the_api_scopes_and_refuses_a_volunteer(hierarchy, api):
    volunteer = make_person(name="张志愿")
    assert api(volunteer).get("/api/compliance/chiefs/").status_code == 403
    assert api(volunteer).get("/api/compliance/deputies/").status_code == 403
    response = api(hierarchy["gully"]).get("/api/compliance/chiefs/", {"start": "2025-05-05", "end": "2025-05-11"})
    assert response.status_code == 200
    assert [entry["name"] for entry in response.json()["chiefs"]] == ["狮子沟村河长"]


def test_the_api_returns_periods_patrols_and_rules(staff, api):
    village = chief("village", "ZW-G07", name="狮子沟村河长")
    short = patrol(village, "ZW-G07", beijing("2025-05-06 09:00"), minutes=20)
    response = api(staff).get("/api/compliance/chiefs/", {"start": "2025-05-05", "end": "2025-05-18", "behind": "1"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["period"] == {"start": "2025-05-05", "end": "2025-05-18", "as_of": "2025-05-18"}
    assert {rule["level"] for rule in body["rules"]} == {"district", "township", "village"}
    entry = body["chiefs"][0]
    assert (entry["id"], entry["level"], entry["waterways"], entry["required"], entry["missing"]) == (
        village.pk, "village", ["狮子沟"], 2, 2)
    assert [(p["first_day"], p["state"], p["missing"]) for p in entry["periods"]] == [
        ("2025-05-05", "finished", 1), ("2025-05-12", "finished", 1)]
    assert entry["patrols"] == [{
        "id": short.pk, "started_at": "2025-05-06T09:00:00+08:00", "day": "2025-05-06", "waterway": "狮子沟",
        "waterway_id": short.waterway_id, "minutes": 20, "km": 2.5, "rejected": False, "counts": False,
        "reason_codes": ["short_minutes"], "reasons": ["时长不足 30 分钟（本次 20 分钟）"],
    }]


def test_the_api_says_in_chinese_what_was_wrong_with_a_date(staff, api):
    response = api(staff).get("/api/compliance/chiefs/", {"start": "2025-13-01"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.json()["detail"]
    response = api(staff).get("/api/compliance/chiefs/", {"behind": "maybe"})
    assert response.status_code == 400 and "behind" in response.json()["errors"]


def test_a_period_ending_today_is_in_progress_until_midnight_and_finished_the_next_day(staff):
    """Sunday 30 March 2025 ends ISO week 13; Monday 31 March ends March. On its last day a period
    is still in progress (the chief has until midnight), never missed."""
    village = chief("village", "ZW-G07")
    township = chief("township", "ZW-R01")
    for today, person, kind, last_day in [(date(2025, 3, 30), village, "week", "2025-03-30"),
                                          (date(2025, 3, 31), township, "month", "2025-03-31")]:
        on_the_day = row(report(staff, date(2025, 3, 1), today, today=today), person)
        ending = [period for period in on_the_day["periods"] if period["last_day"] == date.fromisoformat(last_day)]
        assert [(p["kind"], p["state"], p["missing"]) for p in ending] == [(kind, "in_progress", 0)], today
        # The next day the chief has missed it; and a report asked for up to that past day says so too.
        for next_day in (today + timedelta(days=1), today + timedelta(days=30)):
            after = row(report(staff, date(2025, 3, 1), today, today=next_day), person)
            ended = [p for p in after["periods"] if p["last_day"] == date.fromisoformat(last_day)]
            assert [(p["state"], p["missing"]) for p in ended] == [("finished", 1)], (today, next_day)


# --- Deputies ------------------------------------------------------------------------------------

def deputy(name, phone=""):
    return make_person(role="deputy", level="district", name=name, phone=phone)


def record(person, at, status="submitted"):
    return patrol(person, "ZW-G07", at, kind="cleanup", status=status, note="重复登记" if status == "rejected" else "")


def test_the_participation_rate_counts_active_deputies_with_a_record_on_unrejected_work_that_year(staff):
    took_part = deputy("参加代表")
    record(took_part, beijing("2025-01-01 00:10"))  # 2024-12-31 16:10 UTC: still 2025 in Beijing
    only_rejected = deputy("驳回代表")
    record(only_rejected, beijing("2025-06-01 09:00"), status="rejected")
    last_year = deputy("去年代表")
    record(last_year, beijing("2024-12-31 23:50"))
    deputy("从未参加代表")
    gone = make_person(role="deputy", level="township", name="离任代表", is_active=False)
    record(gone, beijing("2025-06-01 09:00"))
    result = deputy_participation(viewer=staff.user, year=2025, as_of=date(2025, 12, 31))
    assert (result["deputies_total"], result["participated"], result["rate_pct"]) == (4, 1, 25.0)
    assert result["district_reported_pct"] == 98
    assert deputy_participation(viewer=staff.user, year=2024, as_of=date(2025, 12, 31))["participated"] == 1


def test_the_reminder_list_is_deputies_silent_for_n_days_longest_first(staff):
    as_of = date(2025, 6, 30)
    deputy("从未参加代表", phone="13900000010")
    ninety = deputy("九十天代表")
    record(ninety, beijing("2025-04-01 09:00"))  # 90 days before 30 June
    record(ninety, beijing("2025-07-05 09:00"))  # after as_of: not seen from 30 June
    record(ninety, beijing("2025-06-20 09:00"), status="rejected")  # did not happen as recorded
    eighty_nine = deputy("八十九天代表")
    record(eighty_nine, beijing("2025-04-02 09:00"))
    long_ago = deputy("很久代表")
    record(long_ago, beijing("2024-10-01 09:00"))

    result = deputy_participation(viewer=staff.user, year=2025, days=90, as_of=as_of)
    assert [(row["name"], row["last_record"], row["days_silent"]) for row in result["silent"]] == [
        ("从未参加代表", None, None),
        ("很久代表", date(2024, 10, 1), 272),
        ("九十天代表", date(2025, 4, 1), 90),
    ]
    assert result["silent"][0]["phone"] == "13900000010"
    shorter = deputy_participation(viewer=staff.user, year=2025, days=89, as_of=as_of)
    assert "八十九天代表" in [row["name"] for row in shorter["silent"]]


def test_the_deputies_api_hides_phones_from_chiefs_and_checks_its_parameters(staff, api):
    deputy("从未参加代表", phone="13900000010")
    village = chief("village", "ZW-G07")
    as_chief = api(village).get("/api/compliance/deputies/", {"year": "2025", "as_of": "2025-06-30"}).json()
    assert as_chief["silent"][0]["name"] == "从未参加代表" and "phone" not in as_chief["silent"][0]
    as_staff = api(staff).get("/api/compliance/deputies/", {"year": "2025", "days": "30"}).json()
    assert as_staff["silent"][0]["phone"] == "13900000010" and as_staff["days"] == 30
    for params, field in [({"year": "abc"}, "year"), ({"days": "0"}, "days"), ({"as_of": "30/06/2025"}, "as_of")]:
        response = api(staff).get("/api/compliance/deputies/", params)
        assert response.status_code == 400 and field in response.json()["errors"]
    assert "年份" in api(staff).get("/api/compliance/deputies/", {"year": "abc"}).json()["detail"]
