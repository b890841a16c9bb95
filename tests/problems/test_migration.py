"""The move of the problem reports onto the problem list (problems.0004, patrols.0011): every row
arrives with its id, activity, photos and fields; a verified activity's problem arrives accepted, a
rejected one's closed as invalid."""

import uuid
from datetime import datetime, timezone

import pytest

from tests.support.migrations import leaf_migrations, migrate

BEFORE = [("problems", "0003_problem_list"), ("patrols", "0010_activity_and_problem_times_in_range")]


@pytest.mark.django_db(transaction=True)
def test_problem_reports_arrive_with_their_photos_and_activity_links(district_data):
    latest = leaf_migrations()
    old = migrate(BEFORE)
    try:
        User = old.get_model("people", "User")
        Activity, Report, Photo = (old.get_model("patrols", name) for name in ("Activity", "ProblemReport", "Photo"))
        Waterway = old.get_model("waterways", "Waterway")
        submitter = User.objects.create(username="old-phone")
        reviewer = User.objects.create(username="old-office")
        at = datetime(2026, 5, 1, 1, 0, tzinfo=timezone.utc)
        waterway = Waterway.objects.get(code="ZW-G07")
        point = waterway.geom.interpolate(200)
        point.srid = waterway.geom.srid
        common = dict(submitted_by=submitter, started_at=at, ended_at=at, payload_sha256="0" * 64, point=point)
        checked = Activity.objects.create(client_uuid=uuid.uuid4(), kind="problem_report", status="verified",
                                          reviewed_by=reviewer, reviewed_at=at, **common)
        waiting = Activity.objects.create(client_uuid=uuid.uuid4(), kind="patrol", **common)
        first = Report.objects.create(activity=checked, client_uuid=uuid.uuid4(), category="sewage", note="排口冒黑水",
                                      point=point, observed_at=at, waterway=waterway, position_m=200)
        second = Report.objects.create(activity=waiting, client_uuid=uuid.uuid4(), category="garbage", observed_at=at)
        refused = Activity.objects.create(client_uuid=uuid.uuid4(), kind="patrol", status="rejected",
                                          reviewed_by=reviewer, reviewed_at=at, review_note="轨迹不在河道", **common)
        third = Report.objects.create(activity=refused, client_uuid=uuid.uuid4(), category="dumping", observed_at=at)
        photo = Photo.objects.create(activity=checked, problem=first, image="a.jpg", thumbnail="a-t.jpg", sha256="1" * 64,
                                     uploaded_by=submitter)
    finally:
        new = migrate(latest)
    Problem, Event, NewPhoto = (new.get_model(*name) for name in (("problems", "Problem"), ("problems", "ProblemEvent"),
                                                                    ("patrols", "Photo")))
    moved = Problem.objects.get(pk=first.pk)
    assert (moved.client_uuid, moved.category, moved.note, moved.activity_id, moved.waterway_id, moved.position_m) == (
        first.client_uuid, "sewage", "排口冒黑水", checked.pk, waterway.pk, 200)
    assert moved.point.equals_exact(point, 1e-6) and moved.observed_at == at
    assert (moved.source, moved.state, moved.accepted_at, moved.reported_by_id) == ("phone", "accepted", at, submitter.pk)
    assert NewPhoto.objects.get(pk=photo.pk).problem_id == first.pk
    assert list(Event.objects.filter(problem_id=first.pk).order_by("id").values_list("action", "actor_id")) == [
        ("report", submitter.pk), ("accept", reviewer.pk)]
    later = Problem.objects.get(pk=second.pk)
    assert (later.source, later.state, later.accepted_at, later.activity_id) == ("patrol", "reported", None, waiting.pk)
    set_aside = Problem.objects.get(pk=third.pk)
    assert (set_aside.state, set_aside.ending, set_aside.closed_at, set_aside.accepted_at) == ("closed", "invalid", at, None)
    assert list(Event.objects.filter(problem_id=third.pk).order_by("id").values_list("action", "actor_id", "to_state")) == [
        ("report", submitter.pk, "reported"), ("reject", reviewer.pk, "closed")]
    assert "轨迹不在河道" in Event.objects.get(problem_id=third.pk, action="reject").note
    # New problems continue the numbering after the moved ones.
    assert Problem.objects.create(category="other", source="hotline", observed_at=at).pk > third.pk
