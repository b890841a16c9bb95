"""Whatever a client sends, the answer is a 4xx that says what was wrong, and nothing is stored:
each case below once gave a 500 (a probe of the running app found them)."""

import json
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from patrols.models import Activity
from problems.models import Problem
from tests.support.factories import activity_body
from tests.support.walks import walk_along

HUGE = int("9" * 400)  # a 400-digit integer: float() overflows


def nothing_stored():
    return not Activity.objects.exists() and not Problem.objects.exists()


def _post_raw(client, url, text, content_type="application/json"):
    return client.generic("POST", url, text.encode("utf-8", "surrogatepass"), content_type=content_type)


def _problem(**extra):
    return {"client_uuid": str(uuid.uuid4()), "category": "garbage", "observed_at": "2026-05-01T08:10:00+08:00",
            **extra}


@pytest.mark.parametrize("change", [
    {"point": [HUGE, 32.7]},
    {"point": {"type": "Point", "coordinates": [110.5, HUGE]}},
    {"points": [[HUGE, 32.7, 1777593600000, 5], [110.5, 32.7, 1777593608000, 5]]},
    {"points": [[110.5, 32.7, HUGE, 5], [110.5, 32.7, 1777593608000, 5]]},
    {"track": {"type": "LineString", "coordinates": [[HUGE, 32.7], [110.5, 32.7]]}},
    {"kind": "problem_report", "problems": [_problem(point=[110.5, HUGE])]},
    {"figures": {"bags": HUGE}},
    {"figures": {"debris_kg": HUGE}},
    {"started_at": "0001-01-01T00:00:00+08:00"},
    {"ended_at": "9999-12-31T23:59:59+08:00"},
    {"client_uuid": False},
    {"client_uuid": 0},
], ids=lambda change: json.dumps(change, ensure_ascii=False)[:40])
def test_huge_numbers_far_times_and_non_text_uuids_are_refused(crew, api, change):
    body = activity_body() | change  # as sent: activity_body() would replace a false uuid with a new one
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert any("\u4e00" <= character <= "\u9fff" for character in response.json()["detail"])
    assert nothing_stored()


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize("url, signed_in", [
    ("/api/activities/", True), ("/api/auth/token/", False), ("/api/activities/{patrol}/review/", True),
])
def test_deeply_nested_json_is_a_400_even_before_signing_in(crew, api, url, signed_in):
    patrol = api(crew["volunteer"]).post("/api/activities/", activity_body(walk_along(length_m=300)), format="json")
    url = url.format(patrol=patrol.json()["id"])
    client = APIClient()
    if signed_in:
        client.force_authenticate(crew["staff"].user)
    response = _post_raw(client, url, DEEP)
    assert response.status_code == 400, response.content[:300]
    assert "嵌套" in response.json()["detail"]
    depth_65 = json.dumps(activity_body(notes="x") | {"deep": json.loads("[" * 65 + "]" * 65)})
    response = _post_raw(client, url, depth_65)
    assert response.status_code in (400, 401) and "嵌套" in response.json()["detail"]


@pytest.mark.parametrize("text", [
    # A lone surrogate in a key nobody declared, inside a track, and in a point's extra member.
    '{"client_uuid": "%s", "kind": "patrol", "\\ud800": 1}',
    '{"client_uuid": "%s", "kind": "patrol", "track": {"type": "LineString", "coordinates": [[110.5, 32.7], [110.51, 32.7]], "name": "\\udfff"}}',
    '{"client_uuid": "%s", "kind": "cleanup", "point": {"type": "Point", "coordinates": [110.5, 32.7], "x": "\\ud83d"}}',
    # A NUL in an extra member of a GeoJSON track, which used to reach PostgreSQL with the raw track.
    '{"client_uuid": "%s", "kind": "patrol", "track": {"type": "LineString", "coordinates": [[110.5, 32.7], [110.51, 32.7]], "note": "a\\u0000b"}}',
    '{"client_uuid": "%s", "kind": "cleanup", "notes": "\\u0000"}',
])
def test_text_the_database_cannot_store_is_refused_with_a_400(crew, api, text):
    body = text % uuid.uuid4()
    response = _post_raw(api(crew["volunteer"]), "/api/activities/", body)
    assert response.status_code == 400, response.content[:300]
    assert "无法保存的字符" in response.json()["detail"]
    assert nothing_stored()


