"""Exactly once, under faults: the phone's outbox protocol (tests/support/outbox.py) against the real
server, many trials, with requests lost, answers lost, requests sent twice at once, records out of
order, two tabs sending the same outbox at once, and the database crashed and restarted
(`pg_ctl restart -m immediate`) in the middle of some trials. Afterwards the server must hold exactly
the intended records: none lost, none doubled, and the service records they imply.

    .venv/bin/python benchmarks/exactly_once.py [--trials 10000] [--restart-every 40] [--parallel 4]

Runs on a PostgreSQL cluster and a gunicorn of its own (benchmarks/stack.py), removed afterwards.
Prints the counts and exits non-zero if any record was lost, doubled or refused."""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stack import SPOT, riverwatch  # noqa: E402
from tests.support.outbox import Tally, run_trial, trial_records  # noqa: E402

TRIAL_SPACING = timedelta(hours=12)
PEOPLE_SCRIPT = """
import json
from people import services
people = []
for n in range(%(phones)d):
    login = services.create_login(username=f"drill-{n}", password="drill-pass-4727")
    volunteer = services.create_person(name=f"演练志愿者{n}", role="volunteer", user=login)
    friends = [services.create_person(name=f"演练同伴{n}-{k}", role="volunteer") for k in range(2)]
    services.create_team(name=f"演练队{n}", kind="volunteer", members=[volunteer, *friends])
    people.append({"username": login.username, "companions": [friend.pk for friend in friends]})
print(json.dumps(people))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--restart-every", type=int, default=40, help="crash and restart PostgreSQL every N trials")
    parser.add_argument("--parallel", type=int, default=4, help="phones sending at the same time")
    parser.add_argument("--seed", type=int, default=4546)
    options = parser.parse_args()
    started = time.monotonic()

    with riverwatch(workers=3, threads=2) as (cluster, server):
        created = server.manage("shell", "--no-imports", "-c", PEOPLE_SCRIPT % {"phones": options.parallel})
        phones = json.loads(created.stdout.strip().splitlines()[-1])
        for phone in phones:
            phone["token"] = server.sign_in(phone["username"], "drill-pass-4727")

        tally, intended, restarts = Tally(), [], []
        lock = threading.Lock()
        master = random.Random(options.seed)
        plans = []
        trials_per_phone = -(-options.trials // len(phones))
        earliest = (datetime.now(dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
                    - TRIAL_SPACING * trials_per_phone - timedelta(days=1))
        for trial in range(options.trials):
            phone = phones[trial % len(phones)]
            rng = random.Random(master.getrandbits(64))
            # Each phone's trials follow one another in time, 12 hours apart (a trial's records span at
            # most 7 hours: a person serves once at a time), and all of them end before now (the server
            # refuses an activity that starts in the future).
            first_start = earliest + TRIAL_SPACING * (trial // len(phones))
            plans.append((trial, phone, rng, first_start))

        def one(plan):
            trial, phone, rng, first_start = plan
            records = trial_records(rng, first_start=first_start, lonlat=SPOT, companions=phone["companions"])
            if options.restart_every and trial % options.restart_every == options.restart_every // 2:
                # Crash the database a moment into this trial, while other phones are sending too.
                timer = threading.Timer(rng.uniform(0.0, 0.3), lambda: (cluster.restart_immediately(),
                                                                        restarts.append(trial)))
                timer.start()
            finished = run_trial(server.url, phone["token"], rng, tally, records, tabs=rng.choice([1, 1, 1, 2]))
            with lock:
                intended.extend(records)
            return finished

        with ThreadPoolExecutor(max_workers=options.parallel) as pool:
            finished = list(tqdm(pool.map(one, plans), total=len(plans), unit="次", desc="试验",
                                 disable=not sys.stderr.isatty()))
        time.sleep(1)  # a restart timer of the last trials may still be running

        stored = Counter(cluster.psql("SELECT client_uuid FROM patrols_activity").split())
        wanted = Counter(record.body["client_uuid"] for record in intended)
        lost = sum(1 for key in wanted if key not in stored)
        doubled = sum(count - 1 for count in stored.values() if count > 1)
        strangers = sum(1 for key in stored if key not in wanted)
        refused = sum(1 for record in intended if record.refused)
        expected_service = sum(1 + len(record.body["participants"]) for record in intended)
        service_records = int(cluster.psql("SELECT count(*) FROM patrols_servicerecord"))
        doubled_service = int(cluster.psql(
            "SELECT count(*) FROM (SELECT activity_id, person_id FROM patrols_servicerecord"
            " GROUP BY 1, 2 HAVING count(*) > 1) AS twice"))

    minutes = (time.monotonic() - started) / 60
    rows = [
        ("trials", options.trials), ("trials finished", sum(finished)),
        ("database crashes and restarts", len(restarts)),
        ("records intended", len(intended)), ("records stored", sum(stored.values())),
        ("lost", lost), ("doubled", doubled), ("stored but never sent", strangers), ("refused", refused),
        ("service records expected / stored", f"{expected_service} / {service_records}"),
        ("service records doubled", doubled_service),
        ("requests sent", tally.attempts), ("requests lost on the way", tally.requests_lost),
        ("answers lost on the way back", tally.answers_lost), ("requests sent twice at once", tally.sent_twice),
        ("5xx answers (retried)", tally.server_errors), ("network errors (retried)", tally.network_errors),
        ("minutes", f"{minutes:.1f}"),
    ]
    print("\n恰好一次（exactly once）演练结果")
    for label, value in rows:
        print(f"  {label:<38}{value}")
    ok = (lost == doubled == strangers == refused == doubled_service == 0 and expected_service == service_records
          and all(finished))
    for reason, count in Counter(str(reason) for reason in tally.refused).most_common(5):
        print(f"  refused {count}×: {reason[:300]}")
    print("  结论：" + ("无丢失、无重复" if ok else "有问题！"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
