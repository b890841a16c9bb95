"""What the phone's task screen and outbox (static/field/tasks.js, outbox.js) rely on from the problems
API, played as the phone plays it: the task list's fields and order; photos first, each sent again after
a lost answer without being stored twice; then the move as JSON naming its photos (photo_ids) and
carrying its client_uuid, so a move sent again after its answer was lost is made once and answered
as the first time."""

import uuid
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

    start = {"action": "start", "note": "", "client_uuid": str(uuid.uuid4())}
    resolve = {"action": "resolve", "note": "已清理", "photo_ids": [first.json()["id"]], "client_uuid": str(uuid.uuid4())}
    started = client.post(f"/api/problems/{problem.pk}/actions/", start, format="json")
    assert started.status_code == 201 and started.json()["id"] == problem.pk  # the outbox reads `id`
    resolved = client.post(f"/api/problems/{problem.pk}/actions/", resolve, format="json")
    assert resolved.status_code == 201 and resolved.json()["state"] == "resolved"
    assert resolved.json()["events"][-1]["photo_urls"]  # the photo sent ahead is the evidence

    # Both moves sent again with their keys, as after a lost answer: the same answer, nothing made twice.
    for body in (start, resolve):
        repeat = client.post(f"/api/problems/{problem.pk}/actions/", body, format="json")
        assert repeat.status_code == 201 and repeat.json()["state"] == "resolved"
    actions = [event["action"] for event in client.get(f"/api/problems/{problem.pk}/").json()["events"]]
    assert actions.count("start") == 1 and actions.count("resolve") == 1
    # A key already used for another move is a conflict, not a second move.
    reused = client.post(f"/api/problems/{problem.pk}/actions/", {**start, "action": "comment", "note": "补充"},
                         format="json")
    assert reused.status_code == 409 and start["client_uuid"] in reused.json()["detail"]
    # Without its key, a move made once is refused by the state it left behind.
    assert client.post(f"/api/problems/{problem.pk}/actions/", {"action": "start"}, format="json").status_code == 403


def test_a_resolution_takes_only_the_photos_it_names_or_its_own(world, api):
    problem, member = world["plain"], world["member"]
    colleague = world["supervisor"]
    world["unit"].members.add(colleague)
    mine = _photo(api(member), problem, jpeg(colour=(200, 100, 0))).json()["id"]
    theirs = _photo(api(colleague), problem, jpeg(colour=(0, 100, 200))).json()["id"]
    client = api(member)
    named_theirs = client.post(f"/api/problems/{problem.pk}/actions/",
                               {"action": "resolve", "note": "已清理", "photo_ids": [theirs]}, format="json")
    assert named_theirs.status_code == 400 and "photo_ids" in named_theirs.json()["errors"]
    resolved = client.post(f"/api/problems/{problem.pk}/actions/", {"action": "resolve", "note": "已清理"},
                           format="json")
    assert resolved.status_code == 201
    evidence = ProblemPhoto.objects.filter(problem=problem, event__isnull=False).values_list("pk", flat=True)
    assert list(evidence) == [mine]  # a colleague's photo sent ahead stays theirs


def test_a_photo_from_someone_outside_the_unit_is_refused_so_the_move_waits_for_a_person(world, api):
    refused = _photo(api(world["chief"]), world["plain"], jpeg())
    assert refused.status_code == 403 and "code" not in refused.json()
    assert not ProblemPhoto.objects.filter(problem=world["plain"]).exists()
