"""The write path over HTTP: patrols with 500-fix tracks posted to gunicorn under the production
settings by several phones at once, and how soon coverage shows a patrol after its 201.

    .venv/bin/python benchmarks/write_path.py [--patrols 300] [--phones 8] [--workers 3] [--fixes 500]

Runs on a PostgreSQL cluster and a gunicorn of its own (benchmarks/stack.py, removed afterwards),
loaded with the district. The phones are threads of this process, on the same cores as the server
and the database (on 2 cores they take a share of the CPU a real server would not lose). Prints the
throughput beside the target (benchmarks/_targets.py), each POST's p50/p95, the CPU time a patrol
cost the database, gunicorn and the phones' threads (benchmarks/cpu_time.py) with the throughput the
cores allow at that cost, and for a few patrols the time from the 201 until /api/coverage/ counts
the reaches they walked."""

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _targets import WRITE_PATH_PATROLS_PER_S, WRITE_PATH_VISIBLE_S, met  # noqa: E402
from cpu_time import cores, tree_cpu_seconds  # noqa: E402
from stack import riverwatch  # noqa: E402

PASSWORD = "bench-Writes-2026"
# A volunteer per phone, as in the field: one person's submissions take turns (the service-record
# overlap check locks the person), eight people's need not.
MAKE_PEOPLE = """
from people.models import Person, User
for k in range({phones}):
    phone = User.objects.create_user(f"bench-phone-{{k}}", password="{password}")
    Person.objects.create(user=phone, name=f"压测志愿者{{k}}", role="volunteer")
office = User.objects.create_user("bench-office", password="{password}", is_staff=True)
Person.objects.create(user=office, name="压测河长办", role="staff")
"""


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bodies_for(cluster_url, count, fixes, seed):
    """Patrols along the district's waterways (activity_throughput's walks), read from the server's database."""
    os.environ["DATABASE_URL"] = cluster_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")
    import django

    django.setup()
    from activity_throughput import patrol_bodies

    return patrol_bodies(count, fixes, seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrols", type=int, default=300)
    parser.add_argument("--phones", type=int, default=8, help="phones posting at once (threads)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--fixes", type=int, default=500)
    parser.add_argument("--visible", type=int, default=5, help="patrols timed until coverage shows them")
    options = parser.parse_args()

    with riverwatch(workers=options.workers) as (cluster, server):
        server.manage("shell", "-c", MAKE_PEOPLE.format(password=PASSWORD, phones=options.phones))
        phone_tokens = [server.sign_in(f"bench-phone-{k}", PASSWORD) for k in range(options.phones)]
        handed_out = itertools.cycle(phone_tokens)  # the warm-up's thread shares one, idle meanwhile
        office_token = server.sign_in("bench-office", PASSWORD)
        bodies = bodies_for(cluster.url, options.patrols + 10 + options.visible, options.fixes, seed=11)
        local = threading.local()

        def post(body):
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.headers["Authorization"] = f"Token {next(handed_out)}"  # a phone per thread
                local.session.headers["Prefer"] = "return=minimal"  # as the phone app asks
            started = time.perf_counter()
            answer = local.session.post(f"{server.url}/api/activities/", json=body, timeout=120)
            return answer.status_code, time.perf_counter() - started

        print("预热 10 次 …", flush=True)
        for body in bodies[:10]:
            assert post(body)[0] == 201
        timed = bodies[10:10 + options.patrols]
        print(f"{options.phones} 部手机同时提交 {len(timed)} 次巡河（每条 {options.fixes} 个定位点）→ gunicorn "
              f"{options.workers} 个 worker …", flush=True)

        def servers_cpu():
            return {"PostgreSQL": tree_cpu_seconds(cluster.postmaster_pid),
                    "gunicorn": tree_cpu_seconds(server.process.pid)}

        # The phones' CPU is read inside the servers' readings: the scans of /proc are nobody's work.
        servers_before = servers_cpu()
        phones_before = time.process_time()
        began = time.perf_counter()
        with ThreadPoolExecutor(options.phones) as pool:
            results = list(pool.map(post, timed))
        wall = time.perf_counter() - began
        phones_s = time.process_time() - phones_before
        cpu_s = {part: seconds - servers_before[part] for part, seconds in servers_cpu().items()}
        cpu_s["手机线程（本脚本）"] = phones_s
        cpu_ms = {part: seconds * 1000 / len(timed) for part, seconds in cpu_s.items()}
        statuses = [status for status, _s in results]
        assert statuses.count(201) == len(timed), {s: statuses.count(s) for s in set(statuses)}
        rate = len(timed) / wall
        ms = [seconds * 1000 for _status, seconds in results]

        # How soon coverage counts a patrol: each on a day of its own, so the day's figure is its alone.
        office = requests.Session()
        office.headers["Authorization"] = f"Token {office_token}"
        lags = []
        for k, body in enumerate(bodies[10 + options.patrols:]):
            day = f"2026-07-{k + 1:02d}"
            shift_ms = (k + 61) * 86_400_000  # the walks start on 1 May
            body = {**body, "started_at": f"{day}T08:00:00+08:00", "ended_at": f"{day}T09:00:00+08:00",
                    "points": [[lon, lat, at + shift_ms, accuracy] for lon, lat, at, accuracy in body["points"]]}
            status, _seconds = post(body)
            answered = time.perf_counter()
            assert status == 201, status
            while True:
                summary = office.get(f"{server.url}/api/coverage/", params={"start": day, "end": day}, timeout=60).json()
                if summary["district"]["reaches_visited"] > 0:
                    lags.append(time.perf_counter() - answered)
                    break
                if time.perf_counter() - answered > 60:
                    lags.append(float("inf"))
                    break
                time.sleep(0.1)

    print(f"  吞吐：{rate:.1f} 条/秒（目标 ≥ {WRITE_PATH_PATROLS_PER_S} 条/秒：{met(rate >= WRITE_PATH_PATROLS_PER_S)}）")
    print(f"  每次 POST：中位数 {statistics.median(ms):.0f} ms，p95 {percentile(ms, 0.95):.0f} ms")
    # Where the cores went: the throughput cannot pass cores ÷ CPU per patrol, however it is queued.
    per_patrol = sum(cpu_ms.values())
    parts = "，".join(f"{part} {cpu_ms[part]:.1f} ms" for part in ("PostgreSQL", "gunicorn", "手机线程（本脚本）"))
    ceiling = cores() * 1000 / per_patrol
    print(f"  每次巡河用的 CPU：{per_patrol:.0f} ms（{parts}）；{cores()} 核上限 ≈ {ceiling:.0f} 条/秒，"
          f"{WRITE_PATH_PATROLS_PER_S} 条/秒要求每次 ≤ {cores() * 1000 / WRITE_PATH_PATROLS_PER_S:.0f} ms")
    worst = max(lags)
    print(f"  201 之后覆盖率计入该次巡河：最长 {worst:.2f} s（{len(lags)} 次；目标 ≤ {WRITE_PATH_VISIBLE_S} s："
          f"{met(worst <= WRITE_PATH_VISIBLE_S)}）")


if __name__ == "__main__":
    main()
