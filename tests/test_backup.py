"""script/backup and script/restore, for real: committed data and its photos go into one archive,
come back into a new, empty database on the same cluster and a new MEDIA_ROOT, and match table for
table (every row's content) and byte for byte. A damaged archive is refused, naming the file, before
any database is touched; a database with tables and a photo that would be overwritten are refused.

The scripts run as subprocesses with pg_dump and pg_restore (Debian's postgresql-client), so the
round trip commits its data (transaction=True): another connection must see it."""

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image
from psycopg import sql

from patrols.models import Activity, Photo
from tests.support.factories import activity_body
from tests.support.walks import walk_along

ROOT = Path(settings.BASE_DIR)
ARCHIVE_NAME = re.compile(r"riverwatch-backup-\d{4}-\d{2}-\d{2}T\d{6}[+-]\d{4}\.tar")

# Tables of the app, not the system's nor an extension's own (spatial_ref_sys): as the scripts count.
APP_TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2"""


def _database_url(name=None):
    """DATABASE_URL of the test database (or of another database on the same cluster)."""
    config = connection.settings_dict
    login = quote(config["USER"], safe="") + (f":{quote(config['PASSWORD'], safe='')}" if config["PASSWORD"] else "")
    return f"postgis://{login}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{name or config['NAME']}"


def _connect(name):
    config = connection.settings_dict
    return psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432, user=config["USER"],
                           password=config["PASSWORD"], dbname=name, autocommit=True)


def _run(script, *args, database_url, media_root):
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    return subprocess.run([str(ROOT / "script" / script), *map(str, args)], check=False, env=env, capture_output=True,
                          text=True, timeout=600)


def _output(result):
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _backup(folder, media_root):
    result = _run("backup", folder, database_url=_database_url(), media_root=media_root)
    assert result.returncode == 0, _output(result)
    archives = sorted(Path(folder).iterdir())
    assert len(archives) == 1 and ARCHIVE_NAME.fullmatch(archives[0].name), archives  # nothing half-written
    assert result.stdout.strip().splitlines()[-1] == str(archives[0])
    return archives[0]


@pytest.fixture
def empty_database():
    """empty_database() -> the name of a new, empty database on the test cluster; dropped afterwards."""
    created = []

    def create():
        name = f"rw_restore_{secrets.token_hex(5)}"
        with _connect("postgres") as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        created.append(name)
        return name

    yield create
    with _connect("postgres") as admin:
        for name in created:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _contents(name):
    """Per table: row count and a digest of every row's text (geometries as EWKB hex); per sequence,
    its position. Two databases with equal contents() hold the same data."""
    with _connect(name) as conn:
        tables = {}
        for schema, table in conn.execute(APP_TABLES).fetchall():
            query = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                            "FROM {}.{} t").format(sql.Identifier(schema), sql.Identifier(table))
            tables[f"{schema}.{table}"] = tuple(conn.execute(query).fetchone())
        sequences = dict(conn.execute(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall())
    return tables, sequences


def _file_digests(folder):
    folder = Path(folder)
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _jpeg(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _table_count(name):
    with _connect(name) as conn:
        return len(conn.execute(APP_TABLES).fetchall())


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(crew, api, tmp_path, empty_database):
    client = api(crew["volunteer"])
    for number, walk in enumerate((walk_along(length_m=300), walk_along(start_m=800, length_m=400))):
        response = client.post("/api/activities/", activity_body(walk), format="json")
        assert response.status_code == 201, response.json()
        for colour in ((200, 40 * number, 10), (10, 90, 200 - 40 * number)):
            upload = client.post(f"/api/activities/{response.json()['id']}/photos/",
                                 {"photo": SimpleUploadedFile("photo.jpg", _jpeg(colour))}, format="multipart")
            assert upload.status_code == 201, upload.json()
    assert Photo.objects.count() == 4
    media = Path(settings.MEDIA_ROOT)
    photos = _file_digests(media)
    assert len(photos) == 8  # each photo and its thumbnail

    archive = _backup(tmp_path / "backups", media)
    assert archive.stat().st_mode & 0o077 == 0  # personal data and password hashes: the owner's alone
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        backup = json.load(tar.extractfile("backup.json"))
        manifest = tar.extractfile("MANIFEST.sha256").read().decode()
    assert {"MANIFEST.sha256", "backup.json", "database.dump"} <= set(names)
    assert {f"media/{name}" for name in photos} <= set(names)
    assert len(manifest.splitlines()) == 2 + len(photos)  # every file but the manifest itself
    assert backup["database"] == connection.settings_dict["NAME"]
    assert backup["postgresql"].split(".")[0].isdigit() and backup["postgis"].startswith("3.")
    assert backup["photos"] == 4 and backup["media_files"] == 8 and backup["missing_media_files"] == 0
    assert backup["row_counts"]["patrols_activity"] == Activity.objects.count() == 2
    assert backup["row_counts"]["waterways_reach"] > 1000  # the district, loaded by the session fixture
    assert backup["app_version"]

    target, restored_media = empty_database(), tmp_path / "restored-media"
    result = _run("restore", archive, database_url=_database_url(target), media_root=restored_media)
    assert result.returncode == 0, _output(result)
    assert "every migration is applied" in result.stdout
    assert _contents(target) == _contents(connection.settings_dict["NAME"])
    assert _file_digests(restored_media) == photos

    # Never into a database with tables: the restored one, say.
    again = _run("restore", archive, database_url=_database_url(target), media_root=tmp_path / "elsewhere")
    assert again.returncode != 0 and "is not empty" in again.stderr and "createdb" in again.stderr, _output(again)
    assert not (tmp_path / "elsewhere").exists()

    # Never over a photo that is there already: refused before the (empty) database is touched.
    untouched = empty_database()
    clash = _run("restore", archive, database_url=_database_url(untouched), media_root=media)
    assert clash.returncode != 0 and "already exist" in clash.stderr, _output(clash)
    assert _table_count(untouched) == 0
    assert _file_digests(media) == photos


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["media/photos/7/river.jpg", "database.dump"])
def test_a_damaged_archive_is_refused_naming_the_file(tmp_path, member):
    media = tmp_path / "photos-to-back-up"
    (media / "photos" / "7").mkdir(parents=True)
    (media / "photos" / "7" / "river.jpg").write_bytes(_jpeg((30, 140, 90)))
    archive = _backup(tmp_path / "backups", media)

    damaged = tmp_path / "damaged.tar"
    shutil.copy(archive, damaged)
    with tarfile.open(archive) as tar:
        entry = tar.getmember(member)
    with open(damaged, "r+b") as handle:  # one byte in the middle of the member's content
        handle.seek(entry.offset_data + entry.size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))

    # A database that does not exist: reaching it would say so. The check comes first.
    result = _run("restore", damaged, database_url=_database_url("rw_never_created"), media_root=tmp_path / "restored")
    assert result.returncode != 0, _output(result)
    assert f"damaged (SHA-256 differs from the manifest): {member}" in result.stderr, _output(result)
    assert "Refusing to restore" in result.stderr
    assert "does not exist" not in result.stderr + result.stdout
    assert not (tmp_path / "restored").exists()

    # The intact archive passes the same check (and stops only at the missing database).
    intact = _run("restore", archive, database_url=_database_url("rw_never_created"), media_root=tmp_path / "restored")
    assert "files match the manifest" in intact.stdout and "rw_never_created does not exist" in intact.stderr, \
        _output(intact)


@pytest.mark.django_db
def test_a_failed_backup_says_why_and_leaves_no_archive(tmp_path):
    folder = tmp_path / "backups"
    result = _run("backup", folder, database_url=_database_url("rw_never_created"), media_root=tmp_path / "media")
    assert result.returncode != 0
    assert "rw_never_created" in result.stderr and "no archive written" in result.stderr, _output(result)
    assert list(folder.iterdir()) == []
