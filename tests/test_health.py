"""/healthz: database reachability and applied migrations, for health checks; nothing else."""

import json
import os
import socket
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.utils import OperationalError

from riverwatch import health

KEYS = {"status", "database", "migrations"}
SECRET_IN_THE_ERROR = "host=10.9.8.7 password=hunter2 PostgreSQL 15.18"


@pytest.fixture(autouse=True)
def fresh_migrations_check():
    health.forget_migrations_check()
    yield
    health.forget_migrations_check()


def _get(client):
    response = client.get("/healthz")
    return response, json.loads(response.content)


@pytest.mark.django_db
def test_all_well_is_200_ok_and_says_nothing_else(client):
    response, body = _get(client)
    assert response.status_code == 200
    assert body == {"status": "ok", "database": True, "migrations": True}
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie, no language cookie
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_no_login_and_no_redirect_whatever_the_language_or_cookies(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and json.loads(response.content)["status"] == "ok"
    assert not response.cookies


@pytest.mark.django_db
def test_an_unreachable_database_is_503_without_the_reason(client):
    error = OperationalError(f"connection failed: {SECRET_IN_THE_ERROR}")
    with mock.patch.object(connection, "ensure_connection", side_effect=error):
        response, body = _get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "database": False, "migrations": False}
    assert set(body) == KEYS
    for leak in ("10.9.8.7", "hunter2", "15.18", "connection failed"):
        assert leak not in response.content.decode()


@pytest.mark.django_db
def test_an_unapplied_migration_is_503(client):
    pending = [(Migration("0999_not_yet", "patrols"), False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=pending):
        response, body = _get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "database": True, "migrations": False}


@pytest.mark.django_db
def test_the_migrations_check_is_kept_for_a_minute(client, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(health, "_clock", lambda: now[0])
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=[]) as plan:
        assert _get(client)[0].status_code == 200
        now[0] += 59
        assert _get(client)[0].status_code == 200
        assert plan.call_count == 1
        now[0] += 2
        plan.return_value = [(Migration("0999_not_yet", "patrols"), False)]
        assert _get(client)[0].status_code == 503
        assert plan.call_count == 2


@pytest.mark.django_db
def test_the_database_is_asked_every_time(client):
    assert _get(client)[0].status_code == 200  # the migrations check is now kept
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("gone")):
        assert _get(client)[0].status_code == 503


def test_a_server_that_is_not_there_is_503(tmp_path):
    """For real: the whole stack of middleware in a process whose DATABASE_URL names a closed port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "response = Client(HTTP_HOST='127.0.0.1').get('/healthz')\n"
        "print(json.dumps([response.status_code, response.content.decode(), sorted(response.cookies)]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "riverwatch.settings.test", "LOG_LEVEL": "CRITICAL",
           "DATABASE_URL": f"postgis://riverwatch:not-the-password@127.0.0.1:{closed_port}/riverwatch"}
    result = subprocess.run([sys.executable, "-c", script], check=False, cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    status, content, cookies = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503 and json.loads(content) == {"status": "error", "database": False, "migrations": False}
    assert str(closed_port) not in content and "not-the-password" not in content
    assert cookies == []
