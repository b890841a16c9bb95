"""`Prefer: return=minimal` (RFC 7240): the phone gets the record's id back, not its track."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patrols.models import Activity
from riverwatch import prefer
from tests.patrols.test_gpx import _gpx
from tests.support.factories import activity_body
from tests.support.walks import walk_along


def test_minimal_answer_names_the_record_without_the_track(crew, api):
    client = api(crew["volunteer"])
    body = activity_body(walk_along(length_m=600), participants=[crew["teammate"].id])

    answer = client.post("/api/activities/", body, format="json", HTTP_PREFER="return=minimal")

    assert answer.status_code == 201, answer.json()
    stored = Activity.objects.get(client_uuid=body["client_uuid"])
    assert answer.json() == {
        "id": stored.id, "client_uuid": body["client_uuid"], "kind": "patrol", "status": "submitted",
        "waterway": stored.waterway.code, "off_network": False, "skipped_participants": [],
        "url": f"/activities/{stored.id}/",
    }
    assert answer["Preference-Applied"] == "return=minimal"
    assert answer["Location"] == f"/api/activities/{stored.id}/"
    assert "Prefer" in answer["Vary"]
    assert stored.service_records.count() == 2  # stored in full all the same


def test_a_repeat_with_minimal_answers_200_with_the_same_id(crew, api):
    client = api(crew["volunteer"])
    body = activity_body(walk_along(length_m=300))
    first = client.post("/api/activities/", body, format="json", HTTP_PREFER="return=minimal")
    again = client.post("/api/activities/", body, format="json", HTTP_PREFER="return=minimal")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert "geometry" not in again.json()


@pytest.mark.parametrize("header", [None, "return=representation", "respond-async", "return=representation, return=minimal"])
def test_without_the_preference_the_answer_is_the_whole_feature(crew, api, header):
    client = api(crew["volunteer"])
    extra = {"HTTP_PREFER": header} if header else {}
    answer = client.post("/api/activities/", activity_body(walk_along(length_m=300)), format="json", **extra)
    assert answer.status_code == 201
    assert answer.json()["type"] == "Feature"
    assert answer.json()["geometry"]["type"] == "MultiLineString"
    assert "Preference-Applied" not in answer
    assert answer["Location"] == f"/api/activities/{answer.json()['id']}/"


@pytest.mark.parametrize("header", ["return=minimal", "RETURN = \"minimal\"", "wait=10, return=minimal; x=1", "return=minimal, return=representation"])
def test_the_preference_is_read_as_rfc_7240_writes_it(header, rf):
    assert prefer.wants_minimal(rf.post("/", HTTP_PREFER=header))


@pytest.mark.parametrize("header", ["", "return=representation, return=minimal", 'foo="a,return=minimal"', "return-minimal",
                                    "handling=lenient"])
def test_other_preferences_are_not_taken_for_it(header, rf):
    assert not prefer.wants_minimal(rf.post("/", HTTP_PREFER=header))


def test_an_activity_off_the_network_answers_without_a_waterway(crew, api):
    answer = api(crew["volunteer"]).post("/api/activities/", activity_body(kind="cleanup", point=[110.70, 32.60]),
                                         format="json", HTTP_PREFER="return=minimal")
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["waterway"], answer.json()["off_network"]) == (None, True)


def test_gpx_upload_honours_the_preference(crew, api):
    client = api(crew["volunteer"])
    upload = SimpleUploadedFile("walk.gpx", _gpx([walk_along(length_m=500)]), content_type="application/gpx+xml")
    answer = client.post("/api/activities/gpx/", {"file": upload, "client_uuid": "6d5f8a52-43f1-4f43-8c4e-0a7e7f1a1c11",
                                                  "kind": "patrol"}, format="multipart", HTTP_PREFER="return=minimal")
    assert answer.status_code == 201, answer.content
    assert answer.json()["client_uuid"] == "6d5f8a52-43f1-4f43-8c4e-0a7e7f1a1c11"
    assert answer["Preference-Applied"] == "return=minimal"
