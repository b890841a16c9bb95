"""Every signed-in user changes their own password at /accounts/password/ (AUTH_PASSWORD_VALIDATORS);
staff set other people's in the admin (admin › 用户 › 修改密码)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

PASSWORD = "s3cret-pass"  # the conftest `user` fixture's password
NEW = "river-bank-7731"


def sign_in(user):
    """On the login form: a real session, with the password's hash in it (force_login has one too)."""
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def desk(user):
    return sign_in(user)


def change(client, old=PASSWORD, new1=NEW, new2=NEW):
    return client.post(reverse("password_change"),
                       {"old_password": old, "new_password1": new1, "new_password2": new2})


def test_the_page_needs_a_login(db):
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_is_in_chinese_and_looks_like_the_login_page(desk):
    response = desk.get(reverse("password_change"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "registration/change_password.html" in [t.name for t in response.templates]
    assert "<h1>修改密码</h1>" in html and 'class="login-card"' in html and "login-page" in html
    assert "旧密码" in html and "新密码" in html and "保存新密码" in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html


def test_a_new_password_is_saved_and_this_browser_stays_signed_in(desk, user):
    response = change(desk)
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW)
    done = desk.get(response["Location"])
    assert done.status_code == 200 and "密码已修改" in done.content.decode()
    assert f'href="{reverse("account-tokens")}"' in done.content.decode()
    assert desk.get(reverse("activity-list")).status_code == 200


def test_other_browsers_of_the_same_user_are_signed_out(desk, user):
    phone = sign_in(user)
    change(desk)
    assert phone.get(reverse("activity-list")).status_code == 302
    assert phone.get(reverse("api-field-me")).status_code == 401


def test_a_wrong_current_password_is_refused_in_chinese(desk, user):
    response = change(desk, old="not-it")
    assert response.status_code == 200
    assert "你的旧密码不正确" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("weak, code", [
    ("12345678", "password_too_common"),
    ("short7", "password_too_short"),
    ("83927465019", "password_entirely_numeric"),
    ("volunteer1", "password_too_similar"),
])
def test_the_password_validators_apply(desk, user, weak, code):
    response = change(desk, new1=weak, new2=weak)
    assert response.status_code == 200
    assert code in [error.code for error in response.context["form"].errors.as_data()["new_password2"]]
    assert 'class="form-error"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_validators_speak_chinese(desk):
    html = change(desk, new1="12345678", new2="12345678").content.decode()
    assert "这个密码太常见了。" in html and "密码只包含数字。" in html
    assert "你的密码必须包含至少 8 个字符" in html  # the help text under the field
    # Django 5.2's own Chinese catalogue misses this sentence: locale/zh_Hans has it.
    html = change(desk, new1="q7#Zp", new2="q7#Zp").content.decode()
    assert "密码太短，至少需要 8 个字符。" in html and "too short" not in html


def test_the_two_new_passwords_must_match(desk):
    response = change(desk, new2=NEW + "x")
    assert response.status_code == 200 and "输入的两个密码不一致" in response.content.decode()


def test_the_admin_keeps_its_own_password_page(admin_client):
    response = admin_client.get(reverse("admin:password_change"))
    assert response.status_code == 200
    assert "registration/change_password.html" not in [t.name for t in response.templates]


def test_the_admin_user_page_links_to_setting_the_password(admin_client, user):
    html = admin_client.get(reverse("admin:people_user_change", args=[user.pk])).content.decode()
    assert 'href="../password/"' in html and "重置密码" in html


def test_staff_with_the_user_permission_set_a_password_and_the_validators_apply(user, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw-12345", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="people",
                                                         codename__in=["change_user", "view_user"]))
    office = Client()
    office.force_login(clerk)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert office.get(url).status_code == 200
    weak = office.post(url, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and "这个密码太常见了" in weak.content.decode()
    assert office.post(url, {"password1": NEW, "password2": NEW}).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_staff_without_the_user_permission_cannot(user, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw-12345", is_staff=True)
    office = Client()
    office.force_login(clerk)
    response = office.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                           {"password1": NEW, "password2": NEW})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
