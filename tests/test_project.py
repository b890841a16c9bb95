"""Project-wide guarantees: settings, checks, migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings


def test_storage_srid_must_be_metric():
    with override_settings(GIS_SRID=4326):
        errors = [e for e in run_checks() if e.id == "waterways.E002"]
    assert errors and "metres" in errors[0].msg


def test_default_storage_srid_passes_the_check():
    assert not [e for e in run_checks() if e.id.startswith("waterways.")]


def test_gdal_warning_stays_visible():
    # We guard CRS input with an EPSG allow-list rather than silencing gis.W001.
    from django.conf import settings

    assert "gis.W001" not in getattr(settings, "SILENCED_SYSTEM_CHECKS", [])


def test_migrations_are_committed(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("secret, ok", [("", False), ("a-real-secret-key-for-production-use-0123456789-abcdef", True)])
def test_production_refuses_to_start_without_a_secret_key(secret, ok):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "riverwatch.settings.prod", "SECRET_KEY": secret}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "SECRET_KEY must be set" in result.stderr


LOCAL_PASSWORD = Path(__file__).resolve().parents[1] / ".pgpassword"


@pytest.mark.skipif(not LOCAL_PASSWORD.is_file(), reason="the project's own cluster (script/server, script/test) is not here")
def test_readme_commands_find_the_local_cluster_without_database_url(db):
    """README's commands are run as `.venv/bin/python manage.py …` in a plain shell, without the
    DATABASE_URL the scripts export: the settings find the local cluster's port and password."""
    from django.db import connection

    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="riverwatch.settings.dev", RW_PG_PORT=str(connection.settings_dict["PORT"]))
    result = subprocess.run([sys.executable, "manage.py", "showmigrations", "patrols"], cwd=LOCAL_PASSWORD.parent,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "0001_initial" in result.stdout


# --- Production refuses known or weak secret keys ------------------------------------------------

STRONG_SECRET_KEY = "k3Y-" + "n7Vq2pLr8sTz0wXa5bC9dE1fG6hJ4mN" * 2


def start_production(secret=None, key_file=None):
    """django.setup() under the production settings, in a process of its own; SECRET_KEY set
    (empty too) so a developer's .env cannot fill it in."""
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(DJANGO_SETTINGS_MODULE="riverwatch.settings.prod", SECRET_KEY=secret or "")
    if key_file is not None:
        env["SECRET_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"],
        env=env, capture_output=True, text=True,
    )


@pytest.mark.parametrize("secret, refusal", [
    ("", "SECRET_KEY must be set"),
    ("a-real-secret-key-for-production-use-0123456789", "too short"),  # 47 characters
    ("dev-only-insecure-key-change-me", "published default"),  # base.py's
    ("compose-local-only-change-me-0123456789abcdef", "published default"),  # docker-compose.yml's former one
    ("compose-local-only-change-me-0123456789abcdef-but-made-longer-to-pass", "published default"),
    ("build-only", "published default"),  # the Dockerfile's
    ("django-insecure-" + "x7#k2!p9@m4$q8%r1^t6&w3*z5" * 2, "published default"),  # startproject's
    ("ab" * 40, "too short or too simple"),  # long, but two characters
])
def test_production_refuses_a_known_or_weak_secret_key(secret, refusal):
    result = start_production(secret)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and refusal in result.stderr, result.stderr


