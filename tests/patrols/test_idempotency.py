"""A submission is stored once, whatever the network does."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from patrols.models import Activity, ServiceRecord
from tests.support.factories import activity_body
from tests.support.walks import walk_along


def test_first_post_creates_and_repeat_returns_the_same_record(crew, api):
    client = api(crew["volunteer"])
    body = activity_body(walk_along(length_m=600), participants=[crew["teammate"].id])

    first = client.post("/api/activities/", body, format="json")
    assert first.status_code == 201, first.json()
    stored = first.json()
    assert stored["properties"]["client_uuid"] == body["client_uuid"]
    assert {p["name"] for p in stored["properties"]["participants"]} == {"张志愿", "李同伴"}

    again = client.post("/api/activities/", body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == stored["id"]
    assert Activity.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    assert ServiceRecord.objects.filter(activity_id=stored["id"]).count() == 2


def test_same_body_in_another_key_order_is_still_a_repeat(crew, api):
    client = api(crew["volunteer"])
    body = activity_body(walk_along(length_m=300), notes="清理了两袋垃圾")
    assert client.post("/api/activities/", body, format="json").status_code == 201
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2, ensure_ascii=False)
    again = client.post("/api/activities/", reordered, content_type="application/json")
    assert again.status_code == 200


def test_same_uuid_with_a_different_body_is_a_conflict(crew, api):
    client = api(crew["volunteer"])
    body = activity_body(walk_along(length_m=300))
    original = client.post("/api/activities/", body, format="json").json()

    changed = dict(body, notes="后来改的备注")
    response = client.post("/api/activities/", changed, format="json")
    assert response.status_code == 409
    assert "client_uuid" in response.json()["detail"]
    assert Activity.objects.get(client_uuid=body["client_uuid"]).notes == ""
    assert Activity.objects.get(client_uuid=body["client_uuid"]).id == original["id"]


def test_another_login_cannot_reuse_a_uuid(crew, api):
    body = activity_body(walk_along(length_m=300))
    assert api(crew["volunteer"]).post("/api/activities/", body, format="json").status_code == 201
    response = api(crew["teammate"]).post("/api/activities/", body, format="json")
    assert response.status_code == 409
    assert Activity.objects.filter(client_uuid=body["client_uuid"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_uuid_store_one_record(crew):
    """Two phones' retries racing: each request in its own thread and database connection."""
    body = activity_body(walk_along(length_m=800))
    user = crew["volunteer"].user
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        try:
            statuses.append(client.post("/api/activities/", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 201]
    assert Activity.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    assert ServiceRecord.objects.filter(activity__client_uuid=body["client_uuid"]).count() == 1


def test_rejections_say_what_was_wrong_in_the_requests_language(crew, api):
    client = api(crew["volunteer"])
    naive = activity_body(walk_along(length_m=300), started_at="2026-05-01T08:00:00")
    chinese = client.post("/api/activities/", naive, format="json")
    assert chinese.status_code == 400
    assert "时区" in chinese.json()["detail"]

    english = client.post("/api/activities/", naive, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert "time zone" in english.json()["detail"].lower()
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"kind": "swimming"}, "kind"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"ended_at": "2026-05-01T07:00:00+08:00"}, "结束时间早于开始时间"),
        ({"started_at": "2036-05-01T08:00:00+08:00", "ended_at": "2036-05-01T09:00:00+08:00"}, "将来"),
        ({"point": [200, 32.7]}, "经纬度超出范围"),
        ({"points": [[110.5, 32.7, 1777593600000, 5]] * 1 + [["x", 32.7, 1, 5]]}, "第 2 个轨迹点"),
        ({"track": {"type": "Polygon", "coordinates": []}}, "LineString"),
        ({"figures": {"debris_kg": -3}}, "debris_kg"),
        ({"participants": [999999]}, "999999"),
        # Well formed but impossible times: once a 500, now a sentence saying so.
        ({"started_at": "2026-02-30T08:00:00+08:00"}, "时间不存在"),
        ({"started_at": "0000-00-00T00:00:00+08:00"}, "时间不存在"),
        ({"started_at": "2026-05-01T08:00:00+99:00"}, "时间不存在"),
        ({"ended_at": "2026-05-01T09:99:00+08:00"}, "时间不存在"),
        ({"problems": [{"client_uuid": "7f1e4d38-7c55-4b8e-9a53-5d3b7b4b2a10", "category": "garbage",
                        "observed_at": "2026-05-01T08:00:00+99:00"}]}, "时间不存在"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_stored(crew, api, change, expected):
    body = activity_body(**change)
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 400, response.json()
    assert expected in json.dumps(response.json(), ensure_ascii=False)
    assert Activity.objects.count() == 0


def test_a_login_without_a_person_record_is_told_to_ask_the_office(district_data, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("nobody", password="pw-12345"))
    response = client.post("/api/activities/", activity_body(point=[110.55, 32.70], kind="cleanup"), format="json")
    assert response.status_code == 403
    assert "人员档案" in response.json()["detail"]


def test_oversized_body_is_refused_before_reading(crew, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = activity_body(walk_along(length_m=3000, step_m=5))
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert Activity.objects.count() == 0
