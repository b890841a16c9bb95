"""What the phone's task screen and outbox (static/field/tasks.js, outbox.js) rely on from the problems
API, played as the phone plays it: the task list's fields and order; photos first, each sent again after
a lost answer without being stored twice; then the move as JSON naming no photos; and, when a move is
sent again after its answer was lost, a refusal plus a timeline in which the phone recognises its own
move (action, note, the actor's name as /api/field/me/ gives it)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from problems.models import Problem, ProblemPhoto
from tests.support.problems import jpeg, make_world, move, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(crew):
    world = make_world(crew)
    staff = world["staff"]
    plain = reported(staff, position_m=300)
    late = reported(staff, category="sewage", position_m=900)
    urgent = reported(staff, category="dumping", position_m=600)
    for problem in (plain, late, urgent):
        move(problem, staff, "accept")
        move(problem, staff, "assign", unit=world["unit"])
    today = timezone.localdate()
    move(urgent, staff, "supervise", note="请加快", deadline=today + timedelta(days=2))
    Problem.objects.filter(pk=late.pk).update(deadline=today - timedelta(days=3))
    return {**world, "plain": plain, "late": late, "urgent": urgent}


def test_the_task_list_gives_the_phone_what_a_row_shows_supervised_first(world, api):
    rows = api(world["member"]).get("/api/problems/mine/").json()
    assert [row["id"] for row in rows] == [world["urgent"].pk, world["late"].pk, world["plain"].pk]
    urgent, late, _plain = rows
    assert urgent["supervised"] is True and urgent["days_left"] == 2
    assert late["days_left"] == -3 and late["overdue"] is True and late["deadline"]
    assert late["category_display"] == "污水直排" and late["waterway_name"] == "狮子沟"
    assert late["state"] == "assigned" and late["state_display"] == "已交办"
    assert len(late["point"]) == 2
    assert api(world["volunteer"]).get("/api/problems/mine/").json() == []


def _photo(client, problem, data):
    upload = SimpleUploadedFile("a.jpg", data, "image/jpeg")
    return client.post(f"/api/problems/{problem.pk}/photos/", {"photo": upload}, format="multipart")


def test_the_outbox_order_photos_then_moves_and_a_resend_after_a_lost_answer(world, api):
    problem, member = world["plain"], world["member"]
    client = api(member)
    first = _photo(client, problem, jpeg(colour=(10, 150, 60)))
    again = _photo(client, problem, jpeg(colour=(10, 150, 60)))  # the answer was lost: the phone sends it again
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and ProblemPhoto.objects.filter(problem=problem).count() == 1

    started = client.post(f"/api/problems/{problem.pk}/actions/", {"action": "start", "note": ""}, format="json")
    assert started.status_code == 201 and started.json()["id"] == problem.pk  # the outbox reads `id`
    resolved = client.post(f"/api/problems/{problem.pk}/actions/", {"action": "resolve", "note": "已清理"},
                           format="json")
    assert resolved.status_code == 201 and resolved.json()["state"] == "resolved"
    assert resolved.json()["events"][-1]["photo_urls"]  # the photo sent ahead is the evidence

    # Both moves sent again, as after a lost answer: refused, and nothing moves twice.
    for action, note in (("start", ""), ("resolve", "已清理")):
        repeat = client.post(f"/api/problems/{problem.pk}/actions/", {"action": action, "note": note}, format="json")
        assert repeat.status_code == 403 and "code" not in repeat.json()  # not a lapsed login: no sign_in_again
    # What the phone reads to recognise its own move (outbox.js alreadyMade).
    detail = client.get(f"/api/problems/{problem.pk}/").json()
    assert detail["state"] == "resolved"
    resolutions = [event for event in detail["events"] if event["action"] == "resolve"]
    assert len(resolutions) == 1 and [event["action"] for event in detail["events"]].count("start") == 1
    me = client.get("/api/field/me/").json()
    assert resolutions[0]["actor_name"] == me["user"]["display_name"] == "孙村干部"
    assert resolutions[0]["note"] == "已清理" and resolutions[0]["at"]


def test_a_photo_from_someone_outside_the_unit_is_refused_so_the_move_waits_for_a_person(world, api):
    refused = _photo(api(world["chief"]), world["plain"], jpeg())
    assert refused.status_code == 403 and "code" not in refused.json()
    assert not ProblemPhoto.objects.filter(problem=world["plain"]).exists()
