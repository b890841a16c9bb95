"""A throwaway RiverWatch for the proofs that need a real one (exactly_once.py, load_phones.py): a
PostgreSQL cluster of its own in a temporary folder (so it can be restarted without disturbing any
other database), migrated and loaded with the district, served by gunicorn under the production
settings on loopback. Everything is removed when the `with` block ends."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Where the drills record their cleanups: the district's 狮子沟, about 800 m from its source (lon, lat).
SPOT = (110.5368, 32.6517)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    if not found:
        sys.exit("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin): run script/test once first.")
    return found[-1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A PostgreSQL cluster of its own, on a free loopback port, with a random password."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = _free_port()
        self.password = secrets.token_urlsafe(18)
        self.bin = _pg_bin()

    def _run(self, *args, check=True):
        return subprocess.run(_as_postgres([str(self.bin / args[0]), *args[1:]]), check=check, capture_output=True,
                              text=True, cwd="/")

    def create(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(password_file, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "riverwatch", f"--pwfile={password_file}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                       "max_connections = 200\n")
        self.start()
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "riverwatch",
                        "riverwatch"], check=True, env={**os.environ, "PGPASSWORD": self.password})

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "start")

    def restart_immediately(self):
        """A crash and a restart: `pg_ctl restart -m immediate`, in-flight transactions lost."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "restart")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def postmaster_pid(self) -> int:
        """The server's first process, parent of every backend (postmaster.pid's first line)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    @property
    def url(self) -> str:
        return f"postgis://riverwatch:{self.password}@127.0.0.1:{self.port}/riverwatch"

    def psql(self, sql: str) -> str:
        result = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "riverwatch",
                                 "-d", "riverwatch", "-tAc", sql], check=True, capture_output=True, text=True,
                                env={**os.environ, "PGPASSWORD": self.password})
        return result.stdout.strip()


class Server:
    """gunicorn serving the app under riverwatch.settings.prod, as production runs it."""

    def __init__(self, cluster: Cluster, folder: Path, *, workers: int, threads: int = 1):
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "riverwatch.settings.prod",
            "DATABASE_URL": cluster.url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            # Plain http on loopback, no proxy in front: nothing to redirect, nobody's address to trust.
            "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "TRUSTED_PROXY_COUNT": "0",
            # The proofs sign in hundreds of phones from one address within a minute.
            "LOGIN_THROTTLE_RATE": "100000/min", "LOGIN_FAILURE_LIMIT": "100000",
            "LOG_LEVEL": "WARNING",
        }
        self.workers, self.threads, self.folder = workers, threads, folder
        self.process = self.log = None

    def manage(self, *args, input_text=None):
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True,
                              text=True, input=input_text)

    def prepare(self):
        """Migrations, the district's data, the static files production serves."""
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("load_district_data", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("compilemessages", "--ignore=.venv", "-v", "0")

    def start(self):
        # Its log (the tracebacks of requests caught by a database restart) beside the cluster's.
        self.log = open(self.folder / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "riverwatch.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "60",
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/accounts/login/", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within a minute")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.log:
            self.log.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in(self, username: str, password: str) -> str:
        """An API token for the login, as a script gets one."""
        answer = requests.post(f"{self.url}/api/auth/token/", json={"username": username, "password": password}, timeout=30)
        answer.raise_for_status()
        return answer.json()["token"]


@contextmanager
def riverwatch(*, workers: int = 3, threads: int = 1, say=print):
    """A prepared cluster and a running server; both gone afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="rw-proof-", dir="/tmp"))
    os.chmod(folder, 0o755)
    cluster = Cluster(folder / "cluster")
    server = Server(cluster, folder, workers=workers, threads=threads)
    try:
        say(f"PostgreSQL cluster of its own on 127.0.0.1:{cluster.port} …")
        cluster.create()
        say("migrate, load_district_data, collectstatic …")
        server.prepare()
        say(f"gunicorn (production settings, {workers} workers × {threads} threads) on {server.url} …")
        server.start()
        yield cluster, server
    finally:
        server.stop()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
