"""The backup drill: script/backup of a database, script/restore of the archive into a new, empty
PostgreSQL cluster (as on a replacement machine), then every table and every photo compared.

    .venv/bin/python benchmarks/backup_drill.py [--photos 0]

The source is the database in DATABASE_URL, or the project-local cluster (`riverwatch`, with the
district and the demo after script/server), read only; nothing may write to it during the drill
(stop script/server), since the restored copy is compared with it. Its MEDIA_ROOT is read, never written: with --photos N,
the drill backs up a copy of it with N extra photo-sized files (500 KB each) instead. Prints the time
of each step, the archive's size, and the comparison; exits non-zero on any difference. The new
cluster and every file the drill made are removed afterwards (benchmarks/stack.py)."""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stack import ROOT, Cluster  # noqa: E402

TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> 'spatial_ref_sys' ORDER BY 1
"""
# A table's rows and an md5 over their text (geometries included), in a stable order.
CONTENT_SQL = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} AS t")


def local_database_url() -> str:
    password = (ROOT / ".pgpassword").read_text().strip()
    return f"postgis://riverwatch:{password}@127.0.0.1:{os.environ.get('RW_PG_PORT', '54329')}/riverwatch"


def contents(url: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of the rows)} of every table of the public schema."""
    with psycopg.connect(url.replace("postgis://", "postgresql://", 1)) as connection:
        tables = [name for (name,) in connection.execute(TABLES_SQL)]
        return {name: connection.execute(CONTENT_SQL.format(sql.Identifier(name))).fetchone() for name in tables}


def files_digest(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.relative_to(folder).parts[0].startswith(".")}


def timed(command, env) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=0, help="extra photo-sized files in a copy of MEDIA_ROOT")
    options = parser.parse_args()
    source_url = os.environ.get("DATABASE_URL") or local_database_url()
    source_media = Path(os.environ.get("MEDIA_ROOT", ROOT / "media"))

    work = Path(tempfile.mkdtemp(prefix="rw-drill-", dir="/tmp"))
    os.chmod(work, 0o755)
    cluster = Cluster(work / "cluster")
    try:
        media = source_media
        if options.photos:
            media = work / "source-media"
            if source_media.exists():
                shutil.copytree(source_media, media)
            for number in range(options.photos):
                path = media / "photos" / "drill" / f"{number:05d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(secrets.token_bytes(500_000))
        media.mkdir(parents=True, exist_ok=True)

        env = {**os.environ, "DATABASE_URL": source_url, "MEDIA_ROOT": str(media)}
        before = contents(source_url)
        backup_seconds = timed(["script/backup", str(work / "archives")], env)
        if contents(source_url) != before:
            # The comparison needs a source that stood still (a running script/server writes sessions).
            print("The source database changed while it was backed up: stop what writes to it and run again.")
            return 2
        archive = next((work / "archives").glob("riverwatch-backup-*.tar"))

        print("A new, empty PostgreSQL cluster …")
        cluster.create()
        restored_media = work / "restored-media"
        restored_media.mkdir()
        env = {**os.environ, "DATABASE_URL": cluster.url, "MEDIA_ROOT": str(restored_media)}
        restore_seconds = timed(["script/restore", str(archive)], env)

        after = contents(cluster.url)
        rows = sum(count for count, _digest in before.values())
        differing = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        files_before, files_after = files_digest(media), files_digest(restored_media)
        files_differing = sorted(name for name in files_before.keys() | files_after.keys()
                                 if files_before.get(name) != files_after.get(name))

        print(f"\n备份演练（源：{source_url.rsplit('/', 1)[-1]} 数据库，恢复到新建的空集群）")
        print(f"  script/backup                 {backup_seconds:6.1f} s   archive {archive.stat().st_size / 1e6:.1f} MB")
        print(f"  script/restore (new cluster)  {restore_seconds:6.1f} s")
        print(f"  tables / rows                 {len(before)} / {rows:,}")
        print(f"  tables differing (rows, md5 of every row)   {len(differing)}")
        print(f"  files / differing             {len(files_before):,} / {len(files_differing)}")
        for line in differing[:10] + files_differing[:10]:
            print(f"    {line}")
        ok = not differing and not files_differing and len(before) > 0
        print("  结论：" + ("恢复后每张表、每个文件都一致" if ok else "有差异！"))
        return 0 if ok else 1
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
