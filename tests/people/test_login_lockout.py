"""Password guessing: failed logins are counted per username and per client address (django-axes),
on the login form and the token endpoint alike; past the limit both answer 429 until the cool-off
ends or staff delete the attempts in the admin."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

LOCKED = "登录失败次数太多，账号或本机地址已暂时锁定"
PASSWORD = "s3cret-pass"  # the conftest `user` fixture's password


@pytest.fixture(autouse=True)
def small_limit(settings):
    """Three failures lock, so the tests stay short; the cool-off is the shipped 15 minutes."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 0
    cache.clear()  # the token endpoint's own throttle counts in the cache
    yield
    cache.clear()


def log_in(client, username, password, **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def get_token(username, password, **meta):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json", **meta)


def is_signed_in(client):
    return "_auth_user_id" in client.session


def test_the_form_locks_a_username_after_the_limit_with_a_page_in_chinese(client, user):
    assert [log_in(client, user.username, f"guess{i}").status_code for i in range(2)] == [200, 200]

    locked = log_in(client, user.username, "guess3")  # the third failure reaches the limit
    assert locked.status_code == 429
    html = locked.content.decode()
    assert LOCKED in html and "请 15 分钟后再试" in html and "联系河长办工作人员解锁" in html
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "<html" in html and "site-header" in html  # the site's own page, not a bare text answer

    # Even the right password is refused now.
    right = log_in(client, user.username, PASSWORD)
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert not is_signed_in(client)


def test_a_few_wrong_passwords_do_not_stop_the_right_one(client, user):
    for i in range(2):
        log_in(client, user.username, f"guess{i}")
    response = log_in(client, user.username, PASSWORD)
    assert response.status_code == 302 and is_signed_in(client)


def test_a_locked_username_stays_locked_from_any_address(client, user):
    for i in range(3):
        log_in(client, user.username, f"guess{i}", REMOTE_ADDR="10.0.0.1")
    elsewhere = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 429 and not is_signed_in(client)


def test_a_locked_address_is_refused_for_every_username(client, user):
    for i in range(3):  # one guess each at three names, all from one address
        log_in(client, f"someone{i}", "guess", REMOTE_ADDR="10.0.0.3")
    same_address = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.3")
    assert same_address.status_code == 429 and not is_signed_in(client)

    other_address = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.4")
    assert other_address.status_code == 302 and is_signed_in(client)


def test_a_forged_x_forwarded_for_does_not_dodge_the_lock(client, user):
    # No proxy in front (TRUSTED_PROXY_COUNT = 0): the header is the client's to write, and ignored.
    for i in range(3):
        log_in(client, f"someone{i}", "guess", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy (10.0.0.9) appends the address it saw
    for i in range(3):  # the client prepends whatever it likes; the proxy's entry is the last one
        log_in(client, f"someone{i}", "guess", REMOTE_ADDR="10.0.0.9",
               HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7")
    locked = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.9",
                    HTTP_X_FORWARDED_FOR="198.51.100.50, 203.0.113.7")
    assert locked.status_code == 429

    # Another client behind the same proxy is not locked with it.
    other = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302 and is_signed_in(client)


def test_the_lock_ends_after_the_cool_off(client, user):
    from axes.models import AccessAttempt

    for i in range(3):
        log_in(client, user.username, f"guess{i}")
    assert log_in(client, user.username, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert log_in(client, user.username, PASSWORD).status_code == 302 and is_signed_in(client)


def test_staff_see_the_attempts_in_the_admin_and_deleting_them_unlocks(client, user, admin_user):
    from axes.models import AccessAttempt

    for i in range(3):
        log_in(client, user.username, f"guess{i}")
    assert log_in(client, user.username, PASSWORD).status_code == 429

    office = type(client)()
    office.force_login(admin_user)
    attempts = office.get(reverse("admin:axes_accessattempt_changelist"), {"q": user.username})
    assert attempts.status_code == 200 and user.username in attempts.content.decode()
    failures = office.get(reverse("admin:axes_accessfailurelog_changelist"))
    assert failures.status_code == 200 and user.username in failures.content.decode()
    # The user's own admin page says whether the login is locked and where to unlock it.
    user_page = office.get(reverse("admin:people_user_change", args=[user.pk])).content.decode()
    link = reverse("admin:axes_accessattempt_changelist") + f"?username={user.username}"
    assert "已锁定：3 次登录失败" in user_page and f'href="{link}"' in user_page
    assert office.get(link).context["cl"].result_count == 1

    deleted = office.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "delete_selected", "post": "yes",
        "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
    })
    assert deleted.status_code == 302 and not AccessAttempt.objects.exists()
    assert log_in(client, user.username, PASSWORD).status_code == 302 and is_signed_in(client)


def test_the_token_endpoint_locks_too_and_answers_json(user):
    assert [get_token(user.username, f"guess{i}").status_code for i in range(2)] == [400, 400]

    locked = get_token(user.username, "guess3")
    assert locked.status_code == 429
    body = locked.json()
    assert body["detail"].startswith(LOCKED) and "15 分钟" in body["detail"]
    assert body["code"] == "locked_out"
    assert int(locked["Retry-After"]) == 15 * 60

    right = get_token(user.username, PASSWORD)
    assert right.status_code == 429 and "token" not in right.json()


def test_the_token_endpoints_throttle_ignores_a_forged_x_forwarded_for_too(db, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the throttle alone: 10 a minute per client address
    statuses = [get_token(f"someone{i}", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
                for i in range(11)]
    assert statuses == [400] * 10 + [429]


def test_failures_on_the_form_lock_the_token_endpoint_for_that_username(client, user):
    for i in range(3):
        log_in(client, user.username, f"guess{i}", REMOTE_ADDR="10.0.0.6")
    assert get_token(user.username, PASSWORD, REMOTE_ADDR="10.0.0.7").status_code == 429


def test_the_admin_login_is_locked_as_well(client, user, admin_user):
    for i in range(3):
        client.post(reverse("admin:login"), {"username": admin_user.username, "password": f"guess{i}"})
    response = client.post(reverse("admin:login"), {"username": admin_user.username, "password": "password"})
    assert response.status_code == 429 and LOCKED in response.content.decode()


def test_without_a_cool_off_only_staff_unlock_and_the_message_says_so(client, user, settings):
    settings.AXES_COOLOFF_TIME = None  # LOGIN_COOLOFF_MINUTES=0
    for i in range(3):
        log_in(client, user.username, f"guess{i}", REMOTE_ADDR="10.0.0.8")
    page = log_in(client, user.username, PASSWORD, REMOTE_ADDR="10.0.0.8")
    assert page.status_code == 429
    assert "账号或本机地址已锁定，请联系河长办工作人员解锁" in page.content.decode() and "分钟" not in page.content.decode()
    token = get_token(user.username, PASSWORD, REMOTE_ADDR="10.0.0.8")
    assert token.status_code == 429 and "Retry-After" not in token
    assert token.json() == {"detail": "登录失败次数太多，账号或本机地址已锁定，请联系河长办工作人员解锁。", "code": "locked_out"}
