"""The project's own PostgreSQL cluster, for the benchmarks that build a database of their own there, and
the small helpers they share."""

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

# Lazy: the settings are read at the first query, after the script has called django.setup().
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def local_cluster_url(name):
    """The project's cluster as riverwatch/settings/base.py finds it, with another database name."""
    password_file = ROOT / ".pgpassword"
    password = password_file.read_text().strip() if password_file.is_file() else ""
    login = f"riverwatch:{quote(password, safe='')}" if password else "riverwatch"
    return f"postgis://{login}@127.0.0.1:{os.environ.get('RW_PG_PORT', '54329')}/{name}"


# --- What the benchmarks that fill a database of their own share (after django.setup()) -------------

def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def database_name():
    return connection.settings_dict["NAME"]


@contextmanager
def step(label):
    started = time.perf_counter()
    print(f"· {label} …", flush=True)
    yield
    print(f"  {label}：{time.perf_counter() - started:.1f} s", flush=True)


def admin_connection():
    """A connection to the cluster's `postgres` database, to create or drop the benchmark's own."""
    import psycopg

    params = connection.settings_dict
    try:
        return psycopg.connect(dbname="postgres", host=params["HOST"] or None, port=params["PORT"] or None,
                               user=params["USER"] or None, password=params["PASSWORD"] or None, autocommit=True)
    except psycopg.OperationalError as error:
        sys.exit(f"连不上数据库（{error}）。先启动集群：bash -c 'source script/_common.sh; ensure_database'")