def test_a_form_encoded_activity_is_refused_rather_than_stored_without_its_problems(crew, api):
    body = {**activity_body(kind="cleanup", point=json.dumps([110.55, 32.70])),
            "problems": json.dumps([_problem()]), "figures": json.dumps({"bags": 2})}
    response = api(crew["volunteer"]).post("/api/activities/", body, format="multipart")
    assert response.status_code == 415
    assert nothing_stored()


@pytest.mark.parametrize("url", ["/api/people/?q=%00", "/api/coverage/?kind=%00", "/api/waterways/%00/reaches/",
                                 "/api/activities/?waterway=ZW%00"])
def test_a_nul_in_an_address_or_a_parameter_is_a_400_in_chinese(crew, api, url):
    response = api(crew["staff"]).get(url)
    assert response.status_code == 400 and "无法处理的字符" in response.json()["detail"]


def test_a_nul_in_a_page_address_is_a_400_too(crew):
    client = Client()
    client.force_login(crew["staff"].user)
    response = client.get("/activities/?kind=%00")
    assert response.status_code == 400 and "无法处理的字符" in response.content.decode()


def test_the_same_fixes_as_numbers_still_go_through(crew, api):
    """The guards refuse only what cannot be stored: an ordinary walk is recorded."""
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(walk_along(length_m=300)), format="json")
    assert response.status_code == 201


# --- Characters that change how text shows without being seen ---------------------------------

SPOOFING = "\u202e\u200b\u2066\ufeff"  # right-to-left override, zero-width space, isolate, BOM


def test_names_are_stored_without_invisible_characters(district_data):
    from people import services

    person = services.create_person(name=f"张{SPOOFING}三", role="volunteer")
    team = services.create_team(name=f"\u202e{SPOOFING}清河队", kind="volunteer")
    person.refresh_from_db()
    team.refresh_from_db()
    assert (person.name, team.name) == ("张三", "清河队")


def test_a_note_keeps_its_invisible_characters_but_the_page_shows_them(crew, api):
    body = activity_body(kind="cleanup", point=[110.5368, 32.6517], notes="已清理\u202e垃圾袋 3 个")
    created = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert created.status_code == 201 and created.json()["properties"]["notes"] == "已清理\u202e垃圾袋 3 个"
    client = Client()
    client.force_login(crew["volunteer"].user)
    page = client.get(f"/activities/{created.json()['id']}/").content.decode()
    assert '<span class="invisible-char" title="U+202E">U+202E</span>' in page
    assert "\u202e" not in page


def test_the_browser_reveals_the_same_characters_as_the_server():
    """static/js/util.js keeps its own copy of the set (scripts cannot import Python): the same."""
    import re
    from pathlib import Path

    from riverwatch.text import INVISIBLE

    source = (Path(__file__).resolve().parent.parent / "static/js/util.js").read_text()
    javascript_class = re.search(r"const INVISIBLE = /(\[[^\]]+\])/g;", source).group(1)
    assert javascript_class.encode().decode("unicode_escape") == INVISIBLE.pattern


@pytest.mark.parametrize("url", ["/healthz", "/api/waterways/", "/activities/", "/m/"])
def test_a_session_cookie_django_could_not_have_made_is_no_session(district_data, url):
    """A NUL in the cookie would reach PostgreSQL in the session lookup: it is simply not a session."""
    response = Client().get(url, HTTP_COOKIE='sessionid="abcdefghij\\000klmnop"')
    assert response.status_code in (200, 302, 401), response.status_code


# A WSGI server hands header bytes over as latin-1 text: "\xe9" is the byte 0xE9, not UTF-8.
@pytest.mark.parametrize("header", ["Token \xe9abcdef", "Token abc\x00def", "Token " + "z" * 64, "Token \xe4\xbb\xae"])
def test_a_token_that_could_not_be_one_is_a_401_asking_for_a_token(district_data, header):
    response = APIClient().get("/api/waterways/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "不是本系统发放的令牌" in response.json()["detail"]  # refused before knox looks it up


def test_revoking_a_token_id_that_could_not_be_one_says_there_is_no_such_token(crew):
    client = Client()
    client.force_login(crew["volunteer"].user)
    response = client.post("/accounts/tokens/", {"token": "abc\x00def"}, follow=True)
    assert response.status_code == 200
    assert "没有这个令牌" in response.content.decode()
