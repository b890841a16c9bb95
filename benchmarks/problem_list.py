"""Times the office's problem list and the problem figures over 100,000 problems, each beside a
hand-written SQL floor and the 300 ms target.

    .venv/bin/python benchmarks/problem_list.py                      # builds rw_bench_problems once, then measures
    .venv/bin/python benchmarks/problem_list.py --runs 30            # more runs per read
    .venv/bin/python benchmarks/problem_list.py --only list          # or figures
    .venv/bin/python benchmarks/problem_list.py --explain            # EXPLAIN ANALYZE the app's statements of reads over target
    .venv/bin/python benchmarks/problem_list.py --fresh              # build the problems again
    .venv/bin/python benchmarks/problem_list.py --recreate           # drop and rebuild the whole database
    .venv/bin/python benchmarks/problem_list.py --gc-freeze          # freeze the set-up heap first (see below)
    .venv/bin/python benchmarks/problem_list.py --pg-options "-c max_parallel_workers_per_gather=0"
    .venv/bin/python benchmarks/problem_list.py --problems 10000     # a smaller load (rebuilds when the size differs)

Needs the project's PostGIS cluster running (script/server or script/setup start it, or
`bash -c 'source script/_common.sh; ensure_database'`). The data goes into a database of its own:
rw_bench_problems on that cluster (password from .pgpassword), or the one DATABASE_URL names. The
script creates it when missing (CREATE DATABASE, `migrate`, `load_district_data` for the district's
outline, towns, villages and waterways), then adds 125 responsible units (8 departments, one per town,
one per village), a staff login, a deputy and a unit member, and the problems, built in SQL in batches (generate_series): seen from 2025-01-01 to
now, 95 % at a point a few metres off a waterway (picked in proportion to its length), snapped to
it; older ones mostly closed (fixed, not fixed, duplicate, invalid), recent ones open in every state,
with units, deadlines (some overdue), supervision, reopenings, and two events each. It refuses the
dev and test databases (riverwatch, rw_lead, test_*) and any database holding problems it did not
make; a second run reuses the data (rebuilt only with --fresh or another --problems). When `migrate`
fails on it (a migration renamed or rewritten since it was built), --recreate drops and rebuilds it.

What is timed, warm (one call first), --runs calls each, the app and its floor in turn so both meet
the same load; median and p95 (nearest rank) of wall time in this process:

1. The office list's first page, with no filter and with state=reported (the office's inbox),
   state=assigned, category=sewage, the busiest unit, overdue=1 and supervised=1, three ways: the selectors as the page uses them
   (Paginator count and first page of problems/selectors.problem_list, then state_counts); the page
   itself, GET /problems/ through django.test.Client signed in as staff (middleware, template, the
   map's points, gzip); and GET /api/problems/ the same way. Then the same three, no filter, for a
   member of the busiest unit (readable_by's other branch).
2. problems/figures.figures() for this year (Jan 1 to Dec 31), by none, unit, category, waterway.
   The floor follows figures.py's definitions as the model stands: on time against first_deadline
   when Problem has it (else deadline), Open311 a claim until accepted when models.UNVETTED_SOURCES
   says so.

The floor: hand-written SQL returning the same data (the count, the page's rows with the columns a
row shows, the counts by state with overdue and supervised in one statement, and for the page the
map's points), run on the same connection and timed the same way. Both sides' results are compared
(count, page ids, counts; figures' totals): "same" in the table says they agree. A read passes when
its p95 is within the target. The note says when Python's full garbage collections fell on a read's
runs (here ~150-250 ms each, over a heap of ~270,000 objects): they make most page p95 spikes;
--gc-freeze freezes the set-up heap first (gc.freeze(), as a worker could at start) to show the
difference. The app's connection options (-c jit=off) hold for both. The machine's
load is printed before and after: on a shared machine, compare runs made under similar load.
"""

import argparse
import gc
import math
import os
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")

DEFAULT_DATABASE = "rw_bench_problems"
PROTECTED_DATABASES = {"riverwatch", "rw_lead"}
TARGET_MS = 300.0
PAGE_SIZE = 50  # problems.views.PAGE_SIZE and api.ProblemPage.page_size
MARK = "合成问题：benchmarks/problem_list.py 生成，仅用于性能测试"
FIRST_SEEN = "2025-01-01 00:00:00+08"
BATCH = 10_000
PICK_SLOTS = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000, help="how many problems (default 100,000)")
    parser.add_argument("--fresh", action="store_true", help="delete the benchmark's problems and build them again")
    parser.add_argument("--recreate", action="store_true",
                        help="drop the benchmark database and build it from scratch (e.g. after a migration was renamed)")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per read (after one warm call)")
    parser.add_argument("--only", choices=["list", "figures"], action="append", help="measure only these parts")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of the app's statements for reads over the target")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() the heap once set up, as a worker could at start: full collections then "
                             "scan only what requests leave behind")
    parser.add_argument("--pg-options", default="",
                        help="more connection options for this run, after the app's own (e.g. "
                             "\"-c max_parallel_workers_per_gather=0\"): both sides use the one connection")
    parser.add_argument("--seed", type=int, default=20260101)
    return parser.parse_args()


from _cluster import admin_connection, database_name, fetch, local_cluster_url, run, scalar, step  # noqa: E402  (benchmarks/, the script's own folder)

OPTIONS = parse_args()
os.environ.setdefault("DATABASE_URL", local_cluster_url(DEFAULT_DATABASE))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from people.models import Person  # noqa: E402
from problems import models as problem_models  # noqa: E402
from problems import selectors  # noqa: E402
from problems.figures import figures  # noqa: E402
from problems.models import ResponsibleUnit, State  # noqa: E402
from problems.params import ProblemListParams, list_filters  # noqa: E402
from riverwatch.dates import day_start  # noqa: E402
from waterways.models import Town, Village  # noqa: E402

