"""The problem list's API: the list with its counts, a move through the transition table, photos
ahead of a resolution, duplicates asked by the phone, the figures, and refusals in the user's language."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from problems.models import Problem
from tests.support.problems import jpeg, make_world, move, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(crew):
    return make_world(crew)


def test_the_list_reads_what_the_login_may_and_counts_by_state(world, api):
    mine = reported(world["volunteer"], source="phone")
    other = reported(world["staff"], position_m=900)
    move(other, world["staff"], "accept")
    body = api(world["staff"]).get("/api/problems/").json()
    assert body["count"] == 2
    counts = {row["state"]: row["count"] for row in body["counts"]["states"]}
    assert counts["reported"] == 1 and counts["accepted"] == 1
    volunteer = api(world["volunteer"]).get("/api/problems/").json()
    assert [row["id"] for row in volunteer["results"]] == [mine.pk]
    assert api(world["volunteer"]).get(f"/api/problems/{other.pk}/").status_code == 404
    assert api().get("/api/problems/").status_code in (401, 403)
    refused = api(world["staff"]).get("/api/problems/", {"state": "sleeping"})
    assert refused.status_code == 400 and "状态" in str(refused.json())


def test_a_member_resolves_with_a_photo_sent_ahead_and_the_chief_verifies(world, api):
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    staff = api(world["staff"])
    assigned = staff.post(f"/api/problems/{problem.pk}/actions/", {"action": "assign", "unit": world["unit"].pk},
                          format="json")
    assert assigned.status_code == 201, assigned.json()
    assert assigned.json()["state"] == "assigned" and assigned.json()["deadline"]

    member = api(world["member"])
    forbidden = api(world["volunteer"]).post(f"/api/problems/{problem.pk}/actions/", {"action": "resolve", "note": "x"},
                                             format="json")
    assert forbidden.status_code == 404  # a volunteer does not even see it
    no_photo = member.post(f"/api/problems/{problem.pk}/actions/", {"action": "resolve", "note": "已清理"}, format="json")
    assert no_photo.status_code == 400 and "照片" in str(no_photo.json())
    sent = member.post(f"/api/problems/{problem.pk}/photos/",
                       {"photo": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")}, format="multipart")
    assert sent.status_code == 201
    resolved = member.post(f"/api/problems/{problem.pk}/actions/", {"action": "resolve", "note": "已清理"}, format="json")
    assert resolved.status_code == 201, resolved.json()
    assert resolved.json()["events"][-1]["photo_urls"]
    not_theirs = member.post(f"/api/problems/{problem.pk}/actions/", {"action": "verify"}, format="json")
    assert not_theirs.status_code == 403 and "无权" in not_theirs.json()["detail"]
    verified = api(world["chief"]).post(f"/api/problems/{problem.pk}/actions/", {"action": "verify"}, format="json")
    assert verified.status_code == 201 and verified.json()["ending"] == "fixed"


def test_a_bad_photo_is_refused_and_nothing_moves(world, api):
    problem = reported(world["staff"])
    move(problem, world["staff"], "accept")
    move(problem, world["staff"], "assign", unit=world["unit"])
    refused = api(world["member"]).post(
        f"/api/problems/{problem.pk}/actions/",
        {"action": "resolve", "note": "已清理", "photos": [SimpleUploadedFile("a.jpg", b"not a photo", "image/jpeg")]},
        format="multipart")
    assert refused.status_code == 400
    problem.refresh_from_db()
    assert problem.state == "assigned" and problem.events.count() == 3


def test_the_phone_asks_for_duplicates_before_sending(world, api):
    from tests.support.geo import to_lonlat
    problem = reported(world["volunteer"], source="phone")
    lon, lat = to_lonlat(problem.point.x + 33, problem.point.y)
    found = api(world["teammate"]).get("/api/problems/duplicates/", {"category": "garbage", "lon": lon, "lat": lat})
    assert found.status_code == 200
    # A teammate may not read the volunteer's report: told that one is open about 30 m away, and nothing else.
    [row] = found.json()
    assert (row["id"], row["category"], row["state"], row["url"]) == (problem.pk, "garbage", "reported", None)
    assert row["distance_m"] == 30.0 and row["observed_on"] == "2026-11-18"  # to 10 m: not to be read
    assert set(row) == {"id", "category", "category_display", "state", "state_display", "observed_on",
                        "waterway_name", "distance_m", "url"}
    found = api(world["staff"]).get("/api/problems/duplicates/", {"category": "garbage", "lon": lon, "lat": lat})
    assert [row["id"] for row in found.json()] == [problem.pk] and found.json()[0]["url"] == f"/problems/{problem.pk}/"
    assert found.json()[0]["distance_m"] == pytest.approx(33, abs=0.5)  # the office may read it: to the metre
    other = api(world["staff"]).get("/api/problems/duplicates/", {"category": "sewage", "lon": lon, "lat": lat})
    assert other.json() == []
    away = api(world["staff"]).get("/api/problems/duplicates/", {"category": "garbage", "lon": 2.35, "lat": 48.85})
    assert away.status_code == 400


def test_the_office_enters_a_deputy_suggestion_and_the_figures_count_it(world, api):
    from tests.support.geo import to_lonlat
    from tests.support.problems import point_on
    lon, lat = to_lonlat(*point_on("ZW-G07").coords)
    staff = api(world["staff"])
    no_deputy = staff.post("/api/problems/", {"category": "sewage", "source": "deputy", "note": "排口", "point": [lon, lat]},
                           format="json")
    assert no_deputy.status_code == 400 and "代表" in str(no_deputy.json())
    created = staff.post("/api/problems/", {"category": "sewage", "source": "deputy", "note": "建议整治排口",
                                           "point": [lon, lat], "deputy": world["deputy"].pk}, format="json")
    assert created.status_code == 201, created.json()
    assert Problem.objects.get(pk=created.json()["id"]).deputy == world["deputy"]
    assert api(world["volunteer"]).post("/api/problems/", {"category": "sewage", "source": "hotline", "note": "x"},
                                        format="json").status_code == 403
    today = timezone.localdate()
    figures = staff.get("/api/problems/figures/", {"start": today - timedelta(days=2), "end": today, "by": "category"})
    assert figures.status_code == 200
    assert [(row["category"], row["found"]) for row in figures.json()["rows"]] == [("sewage", 1)]
    assert api(world["volunteer"]).get("/api/problems/figures/", {"start": today, "end": today}).status_code == 403
