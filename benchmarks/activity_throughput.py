"""Prints how fast the activity API stores patrols, and what the reach-visit statement costs.

    DATABASE_URL=... .venv/bin/python benchmarks/activity_throughput.py [--activities 200] [--fixes 500]
    DATABASE_URL=... .venv/bin/python benchmarks/activity_throughput.py --case long [--long-fixes 9600 20000]
        [--long-runs 2] [--gully ZW-G07] [--reach-sql old]

Throughput (the default case): posts patrols with 500-fix tracks (a fix every 8 m along a
waterway, with GPS noise) through the real API stack (DRF, validation, cleaning, storage,
snapping, reach visits, service records) in this process, one after another, then times the
reach-visit statement alone for each stored activity.

Long patrols (--case long): posts 8-hour patrols of 9,600 and 20,000 fixes (one every 3 s and
every 1.44 s) up and down a gully and along the river it flows into, stops and GPS errors
included, and prints each save's time beside the 2 s target (gunicorn's workers time out at 30 s),
the reach-visit statement's share of it and its time alone.

--reach-sql old (either case) measures the reach-visit statement as it was (one buffer of the whole
track; kept in tests/patrols/test_reach_visits.py): the long case then takes minutes.

Runs against the database in DATABASE_URL; everything happens inside a transaction that is rolled
back, so the data you have stays as it was.
"""

import argparse
import collections
import contextlib
import math
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from cpu_time import process_cpu_seconds  # noqa: E402  (benchmarks/, the script's own folder)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from pyproj import Transformer  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from patrols import services  # noqa: E402
from patrols.models import ReachVisit  # noqa: E402
from people.models import Person  # noqa: E402
from waterways.models import Reach, Waterway  # noqa: E402

TO_LONLAT = Transformer.from_crs(settings.GIS_SRID, settings.API_SRID, always_xy=True)
STEP_M = 8.0
SECONDS_PER_FIX = 6


class Rollback(Exception):
    pass


