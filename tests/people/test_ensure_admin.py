"""manage.py ensure_admin: in development (DEBUG, script/server) admin/riverwatch, printed; in
production (riverwatch.settings.prod, and any settings without DEBUG) no admin unless
RW_ADMIN_PASSWORD is set and passes the password validators."""

import io
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Qx7-lantern-estuary-91"
STRONG_SECRET_KEY = "k3Y-" + "n7Vq2pLr8sTz0wXa5bC9dE1fG6hJ4mN" * 2


def ensure_admin(monkeypatch, password=None):
    if password is None:
        monkeypatch.delenv("RW_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("RW_ADMIN_PASSWORD", password)
    out, err = io.StringIO(), io.StringIO()
    call_command("ensure_admin", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def admin():
    return get_user_model().objects.filter(username="admin").first()


def test_development_creates_admin_with_the_default_password_and_says_so(db, settings, monkeypatch):
    settings.DEBUG = True
    output = ensure_admin(monkeypatch)
    assert admin().check_password("riverwatch") and admin().is_superuser
    assert "riverwatch" in output and "仅供开发使用" in output


@pytest.mark.parametrize("password", [None, ""])
def test_production_creates_no_admin_without_a_password_and_says_how(db, settings, monkeypatch, password):
    settings.DEBUG = False
    output = ensure_admin(monkeypatch, password)
    assert admin() is None
    assert "未创建超级用户" in output and "manage.py createsuperuser" in output


@pytest.mark.parametrize("password, problem", [
    ("riverwatch", "development default password"),  # passes Django's validators, but everyone knows it
    ("RiverWatch", "development default password"),
    ("password", "too common"),
    ("short", "too short"),
    ("12345678901", "entirely numeric"),
])
def test_production_refuses_a_weak_password(db, settings, monkeypatch, password, problem):
    settings.DEBUG = False
    with translation.override("en"):  # the validators' own words, in English
        output = ensure_admin(monkeypatch, password)
    assert admin() is None
    assert "RW_ADMIN_PASSWORD" in output and "manage.py createsuperuser" in output
    assert problem in output or problem.lower() in output.lower()


def test_production_creates_admin_with_a_strong_password_without_printing_it(db, settings, monkeypatch):
    settings.DEBUG = False
    output = ensure_admin(monkeypatch, STRONG)
    assert admin().check_password(STRONG) and admin().is_superuser
    assert STRONG not in output


def test_an_existing_admin_is_never_touched(db, settings, monkeypatch, django_user_model):
    django_user_model.objects.create_superuser(username="admin", email="", password="the-old-one-1")
    for debug, password in ((False, STRONG), (False, "riverwatch"), (False, None), (True, None)):
        settings.DEBUG = debug
        assert "已存在" in ensure_admin(monkeypatch, password)
    assert admin().check_password("the-old-one-1")


# Under the production settings themselves, in a process of their own (as the container runs it),
# against the test database. A created admin is deleted in the same process, so nothing is left.
PROD_SCRIPT = """
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
User = get_user_model()
try:
    call_command("ensure_admin")
    admin = User.objects.filter(username="admin").first()
    print("ADMIN:", "created" if admin else "none", bool(admin and admin.is_superuser))
finally:
    User.objects.filter(username="admin").delete()
"""


def run_prod_ensure_admin(password):
    settings = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if key not in ("RW_ADMIN_PASSWORD", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="riverwatch.settings.prod", SECRET_KEY=STRONG_SECRET_KEY,
        DATABASE_URL=f"postgis://{quote(settings['USER'])}:{quote(settings['PASSWORD'], safe='')}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
    )
    if password is not None:
        env["RW_ADMIN_PASSWORD"] = password
    return subprocess.run([sys.executable, "-c", PROD_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("password, created", [(None, False), ("riverwatch", False), ("12345678", False), (STRONG, True)])
def test_under_the_production_settings(db, password, created):
    result = run_prod_ensure_admin(password)
    assert result.returncode == 0, result.stderr
    assert f"ADMIN: {'created True' if created else 'none False'}" in result.stdout
    output = result.stdout + result.stderr
    if created:
        assert "RW_ADMIN_PASSWORD" in output and STRONG not in output
    else:
        assert "createsuperuser" in output
