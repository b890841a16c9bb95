"""Who may read, submit and review what (DESIGN.md "Roles"), endpoint by endpoint."""

import pytest
from rest_framework.test import APIClient

from patrols.models import Activity
from tests.support.factories import activity_body, make_person
from tests.support.walks import walk_along


@pytest.fixture
def patrol(crew, api):
    """The volunteer's patrol on 狮子沟 (ZW-G07), with a teammate."""
    body = activity_body(walk_along(length_m=800), participants=[crew["teammate"].id])
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 201
    return Activity.objects.get(pk=response.json()["id"])


READERS = {
    "volunteer": True,  # submitted it
    "teammate": True,  # took part
    "leader": True,  # leads the team of those who took part
    "chief": True,  # river chief of 狮子沟
    "staff": True,
    "outsider": False,  # another volunteer
    "other_chief": False,  # chief of another gully
}


@pytest.mark.parametrize("who, may_read", READERS.items())
def test_who_reads_an_activity(crew, api, patrol, who, may_read):
    client = api(crew[who])
    listed = {feature["id"] for feature in client.get("/api/activities/").json()["features"]}
    assert (patrol.id in listed) is may_read
    assert client.get(f"/api/activities/{patrol.id}/").status_code == (200 if may_read else 404)


REVIEWERS = {
    "volunteer": 403,  # the submitter never reviews their own
    "teammate": 403,  # nor does someone who took part
    "leader": 200,
    "chief": 200,
    "staff": 200,
    "outsider": 404,  # cannot even see it
    "other_chief": 404,
}


@pytest.mark.parametrize("who, expected", REVIEWERS.items())
def test_who_verifies_an_activity(crew, api, patrol, who, expected):
    response = api(crew[who]).post(f"/api/activities/{patrol.id}/review/", {"decision": "verify"}, format="json")
    assert response.status_code == expected, response.json()
    patrol.refresh_from_db()
    assert (patrol.status == "verified") is (expected == 200)
    if expected == 200:
        assert patrol.reviewed_by == crew[who].user


def test_a_django_staff_login_without_a_person_may_review(crew, patrol, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("office", password="pw-12345", is_staff=True))
    assert client.post(f"/api/activities/{patrol.id}/review/", {"decision": "verify"}, format="json").status_code == 200


def test_rejection_needs_a_reason_and_is_final(crew, api, patrol):
    leader = api(crew["leader"])
    no_reason = leader.post(f"/api/activities/{patrol.id}/review/", {"decision": "reject"}, format="json")
    assert no_reason.status_code == 400
    assert "原因" in no_reason.json()["detail"]
    rejected = leader.post(f"/api/activities/{patrol.id}/review/", {"decision": "reject", "note": "轨迹在公路上"}, format="json")
    assert rejected.status_code == 200
    assert rejected.json()["properties"]["status"] == "rejected"
    again = api(crew["staff"]).post(f"/api/activities/{patrol.id}/review/", {"decision": "verify"}, format="json")
    assert again.status_code == 409


def test_reviews_are_announced_after_commit(crew, api, patrol, django_capture_on_commit_callbacks):
    from patrols.signals import activity_reviewed

    heard = []
    activity_reviewed.connect(lambda sender, activity, decision, **kw: heard.append((activity.pk, decision)), weak=False,
                              dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            api(crew["leader"]).post(f"/api/activities/{patrol.id}/review/", {"decision": "verify"}, format="json")
    finally:
        activity_reviewed.disconnect(dispatch_uid="test-listener")
    assert heard == [(patrol.id, "verify")]


def test_volunteers_may_only_add_teammates_but_staff_may_add_anyone(crew, api):
    body = activity_body(kind="cleanup", point=[110.55, 32.70], participants=[crew["outsider"].id])
    refused = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert refused.status_code == 400
    assert "赵路人" in refused.json()["detail"]
    assert Activity.objects.count() == 0
    allowed = api(crew["staff"]).post("/api/activities/", body, format="json")
    assert allowed.status_code == 201
    assert {p["name"] for p in allowed.json()["properties"]["participants"]} == {"河长办小刘", "赵路人"}


@pytest.mark.parametrize(
    "viewer, sees_phone", [("volunteer", True), ("teammate", False), ("leader", False), ("chief", False), ("staff", True)]
)
def test_nobody_reads_another_volunteers_phone_unless_staff(crew, api, viewer, sees_phone):
    person = api(crew[viewer]).get(f"/api/people/{crew['volunteer'].id}/").json()
    assert person["name"] == "张志愿"
    assert (person["phone"] == "13900000001") is sees_phone
    if not sees_phone:
        assert person["phone"] is None
    listed = api(crew[viewer]).get("/api/people/?q=张志愿").json()["results"]
    assert [p["phone"] for p in listed] == (["13900000001"] if sees_phone else [None])


def test_activity_participants_never_carry_phone_numbers(crew, api, patrol):
    body = api(crew["chief"]).get(f"/api/activities/{patrol.id}/").content.decode()
    assert "13900000001" not in body and "13900000002" not in body


def test_teammates_endpoint_lists_companions_to_pick(crew, api):
    names = {p["name"] for p in api(crew["volunteer"]).get("/api/people/?teammates=1").json()["results"]}
    assert names == {"张志愿", "李同伴", "王队长"}


@pytest.mark.parametrize("query, field", [("teammates=maybe", "teammates"), ("q=" + "长" * 65, "q")])
def test_the_people_search_refuses_what_it_cannot_read(crew, api, query, field):
    response = api(crew["volunteer"]).get("/api/people/?" + query)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_the_people_search_refuses_a_nul(crew, api):
    response = api(crew["volunteer"]).get("/api/people/?q=%00")
    assert response.status_code == 400 and response.json()["code"] == "unstorable_text"


ENDPOINTS = [
    ("get", "/api/activities/"),
    ("post", "/api/activities/"),
    ("post", "/api/activities/gpx/"),
    ("get", "/api/stats/service-records/"),
    ("get", "/api/people/"),
    ("get", "/activities/"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_anonymous_users_get_nothing(district_data, method, url):
    response = getattr(APIClient(), method)(url)
    if url.startswith("/api/"):
        # 401 with the scheme to use, so a script knows to sign in (and the phone's outbox waits).
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "sign_in_again"
    else:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_scripts_log_in_with_a_token(crew):
    user = crew["volunteer"].user
    user.set_password("long-enough-pass")
    user.save()
    client = APIClient()
    bad = client.post("/api/auth/token/", {"username": user.username, "password": "wrong"}, format="json")
    assert bad.status_code == 400
    token = client.post("/api/auth/token/", {"username": user.username, "password": "long-enough-pass"},
                        format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = client.post("/api/activities/", activity_body(walk_along(length_m=300)), format="json")
    assert created.status_code == 201
    assert Activity.objects.get(pk=created.json()["id"]).submitted_by == user


def test_a_new_volunteer_without_a_team_still_records_alone(district_data):
    loner = make_person(name="新志愿者")
    client = APIClient()
    client.force_authenticate(loner.user)
    response = client.post("/api/activities/", activity_body(kind="cleanup", point=[110.55, 32.70]), format="json")
    assert response.status_code == 201
    assert [p["name"] for p in response.json()["properties"]["participants"]] == ["新志愿者"]


def test_password_guessing_on_the_token_endpoint_is_throttled(crew, settings):
    from django.core.cache import cache

    cache.clear()
    client = APIClient()
    statuses = [
        client.post("/api/auth/token/", {"username": crew["volunteer"].user.username, "password": f"guess{i}"},
                    format="json").status_code
        for i in range(12)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    cache.clear()
