"""Service records: one person in one activity, counted toward the district's target."""

import pytest

from patrols.models import Activity, ServiceCampaign, ServiceRecord
from tests.support.factories import activity_body


def _record(client, *, participants=(), day="2026-05-01", kind="cleanup", hour=8):
    body = activity_body(kind=kind, point=[110.55, 32.70], participants=[p.id for p in participants],
                         started_at=f"{day}T{hour:02d}:00:00+08:00", ended_at=f"{day}T{hour + 2:02d}:30:00+08:00")
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


@pytest.fixture
def season(crew, api):
    volunteer, teammate, leader = crew["volunteer"], crew["teammate"], crew["leader"]
    own = api(volunteer)
    kept = [
        _record(own, participants=[teammate], day="2026-05-01"),  # 2 records
        _record(own, kind="patrol", day="2026-05-02"),  # 1
        _record(api(leader), participants=[volunteer, teammate], kind="sewer_inspection", day="2026-05-03"),  # 3
    ]
    rejected = _record(own, participants=[teammate], day="2026-05-04")  # 2, rejected below
    api(leader).post(f"/api/activities/{rejected.pk}/review/", {"decision": "reject", "note": "重复登记"}, format="json")
    api(leader).post(f"/api/activities/{kept[0].pk}/review/", {"decision": "verify"}, format="json")
    _record(own, day="2025-12-31")  # the year before: 1
    # 23:30 on New Year's Eve in Beijing is still 2025, though it is 15:30 UTC.
    late = activity_body(kind="cleanup", point=[110.55, 32.70], started_at="2025-12-31T23:30:00+08:00",
                         ended_at="2025-12-31T23:50:00+08:00")
    assert own.post("/api/activities/", late, format="json").status_code == 201
    return kept


def test_a_year_counts_people_in_activities_not_rejected(crew, api, season):
    stats = api(crew["staff"]).get("/api/stats/service-records/?year=2026").json()
    assert stats["total"] == 6
    assert stats["verified"] == 2 and stats["pending"] == 4
    assert stats["activities"] == 3
    assert stats["people"] == 3  # volunteer, teammate, leader
    by_kind = {row["kind"]: row["count"] for row in stats["by_kind"]}
    assert by_kind == {"patrol": 1, "cleanup": 2, "sewer_inspection": 3, "garbage_sorting": 0, "other": 0}
    by_role = {row["role"]: row["count"] for row in stats["by_role"]}
    assert by_role["volunteer"] == 6 and by_role["chief"] == 0


def test_the_year_follows_beijing_time(crew, api, season):
    stats = api(crew["staff"]).get("/api/stats/service-records/?year=2025").json()
    assert stats["total"] == 2


def test_the_target_and_its_definition_come_with_every_count(crew, api, season):
    stats = api(crew["volunteer"]).get("/api/stats/service-records/?year=2026").json()
    campaign = stats["campaign"]
    assert (campaign["target"], campaign["start"], campaign["end"]) == (3200, "2025-01-01", "2026-12-31")
    assert (campaign["count"], campaign["percent"], campaign["running"]) == (8, 0.2, True)
    assert "一人参加一次" in stats["definition"] and "驳回" in stats["definition"]
    ServiceCampaign.objects.update(target=10)  # the office edits the target in the admin
    assert api(crew["volunteer"]).get("/api/stats/service-records/").json()["campaign"]["percent"] == 80.0


def test_the_role_at_the_time_is_kept_when_a_person_changes_role(crew, api):
    volunteer = crew["volunteer"]
    _record(api(volunteer))
    volunteer.role, volunteer.level = "deputy", "township"
    volunteer.save()
    stats = api(crew["staff"]).get("/api/stats/service-records/?year=2026").json()
    assert {row["role"]: row["count"] for row in stats["by_role"]}["volunteer"] == 1
    assert ServiceRecord.objects.get(person=volunteer).role == "volunteer"


def test_hours_are_the_time_spent(crew, api):
    activity = _record(api(crew["volunteer"]))
    assert str(ServiceRecord.objects.get(activity=activity).hours) == "2.5"


@pytest.mark.parametrize("year", ["abc", "1999", "20266", "202²"])
def test_a_bad_year_is_refused(crew, api, year):
    response = api(crew["volunteer"]).get(f"/api/stats/service-records/?year={year}")
    assert response.status_code == 400
    assert "年份" in response.json()["detail"]


def test_one_walk_submitted_by_two_teammates_counts_each_person_once(crew, api):
    """Both phones log the same patrol, each naming the other: two activities, but each person
    gets one service record, and the second activity says who was not counted again and why."""
    volunteer, teammate = crew["volunteer"], crew["teammate"]
    first = _record(api(volunteer), participants=[teammate], hour=8)
    second = _record(api(teammate), participants=[volunteer], hour=9)  # 09:00-11:30 overlaps 08:00-10:30
    assert ServiceRecord.objects.filter(person=volunteer).count() == 1
    assert ServiceRecord.objects.filter(person=teammate).count() == 1
    assert not second.service_records.exists()
    assert {item["name"] for item in second.skipped_participants} == {"张志愿", "李同伴"}
    assert {item["activity"] for item in second.skipped_participants} == {first.pk}
    stats = api(crew["staff"]).get("/api/stats/service-records/?year=2026").json()
    assert stats["total"] == 2


def test_back_to_back_activities_both_count(crew, api):
    _record(api(crew["volunteer"]), hour=8)  # 08:00-10:30
    later = _record(api(crew["volunteer"]), hour=11)  # 11:00-13:30
    assert later.service_records.count() == 1 and later.skipped_participants == []


def test_after_a_rejection_the_time_is_free_again(crew, api):
    first = _record(api(crew["volunteer"]), hour=8)
    api(crew["leader"]).post(f"/api/activities/{first.pk}/review/", {"decision": "reject", "note": "登记错了日期"}, format="json")
    again = _record(api(crew["volunteer"]), hour=8)
    assert again.service_records.count() == 1
