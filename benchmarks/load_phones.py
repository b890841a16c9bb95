"""Load: 200 phones record and send patrols and cleanups while 10 river chiefs browse the map, against
gunicorn under the production settings, on loopback. Prints p50/p95 of each endpoint, the errors
(there must be none), and checks the database afterwards: every record answered 201 is stored once.

    .venv/bin/pip install -r requirements-bench.txt      # locust, once
    .venv/bin/python benchmarks/load_phones.py [--minutes 10] [--phones 200] [--chiefs 10] [--spawn-rate 5] [--settle 90]

Runs on a PostgreSQL cluster and a gunicorn of its own (benchmarks/stack.py), removed afterwards;
locust runs headless in this process, bounded in time and in users."""

from __future__ import annotations

# Locust patches the standard library for gevent: before anything else is imported.
from locust import HttpUser, between, events, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stack import riverwatch  # noqa: E402

PASSWORD = "load-pass-4727"
PEOPLE_SCRIPT = """
import json
from datetime import date
from people import services
from waterways.models import Waterway
gullies = list(Waterway.objects.filter(kind="gully").order_by("code"))
phones, chiefs = [], []
for n in range(%(phones)d):
    login = services.create_login(username=f"phone-{n}", password="%(password)s")
    services.create_person(name=f"压测志愿者{n}", role="volunteer", user=login)
    phones.append(login.username)
for n in range(%(chiefs)d):
    login = services.create_login(username=f"chief-{n}", password="%(password)s")
    person = services.create_person(name=f"压测河长{n}", role="chief", level="village", user=login)
    services.create_chief_assignment(person=person, waterway=gullies[n %% len(gullies)], level="village",
                                     since=date(2024, 1, 1))
    chiefs.append(login.username)
print(json.dumps({"phones": phones, "chiefs": chiefs}))
"""

ACCOUNTS = {"phones": [], "chiefs": []}
LINES = []  # the waterways as lon/lat polylines, for walks along them
CREATED = []  # (client_uuid, status) of every record the phones sent


def along(line, start_m, length_m, step_m=8.0):
    """Points every step_m along a lon/lat polyline (metres by an equirectangular approximation)."""
    lat0 = math.radians(line[0][1])
    metres = [(x * 111_320 * math.cos(lat0), y * 110_540) for x, y in line]
    cumulative = [0.0]
    for a, b in zip(metres, metres[1:]):
        cumulative.append(cumulative[-1] + math.dist(a, b))
    points, target, index = [], start_m, 0
    while target <= min(start_m + length_m, cumulative[-1]):
        while index < len(cumulative) - 2 and cumulative[index + 1] < target:
            index += 1
        span = cumulative[index + 1] - cumulative[index] or 1.0
        share = (target - cumulative[index]) / span
        (x0, y0), (x1, y1) = line[index], line[index + 1]
        points.append((x0 + (x1 - x0) * share, y0 + (y1 - y0) * share))
        target += step_m
    return points


