"""Project-wide guarantees: settings, checks, migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


@pytest.mark.parametrize("secret, ok", [("", False), ("a-real-secret-key-for-production-use-0123456789", True)])
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
