"""API tokens for scripts (django-rest-knox): issued at /api/auth/token/ for a username and password,
stored only as a hash, lapsing API_TOKEN_TTL_DAYS after they were issued; their owner lists and
revokes them (API and /accounts/tokens/), staff in the admin. A request without credentials is 401
with `WWW-Authenticate: Token`."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.support.clock import FROZEN_NOW

PASSWORD = "s3cret-pass"  # the conftest `user` fixture's password
TOKEN_URL = "/api/auth/token/"
LIST_URL = "/api/auth/tokens/"
REVOKE_ALL_URL = "/api/auth/tokens/revoke-all/"


def get_token(username="volunteer", password=PASSWORD, fmt="json"):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format=fmt)


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user(username="someone-else", password=PASSWORD)


# --- Issuing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_script_gets_a_token_and_its_expiry_with_json_or_a_form(user, fmt):
    response = get_token(fmt=fmt)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert datetime.fromisoformat(body["expiry"]) == pytest.approx(timezone.now() + timedelta(days=30), abs=timedelta(minutes=1))
    assert with_token(body["token"]).get("/api/people/").status_code == 200


def test_the_database_keeps_a_hash_of_the_token_never_the_token(user):
    token = get_token().json()["token"]
    row = AuthToken.objects.get(user=user)
    assert row.digest != token and token not in row.digest and len(row.digest) == 128
    assert token.startswith(row.token_key) and len(row.token_key) < len(token) // 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        assert all(token not in value for values in cursor.fetchall() for value in values)


def test_the_lifetime_comes_from_api_token_ttl_days(user, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    expiry = datetime.fromisoformat(get_token().json()["expiry"])
    assert expiry == pytest.approx(timezone.now() + timedelta(days=7), abs=timedelta(minutes=1))


def test_each_call_gives_a_new_token_and_the_earlier_ones_keep_working(user):
    first, second = get_token().json()["token"], get_token().json()["token"]
    assert first != second
    assert with_token(first).get("/api/people/").status_code == 200
    assert with_token(second).get("/api/people/").status_code == 200


def test_a_wrong_password_gets_no_token_and_says_so_in_chinese(user):
    response = get_token(password="wrong")
    assert response.status_code == 400
    assert response.json()["detail"] == "用户名或密码不正确。" and "token" not in response.json()
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_username_longer_than_any_login_is_refused_before_anything_is_recorded(user, fmt):
    """The lockout records the name of each failed attempt; one too long to record is no login."""
    from axes.models import AccessAttempt, AccessFailureLog

    response = get_token(username="河" * 300, fmt=fmt)
    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


def test_an_inactive_login_gets_no_token(user):
    user.is_active = False
    user.save()
    assert get_token().status_code == 400


def test_a_stale_token_sent_along_does_not_stop_a_script_getting_a_new_one(user):
    response = with_token("0" * 64).post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and response.json()["token"]


def test_a_token_stops_working_when_it_expires(user, clock):
    token = get_token().json()["token"]
    clock.move_to(FROZEN_NOW + timedelta(days=29, hours=23))
    assert with_token(token).get("/api/people/").status_code == 200

    clock.move_to(FROZEN_NOW + timedelta(days=30, minutes=1))
    response = with_token(token).get("/api/people/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "sign_in_again"
    assert not AuthToken.objects.exists()  # knox deletes it on sight


def test_an_old_plain_text_drf_token_no_longer_works(user):
    response = with_token("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b").get("/api/people/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


# --- Without credentials: 401 ---------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/people/", "/api/activities/", LIST_URL, "/api/field/me/"])
def test_without_credentials_the_api_answers_401_with_the_scheme_to_use(db, url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "sign_in_again" and response.json()["detail"]


def test_a_signed_in_page_session_still_reaches_the_api(user):
    client = Client()
    client.force_login(user)
    assert client.get("/api/people/").status_code == 200


def test_a_session_post_with_a_stale_csrf_token_is_still_told_to_sign_in_again(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(REVOKE_ALL_URL, HTTP_X_CSRFTOKEN="stale")
    assert response.status_code == 403 and response.json()["code"] == "sign_in_again"


# --- Listing and revoking through the API -------------------------------------------------------

def test_a_user_lists_their_own_tokens_without_the_tokens(user, other):
    mine = [get_token().json()["token"] for _ in range(2)]
    AuthToken.objects.create(other)
    response = with_token(mine[0]).get(LIST_URL)
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 2
    assert set(rows[0]) == {"id", "key_prefix", "created", "expiry", "current"}
    assert {row["key_prefix"] for row in rows} == {token[:8] for token in mine}
    assert [row["current"] for row in rows if row["key_prefix"] == mine[0][:8]] == [True]
    assert all(token not in response.content.decode() for token in mine)
    assert set(AuthToken.objects.filter(user=user).values_list("digest", flat=True)) == {row["id"] for row in rows}


def test_expired_tokens_are_not_listed(user, clock):
    get_token()
    clock.move_to(FROZEN_NOW + timedelta(days=31))
    fresh = get_token().json()["token"]
    rows = with_token(fresh).get(LIST_URL).json()
    assert [row["key_prefix"] for row in rows] == [fresh[:8]]


def test_revoking_one_token_stops_it_and_leaves_the_others(user):
    keep, drop = get_token().json()["token"], get_token().json()["token"]
    client = with_token(keep)
    drop_id = next(row["id"] for row in client.get(LIST_URL).json() if row["key_prefix"] == drop[:8])
    assert client.delete(f"{LIST_URL}{drop_id}/").status_code == 204
    assert with_token(drop).get("/api/people/").status_code == 401
    assert client.get("/api/people/").status_code == 200
    assert client.delete(f"{LIST_URL}{drop_id}/").status_code == 404


def test_nobody_revokes_someone_elses_token(user, other):
    _, theirs = AuthToken.objects.create(other)
    their_id = AuthToken.objects.get(user=other).digest
    response = with_token(get_token().json()["token"]).delete(f"{LIST_URL}{their_id}/")
    assert response.status_code == 404 and "没有这个令牌" in response.json()["detail"]
    assert with_token(theirs).get("/api/people/").status_code == 200


def test_revoke_all_ends_every_token_of_the_user_only(user, other):
    mine = [get_token().json()["token"] for _ in range(3)]
    _, theirs = AuthToken.objects.create(other)
    response = with_token(mine[0]).post(REVOKE_ALL_URL)
    assert response.status_code == 200 and response.json() == {"revoked": 3}
    assert all(with_token(token).get("/api/people/").status_code == 401 for token in mine)
    assert with_token(theirs).get("/api/people/").status_code == 200


def test_a_desk_user_revokes_through_the_api_with_the_session_and_csrf(user):
    token = get_token().json()["token"]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/accounts/tokens/")  # sets the CSRF cookie, as the page would
    csrf = page.cookies["csrftoken"].value
    assert client.post(REVOKE_ALL_URL, HTTP_X_CSRFTOKEN=csrf).json() == {"revoked": 1}
    assert with_token(token).get("/api/people/").status_code == 401


# --- The page: /accounts/tokens/ ---------------------------------------------------------------

@pytest.fixture
def desk(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_needs_a_login(db):
    response = Client().get(reverse("account-tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_says_when_there_are_no_tokens(desk):
    html = desk.get(reverse("account-tokens")).content.decode()
    assert "还没有为脚本生成访问令牌" in html and "访问令牌" in html
    assert "撤销全部令牌" not in html


def test_the_page_lists_the_users_tokens_by_their_first_characters(desk, user, other):
    token = get_token().json()["token"]
    AuthToken.objects.create(other)
    response = desk.get(reverse("account-tokens"))
    html = response.content.decode()
    assert response.status_code == 200 and "people/tokens.html" in [t.name for t in response.templates]
    assert f"{token[:8]}…" in html and token not in html and token[:15] not in html
    assert len(response.context["tokens"]) == 1
    row = AuthToken.objects.get(user=user)
    assert timezone.localtime(row.expiry).strftime("%Y-%m-%d %H:%M") in html
    assert "还没有为脚本生成访问令牌" not in html


def test_the_revoke_button_revokes_that_token(desk, user):
    keep, drop = get_token().json()["token"], get_token().json()["token"]
    drop_id = AuthToken.objects.get(token_key=drop[:15]).digest
    response = desk.post(reverse("account-tokens"), {"token": drop_id}, follow=True)
    assert response.redirect_chain == [(reverse("account-tokens"), 302)]
    assert f"已撤销以 {drop[:8]} 开头的令牌" in response.content.decode()
    assert with_token(drop).get("/api/people/").status_code == 401
    assert with_token(keep).get("/api/people/").status_code == 200


def test_the_page_does_not_revoke_someone_elses_token(desk, other):
    _, theirs = AuthToken.objects.create(other)
    response = desk.post(reverse("account-tokens"), {"token": AuthToken.objects.get().digest}, follow=True)
    assert "没有这个令牌（可能已过期或已撤销）" in response.content.decode()
    assert with_token(theirs).get("/api/people/").status_code == 200


def test_the_page_revokes_all(desk, user):
    tokens = [get_token().json()["token"] for _ in range(2)]
    response = desk.post(reverse("account-tokens"), {"revoke_all": "1"}, follow=True)
    assert "已撤销全部令牌（2 个）" in response.content.decode()
    assert not AuthToken.objects.filter(user=user).exists()
    assert all(with_token(token).get("/api/people/").status_code == 401 for token in tokens)


def test_revoking_on_the_page_needs_the_csrf_token(user):
    get_token()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("account-tokens"), {"revoke_all": "1"}).status_code == 403
    assert AuthToken.objects.filter(user=user).count() == 1


def test_the_header_links_to_the_token_page_and_the_password_page(desk):
    html = desk.get(reverse("activity-list")).content.decode()
    assert f'href="{reverse("account-tokens")}"' in html and f'href="{reverse("password_change")}"' in html


# --- Staff, in the admin ------------------------------------------------------------------------

def test_staff_see_a_users_tokens_in_the_admin_and_delete_them(user, admin_user):
    token = get_token().json()["token"]
    office = Client()
    office.force_login(admin_user)
    listed = office.get(reverse("admin:knox_authtoken_changelist"), {"q": user.username})
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    assert token not in listed.content.decode()
    row = AuthToken.objects.get(user=user)
    deleted = office.post(reverse("admin:knox_authtoken_changelist"), {
        "action": "delete_selected", "post": "yes", "_selected_action": [row.pk]})
    assert deleted.status_code == 302 and not AuthToken.objects.exists()
    assert with_token(token).get("/api/people/").status_code == 401


def test_a_clerk_needs_the_token_permissions_to_revoke(user, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw-12345", is_staff=True)
    office = Client()
    office.force_login(clerk)
    assert office.get(reverse("admin:knox_authtoken_changelist")).status_code == 403
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="knox",
                                                         codename__in=["view_authtoken", "delete_authtoken"]))
    get_token()
    row = AuthToken.objects.get(user=user)
    assert office.post(reverse("admin:knox_authtoken_delete", args=[row.pk]), {"post": "yes"}).status_code == 302
    assert not AuthToken.objects.exists()


def test_the_page_issues_a_token_for_the_password_shown_once(desk, user):
    refused = desk.post(reverse("account-tokens"), {"issue": "1", "password": "wrong"})
    assert refused.status_code == 400 and "密码不正确" in refused.content.decode()
    assert not AuthToken.objects.filter(user=user).exists()
    response = desk.post(reverse("account-tokens"), {"issue": "1", "password": PASSWORD})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = response.context["issued"]
    html = response.content.decode()
    assert token in html and "只显示这一次" in html and "/ogc/" in html
    assert with_token(token).get("/api/people/").status_code == 200
    row = AuthToken.objects.get(user=user)
    assert row.expiry - timezone.now() > timedelta(days=settings.API_TOKEN_TTL_DAYS - 1)
    # The list afterwards shows it by its first characters only.
    again = desk.get(reverse("account-tokens")).content.decode()
    assert f"{token[:8]}…" in again and token not in again
