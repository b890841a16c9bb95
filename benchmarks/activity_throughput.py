"""Prints how fast the activity API stores patrols, and what the reach-visit statement costs.

    DATABASE_URL=... .venv/bin/python benchmarks/activity_throughput.py [--activities 200] [--fixes 500]

Posts patrols with 500-fix tracks (a fix every 8 m along a waterway, with GPS noise) through the
real API stack (DRF, validation, cleaning, storage, snapping, reach visits, service records) in
this process, one after another, then times the reach-visit statement alone for each stored
activity. Runs against the database in DATABASE_URL; everything happens inside a transaction that
is rolled back, so the data you have stays as it was.
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--fixes", type=int, default=500)
    options = parser.parse_args()

    print(f"数据库：{connection.settings_dict['NAME']}，河段 {Reach.objects.count()} 个")
    bodies = patrol_bodies(options.activities, options.fixes)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}", password="x")
            Person.objects.create(name="压测员", role="volunteer", user=user)
            client = APIClient(HTTP_HOST="127.0.0.1")
            client.force_authenticate(user)

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
            raise Rollback
    except Rollback:
        pass

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


if __name__ == "__main__":
    main()