@contextlib.contextmanager
def volunteer_client_rolled_back():
    """An API client signed in as a new volunteer; everything it stores is rolled back afterwards."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}", password="x")
            Person.objects.create(name="压测员", role="volunteer", user=user)
            client = APIClient(HTTP_HOST="127.0.0.1")
            client.force_authenticate(user)
            yield client
            raise Rollback
    except Rollback:
        pass


def patrol_bodies(count, fixes_per_track, seed=7):
    """Walks along random waterways long enough for the track, with 5 m GPS noise."""
    rng = random.Random(seed)
    span = fixes_per_track * STEP_M
    waterways = [w for w in Waterway.objects.all() if w.length_m > span]
    start_ms = 1777593600000
    bodies = []
    for _ in range(count):
        waterway = rng.choice(waterways)
        start = rng.uniform(0, waterway.length_m - span)
        fixes = []
        for i in range(fixes_per_track):
            point = waterway.geom.interpolate(start + i * STEP_M)
            lon, lat = TO_LONLAT.transform(point.x + rng.gauss(0, 5), point.y + rng.gauss(0, 5))
            fixes.append([round(lon, 7), round(lat, 7), start_ms + i * SECONDS_PER_FIX * 1000, round(rng.uniform(4, 20), 1)])
        bodies.append({
            "client_uuid": str(uuid.uuid4()),
            "kind": "patrol",
            "started_at": "2026-05-01T08:00:00+08:00",
            "ended_at": "2026-05-01T09:00:00+08:00",
            "points": fixes,
        })
    return bodies


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def throughput(options):
    bodies = patrol_bodies(options.activities, options.fixes)
    with volunteer_client_rolled_back() as client:
        post_seconds, ids = [], []
        began = time.perf_counter()
        for body in bodies:
            started = time.perf_counter()
            response = client.post("/api/activities/", body, format="json")
            post_seconds.append(time.perf_counter() - started)
            assert response.status_code == 201, response.content[:300]
            ids.append(response.json()["id"])
        total = time.perf_counter() - began

        repeat_began = time.perf_counter()
        for body in bodies[:50]:
            assert client.post("/api/activities/", body, format="json").status_code == 200
        repeat_seconds = (time.perf_counter() - repeat_began) / min(50, len(bodies))

        visits = ReachVisit.objects.filter(activity_id__in=ids).count()
        ReachVisit.objects.filter(activity_id__in=ids).delete()
        visit_seconds = []
        for activity_id in ids:
            started = time.perf_counter()
            services.record_reach_visits(activity_ids=[activity_id])
            visit_seconds.append(time.perf_counter() - started)
        assert ReachVisit.objects.filter(activity_id__in=ids).count() == visits

        started = time.perf_counter()
        ReachVisit.objects.filter(activity_id__in=ids).delete()
        services.record_reach_visits(activity_ids=ids)
        batch_seconds = time.perf_counter() - started

    ms = [s * 1000 for s in post_seconds]
    visit_ms = [s * 1000 for s in visit_seconds]
    print(f"POST /api/activities/，{len(bodies)} 次巡河，每条轨迹 {options.fixes} 个定位点（单线程、同一进程）")
    print(f"  吞吐：{len(bodies) / total:.1f} 条/秒")
    print(f"  每次耗时：中位数 {statistics.median(ms):.1f} ms，p95 {percentile(ms, 0.95):.1f} ms，最长 {max(ms):.1f} ms")
    print(f"  重复提交（同一 client_uuid）：每次 {repeat_seconds * 1000:.1f} ms，返回 200，不新增")
    print(f"  河段巡查记录：共 {visits} 条，平均每次巡河 {visits / len(bodies):.1f} 个河段")
    print(f"河段巡查 SQL（单条语句），每次巡河：中位数 {statistics.median(visit_ms):.1f} ms，"
          f"p95 {percentile(visit_ms, 0.95):.1f} ms")
    print(f"  一次算完全部 {len(ids)} 次巡河（改河网后重算用）：{batch_seconds * 1000:.0f} ms")


# --- Long patrols ---------------------------------------------------------------------------------

LONG_PATROL_HOURS = 8
SAVE_TARGET_S = 2.0  # well inside gunicorn's 30 s worker timeout, on the 2 cores this runs on
WALK_MPS = 1.2


def long_patrol_route(gully):
    """The legs of the patrol, from the gully's mouth on its river, repeated until the hours are
    over: 2 km down the river and back, up the gully nearly to its source and back, 2 km up the
    river and back, half way up the gully and back. [(line, from_m, to_m)] in the storage SRID."""
    gully_line = shapely.from_wkb(bytes(gully.geom.wkb))
    river_line = shapely.from_wkb(bytes(gully.parent.geom.wkb))
    mouth = river_line.project(shapely.Point(gully_line.coords[-1]))
    down, up = max(0.0, mouth - 2000), min(river_line.length, mouth + 2000)
    top = gully_line.length
    return [
        (river_line, mouth, down), (river_line, down, mouth),
        (gully_line, top, min(300.0, top / 2)), (gully_line, min(300.0, top / 2), top),
        (river_line, mouth, up), (river_line, up, mouth),
        (gully_line, top, top / 2), (gully_line, top / 2, top),
    ]


def long_patrol_body(route, fixes_count, seed):
    """A phone's fixes over LONG_PATROL_HOURS along the route: walking at about WALK_MPS on a bank
    3-25 m from the centre line (the other bank on the way back), a stop of 2-10 minutes about
    every 45 minutes with the phone still recording (a dense scribble), and a GPS error that
    drifts by about 4 m over half a minute plus 0.8 m of noise on each fix."""
    rng = np.random.default_rng(seed)
    step_s = LONG_PATROL_HOURS * 3600 / fixes_count
    keep = math.exp(-step_s / 30)  # how much of the drift the next fix still has
    leg, along, side, offset, stopped = 0, route[0][1], 1.0, 10.0, 0
    drift = np.zeros(2)
    positions = []  # (line, along, sideways, error x, error y)
    for _ in range(fixes_count):
        line, start, end = route[leg % len(route)]
        if stopped:
            stopped -= 1
        else:
            if rng.random() < step_s / 2700:
                stopped = int(rng.uniform(120, 600) / step_s)
            direction = 1 if end > start else -1
            along += direction * rng.normal(WALK_MPS, 0.15) * step_s
            if (along - end) * direction >= 0:
                leg += 1
                line, along, _end = route[leg % len(route)]
                side = -side
            offset = min(25.0, max(3.0, offset + rng.normal(0, 0.3 * math.sqrt(step_s))))
        drift = keep * drift + math.sqrt(1 - keep * keep) * rng.normal(0, 4.0, 2)
        noise = rng.normal(0, 0.8, 2)
        positions.append((line, along, side * offset, drift[0] + noise[0], drift[1] + noise[1]))
    xs, ys = np.empty(fixes_count), np.empty(fixes_count)
    for line in {id(p[0]): p[0] for p in positions}.values():
        index = np.array([i for i, p in enumerate(positions) if p[0] is line])
        along = np.clip([positions[i][1] for i in index], 0, line.length)
        here = shapely.line_interpolate_point(line, along)
        ahead = shapely.line_interpolate_point(line, np.clip(along + 2, 0, line.length))
        behind = shapely.line_interpolate_point(line, np.clip(along - 2, 0, line.length))
        dx, dy = shapely.get_x(ahead) - shapely.get_x(behind), shapely.get_y(ahead) - shapely.get_y(behind)
        norm = np.hypot(dx, dy)
        norm[norm == 0] = 1.0
        sideways = np.array([positions[i][2] for i in index])
        xs[index] = shapely.get_x(here) - dy / norm * sideways + [positions[i][3] for i in index]
        ys[index] = shapely.get_y(here) + dx / norm * sideways + [positions[i][4] for i in index]
    lons, lats = TO_LONLAT.transform(xs, ys)
    start_ms = 1777593600000  # 2026-05-01 08:00 Beijing time
    accuracy = rng.uniform(3, 12, fixes_count)
    return {
        "client_uuid": str(uuid.uuid4()),
        "kind": "patrol",
        "started_at": "2026-05-01T08:00:00+08:00",
        "ended_at": f"2026-05-01T{8 + LONG_PATROL_HOURS:02d}:00:00+08:00",
        "points": [[round(lon, 7), round(lat, 7), start_ms + round(i * step_s * 1000), round(float(acc), 1)]
                   for i, (lon, lat, acc) in enumerate(zip(lons, lats, accuracy))],
    }


class StatementClock:
    """Seconds spent in each SQL statement the connection runs (connection.execute_wrapper)."""

    def __init__(self):
        self.seconds = collections.Counter()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[sql] += time.perf_counter() - started


def database_cpu_seconds():
    """CPU seconds of this connection's PostgreSQL backend so far, where /proc shows it (a local
    server); None elsewhere. With others' work on the same cores, wall time alone can mislead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return process_cpu_seconds(pid)