# A long-lived connection, as a busy worker's is: no reconnect every CONN_MAX_AGE seconds mid-run.
connection.settings_dict["CONN_MAX_AGE"] = None
if OPTIONS.pg_options:
    _options = connection.settings_dict.setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} {OPTIONS.pg_options}".strip()


# ---------------------------------------------------------------------------------------------
# The database: created when missing, refused when it is not the benchmark's
# ---------------------------------------------------------------------------------------------

def ensure_database():
    import psycopg
    from django.core.management import call_command

    name = database_name()
    if name in PROTECTED_DATABASES or name.startswith("test_"):
        sys.exit(f"拒绝：{name} 是开发/测试数据库；本脚本只在独立的压测库（默认 {DEFAULT_DATABASE}）中写数据。")
    params = connection.settings_dict
    with admin_connection() as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and OPTIONS.recreate:
            if foreign_problems_in(name, params):
                sys.exit(f"拒绝：{name} 中有不是本脚本生成的问题，不会删除这个数据库。")
            print(f"删除数据库 {name} …", flush=True)
            admin.execute(psycopg.sql.SQL("DROP DATABASE {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))
            exists = None
        if not exists:
            print(f"创建数据库 {name} …", flush=True)
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    with step("migrate"):
        try:
            call_command("migrate", verbosity=0, interactive=False)
        except Exception as error:  # noqa: BLE001 — say what to do, then stop
            sys.exit(f"migrate 失败（{type(error).__name__}: {error}）。迁移文件若改过名或改过内容，用 --recreate 重建压测库。")
    if not scalar("SELECT EXISTS (SELECT 1 FROM waterways_waterway)"):
        with step("load_district_data（区界、乡镇与村、河流与支沟、代表家站）"):
            call_command("load_district_data", verbosity=0)


def foreign_problems_in(name, params):
    """Problems the benchmark did not make, read without Django (the database may be mid-migration)."""
    import psycopg

    with psycopg.connect(dbname=name, host=params["HOST"] or None, port=params["PORT"] or None,
                         user=params["USER"] or None, password=params["PASSWORD"] or None) as db:
        if not db.execute("SELECT to_regclass('problems_problem')").fetchone()[0]:
            return 0
        return db.execute("SELECT count(*) FROM problems_problem WHERE note <> %s", [MARK]).fetchone()[0]


# ---------------------------------------------------------------------------------------------
# The load, in SQL
# ---------------------------------------------------------------------------------------------

DEPARTMENTS = ["区水利局", "区生态环境分局", "区城市管理执法局", "区住房和城乡建设局", "区农业农村局",
               "区自然资源和规划局", "区交通运输局", "区公安分局"]
# Categories a department answers for (most of the time; the rest go by place).
DEPARTMENT_OF = {"sewage": "区生态环境分局", "water_quality": "区生态环境分局", "sand_mining": "区水利局",
                 "encroachment": "区自然资源和规划局", "facility": "区水利局"}

PLAN_SQL = """
CREATE TEMP TABLE IF NOT EXISTS bp_pick (slot int PRIMARY KEY, waterway_id bigint NOT NULL, town_id bigint);
CREATE TEMP TABLE IF NOT EXISTS bp_town_unit (town_id bigint PRIMARY KEY, unit_id bigint NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS bp_village_unit (k int PRIMARY KEY, unit_id bigint NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS bp_department (category text PRIMARY KEY, unit_id bigint NOT NULL);
TRUNCATE bp_pick, bp_town_unit, bp_village_unit, bp_department;
"""

# Waterways in proportion to their length: slot k of PICK_SLOTS holds the waterway whose share of
# the network's cumulative length covers (k + 0.5) / PICK_SLOTS.
PICK_SQL = """
WITH cum AS (
    SELECT id, town_id, sum(length_m) OVER (ORDER BY id) / sum(length_m) OVER () AS upto FROM waterways_waterway
)
INSERT INTO bp_pick (slot, waterway_id, town_id)
SELECT s.slot, c.id, c.town_id
  FROM generate_series(0, %(slots)s - 1) AS s(slot)
 CROSS JOIN LATERAL (SELECT id, town_id FROM cum WHERE cum.upto >= (s.slot + 0.5) / %(slots)s ORDER BY upto LIMIT 1) AS c
"""

# One statement per batch. Draws first (a CTE with random() is never inlined), then the life cycle:
# the older a problem, the likelier it is closed (93 % after 45 days); open ones spread over every
# state, so old open ones run past their deadline (overdue). Timestamps never pass `now`.
INSERT_PROBLEMS_SQL = """
WITH r AS (
    SELECT i, random() AS u_time, random() AS u_cat, random() AS u_src, random() AS u_state, random() AS u_open,
           random() AS u_end, random() AS u_w, random() AS u_f, random() AS u_dx, random() AS u_dy, random() AS u_unit,
           random() AS u_unit2, random() AS u_dl, random() AS u_fix, random() AS u_sup, random() AS u_pt, random() AS u_re
      FROM generate_series(%(lo)s, %(hi)s) AS i
), t AS (
    SELECT r.*,
           %(first)s::timestamptz + r.u_time * (%(now)s::timestamptz - INTERVAL '1 hour' - %(first)s::timestamptz) AS seen,
           CASE WHEN u_cat < 0.35 THEN 'garbage' WHEN u_cat < 0.50 THEN 'sewage' WHEN u_cat < 0.65 THEN 'dumping'
                WHEN u_cat < 0.73 THEN 'encroachment' WHEN u_cat < 0.78 THEN 'sand_mining'
                WHEN u_cat < 0.85 THEN 'water_quality' WHEN u_cat < 0.93 THEN 'facility' ELSE 'other' END AS category,
           CASE WHEN u_src < 0.40 THEN 'patrol' WHEN u_src < 0.62 THEN 'phone' WHEN u_src < 0.74 THEN 'hotline'
                WHEN u_src < 0.82 THEN 'inspection' WHEN u_src < 0.84 THEN 'deputy' WHEN u_src < 0.96 THEN 'public'
                ELSE 'open311' END AS source
      FROM r
), s AS (
    SELECT t.*,
           CASE WHEN u_state < LEAST(0.93, EXTRACT(EPOCH FROM %(now)s::timestamptz - seen) / 86400.0 / 45.0 * 0.93)
                     THEN 'closed'
                WHEN u_open < 0.12 THEN 'reported' WHEN u_open < 0.22 THEN 'accepted' WHEN u_open < 0.50 THEN 'assigned'
                WHEN u_open < 0.80 THEN 'in_progress' ELSE 'resolved' END AS state,
           (1 + 40 * u_fix * u_fix) * INTERVAL '1 day' AS to_fix,
           pick.waterway_id, pick.town_id
      FROM t JOIN bp_pick AS pick ON pick.slot = floor(t.u_w * %(slots)s)::int
), e AS (
    SELECT s.*,
           CASE WHEN state <> 'closed' THEN ''
                WHEN u_end < 0.80 THEN 'fixed' WHEN u_end < 0.88 THEN 'not_fixed'
                WHEN u_end < 0.95 AND i > 1 THEN 'duplicate' ELSE 'invalid' END AS ending
      FROM s
), h AS (
    SELECT e.*,
           state IN ('assigned', 'in_progress', 'resolved') OR ending IN ('fixed', 'not_fixed') AS handled,
           state = 'resolved' OR ending = 'fixed' AS was_resolved
      FROM e
), d AS (
    -- The deadline first given; supervision (one in 25 of those handled) gives a week more.
    SELECT h.*,
           CASE WHEN h.handled THEN (h.seen AT TIME ZONE %(zone)s)::date + 7 + floor(h.u_dl * 14)::int END AS first_dl,
           h.handled AND h.u_sup < 0.04 AS supervised
      FROM h
)
INSERT INTO problems_problem (
    id, category, source, note, point, observed_at, waterway_id, position_m, client_uuid, activity_id, reported_by_id,
    deputy_id, contact_phone, tracking_code, state, ending, not_fixed_reason, duplicate_of_id, unit_id, deadline,
    supervised_at, escalated_at, escalated_to_id, accepted_at, resolved_at, resolved_by_id, closed_at, reopen_count,
    created_at{first_deadline_column})
SELECT h.i, h.category, h.source, %(mark)s,
       CASE WHEN h.u_pt < 0.95 THEN ST_Translate(ST_LineInterpolatePoint(w.geom, h.u_f), (h.u_dx - 0.5) * 30, (h.u_dy - 0.5) * 30) END,
       h.seen,
       CASE WHEN h.u_pt < 0.975 THEN h.waterway_id END,
       CASE WHEN h.u_pt < 0.95 THEN h.u_f * w.length_m END,
       md5('rw-bench-problem-' || h.i)::uuid, NULL,
       CASE WHEN h.source IN ('hotline', 'inspection', 'deputy') THEN %(staff_user)s END,
       CASE WHEN h.source = 'deputy' THEN %(deputy)s END,
       '',
       CASE WHEN h.source = 'public' THEN 'BP' || lpad(h.i::text, 9, '0') END,
       h.state, h.ending,
       CASE WHEN h.ending = 'not_fixed' THEN (ARRAY['not_ours', 'no_action', 'referred'])[1 + floor(h.u_fix * 3)::int] ELSE '' END,
       CASE WHEN h.ending = 'duplicate' THEN GREATEST(1, h.i - 1 - floor(h.u_dl * 200)::int) END,
       CASE WHEN NOT h.handled THEN NULL
            WHEN h.category = ANY(%(department_categories)s) AND h.u_unit < 0.8 THEN dep.unit_id
            WHEN h.u_unit < 0.65 AND tu.unit_id IS NOT NULL THEN tu.unit_id
            ELSE vu.unit_id END,
       h.first_dl + CASE WHEN h.supervised THEN 7 ELSE 0 END,
       CASE WHEN h.supervised THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute', h.seen + INTERVAL '3 days') END,
       NULL, NULL,
       CASE WHEN h.state <> 'reported' AND h.ending NOT IN ('duplicate', 'invalid')
            THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute', h.seen + (0.5 + h.u_dl * 24) * INTERVAL '1 hour') END,
       CASE WHEN h.was_resolved THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute', h.seen + h.to_fix) END,
       CASE WHEN h.was_resolved THEN %(staff_user)s END,
       CASE WHEN h.state = 'closed'
            THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute',
                       h.seen + CASE WHEN h.ending IN ('fixed', 'not_fixed') THEN h.to_fix + h.u_re * INTERVAL '3 days'
                                     ELSE (1 + h.u_re * 48) * INTERVAL '1 hour' END) END,
       CASE WHEN h.ending = 'fixed' AND h.u_re < 0.03 THEN 1 ELSE 0 END,
       LEAST(%(now)s::timestamptz, h.seen + INTERVAL '5 minutes'){first_deadline_value}
  FROM d AS h
  JOIN waterways_waterway w ON w.id = h.waterway_id
  LEFT JOIN bp_department dep ON dep.category = h.category
  LEFT JOIN bp_town_unit tu ON tu.town_id = h.town_id
  JOIN bp_village_unit vu ON vu.k = floor(h.u_unit2 * %(villages)s)::int
"""

# Two events each: the report, and the move that brought it to its state (none for those still reported).
INSERT_EVENTS_SQL = """
INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note, unit_id, deadline)
SELECT p.id, p.observed_at, NULL, '群众', 'report', '', 'reported', '', NULL, NULL
  FROM problems_problem p WHERE p.id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT p.id, COALESCE(p.closed_at, p.resolved_at, p.accepted_at, p.observed_at + INTERVAL '1 hour'), %(staff_user)s, '压测工作人员',
       CASE p.state WHEN 'accepted' THEN 'accept' WHEN 'assigned' THEN 'assign' WHEN 'in_progress' THEN 'start'
                    WHEN 'resolved' THEN 'resolve'
                    ELSE CASE p.ending WHEN 'fixed' THEN 'verify' WHEN 'not_fixed' THEN 'close_not_fixed'
                                       WHEN 'duplicate' THEN 'merge' ELSE 'reject' END END,
       CASE WHEN p.state = 'closed' AND p.ending IN ('fixed', 'not_fixed') THEN 'resolved' ELSE 'reported' END,
       p.state, '', p.unit_id, p.deadline
  FROM problems_problem p WHERE p.id BETWEEN %(lo)s AND %(hi)s AND p.state <> 'reported'
"""


def has_first_deadline():
    """Whether the model keeps the first deadline apart (problems/migrations/0006 and later)."""
    return any(field.name == "first_deadline" for field in problem_models.Problem._meta.get_fields())


def foreign_problems():
    return scalar("SELECT count(*) FROM problems_problem WHERE note <> %s", [MARK])


def our_problems():
    return scalar("SELECT count(*) FROM problems_problem WHERE note = %s", [MARK])


def ensure_units_and_people():
    """The units (departments, one per town, one per village), a staff login, a deputy, a unit member."""
    units = {}
    for name in DEPARTMENTS:
        units[name], _created = ResponsibleUnit.objects.get_or_create(name=name, defaults={"kind": "department"})
    for town in Town.objects.order_by("code"):
        ResponsibleUnit.objects.get_or_create(name=town.name, defaults={"kind": "town", "town": town})
    for village in Village.objects.select_related("town").order_by("code"):
        ResponsibleUnit.objects.get_or_create(name=f"{village.town.name}{village.name}",
                                              defaults={"kind": "village", "town": village.town, "village": village})
    User = get_user_model()
    staff = User.objects.filter(username="bench-staff").first()
    if staff is None:
        staff = User.objects.create_user("bench-staff", password=None, is_staff=True)
        Person.objects.create(name="压测工作人员", role="staff", user=staff)
    deputy = Person.objects.filter(name="压测代表", role="deputy").first() or Person.objects.create(
        name="压测代表", role="deputy", level="district")
    member_user = User.objects.filter(username="bench-member").first()
    if member_user is None:
        member_user = User.objects.create_user("bench-member", password=None)
        Person.objects.create(name="压测单位成员", role="post_worker", user=member_user)
    return staff, deputy, member_user


def build(total):
    staff, deputy, _member = ensure_units_and_people()
    began = time.perf_counter()
    run("SET synchronous_commit = off")  # this session only: a crash loses the last batches, not data
    if our_problems():
        with step("删除上次生成的问题"), transaction.atomic():
            run("DELETE FROM problems_problemevent WHERE problem_id IN (SELECT id FROM problems_problem WHERE note = %s)", [MARK])
            run("DELETE FROM problems_problem WHERE note = %s", [MARK])
    with transaction.atomic():
        run(PLAN_SQL)
        run(PICK_SQL, {"slots": PICK_SLOTS})
        run("INSERT INTO bp_town_unit SELECT town_id, id FROM problems_responsibleunit WHERE kind = 'town'")
        run("INSERT INTO bp_village_unit SELECT row_number() OVER (ORDER BY id) - 1, id FROM problems_responsibleunit"
            " WHERE kind = 'village'")
        for category, name in DEPARTMENT_OF.items():
            run("INSERT INTO bp_department SELECT %s, id FROM problems_responsibleunit WHERE name = %s", [category, name])
    villages = scalar("SELECT count(*) FROM bp_village_unit")
    if not villages:
        sys.exit("没有村（社区）：load_district_data 没有载入 villages.csv？")
    run("SELECT setseed(%s)", [(OPTIONS.seed % 1000) / 1000.0])
    params = {"first": FIRST_SEEN, "now": timezone.now(), "slots": PICK_SLOTS, "mark": MARK, "staff_user": staff.pk,
              "deputy": deputy.pk, "zone": settings.TIME_ZONE, "villages": villages,
              "department_categories": list(DEPARTMENT_OF)}
    first = has_first_deadline()
    insert_sql = INSERT_PROBLEMS_SQL.format(first_deadline_column=", first_deadline" if first else "",
                                            first_deadline_value=", h.first_dl" if first else "")
    bar = tqdm(total=total, desc="问题", unit="个", unit_scale=True)
    events = 0
    for lo in range(1, total + 1, BATCH):
        hi = min(total, lo + BATCH - 1)
        with transaction.atomic():
            run(insert_sql, {**params, "lo": lo, "hi": hi})
            events += run(INSERT_EVENTS_SQL, {"lo": lo, "hi": hi, "staff_user": staff.pk})
        bar.update(hi - lo + 1)
        bar.set_postfix(events=f"{events:,}")
    bar.close()
    with step("序列、VACUUM ANALYZE"):
        run("SELECT setval(pg_get_serial_sequence('problems_problem', 'id'), (SELECT max(id) FROM problems_problem))")
        for table in ("problems_problem", "problems_problemevent", "problems_responsibleunit",
                      "problems_responsibleunit_members"):
            run(f"VACUUM (ANALYZE) {table}")
    print(f"生成 {total:,} 个问题、{events:,} 条处理记录，用时 {time.perf_counter() - began:.1f} s")


def prepare():
    ensure_database()
    foreign = foreign_problems()
    if foreign:
        sys.exit(f"拒绝：{database_name()} 中有 {foreign:,} 个不是本脚本生成的问题。请用独立的压测库（默认 {DEFAULT_DATABASE}）。")
    have = our_problems()
    # Built before the model kept the first deadline apart (its column then came in empty): rebuild.
    stale = has_first_deadline() and scalar(
        "SELECT EXISTS (SELECT 1 FROM problems_problem WHERE deadline IS NOT NULL AND first_deadline IS NULL)")
    if stale:
        print(f"{database_name()} 中的合成问题缺 first_deadline（生成于该字段之前）：重建。")
    if have == OPTIONS.problems and not OPTIONS.fresh and not stale:
        print(f"{database_name()} 中已有 {have:,} 个合成问题，直接测量（--fresh 重建）。")
        ensure_units_and_people()
    else:
        if have:
            print(f"{database_name()} 中有 {have:,} 个合成问题，要 {OPTIONS.problems:,} 个：重建。")
        build(OPTIONS.problems)


def busiest_unit():
    return scalar("SELECT unit_id FROM problems_problem WHERE unit_id IS NOT NULL GROUP BY unit_id"
                  " ORDER BY count(*) DESC, unit_id LIMIT 1")


def member_of(unit_id):
    """The benchmark's unit member belongs to the given unit (and only to it)."""
    person = Person.objects.get(user__username="bench-member")
    person.units.set([unit_id])
    return person


def inventory(today):
    total, open_, overdue, supervised, located, units = fetch(
        "SELECT count(*), count(*) FILTER (WHERE state <> 'closed'),"
        " count(*) FILTER (WHERE state = ANY(%(unresolved)s) AND deadline < %(today)s),"
        " count(*) FILTER (WHERE supervised_at IS NOT NULL AND state <> 'closed'),"
        " count(*) FILTER (WHERE point IS NOT NULL), count(DISTINCT unit_id) FROM problems_problem",
        {"unresolved": [str(s) for s in selectors.UNRESOLVED_STATES], "today": today})[0]
    by_state = dict(fetch("SELECT state, count(*) FROM problems_problem GROUP BY state"))
    this_year = scalar("SELECT count(*) FROM problems_problem WHERE observed_at >= %s AND observed_at < %s",
                       [day_start(date(today.year, 1, 1)), day_start(date(today.year + 1, 1, 1))])
    print(f"\n数据库 {database_name()}（{scalar('SELECT pg_size_pretty(pg_database_size(current_database()))')}）："
          f"{total:,} 个问题，其中今年 {this_year:,}；未关闭 {open_:,}，逾期 {overdue:,}，督办中 {supervised:,}，"
          f"有位置 {located:,}，涉及 {units} 个责任单位")
    print("  按状态：" + "，".join(f"{label} {by_state.get(value, 0):,}" for value, label in State.choices))


# ---------------------------------------------------------------------------------------------
# The floor: hand-written SQL
# ---------------------------------------------------------------------------------------------

OPEN_SQL = "p.state <> 'closed'"


def raw_conditions(params, today, *, with_state=True, member=None):
    """WHERE conditions (and their parameters) for the list's query parameters, written out by hand."""
    conditions, values = [], {"today": today, "unresolved": [str(s) for s in selectors.UNRESOLVED_STATES]}
    if member is not None:
        # The units' ids as an array computed once (an InitPlan): each branch stays an indexed column.
        conditions.append("(p.reported_by_id = %(member_user)s OR p.deputy_id = %(member_person)s OR p.unit_id = ANY(ARRAY("
                          "SELECT responsibleunit_id FROM problems_responsibleunit_members WHERE person_id = %(member_person)s)))")
        values.update(member_user=member.user_id, member_person=member.pk)
    # Lists as IN (…) with one value each, as Django writes them: IN of one value is an equality,
    # which an index led by that column can give in order (= ANY(array) is not, before PostgreSQL 17).
    for key, column, wanted in (("state", "p.state", with_state), ("category", "p.category", True)):
        if wanted and params.get(key):
            names = [f"{key}_{i}" for i, _ in enumerate(params[key].split(","))]
            conditions.append(f"{column} IN ({', '.join(f'%({name})s' for name in names)})")
            values.update(zip(names, params[key].split(",")))
    if params.get("unit"):
        conditions.append("p.unit_id = %(unit)s")
        values["unit"] = int(params["unit"])
    if params.get("overdue") == "1":
        conditions.append("p.state = ANY(%(unresolved)s) AND p.deadline < %(today)s")
    if params.get("supervised") == "1":
        conditions.append("p.supervised_at IS NOT NULL")
    return " AND ".join(conditions) or "TRUE", values


# The list's order (selectors.LIST_ORDER) written as Django writes it, so an index on that expression
# serves the floor as it would serve the app.
OPEN_LIST_SQL = ", ".join(f"'{state}'" for state in problem_models.OPEN_STATES)
ORDER_SQL = (f"CASE WHEN (p.state IN ({OPEN_LIST_SQL}) AND p.supervised_at IS NOT NULL) THEN 0 ELSE 1 END,"
             " p.deadline ASC NULLS LAST, p.observed_at DESC, p.id DESC")

RAW_COUNT_SQL = "SELECT count(*) FROM problems_problem p WHERE {where}"

# The columns a row of the page and of the API shows. The page is picked first, then joined and
# projected: ST_Transform runs on its 50 rows only, in this backend (a parallel worker that runs it
# first loads PROJ's database, ~100 ms, on every query).
RAW_PAGE_SQL = f"""
SELECT p.id, p.category, p.source, p.note, p.observed_at, p.state, p.ending, p.not_fixed_reason, p.duplicate_of_id,
       p.unit_id, p.deadline, p.supervised_at, p.escalated_at, p.accepted_at, p.resolved_at, p.closed_at,
       p.reopen_count, p.activity_id, ST_X(ll), ST_Y(ll), u.name, w.code, w.name
  FROM (SELECT p.id, p.category, p.source, p.note, p.observed_at, p.state, p.ending, p.not_fixed_reason,
               p.duplicate_of_id, p.unit_id, p.deadline, p.supervised_at, p.escalated_at, p.accepted_at,
               p.resolved_at, p.closed_at, p.reopen_count, p.activity_id, p.point, p.waterway_id
          FROM problems_problem p
         WHERE {{where}}
         ORDER BY {ORDER_SQL}
         LIMIT {PAGE_SIZE}) AS p
  LEFT JOIN problems_responsibleunit u ON u.id = p.unit_id
  LEFT JOIN waterways_waterway w ON w.id = p.waterway_id
  CROSS JOIN LATERAL ST_Transform(p.point, {settings.API_SRID}) AS ll
 ORDER BY {ORDER_SQL}
"""

RAW_COUNTS_SQL = f"""
SELECT p.state, count(*),
       count(*) FILTER (WHERE p.state = ANY(%(unresolved)s) AND p.deadline < %(today)s),
       count(*) FILTER (WHERE p.supervised_at IS NOT NULL AND {OPEN_SQL})
  FROM problems_problem p
 WHERE {{where}}
 GROUP BY p.state
"""

RAW_MAP_SQL = f"""
SELECT p.id, p.category, p.state, p.ending, p.deadline, ST_X(ll), ST_Y(ll)
  FROM (SELECT p.id, p.category, p.state, p.ending, p.deadline, p.supervised_at, p.observed_at, p.point
          FROM problems_problem p
         WHERE {{where}} AND p.point IS NOT NULL
         ORDER BY {ORDER_SQL}
         LIMIT %(map_limit)s) AS p
  CROSS JOIN LATERAL ST_Transform(p.point, {settings.API_SRID}) AS ll
 ORDER BY {ORDER_SQL}
"""


def raw_list(params, today, *, with_map=False, member=None):
    """(count, page ids, counts) by hand: the floor for the selectors, the API and (with the map) the page."""
    from problems.page_data import MAP_LIMIT

    where, values = raw_conditions(params, today, member=member)
    count_where, count_values = raw_conditions(params, today, with_state=False, member=member)
    with connection.cursor() as cursor:
        cursor.execute(RAW_COUNT_SQL.format(where=where), values)
        count = cursor.fetchone()[0]
        cursor.execute(RAW_PAGE_SQL.format(where=where), values)
        page = [row[0] for row in cursor.fetchall()]
        cursor.execute(RAW_COUNTS_SQL.format(where=count_where), count_values)
        rows = cursor.fetchall()
        points = None
        if with_map:
            cursor.execute(RAW_MAP_SQL.format(where=where), {**values, "map_limit": MAP_LIMIT})
            points = len(cursor.fetchall())
    counts = {"states": {state: n for state, n, _o, _s in rows},
              "overdue": sum(o for _state, _n, o, _s in rows), "supervised": sum(s for _state, _n, _o, s in rows)}
    return {"count": count, "page": page, "counts": counts, "points": points}


# The figures: both parts (seen in the period; due in it), each one pass over the table, joined by
# group key (as text, '' for none: a FULL JOIN on NULL keys would not meet).
RAW_FIGURES_SQL = """
WITH seen AS (
    SELECT {key} AS k, count(*) AS found,
           count(*) FILTER (WHERE accepted_at IS NOT NULL AND ending NOT IN ('duplicate', 'invalid')) AS accepted,
           count(*) FILTER (WHERE ending = 'fixed') AS fixed,
           count(*) FILTER (WHERE ending = 'not_fixed') AS closed_not_fixed,
           count(*) FILTER (WHERE state <> 'closed') AS open,
           count(*) FILTER (WHERE state = ANY(%(unresolved)s) AND deadline < %(today)s) AS overdue,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - observed_at) / 86400.0)
               FILTER (WHERE ending = 'fixed' AND resolved_at IS NOT NULL) AS median_days_to_fix,
           COALESCE(sum(reopen_count), 0) AS reopened
      FROM problems_problem p
     WHERE (source <> ALL(%(unvetted)s) OR accepted_at IS NOT NULL)
       AND observed_at >= %(start_at)s AND observed_at < %(end_at)s
     GROUP BY 1
), due AS (
    SELECT {key} AS k, count(*) AS due,
           count(*) FILTER (WHERE ending = 'fixed' AND (resolved_at AT TIME ZONE %(zone)s)::date <= {due}) AS on_time
      FROM problems_problem p
     WHERE (source <> ALL(%(unvetted)s) OR accepted_at IS NOT NULL)
       AND {due} BETWEEN %(start)s AND %(end)s AND ending NOT IN ('duplicate', 'invalid') {undecided}
     GROUP BY 1
)
SELECT k, {name} AS name, COALESCE(seen.found, 0), COALESCE(seen.accepted, 0), COALESCE(seen.fixed, 0),
       COALESCE(seen.closed_not_fixed, 0), COALESCE(seen.open, 0), COALESCE(seen.overdue, 0),
       round(seen.median_days_to_fix::numeric, 2), COALESCE(seen.reopened, 0),
       COALESCE(due.due, 0), COALESCE(due.on_time, 0), due.on_time::float8 / NULLIF(due.due, 0)
  FROM seen FULL JOIN due USING (k) {join}
 ORDER BY k
"""

RAW_FIGURE_GROUPS = {
    None: ("''", "NULL", ""),
    "unit": ("COALESCE(p.unit_id::text, '')", "u.name", "LEFT JOIN problems_responsibleunit u ON u.id = NULLIF(k, '')::bigint"),
    "category": ("p.category", "NULL", ""),
    "waterway": ("COALESCE(p.waterway_id::text, '')", "w.name", "LEFT JOIN waterways_waterway w ON w.id = NULLIF(k, '')::bigint"),
}


def raw_figures(by, start, end, today):
    key, name, join = RAW_FIGURE_GROUPS[by]
    # figures.py as it stands: on time against the first deadline where the model keeps one (then
    # those still open before it are left out), else against the deadline; Open311 a claim too where
    # problems.models says so.
    first = has_first_deadline()
    sql = RAW_FIGURES_SQL.format(key=key, name=name, join=join, due="first_deadline" if first else "deadline",
                                 undecided="AND NOT (state <> 'closed' AND first_deadline >= %(today)s)" if first else "")
    return fetch(sql, {
        "unvetted": [str(source) for source in getattr(problem_models, "UNVETTED_SOURCES", ["public"])],
        "start": start, "end": end, "today": today, "zone": settings.TIME_ZONE,
        "start_at": day_start(start), "end_at": day_start(end + timedelta(days=1)),
        "unresolved": [str(s) for s in selectors.UNRESOLVED_STATES]})


# ---------------------------------------------------------------------------------------------
# The app's side
# ---------------------------------------------------------------------------------------------

def app_list(user, params, today):
    """The first page as problems.views.problem_list reads it: Paginator count, the page, state_counts."""
    filters = list_filters(ProblemListParams.read(params))
    page = Paginator(selectors.problem_list(user, filters, today), PAGE_SIZE).get_page(1)
    rows = list(page.object_list)
    counts = selectors.state_counts(user, filters, today)
    return {"count": page.paginator.count, "page": [p.pk for p in rows], "counts": normal_counts(counts)}


def normal_counts(counts):
    return {"states": {item["state"]: item["count"] for item in counts["states"] if item["count"]},
            "overdue": counts["overdue"], "supervised": counts["supervised"]}


ROW_ID = re.compile(r'<tr data-id="(\d+)"')
COUNT_CHIP = re.compile(r'data-state="(\w+)"><strong>([\d,]+)</strong>')
POINTS = re.compile(r'<script id="problem-points" type="application/json">(.*?)</script>', re.S)


def page_get(client, params):
    response = client.get("/problems/?" + urlencode(params), HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise SystemExit(f"GET /problems/ 返回 {response.status_code}")
    return response


def page_result(response):
    import gzip
    import json

    body = response.content
    wire = len(body)
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    html = body.decode()
    chips = dict((state, int(n.replace(",", ""))) for state, n in COUNT_CHIP.findall(html))
    points = json.loads(POINTS.search(html).group(1))["points"]
    found = re.search(r"共 ([\d,]+) 个问题", html)
    return {"count": int(found.group(1).replace(",", "")) if found else None,
            "page": [int(pk) for pk in ROW_ID.findall(html)],
            "counts": {"states": {s: n for s, n in chips.items() if s not in ("overdue", "supervised") and n},
                       "overdue": chips.get("overdue"), "supervised": chips.get("supervised")},
            "points": len(points), "kb": wire / 1024, "html_kb": len(body) / 1024}


def api_get(client, params):
    response = client.get("/api/problems/?" + urlencode(params), HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        raise SystemExit(f"GET /api/problems/ 返回 {response.status_code}")
    return response


def api_result(response):
    import gzip
    import json

    body = response.content
    wire = len(body)
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    data = json.loads(body)
    return {"count": data["count"], "page": [row["id"] for row in data["results"]],
            "counts": normal_counts(data["counts"]), "kb": wire / 1024}


# ---------------------------------------------------------------------------------------------
# Timing and the table
# ---------------------------------------------------------------------------------------------

def p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Capture:
    """The statements the app sends (for --explain)."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


ROWS = []


class FullCollections:
    """Python's full (generation 2) garbage collections and the time they take: they land on a few
    requests and make most of the page's p95 here (see --gc-freeze)."""

    def __init__(self):
        self.count, self.ms, self._started = 0, 0.0, None
        gc.callbacks.append(self)

    def __call__(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.count += 1
            self.ms += (time.perf_counter() - self._started) * 1000
            self._started = None


FULL_GC = FullCollections()


def timed_pair(label, ours, raw, runs, *, same=None, note=""):
    """Warm call of each, then `runs` calls of each in turn; a row of the table."""
    ours_result, raw_result = ours(), raw()
    ours_ms, raw_ms = [], []
    collections, collected_ms = FULL_GC.count, FULL_GC.ms
    for _ in range(runs):
        started = time.perf_counter()
        ours_result = ours()
        ours_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        raw_result = raw()
        raw_ms.append((time.perf_counter() - started) * 1000)
    agree = same(ours_result, raw_result) if same else ""
    text = note(ours_result) if callable(note) else note
    if FULL_GC.count > collections:
        text += f"；全量 GC {FULL_GC.count - collections} 次共 {FULL_GC.ms - collected_ms:.0f} ms"
    row = {"label": label, "ours": (statistics.median(ours_ms), p95(ours_ms)),
           "raw": (statistics.median(raw_ms), p95(raw_ms)), "same": agree, "note": text, "call": ours}
    ROWS.append(row)
    print_row(row)
    return ours_result, raw_result


HEAD = (f"{'read':<46}{'ours ms med/p95':>17}{'raw SQL ms med/p95':>20}{'ratio':>8}{'target':>9}  "
        f"{'result':<7}{'same':<6}note")


def print_row(row):
    (o_med, o_p95), (r_med, r_p95) = row["ours"], row["raw"]
    verdict = "PASS" if o_p95 <= TARGET_MS else "FAIL"
    ratio = f"{o_med / r_med:.1f}×" if r_med else "—"
    print(f"{row['label']:<46}{o_med:>8.1f}/{o_p95:<8.1f}{r_med:>11.1f}/{r_p95:<8.1f}{ratio:>8}{TARGET_MS:>6.0f} ms  "
          f"{verdict:<7}{row['same']:<6}{row['note']}", flush=True)


def agree(keys):
    def compare(ours, raw):
        differing = [key for key in keys if ours.get(key) != raw.get(key)]
        if differing:
            print(f"    ≠ {', '.join(differing)}: ours {[ours.get(k) for k in differing]} raw {[raw.get(k) for k in differing]}")
        return "no" if differing else "same"
    return compare


def measure_list(runs, today, staff, member):
    unit = busiest_unit()
    cases = [("no filter", {}), ("state=reported", {"state": "reported"}), ("state=assigned", {"state": "assigned"}),
             ("category=sewage", {"category": "sewage"}),
             (f"unit={unit} (busiest)", {"unit": str(unit)}), ("overdue=1", {"overdue": "1"}),
             ("supervised=1", {"supervised": "1"})]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    print("\n1. 问题清单第一页（工作人员；ours = 应用，raw SQL = 手写 SQL 的下限）")
    print(HEAD)
    for name, params in cases:
        timed_pair(f"selectors  {name}", lambda p=params: app_list(staff, p, today),
                   lambda p=params: raw_list(p, today), runs, same=agree(["count", "page", "counts"]),
                   note=lambda result: f"{result['count']:,} 个")
        timed_pair(f"GET /problems/  {name}", lambda p=params: page_get(client, p),
                   lambda p=params: raw_list(p, today, with_map=True), runs,
                   same=lambda ours, raw: agree(["count", "page", "counts", "points"])(page_result(ours), raw),
                   note=lambda response: "{kb:.0f} KB gzip，地图 {points:,} 点".format(**page_result(response)))
        timed_pair(f"GET /api/problems/  {name}", lambda p=params: api_get(client, p),
                   lambda p=params: raw_list(p, today), runs,
                   same=lambda ours, raw: agree(["count", "page", "counts"])(api_result(ours), raw),
                   note=lambda response: "{kb:.0f} KB gzip".format(**api_result(response)))
    member_client = Client(HTTP_HOST="127.0.0.1")
    member_client.force_login(member.user)
    timed_pair("selectors  unit member, no filter", lambda: app_list(member.user, {}, today),
               lambda: raw_list({}, today, member=member), runs, same=agree(["count", "page", "counts"]),
               note=lambda result: f"{result['count']:,} 个")
    timed_pair("GET /problems/  unit member, no filter", lambda: page_get(member_client, {}),
               lambda: raw_list({}, today, with_map=True, member=member), runs,
               same=lambda ours, raw: agree(["count", "page", "counts", "points"])(page_result(ours), raw),
               note=lambda response: "{kb:.0f} KB gzip，地图 {points:,} 点".format(**page_result(response)))
    timed_pair("GET /api/problems/  unit member, no filter", lambda: api_get(member_client, {}),
               lambda: raw_list({}, today, member=member), runs,
               same=lambda ours, raw: agree(["count", "page", "counts"])(api_result(ours), raw),
               note=lambda response: "{kb:.0f} KB gzip".format(**api_result(response)))


def figure_totals(rows):
    return {"groups": len(rows), "found": sum(r["found"] for r in rows), "due": sum(r["due"] for r in rows),
            "on_time": sum(r["on_time"] for r in rows), "overdue": sum(r["overdue"] for r in rows)}


def raw_figure_totals(rows):
    return {"groups": len(rows), "found": sum(r[2] for r in rows), "due": sum(r[10] for r in rows),
            "on_time": sum(r[11] for r in rows), "overdue": sum(r[7] for r in rows)}


def measure_figures(runs, today):
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    print(f"\n2. 统计数字 figures()（{start} 至 {end}）")
    print(HEAD)
    for by in (None, "unit", "category", "waterway"):
        timed_pair(f"figures  by={by or 'none'}", lambda b=by: figure_totals(figures(start=start, end=end, today=today, by=b)),
                   lambda b=by: raw_figure_totals(raw_figures(b, start, end, today)), runs,
                   same=agree(["groups", "found", "due", "on_time", "overdue"]),
                   note=lambda totals: f"{totals['groups']} 组，{totals['found']:,} 个")


def explain_slow():
    slow = [row for row in ROWS if row["ours"][1] > TARGET_MS]
    if not slow:
        print("\n没有超过目标的读取，--explain 无事可做。")
        return
    for row in slow:
        capture = Capture()
        with connection.execute_wrapper(capture):
            row["call"]()
        print(f"\n== EXPLAIN (ANALYZE, BUFFERS)：{row['label']}（{len(capture.statements)} 条 SQL）")
        for sql, params in capture.statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            started = time.perf_counter()
            plan = fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print(f"-- {(time.perf_counter() - started) * 1000:.1f} ms: {sql[:160]}…")
            print("\n".join(line for (line,) in plan))


def main():
    prepare()
    settings.DEBUG = False  # no query log: the app as production runs it
    today = timezone.localdate()
    staff = get_user_model().objects.get(username="bench-staff")
    member = member_of(busiest_unit())
    inventory(today)
    load = os.getloadavg()
    print(f"每项先热身一次，再各测 {OPTIONS.runs} 次（应用与手写 SQL 交替）；目标：p95 ≤ {TARGET_MS:.0f} ms；"
          f"机器负载 {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}，{os.cpu_count()} 核；"
          f"连接选项：{connection.settings_dict.get('OPTIONS', {}).get('options') or '无'}")
    if OPTIONS.gc_freeze:
        gc.collect()
        gc.freeze()
        print(f"gc.freeze()：{gc.get_freeze_count():,} 个对象移出垃圾回收的扫描范围")
    parts = OPTIONS.only or ["list", "figures"]
    if "list" in parts:
        measure_list(OPTIONS.runs, today, staff, member)
    if "figures" in parts:
        measure_figures(OPTIONS.runs, today)
    print("\n汇总")
    print(HEAD)
    for row in ROWS:
        print_row(row)
    failed = sum(1 for row in ROWS if row["ours"][1] > TARGET_MS)
    load = os.getloadavg()
    print(f"\n{len(ROWS) - failed} PASS, {failed} FAIL (target: p95 ≤ {TARGET_MS:.0f} ms)；"
          f"结束时机器负载 {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    if OPTIONS.explain:
        explain_slow()


if __name__ == "__main__":
    main()
