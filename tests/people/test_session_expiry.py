"""A login lapses after SESSION_IDLE_HOURS without a request (the office's pages); the phone app keeps
it for SESSION_FIELD_HOURS after its last request (a patrol day). Every request moves the end on."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.support.clock import FROZEN_NOW

PASSWORD = "s3cret-pass"  # the conftest `user` fixture's password


def signed_in(user):
    """A browser that signed in on the login form at FROZEN_NOW."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def at(clock, **delta):
    clock.move_to(FROZEN_NOW + timedelta(**delta))


def page_works(client):
    response = client.get(reverse("activity-list"))
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
        return False
    assert response.status_code == 200
    return True


def stored_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def about(moment):
    """The clock ticks on while a test runs."""
    return pytest.approx(moment, abs=timedelta(seconds=30))


def test_a_desk_login_lapses_after_the_idle_time_without_a_request(user, clock):
    client = signed_in(user)
    at(clock, hours=8, minutes=1)
    assert not page_works(client)


def test_each_request_moves_the_end_on(user, clock):
    client = signed_in(user)
    for hours in (7, 14, 21):  # a day's work with long pauses, never 8 hours idle
        at(clock, hours=hours)
        assert page_works(client)
    at(clock, hours=21 + 7, minutes=59)
    assert page_works(client)
    at(clock, hours=28 + 8, minutes=59 + 1)  # 8 hours and a minute since the last request
    assert not page_works(client)


def test_the_idle_time_is_a_setting(user, clock, settings):
    settings.SESSION_IDLE_HOURS = 1
    client = signed_in(user)
    assert page_works(client)
    at(clock, minutes=59)
    assert page_works(client)
    at(clock, hours=2)
    assert not page_works(client)


def test_the_cookie_and_the_stored_session_carry_the_new_end(user, clock):
    client = signed_in(user)
    at(clock, hours=3)
    response = client.get(reverse("activity-list"))
    assert response.cookies["sessionid"]["max-age"] == pytest.approx(8 * 3600, abs=30)
    assert stored_expiry(client) == about(FROZEN_NOW + timedelta(hours=3 + 8))


def test_every_request_of_a_signed_in_user_moves_the_end_on_alike(user, clock):
    """Each request saves the session (as SESSION_SAVE_EVERY_REQUEST would), however soon after the
    last: a page costs the same queries whenever it is opened."""
    client = signed_in(user)
    for seconds in (5, 10, 70):
        at(clock, seconds=seconds)
        response = client.get(reverse("activity-list"))
        assert "sessionid" in response.cookies
        assert stored_expiry(client) == about(FROZEN_NOW + timedelta(seconds=seconds, hours=8))


def test_the_phone_app_keeps_a_login_for_a_patrol_day(user, clock):
    client = signed_in(user)
    assert client.get(reverse("field-home")).status_code == 200
    at(clock, hours=20)  # well past the office's 8 hours
    assert client.get(reverse("api-field-me")).status_code == 200
    at(clock, hours=20 + 23)
    assert client.get(reverse("api-field-history")).status_code == 200
    at(clock, hours=43 + 24, minutes=1)
    response = client.get(reverse("api-field-me"))
    assert response.status_code == 401 and response.json()["code"] == "sign_in_again"


def test_the_field_login_time_is_a_setting(user, clock, settings):
    settings.SESSION_FIELD_HOURS = 12
    client = signed_in(user)
    client.get(reverse("field-home"))
    at(clock, hours=11)
    assert client.get(reverse("api-field-me")).status_code == 200
    at(clock, hours=11 + 12, minutes=1)
    assert client.get(reverse("api-field-me")).status_code == 401


def test_the_outbox_sending_a_record_counts_as_the_phone_app(user, clock):
    """POST /api/activities/ (what the outbox sends) keeps the patrol day's login, whatever its answer."""
    client = signed_in(user)
    client.post(reverse("api-activities"), "{}", content_type="application/json")
    assert stored_expiry(client) == about(FROZEN_NOW + timedelta(hours=24))


def test_an_office_page_opened_on_the_phone_does_not_cut_the_patrol_day_short(user, clock):
    client = signed_in(user)
    client.get(reverse("field-home"))
    at(clock, hours=1)
    assert page_works(client)
    assert stored_expiry(client) == about(FROZEN_NOW + timedelta(hours=24))
    at(clock, hours=20)
    assert client.get(reverse("api-field-me")).status_code == 200


def test_reading_the_api_from_an_office_page_keeps_the_office_idle_time(user, clock):
    client = signed_in(user)
    at(clock, hours=2)
    assert client.get("/api/people/").status_code == 200
    assert stored_expiry(client) == about(FROZEN_NOW + timedelta(hours=2 + 8))


def test_nobody_signed_in_gets_no_session(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_signing_out_still_signs_out(user, clock):
    client = signed_in(user)
    assert client.post(reverse("logout")).status_code == 302
    assert not page_works(client)


@pytest.mark.parametrize("path", ["/m/", "/api/field/me/"])
def test_a_lapsed_phone_login_is_asked_to_sign_in_again_not_refused(user, clock, path):
    """The outbox keeps its records and waits: /m/ sends the browser to the login page, the API says 401."""
    client = signed_in(user)
    client.get(path)
    at(clock, hours=25)
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.json()["code"] == "sign_in_again"
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