class Phone(HttpUser):
    """A volunteer's phone: opens its home screen and history now and then, and sends a patrol
    (a 500-fix track) or a cleanup every minute or so, each with its own client_uuid."""

    fixed_count = 200
    wait_time = between(20, 60)

    def on_start(self):
        username = ACCOUNTS["phones"].pop()
        token = self.client.post("/api/auth/token/", json={"username": username, "password": PASSWORD},
                                 name="POST /api/auth/token/").json()["token"]
        self.headers = {"Authorization": f"Token {token}", "Accept-Encoding": "gzip"}
        self.clock = datetime(2026, 6, 1, tzinfo=timezone.utc) - timedelta(days=random.randint(0, 300))

    def _next_start(self):
        self.clock += timedelta(hours=3)  # one record after the other: a person serves once at a time
        return self.clock

    @task(3)
    def home(self):
        self.client.get("/api/field/me/", headers=self.headers, name="GET /api/field/me/")
        self.client.get("/api/field/history/?limit=20", headers=self.headers, name="GET /api/field/history/")

    @task(2)
    def patrol(self):
        line = random.choice(LINES)
        points = along(line, random.uniform(0, 500), 4000)
        started = self._next_start()
        fixes = [[lon + random.gauss(0, 0.00003), lat + random.gauss(0, 0.00003),
                  int((started + timedelta(seconds=6 * i)).timestamp() * 1000), 6.0]
                 for i, (lon, lat) in enumerate(points[:500])]
        self._send({"kind": "patrol", "points": fixes, "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(seconds=6 * len(fixes) + 30)).isoformat()}, "patrol")

    @task(1)
    def cleanup(self):
        line = random.choice(LINES)
        lon, lat = random.choice(line)
        started = self._next_start()
        self._send({"kind": "cleanup", "point": [lon, lat], "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(hours=1)).isoformat(),
                    "figures": {"debris_kg": "3.5", "bags": 2}}, "cleanup")

    def _send(self, body, kind):
        body["client_uuid"] = str(uuid.uuid4())
        with self.client.post("/api/activities/", json=body, headers=self.headers, catch_response=True,
                              name=f"POST /api/activities/ ({kind})") as response:
            CREATED.append((body["client_uuid"], response.status_code))
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Chief(HttpUser):
    """A river chief at a desk: the map's layers and the compliance page, for this year."""

    fixed_count = 10
    wait_time = between(5, 15)
    QUERY = "?start=2026-01-01&end=2026-06-01&waterway=mine"

    def on_start(self):
        username = ACCOUNTS["chiefs"].pop()
        token = self.client.post("/api/auth/token/", json={"username": username, "password": PASSWORD},
                                 name="POST /api/auth/token/").json()["token"]
        self.headers = {"Authorization": f"Token {token}", "Accept-Encoding": "gzip"}

    @task
    def map_layers(self):
        for path in ("/api/map/summary/", "/api/coverage/", "/api/coverage/reaches/", "/api/coverage/gaps/",
                     "/api/map/activities/", "/api/map/problems/"):
            self.client.get(path + self.QUERY, headers=self.headers, name=f"GET {path}")

    @task
    def compliance(self):
        self.client.get("/api/compliance/chiefs/" + self.QUERY, headers=self.headers, name="GET /api/compliance/chiefs/")


def percentile(stats, share):
    return stats.get_response_time_percentile(share) or 0


def report(title, stats):
    print(f"\n{title}")
    print(f"  {'endpoint':<44}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for entry in [*sorted((entry for entry in stats.entries.values() if entry.num_requests), key=lambda entry: entry.name),
                  stats.total]:
        name = "all" if entry is stats.total else entry.name
        print(f"  {name:<44}{entry.num_requests:>9}{entry.num_failures:>8}"
              f"{percentile(entry, 0.5):>9.0f}{percentile(entry, 0.95):>9.0f}{entry.max_response_time:>9.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="measured, after everyone has signed in")
    parser.add_argument("--spawn-rate", type=float, default=5, help="phones and chiefs arriving per second")
    parser.add_argument("--settle", type=float, default=90, help="seconds for everyone to arrive and sign in")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--chiefs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2 cores here)")
    options = parser.parse_args()
    Phone.fixed_count, Chief.fixed_count = options.phones, options.chiefs
    if options.spawn_rate * options.settle < options.phones + options.chiefs + 30 * options.spawn_rate:
        # Everyone must have arrived (and signed in) well before the measured minutes begin.
        parser.error("--settle is too short for --spawn-rate: allow the arrival plus 30 seconds")

    with riverwatch(workers=options.workers, threads=4) as (cluster, server):
        made = server.manage("shell", "--no-imports", "-c", PEOPLE_SCRIPT % {
            "phones": options.phones, "chiefs": options.chiefs, "password": PASSWORD})
        ACCOUNTS.update(json.loads(made.stdout.strip().splitlines()[-1]))
        import requests

        token = server.sign_in(ACCOUNTS["chiefs"][0], PASSWORD)
        waterways = requests.get(server.url + "/api/waterways/", headers={"Authorization": f"Token {token}"}, timeout=60).json()
        LINES.extend([tuple(point) for point in feature["geometry"]["coordinates"]]
                     for feature in waterways["features"])

        environment = Environment(user_classes=[Phone, Chief], events=events, host=server.url)
        runner = environment.create_local_runner()
        users = options.phones + options.chiefs
        print(f"{options.phones} 部手机 + {options.chiefs} 位河长：{options.settle:g} 秒陆续登录（每秒 {options.spawn_rate:g} 个），"
              f"再测 {options.minutes:g} 分钟 …")
        runner.start(users, spawn_rate=options.spawn_rate)
        arrival = {}

        def settled():
            # Everyone has signed in (a password hash each, the slowest request): the figures so far
            # are the morning's arrival; the measured run starts from here.
            arrival["failures"] = environment.stats.total.num_failures
            report(f"登录阶段（{options.settle:g} 秒，{runner.user_count} 个用户已到）", environment.stats)
            environment.stats.reset_all()

        gevent.spawn_later(options.settle, settled)
        gevent.spawn_later(options.settle + options.minutes * 60, runner.quit)
        started = time.monotonic()
        runner.greenlet.join()
        elapsed = time.monotonic() - started - options.settle

        total = environment.stats.total
        report(f"负载结果（{elapsed / 60:.1f} 分钟，gunicorn {options.workers} 个进程 × 4 线程，生产配置）", environment.stats)

        answered = {key for key, status in CREATED if status == 201}
        stored = cluster.psql("SELECT client_uuid FROM patrols_activity").split()
        doubled = len(stored) - len(set(stored))
        missing = len(answered - set(stored))
        unanswered_but_stored = len(set(stored) - answered)
        without_record = int(cluster.psql(
            "SELECT count(*) FROM patrols_activity a WHERE NOT EXISTS"
            " (SELECT 1 FROM patrols_servicerecord s WHERE s.activity_id = a.id)"))
        patrols_without_visits = int(cluster.psql(
            "SELECT count(*) FROM patrols_activity a WHERE a.kind = 'patrol' AND a.track IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM patrols_reachvisit v WHERE v.activity_id = a.id)"))
        print("\n数据库检查")
        for label, value in [("records answered 201", len(answered)), ("records stored", len(stored)),
                             ("stored twice", doubled), ("answered 201 but missing", missing),
                             ("stored without a 201 (answer lost)", unanswered_but_stored),
                             ("activities without a service record", without_record),
                             ("patrols with a track but no reach visit", patrols_without_visits)]:
            print(f"  {label:<44}{value}")
    ok = total.num_failures == arrival.get("failures", 1) == 0 and doubled == missing == without_record == 0
    print("  结论：" + ("0 错误，数据一致" if ok else "有问题！"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
