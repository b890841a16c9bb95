"""The API does what its OpenAPI schema says, whatever a client sends: schemathesis generates requests
for every operation from /api/schema/ (valid and invalid ones), as a volunteer and as staff, against
the live test server, and no answer may be a 5xx, carry an undocumented status code or content type,
or break the schema. A longer run: benchmarks/fuzz_api.py."""

import json

import pytest
import schemathesis
from django.test import Client
from rest_framework.test import APIClient

from tests.support.factories import activity_body, make_person, make_team
from tests.support.fuzzing import fuzz
from tests.support.walks import walk_along

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = 8


@pytest.fixture
def fuzz_people(district_data):
    """A volunteer with a team and a recorded patrol, and the office's staff: both with API tokens."""
    volunteer = make_person(name="模糊测试志愿者")
    make_team(members=[volunteer, make_person(name="模糊测试同伴")])
    staff = make_person(name="模糊测试工作人员", role="staff")
    people = {"volunteer": volunteer, "staff": staff}
    client = Client()
    for person in people.values():
        answer = client.post("/api/auth/token/", {"username": person.user.username, "password": "pw-12345"},
                             content_type="application/json")
        person.token = answer.json()["token"]
    recorder = APIClient()
    recorder.credentials(HTTP_AUTHORIZATION=f"Token {volunteer.token}")
    assert recorder.post("/api/activities/", activity_body(walk_along(length_m=400)), format="json").status_code == 201
    return people


@pytest.fixture
def api_schema(fuzz_people):
    client = Client()
    client.force_login(fuzz_people["staff"].user)
    return schemathesis.openapi.from_dict(json.loads(client.get("/api/schema/", {"format": "json"}).content))


@pytest.mark.parametrize("role", ["volunteer", "staff"])
def test_every_operation_answers_as_its_schema_says(api_schema, fuzz_people, live_server, role):
    report = fuzz(api_schema, fuzz_people[role].token, live_server.url, examples=EXAMPLES)
    assert report.failures == [], report.describe_failures()
    assert report.statuses[200] + report.statuses[201] > report.cases / 10, report.statuses  # signed in throughout