def long_patrols(options):
    gully = Waterway.objects.select_related("parent").get(code=options.gully)
    route = long_patrol_route(gully)
    statement = "旧语句（整条轨迹一次缓冲）" if options.reach_sql == "old" else "现语句"
    print(f"长时间巡河：{LONG_PATROL_HOURS} 小时，沿{gully.name}（{gully.code}）上下往返并沿{gully.parent.name}"
          f"（{gully.parent.code}），途中停留、GPS 漂移；河段巡查用{statement}；每种 {options.long_runs} 次，"
          f"另先保存一次 500 点的巡河预热；负载 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）")
    print(f"  目标：每次保存（POST /api/activities/）< {SAVE_TARGET_S:.0f} s")
    with volunteer_client_rolled_back() as client:
        # The first request of a process loads what every later one reuses (the projection, the service area).
        assert client.post("/api/activities/", patrol_bodies(1, 500)[0], format="json").status_code == 201
        for fixes_count in options.long_fixes:
            saves = []
            for run in range(options.long_runs):
                body = long_patrol_body(route, fixes_count, seed=1000 * run + fixes_count)
                clock = StatementClock()
                cpu_before, db_before = time.process_time(), database_cpu_seconds()
                with connection.execute_wrapper(clock):
                    started = time.perf_counter()
                    response = client.post("/api/activities/", body, format="json")
                    seconds = time.perf_counter() - started
                python_cpu, db_after = time.process_time() - cpu_before, database_cpu_seconds()
                assert response.status_code == 201, response.content[:300]
                activity_id = response.json()["id"]
                visits = ReachVisit.objects.filter(activity_id=activity_id).count()
                ReachVisit.objects.filter(activity_id=activity_id).delete()
                alone = time.perf_counter()
                services.record_reach_visits(activity_ids=[activity_id])
                alone = time.perf_counter() - alone
                saves.append(seconds)
                cpu = f"，CPU：Python {python_cpu:.2f} s" + (
                    f"、数据库 {db_after - db_before:.2f} s" if db_before is not None and db_after is not None else "")
                print(f"  {fixes_count:,} 个定位点（每 {LONG_PATROL_HOURS * 3600 / fixes_count:.2f} s 一个），"
                      f"第 {run + 1} 次：保存 {seconds:.2f} s（目标 {SAVE_TARGET_S:.0f} s，"
                      f"{'达标' if seconds < SAVE_TARGET_S else '超出'}）{cpu}")
                print(f"      其中河段巡查语句 {clock.seconds[services.REACH_VISITS_SQL]:.2f} s（单独重跑 {alone:.2f} s，"
                      f"{visits} 个河段），吸附河道 {clock.seconds[services.SNAP_SQL]:.2f} s，"
                      f"其余 {seconds - clock.seconds[services.REACH_VISITS_SQL] - clock.seconds[services.SNAP_SQL]:.2f} s")
            print(f"  {fixes_count:,} 个定位点：每次保存中位数 {statistics.median(saves):.2f} s，最长 {max(saves):.2f} s"
                  f"（目标 {SAVE_TARGET_S:.0f} s）")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["throughput", "long", "all"], default="throughput",
                        help="throughput: many 500-fix patrols (default); long: 8-hour patrols against the 2 s target")
    parser.add_argument("--activities", type=int, default=200, help="throughput: patrols to post")
    parser.add_argument("--fixes", type=int, default=500, help="throughput: fixes per track")
    parser.add_argument("--long-fixes", type=int, nargs="+", default=[9600, 20000], help="long: fixes per patrol")
    parser.add_argument("--long-runs", type=int, default=2, help="long: saves of each size")
    parser.add_argument("--gully", default="ZW-G07", help="long: the gully walked (and the river it flows into)")
    parser.add_argument("--reach-sql", choices=["new", "old"], default="new",
                        help="old: the reach-visit statement before it buffered the track in pieces")
    options = parser.parse_args()

    print(f"数据库：{connection.settings_dict['NAME']}，河段 {Reach.objects.count()} 个")
    if options.reach_sql == "old":
        from tests.patrols.test_reach_visits import OLD_REACH_VISITS_SQL

        services.REACH_VISITS_SQL = OLD_REACH_VISITS_SQL
    if options.case in ("throughput", "all"):
        throughput(options)
    if options.case in ("long", "all"):
        long_patrols(options)


if __name__ == "__main__":
    main()
