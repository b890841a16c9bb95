"""The project's own PostgreSQL cluster, for the benchmarks that build a database of their own there."""

import os
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def local_cluster_url(name):
    """The project's cluster as riverwatch/settings/base.py finds it, with another database name."""
    password_file = ROOT / ".pgpassword"
    password = password_file.read_text().strip() if password_file.is_file() else ""
    login = f"riverwatch:{quote(password, safe='')}" if password else "riverwatch"
    return f"postgis://{login}@127.0.0.1:{os.environ.get('RW_PG_PORT', '54329')}/{name}"