def test_production_starts_with_a_strong_secret_key():
    result = start_production(STRONG_SECRET_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == STRONG_SECRET_KEY


def test_production_reads_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(STRONG_SECRET_KEY + "\n")
    result = start_production(key_file=key_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == STRONG_SECRET_KEY
    # SECRET_KEY, when set, wins over the file.
    assert start_production(STRONG_SECRET_KEY[::-1], key_file=key_file).stdout.strip() == STRONG_SECRET_KEY[::-1]


@pytest.mark.parametrize("content, refusal", [
    (None, "cannot be read"),
    ("", "is empty"),
    ("compose-local-only-change-me-0123456789abcdef", "published default"),
    ("too-short", "too short"),
])
def test_production_refuses_a_missing_empty_or_weak_key_file(tmp_path, content, refusal):
    key_file = tmp_path / "secret_key"
    if content is not None:
        key_file.write_text(content)
    result = start_production(key_file=key_file)
    assert result.returncode != 0 and refusal in result.stderr, result.stderr


# The container's entrypoint, with python's manage.py and gunicorn replaced by stubs that note what
# they were run with: only its handling of the secret key is under test here.
ENTRYPOINT = Path(__file__).resolve().parents[1] / "script" / "docker-entrypoint"
STUB = """#!/bin/sh
if [ "$1" = "-c" ]; then exec {python} "$@"; fi
echo "$(basename "$0") $* SECRET_KEY=${{SECRET_KEY-unset}} SECRET_KEY_FILE=${{SECRET_KEY_FILE-unset}}" >> {log}
"""


def run_entrypoint(tmp_path, *args, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in ("python", "gunicorn"):
        stub = bin_dir / name
        stub.write_text(STUB.format(python=sys.executable, log=log))
        stub.chmod(0o755)
    base = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "SECRET_KEY_FILE", "RW_SEED_DEMO")}
    base.update(PATH=f"{bin_dir}:{os.environ['PATH']}", MEDIA_ROOT=str(tmp_path / "media"), **env)
    result = subprocess.run(["sh", str(ENTRYPOINT), *args], env=base, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    log.unlink()
    return result, calls


def test_the_container_generates_a_secret_key_once_and_keeps_it_in_the_media_volume(tmp_path):
    key_file = tmp_path / "media" / ".secrets" / "secret_key"
    result, calls = run_entrypoint(tmp_path)
    key = key_file.read_text().strip()
    assert len(key) >= 50 and "Generated a random SECRET_KEY" in result.stdout
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and oct(key_file.parent.stat().st_mode & 0o777) == "0o700"
    assert [call.split()[0:3] for call in calls] == [
        ["python", "manage.py", "migrate"], ["python", "manage.py", "load_district_data"],
        ["python", "manage.py", "ensure_admin"], ["gunicorn", "riverwatch.wsgi:application", "--bind"]]
    assert all(f"SECRET_KEY=unset SECRET_KEY_FILE={key_file}" in call for call in calls)
    assert start_production(key_file=key_file).returncode == 0  # a key the production settings accept

    result, _calls = run_entrypoint(tmp_path)  # the next start keeps the same key: sessions survive
    assert key_file.read_text().strip() == key and "Generated" not in result.stdout
    # An empty SECRET_KEY (compose passes `${SECRET_KEY:-}`) counts as none.
    result, calls = run_entrypoint(tmp_path, SECRET_KEY="")
    assert all(f"SECRET_KEY=unset SECRET_KEY_FILE={key_file}" in call for call in calls)


def test_the_worker_container_carries_out_jobs_with_the_web_container_s_secret_key(tmp_path):
    key_file = tmp_path / "media" / ".secrets" / "secret_key"
    run_entrypoint(tmp_path)  # the web container starts first (compose: depends_on web healthy)
    _result, calls = run_entrypoint(tmp_path, "worker")
    assert [call.split()[0:3] for call in calls] == [["python", "manage.py", "db_worker"]]  # no second migrate
    assert f"SECRET_KEY=unset SECRET_KEY_FILE={key_file}" in calls[0]
    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
    worker = compose["services"]["worker"]
    assert worker["command"] == ["script/docker-entrypoint", "worker"]
    assert worker["environment"] == compose["services"]["web"]["environment"]
    assert "media:/app/media" in worker["volumes"]  # the report files it writes are the web's to serve


def test_the_container_uses_the_secret_key_it_is_given(tmp_path):
    _result, calls = run_entrypoint(tmp_path, SECRET_KEY=STRONG_SECRET_KEY)
    assert all(f"SECRET_KEY={STRONG_SECRET_KEY} SECRET_KEY_FILE=unset" in call for call in calls)
    assert not (tmp_path / "media" / ".secrets").exists()
    given = tmp_path / "docker-secret"
    _result, calls = run_entrypoint(tmp_path, SECRET_KEY_FILE=str(given))
    assert all(f"SECRET_KEY=unset SECRET_KEY_FILE={given}" in call for call in calls)
    assert not (tmp_path / "media" / ".secrets").exists()


def test_compose_ships_no_secret_key_and_no_admin_password():
    compose = (Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:-}" in compose and "RW_ADMIN_PASSWORD: ${RW_ADMIN_PASSWORD:-}" in compose
    assert "compose-local-only-change-me" not in compose and ":-riverwatch}" not in compose
