"""Times building a district's annual report (issue 15) over a year of 50,000 activities: the snapshot,
the images and each file format, against the 10 s target per format and the 2 s line above which a
format is built in the background.

    .venv/bin/python benchmarks/report_build.py                    # builds rw_bench_reports once, then measures
    .venv/bin/python benchmarks/report_build.py --runs 5           # more timed calls per step
    .venv/bin/python benchmarks/report_build.py --cold             # no untimed warm call first
    .venv/bin/python benchmarks/report_build.py --only annual      # or quarterly, waterway (repeatable)
    .venv/bin/python benchmarks/report_build.py --statements 15    # the slowest SQL statements of each snapshot
    .venv/bin/python benchmarks/report_build.py --explain          # and EXPLAIN (ANALYZE, BUFFERS) of them
    .venv/bin/python benchmarks/report_build.py --profile          # cProfile: snapshot, images, PDF, GeoPackage
    .venv/bin/python benchmarks/report_build.py --fresh            # drop the database and build it again
    .venv/bin/python benchmarks/report_build.py --activities 5000 --previous 1000 --problems 300   # a smaller load

Needs the project's PostGIS cluster running (script/server or script/setup start it, or
`bash -c 'source script/_common.sh; ensure_database'`). The data goes into a database of its own:
rw_bench_reports on that cluster (password from .pgpassword), or the one DATABASE_URL names. The script
creates it when missing (CREATE DATABASE, `migrate`, `load_district_data`: the district's real outline,
towns, villages, its 42 waterways and their 100 m reaches), then seeds, in SQL, batch by batch
(generate_series):

- 300 people with logins: 5 staff, 3 district, 10 township and 47 village chiefs (a ChiefAssignment on
  each river for its district chief, on every waterway of a town for its township chief, on each
  waterway for a village chief; five village posts change hands on 1 July), 40 deputies (three never
  take part), 60 post workers and 135 volunteers in their villages; 16 teams (a village team per town,
  four volunteer teams, two deputy groups); the problem list's responsible units (departments, towns,
  villages).
- --activities (50,000) in --year (2026) and --previous (10,000) in the year before, kinds mixed as the
  district's are (55 % patrols, 20 % clean-ups with kg and bags, 8 % sewer inspections with manholes and
  outfalls, 8 % garbage-sorting publicity, 7 % other, 2 % problem reports), 07:00-18:00 Beijing time,
  on waterways picked by length (one in seven waterways almost never visited: the gaps); 3 % rejected,
  4 % pending (half of the last three weeks'). A patrol follows a 0.8-4 km stretch of its waterway
  (ST_LineSubstring, a vertex every 10 m, shifted up to 12 m off the centre line, walked either way) and
  visits the reaches that stretch covers for at least half their length (patrols_reachvisit, visited_at
  = started_at; checked against the app's own REACH_VISITS_SQL on a sample); the others sit at a point
  within 20 m of their waterway. 35 % of patrols are walked by a chief holding a post on that waterway.
  Each activity but a problem report has 1-3 service records (the submitter and teammates; hours = the
  duration). Verified records earn the default points rules' credits (hours, and a clean-up's debris);
  120 redemptions.
- --problems (3,000) in the year (a fifth of that in the year before): one per problem report (phone),
  some found on patrols and clean-ups (on the track), the rest reported on their own (hotline,
  inspection, deputies' suggestions, public QR scans, Open311), half of those on 1.4 km stretches
  around eight planted hotspots; states by age as of the report's day (closed ones fixed, not fixed,
  duplicate, invalid; open ones in every state), units and first deadlines once assigned, a week more
  for the supervised, some overdue, some reopened, and their events.

It refuses the dev and test databases (riverwatch, rw_lead, test_*) and any database holding people or
activities it did not make. A second run reuses the data; --fresh (or another size or year) drops the
database and builds it again, as it must when `migrate` fails on it (a migration renamed since).

What is timed, in this process, warm (one untimed call first, unless --cold), median and maximum of
--runs calls (default 3):
1. reports.services.compute_snapshot for the annual report Scope(year), the quarterly notice
   Scope(year, 3) and the waterway file (一河一档) of the waterway with the most activities, as of
   --today (default the year's last day: a year-end build), with the time between the `step` callbacks
   (the sections) printed beside it;
2. services.render_images of that snapshot (every chart and map), split by block;
3. services.render_file of each format (html, pdf, xlsx, gpkg) on the stored build (store_build, not
   timed; no file is written).
A format's build is snapshot + images + its file: the issue's target is 10 s each, and a format over
2 s is built in the background (the django-tasks database worker). The machine's load is printed
before and after: on a shared machine compare runs made under similar load.

--statements lists the slowest SQL of one snapshot call (with --explain, their plans); --profile prints
cProfile of a snapshot, its images, its PDF and its GeoPackage.

Figures, 2026-12-06, this machine (2 vCPU, 23 GB, PostgreSQL 15 on the same host, shared with other
test runs): seeding 0.7 min, database 467 MB (60,000 activities, 117,422 service records, 775,386 reach
visits, 32,964 tracks with 8.5 M vertices, 3,575 problems, 106,842 points entries). Seconds, median of 3
warm runs; "build" = snapshot + images + file:

First measured (load 1.6-2.3 / 3.0-3.8 with other tests running): annual snapshot 3.50 / 4.54, images
0.78 / 1.09; builds html 4.3 / 5.7, pdf 8.2 / 12.4 (FAIL), xlsx 4.5 / 6.1, gpkg 8.9 / 14.1 (FAIL, 148 MB).
Where the time went: the headline's statements joining the year's service records to their
activities, the chiefs' section asking which of ~15,000 patrols the office may read (an IN list of
that many ids), WeasyPrint laying out grid/flex figure cards, and the GeoPackage's 8.5 M track vertices.

After the fixes (the office reads every patrol without a query; the campaign's progress in one
statement; figure cards as inline blocks in print; tracks written simplified by 1 m), load 2.3:

    annual  snapshot  2.68 (总体情况 1.02, 河长巡河 0.70), images 0.73
            html      0.05 → build 3.5   PASS
            pdf       3.20 → build 6.6   PASS
            xlsx      0.18 → build 3.6   PASS
            gpkg      2.83 → build 6.2   PASS (39 MB)
    quarter snapshot 1.19, images 0.67; pdf build 5.6, gpkg 3.1, html 1.9, xlsx 2.0 (before the fixes)
    一河一档 (ZW-R01) snapshot 0.21, images 0.77; pdf build 3.4, html 1.0, xlsx 1.1, gpkg 1.7 (before)

Every annual format is over 2 s (the snapshot alone is), so the pages build them all in the background
(the django-tasks database worker) and show the progress; the command builds in the foreground with a
progress bar.
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")

DEFAULT_DATABASE = "rw_bench_reports"
PROTECTED_DATABASES = {"riverwatch", "rw_lead"}
MARK = "压测数据：benchmarks/report_build.py 生成，仅用于性能测试"
TARGET_S = 10.0
BACKGROUND_S = 2.0
FORMATS = ("html", "pdf", "xlsx", "gpkg")
BATCH = 10_000
PICK_SLOTS = 1000
TRACK_VERTEX_M = 10.0
# Ids of a year's rows start here: year × 1,000,000 (2026 → 2,026,000,001), so the two years never meet.
ID_PER_YEAR = 1_000_000
PEOPLE = 300


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026, help="the report's year (default 2026)")
    parser.add_argument("--activities", type=int, default=50_000, help="activities in the year (default 50,000)")
    parser.add_argument("--previous", type=int, default=10_000, help="activities in the year before (default 10,000)")
    parser.add_argument("--problems", type=int, default=3_000, help="problems in the year (default 3,000)")
    parser.add_argument("--today", type=date.fromisoformat,
                        help="the day the report is built (default: the year's last day); the problems' states "
                             "stand as of the day given when the data was seeded")
    parser.add_argument("--runs", type=int, default=3, help="timed calls per step (default 3)")
    parser.add_argument("--cold", action="store_true", help="no untimed warm call before the timed ones")
    parser.add_argument("--only", choices=["annual", "quarterly", "waterway"], action="append",
                        help="measure only these reports (default: all three)")
    parser.add_argument("--statements", type=int, default=8,
                        help="list this many slowest SQL statements of each snapshot (0: none)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of the slowest statements listed (--statements)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one annual snapshot, its images, its PDF and its GeoPackage")
    parser.add_argument("--fresh", action="store_true",
                        help="drop the benchmark database and build it again (also after a migration was renamed)")
    parser.add_argument("--seed", type=int, default=20260101)
    return parser.parse_args()


from _cluster import admin_connection, database_name, fetch, local_cluster_url, run, scalar, step  # noqa: E402  (benchmarks/, the script's own folder)

OPTIONS = parse_args()
os.environ.setdefault("DATABASE_URL", local_cluster_url(DEFAULT_DATABASE))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

# A long-lived connection, as the worker's is.
connection.settings_dict["CONN_MAX_AGE"] = None
# WeasyPrint's page-by-page progress and CSS remarks, fontTools' subsetting and pyogrio's "Created N records"
# would bury the table.
for name in ("weasyprint", "fontTools", "pyogrio"):
    logging.getLogger(name).setLevel(logging.ERROR)


# ---------------------------------------------------------------------------------------------
# The database: created when missing, refused when it is not the benchmark's
# ---------------------------------------------------------------------------------------------

def ensure_database(*, drop=False):
    """The benchmark's database, migrated, with the district's data; dropped and made again with drop."""
    import psycopg
    from django.core.management import call_command

    name = database_name()
    if name in PROTECTED_DATABASES or name.startswith("test_"):
        sys.exit(f"拒绝：{name} 是开发/测试数据库；本脚本只在独立的压测库（默认 {DEFAULT_DATABASE}）中写数据。")
    connection.close()
    with admin_connection() as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            if foreign_rows_in(name):
                sys.exit(f"拒绝：{name} 中有不是本脚本生成的人员或活动，不会删除这个数据库。")
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
            sys.exit(f"migrate 失败（{type(error).__name__}: {error}）。"
                     "迁移文件若改过名或改过内容，用 --fresh 重建压测库。")
    if not scalar("SELECT EXISTS (SELECT 1 FROM waterways_waterway)"):
        with step("load_district_data（区界、乡镇与村、河流与支沟、代表家站）"):
            call_command("load_district_data", verbosity=0)
    if not scalar("SELECT EXISTS (SELECT 1 FROM waterways_reach)"):
        from waterways.services import rebuild_reaches

        with step("切分 100 m 河段（rebuild_reaches）"):
            rebuild_reaches()


FOREIGN_SQL = """
SELECT (SELECT count(*) FROM people_person WHERE note <> %(mark)s)
     + (SELECT count(*) FROM patrols_activity WHERE notes <> %(mark)s)
"""


def foreign_rows_in(name):
    """People or activities the benchmark did not make, read without Django (it may be mid-migration)."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(dbname=name, host=params["HOST"] or None, port=params["PORT"] or None,
                         user=params["USER"] or None, password=params["PASSWORD"] or None) as db:
        ready = "SELECT to_regclass('patrols_activity') IS NOT NULL AND to_regclass('people_person') IS NOT NULL"
        if not db.execute(ready).fetchone()[0]:
            return 0
        return db.execute(FOREIGN_SQL, {"mark": MARK}).fetchone()[0]


# ---------------------------------------------------------------------------------------------
# The load, in SQL
# ---------------------------------------------------------------------------------------------

PLAN_SQL = """
CREATE TEMP TABLE IF NOT EXISTS rb_pick (slot int PRIMARY KEY, waterway_id bigint NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rb_hot (h int PRIMARY KEY, waterway_id bigint NOT NULL, f float8 NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rb_doer (k int PRIMARY KEY, person_id bigint NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rb_member (person_id bigint PRIMARY KEY, team_id bigint NOT NULL, rank int NOT NULL,
                                           size int NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rb_team_rank (team_id bigint, rank int, person_id bigint, PRIMARY KEY (team_id, rank));
CREATE TEMP TABLE IF NOT EXISTS rb_staff (k int PRIMARY KEY, user_id bigint NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rb_act (
    id bigint PRIMARY KEY, kind text, has_track bool, waterway_id bigint, f0 float8, f1 float8, reverse bool,
    dx float8, dy float8, day int, started_at timestamptz, duration_s int, located bool, status text,
    submitter bigint, extra int, u1 float8, u2 float8, reviewer bigint);
TRUNCATE rb_pick, rb_hot, rb_doer, rb_member, rb_team_rank, rb_staff, rb_act;
"""

# Waterways in proportion to length times a fixed factor per waterway (by a hash of its code): one in
# seven gets almost no work (the gaps), the others 0.3-2.3 times their share.
PICK_SQL = """
WITH weighted AS (
    SELECT id, length_m * CASE WHEN abs(hashtext(code || %(seed)s::text)) %% 7 = 0 THEN 0.02
                               ELSE 0.3 + (abs(hashtext(code || 'w' || %(seed)s::text)) %% 100) / 50.0 END AS weight
      FROM waterways_waterway
), cum AS (
    SELECT id, sum(weight) OVER (ORDER BY id) / sum(weight) OVER () AS upto FROM weighted
)
INSERT INTO rb_pick (slot, waterway_id)
SELECT s.slot, c.id
  FROM generate_series(0, %(slots)s - 1) AS s(slot)
 CROSS JOIN LATERAL (SELECT id FROM cum WHERE cum.upto >= (s.slot + 0.5) / %(slots)s ORDER BY upto LIMIT 1) AS c;
INSERT INTO rb_hot (h, waterway_id, f)
SELECT h - 1, p.waterway_id, 0.1 + 0.8 * abs(hashtext('hot' || h || %(seed)s::text)) %% 1000 / 1000.0
  FROM generate_series(1, 8) AS h
  JOIN rb_pick p ON p.slot = abs(hashtext('hot-slot' || h || %(seed)s::text)) %% %(slots)s;
"""

# People: i is the number in the roster (ids PEOPLE_BASE + i, the login has the same id).
#   1-5 staff · 6-8 district chiefs · 9-18 township chiefs (one per town) · 19-60 village chiefs (one per
#   waterway) · 61-65 their successors from 1 July · 66-105 deputies · 106-165 post workers · 166-300 volunteers.
PEOPLE_BASE = 900_000
PEOPLE_PLAN_SQL = """
CREATE TEMP TABLE rb_person AS
WITH towns AS (SELECT id, row_number() OVER (ORDER BY code) AS k FROM waterways_town),
     villages AS (SELECT id, town_id, row_number() OVER (ORDER BY code) AS k, count(*) OVER () AS n
                    FROM waterways_village),
     waterways AS (SELECT id, town_id, village_id, row_number() OVER (ORDER BY code) AS k FROM waterways_waterway),
     roster AS (
    SELECT i,
           CASE WHEN i <= 5 THEN 'staff' WHEN i <= 65 THEN 'chief' WHEN i <= 105 THEN 'deputy'
                WHEN i <= 165 THEN 'post_worker' ELSE 'volunteer' END AS role,
           CASE WHEN i BETWEEN 6 AND 8 THEN 'district' WHEN i BETWEEN 9 AND 18 THEN 'township'
                WHEN i BETWEEN 19 AND 65 THEN 'village'
                WHEN i BETWEEN 66 AND 105 THEN (ARRAY['national', 'provincial', 'municipal', 'district', 'district',
                                                      'township', 'township', 'township'])[1 + i %% 8]
                ELSE '' END AS level
      FROM generate_series(1, %(people)s) AS i
)
SELECT %(base)s + r.i AS id, r.i, r.role, r.level,
       CASE WHEN r.i BETWEEN 9 AND 18 THEN (SELECT id FROM towns WHERE k = r.i - 8)
            ELSE COALESCE(w.town_id, v.town_id) END AS town_id,
       CASE WHEN r.i BETWEEN 19 AND 60 THEN COALESCE(w.village_id, v.id)
            WHEN r.i > 60 AND r.role <> 'deputy' THEN v.id END AS village_id,
       w.id AS village_post
  FROM roster r
  LEFT JOIN waterways w ON r.i BETWEEN 19 AND 60 AND w.k = r.i - 18
  LEFT JOIN villages v ON v.k = 1 + (r.i * 37) %% v.n
"""

INSERT_PEOPLE_SQL = """
INSERT INTO people_user (id, password, last_login, is_superuser, username, first_name, last_name, email,
                         is_staff, is_active, date_joined)
SELECT id, '!', NULL, FALSE, 'rb-' || lpad(i::text, 4, '0'), '', '', '', role = 'staff', TRUE, now()
  FROM rb_person;
INSERT INTO people_person (id, name, phone, role, level, town_id, village_id, user_id, is_active, note,
                           id_type, id_tail, volunteer_number, board_initials_only, created_at, updated_at)
SELECT id,
       CASE role WHEN 'staff' THEN '压测工作人员' WHEN 'chief' THEN '压测河长' WHEN 'deputy' THEN '压测代表'
                 WHEN 'post_worker' THEN '压测公益岗' ELSE '压测志愿者' END || lpad(i::text, 3, '0'),
       '1390000' || lpad(i::text, 4, '0'), role, level, town_id, village_id, id, TRUE, %(mark)s,
       '', '', '', FALSE, now(), now()
  FROM rb_person;
INSERT INTO rb_staff (k, user_id) SELECT row_number() OVER (ORDER BY id) - 1, id FROM rb_person WHERE role = 'staff';
"""

# Teams: a village team per town (its post workers, volunteers and village chiefs), four volunteer teams
# (every third volunteer), two deputy groups. The first member leads.
TEAMS_SQL = """
INSERT INTO people_team (id, name, kind, town_id, village_id)
SELECT %(base)s + k, '压测' || t.name || '巡护队', 'village', t.id, NULL::bigint
  FROM (SELECT id, name, row_number() OVER (ORDER BY code) AS k FROM waterways_town) t
UNION ALL
SELECT %(base)s + 100 + k, '压测志愿服务队' || k, 'volunteer', NULL::bigint, NULL::bigint
  FROM generate_series(1, 4) AS k
UNION ALL
SELECT %(base)s + 200 + k, '压测人大代表小组' || k, 'deputy_group', NULL::bigint, NULL::bigint
  FROM generate_series(1, 2) AS k;
WITH placed AS (
    SELECT p.id AS person_id,
           CASE WHEN p.role = 'deputy' AND p.i > 68 THEN %(base)s + 201 + p.i %% 2
                WHEN p.role = 'volunteer' AND p.i %% 3 = 0 THEN %(base)s + 101 + p.i %% 4
                WHEN p.town_id IS NOT NULL AND p.role IN ('post_worker', 'volunteer', 'chief') AND p.level <> 'district'
                     THEN (SELECT t.id FROM people_team t WHERE t.kind = 'village' AND t.town_id = p.town_id
                             AND t.name LIKE '压测%%')
           END AS team_id
      FROM rb_person p
)
INSERT INTO rb_member (person_id, team_id, rank, size)
SELECT person_id, team_id, row_number() OVER (PARTITION BY team_id ORDER BY person_id) - 1,
       count(*) OVER (PARTITION BY team_id)
  FROM placed WHERE team_id IS NOT NULL;
INSERT INTO rb_team_rank SELECT team_id, rank, person_id FROM rb_member;
INSERT INTO people_team_members (team_id, person_id) SELECT team_id, person_id FROM rb_member;
INSERT INTO people_team_leaders (team_id, person_id) SELECT team_id, person_id FROM rb_member WHERE rank = 0;
"""

# Posts: a district chief on each river, the township chief on every waterway of the town, a village
# chief on each waterway, from the start of the year before; five village posts change hands on 1 July.
CHIEFS_SQL = """
INSERT INTO people_chiefassignment (person_id, waterway_id, level, since, until)
SELECT p.id, w.id, 'district', %(since)s, NULL::date
  FROM (SELECT id, row_number() OVER (ORDER BY code) AS k FROM waterways_waterway WHERE kind = 'river') w
  JOIN rb_person p ON p.i = 5 + 1 + (w.k - 1) %% 3
UNION ALL
SELECT p.id, w.id, 'township', %(since)s, NULL
  FROM waterways_waterway w JOIN rb_person p ON p.role = 'chief' AND p.level = 'township' AND p.town_id = w.town_id
UNION ALL
SELECT p.id, p.village_post,  'village', %(since)s, CASE WHEN p.i BETWEEN 19 AND 23 THEN %(handover)s - 1 END
  FROM rb_person p WHERE p.village_post IS NOT NULL
UNION ALL
SELECT successor.id, p.village_post, 'village', %(handover)s, NULL
  FROM rb_person p JOIN rb_person successor ON successor.i = p.i + 42
 WHERE p.i BETWEEN 19 AND 23;
INSERT INTO rb_doer (k, person_id)
SELECT row_number() OVER (ORDER BY id) - 1, id FROM rb_person
 WHERE role IN ('volunteer', 'post_worker') OR (role = 'deputy' AND i > 68);
"""

UNITS = ["区水利局", "区生态环境分局", "区城市管理执法局", "区住房和城乡建设局", "区农业农村局",
         "区自然资源和规划局", "区交通运输局", "区公安分局"]
DEPARTMENT_OF = {"sewage": "区生态环境分局", "water_quality": "区生态环境分局", "sand_mining": "区水利局",
                 "encroachment": "区自然资源和规划局", "facility": "区水利局"}

# One batch of a year's activities, planned. Kinds as the district's; a day of the year, 07:00-18:00
# Beijing; a patrol's stretch of 0.8-4 km (at most 95 % of its waterway); 35 % of patrols by a chief
# holding a post on that waterway that day (village 75 %, township 20 %, district 5 % where there is
# one), the rest of the work by volunteers, post workers and deputies.
PLAN_ACTIVITIES_SQL = """
TRUNCATE rb_act;
WITH r AS MATERIALIZED (
    SELECT i, random() AS u_kind, random() AS u_w, random() AS u_f, random() AS u_len, random() AS u_rev,
           random() AS u_dx, random() AS u_dy, random() AS u_day, random() AS u_sec, random() AS u_dur,
           random() AS u_status, random() AS u_who, random() AS u_chief, random() AS u_level, random() AS u_extra,
           random() AS u_loc, random() AS u1, random() AS u2, random() AS u_rev_by
      FROM generate_series(%(lo)s, %(hi)s) AS i
), k AS (
    SELECT r.*, floor(r.u_day * %(days)s)::int AS day,
           CASE WHEN u_kind < 0.55 THEN 'patrol' WHEN u_kind < 0.75 THEN 'cleanup'
                WHEN u_kind < 0.83 THEN 'sewer_inspection' WHEN u_kind < 0.91 THEN 'garbage_sorting'
                WHEN u_kind < 0.98 THEN 'other' ELSE 'problem_report' END AS kind
      FROM r
), placed AS (
    SELECT k.*, w.id AS waterway_id, w.length_m, k.kind = 'patrol' AS has_track,
           LEAST(0.95, (800 + 3200 * k.u_len) / w.length_m) AS span,
           %(year_start)s::date + k.day AS on_day
      FROM k
      JOIN rb_pick pick ON pick.slot = floor(k.u_w * %(slots)s)::int
      JOIN waterways_waterway w ON w.id = pick.waterway_id
)
INSERT INTO rb_act (id, kind, has_track, waterway_id, f0, f1, reverse, dx, dy, day, started_at, duration_s, located,
                    status, submitter, extra, u1, u2, reviewer)
SELECT %(id_base)s + p.i, p.kind, p.has_track, p.waterway_id,
       CASE WHEN p.has_track THEN p.u_f * (1 - p.span) ELSE p.u_f END,
       CASE WHEN p.has_track THEN p.u_f * (1 - p.span) + p.span END,
       p.u_rev < 0.5, (p.u_dx - 0.5) * 24, (p.u_dy - 0.5) * 24, p.day,
       (p.on_day + TIME '07:00') AT TIME ZONE %(zone)s + p.u_sec * INTERVAL '11 hours',
       CASE WHEN p.has_track THEN (p.span * p.length_m / (0.8 + 0.45 * p.u_dur) + 300 + 900 * p.u_sec)::int
            WHEN p.kind = 'problem_report' THEN 120 + (480 * p.u_dur)::int
            ELSE 1800 + (12600 * p.u_dur)::int END,
       p.has_track OR NOT (p.kind IN ('garbage_sorting', 'other') AND p.u_loc < 0.3),
       CASE WHEN p.u_status < 0.03 THEN 'rejected'
            WHEN p.u_status < 0.03 + %(pending)s + CASE WHEN p.day >= %(days)s - 21 THEN 0.5 ELSE 0 END THEN 'submitted'
            ELSE 'verified' END,
       COALESCE(chief.person_id, doer.person_id),
       CASE WHEN p.kind = 'problem_report' THEN 0 ELSE floor(p.u_extra * 3)::int END,
       p.u1, p.u2, staff.user_id
  FROM placed p
  JOIN rb_doer doer ON doer.k = floor(p.u_who * %(doers)s)::int
  JOIN rb_staff staff ON staff.k = floor(p.u_rev_by * %(staff)s)::int
  LEFT JOIN LATERAL (
      SELECT a.person_id FROM people_chiefassignment a
       WHERE p.kind = 'patrol' AND p.u_chief < 0.35 AND a.waterway_id = p.waterway_id
         AND a.since <= p.on_day AND (a.until IS NULL OR a.until >= p.on_day)
       ORDER BY a.level = CASE WHEN p.u_level < 0.75 THEN 'village' WHEN p.u_level < 0.95 THEN 'township'
                               ELSE 'district' END DESC, a.level = 'village' DESC
       LIMIT 1) AS chief ON TRUE
"""

# The planned activities as rows. A track: the stretch, a vertex every 10 m, shifted a few metres, either
# way; a point activity: within 20 m of its waterway, snapped to it (waterway and distance from source).
INSERT_ACTIVITIES_SQL = """
WITH shaped AS MATERIALIZED (
    SELECT a.*, w.length_m,
           CASE WHEN a.has_track THEN
               ST_Translate(ST_Segmentize(ST_Multi(ST_LineSubstring(w.geom, a.f0, a.f1)), %(track_step)s), a.dx, a.dy)
           END AS track0,
           CASE WHEN NOT a.has_track AND a.located THEN
               ST_Translate(ST_LineInterpolatePoint(w.geom, a.f0), a.dx * 0.8, a.dy * 0.8)
           END AS point
      FROM rb_act a JOIN waterways_waterway w ON w.id = a.waterway_id
)
INSERT INTO patrols_activity (
    id, client_uuid, payload_sha256, kind, submitted_by_id, started_at, ended_at, received_at,
    track, point, location_source, waterway_id, waterway_position_m, off_network, distance_m, duration_s,
    track_quality, debris_kg, bags, manholes_checked, outfalls_checked, findings, notes,
    status, reviewed_by_id, reviewed_at, review_note, skipped_participants)
SELECT s.id, md5('rb-activity-' || s.id)::uuid, encode(sha256(('rb-activity-' || s.id)::bytea), 'hex'),
       s.kind, s.submitter, s.started_at, s.started_at + s.duration_s * INTERVAL '1 second',
       s.started_at + s.duration_s * INTERVAL '1 second' + (1 + s.u2 * 600) * INTERVAL '1 minute',
       CASE WHEN s.reverse THEN ST_Reverse(s.track0) ELSE s.track0 END, s.point,
       CASE WHEN s.track0 IS NOT NULL THEN 'gps' WHEN s.point IS NULL THEN '' WHEN s.u1 < 0.3 THEN 'map' ELSE 'gps' END,
       CASE WHEN s.track0 IS NOT NULL OR s.point IS NOT NULL THEN s.waterway_id END,
       CASE WHEN s.track0 IS NOT NULL OR s.point IS NOT NULL
            THEN (CASE WHEN s.has_track AND s.reverse THEN s.f1 ELSE s.f0 END) * s.length_m END,
       FALSE, COALESCE(ST_Length(s.track0), 0), s.duration_s,
       CASE WHEN s.track0 IS NOT NULL THEN '{"source": "synthetic"}'::jsonb ELSE '{}'::jsonb END,
       CASE WHEN s.kind = 'cleanup' THEN round((1 + 60 * s.u1 * s.u1)::numeric, 1) END,
       CASE WHEN s.kind = 'cleanup' THEN 1 + floor(s.u2 * 12)::int END,
       CASE WHEN s.kind = 'sewer_inspection' THEN floor(s.u1 * 40)::int END,
       CASE WHEN s.kind = 'sewer_inspection' THEN floor(s.u2 * 8)::int END,
       '', %(mark)s, s.status,
       CASE WHEN s.status <> 'submitted' THEN s.reviewer END,
       CASE WHEN s.status <> 'submitted' THEN s.started_at + (1 + 2 * s.u2) * INTERVAL '1 day' END,
       CASE WHEN s.status = 'rejected' THEN '轨迹与所报河道不符（压测数据）' ELSE '' END,
       '[]'::jsonb
  FROM shaped s
"""

# The submitter and 0-2 teammates (members of the submitter's team, seven places apart), with their role
# and level; a problem report makes none (KINDS_WITHOUT_SERVICE). Hours: the activity's duration.
INSERT_SERVICE_RECORDS_SQL = """
INSERT INTO patrols_servicerecord (activity_id, person_id, role, level, hours)
SELECT DISTINCT ON (a.id, p.id) a.id, p.id, p.role, p.level, round(a.duration_s / 3600.0, 1)
  FROM rb_act a
  LEFT JOIN rb_member m ON m.person_id = a.submitter
 CROSS JOIN LATERAL generate_series(0, CASE WHEN m.person_id IS NULL THEN 0 ELSE a.extra END) AS j(j)
  LEFT JOIN rb_team_rank mate ON j.j > 0 AND mate.team_id = m.team_id AND mate.rank = (m.rank + 7 * j.j) %% m.size
  JOIN people_person p ON p.id = CASE WHEN j.j = 0 THEN a.submitter ELSE mate.person_id END
 WHERE a.kind <> 'problem_report'
 ORDER BY a.id, p.id
"""

# The reaches a stretch covers for at least half their length (the track runs < 12 m off the line,
# well inside PATROL_BUFFER_M), with the covered share: what the app's REACH_VISITS_SQL finds.
INSERT_REACH_VISITS_SQL = """
WITH stretch AS (
    SELECT a.id, a.waterway_id, a.started_at, a.f0 * w.length_m AS lo, a.f1 * w.length_m AS hi
      FROM rb_act a JOIN waterways_waterway w ON w.id = a.waterway_id
     WHERE a.has_track
)
INSERT INTO patrols_reachvisit (reach_id, activity_id, visited_at, covered_fraction)
SELECT r.id, s.id, s.started_at, LEAST(1.0, (LEAST(r.end_m, s.hi) - GREATEST(r.start_m, s.lo)) / (r.end_m - r.start_m))
  FROM stretch s
  JOIN waterways_reach r ON r.waterway_id = s.waterway_id AND r.end_m > s.lo AND r.start_m < s.hi
 WHERE LEAST(r.end_m, s.hi) - GREATEST(r.start_m, s.lo) >= %(min_fraction)s * (r.end_m - r.start_m)
"""

# Problems of a year, where they come from: every problem report that was not rejected (phone); a share
# of the patrols and clean-ups (found there, on the track or at the point); the rest on their own
# (hotline, inspection, deputies, public, Open311), half of those on a 1.4 km stretch around one of eight
# planted hotspots (a stretch, not a point: a lone hex cell, however full, is no Gi* hotspot).
PROBLEM_SOURCES_SQL = """
DROP TABLE IF EXISTS rb_psrc;
CREATE TEMP TABLE rb_psrc AS
WITH found AS (
    SELECT a.started_at + (2 + 8 * random()) * INTERVAL '1 minute' AS seen, 'phone' AS source, a.id AS activity_id,
           a.waterway_id, a.point, a.submitted_by_id AS reporter
      FROM patrols_activity a
     WHERE a.id BETWEEN %(id_lo)s AND %(id_hi)s AND a.kind = 'problem_report' AND a.status <> 'rejected'
    UNION ALL
    SELECT a.started_at + (5 + 60 * random()) * INTERVAL '1 minute', 'patrol', a.id, a.waterway_id,
           COALESCE(a.point, ST_LineInterpolatePoint(ST_GeometryN(a.track, 1), random())), a.submitted_by_id
      FROM patrols_activity a
     WHERE a.id BETWEEN %(id_lo)s AND %(id_hi)s AND a.kind IN ('patrol', 'cleanup') AND a.status <> 'rejected'
       AND a.waterway_id IS NOT NULL AND random() < %(found_rate)s
), alone AS MATERIALIZED (
    SELECT n, random() AS u_src, random() AS u_w, random() AS u_hot, random() AS u_h, random() AS u_f,
           random() AS u_dx, random() AS u_dy, random() AS u_day, random() AS u_sec, random() AS u_staff
      FROM generate_series(1, %(alone)s) AS n
), placed AS (
    SELECT alone.*, CASE WHEN u_hot < 0.5 THEN hot.waterway_id ELSE pick.waterway_id END AS waterway_id,
           CASE WHEN u_hot < 0.5 THEN hot.f ELSE NULL END AS hot_f
      FROM alone
      JOIN rb_pick pick ON pick.slot = floor(alone.u_w * %(slots)s)::int
      JOIN rb_hot hot ON hot.h = floor(alone.u_h * 8)::int
)
SELECT row_number() OVER (ORDER BY x.seen, x.activity_id) AS n, x.*
  FROM (
    SELECT seen, source, activity_id, waterway_id, point, reporter FROM found
    UNION ALL
    SELECT (%(year_start)s::date + floor(p.u_day * %(days)s)::int + TIME '07:00') AT TIME ZONE %(zone)s
               + p.u_sec * INTERVAL '14 hours',
           CASE WHEN p.u_src < 0.30 THEN 'hotline' WHEN p.u_src < 0.50 THEN 'inspection'
                WHEN p.u_src < 0.65 THEN 'deputy'
                WHEN p.u_src < 0.95 THEN 'public' ELSE 'open311' END,
           NULL, w.id,
           ST_Translate(ST_LineInterpolatePoint(w.geom, COALESCE(
                            LEAST(1, GREATEST(0, p.hot_f + (p.u_f - 0.5) * 1400 / w.length_m)), p.u_f)),
                        (p.u_dx - 0.5) * 30, (p.u_dy - 0.5) * 30),
           CASE WHEN p.u_src < 0.65 THEN staff.user_id END
      FROM placed p
      JOIN waterways_waterway w ON w.id = p.waterway_id
      JOIN rb_staff staff ON staff.k = floor(p.u_staff * %(staff)s)::int
  ) AS x
"""

# The life of each problem as of `now` (the report's day): the older, the likelier closed (93 % after
# 45 days); open ones in every state, so old open ones run past their deadline. Deadlines: the first one
# when handled (first_deadline), a week more when supervised; 4 % of the fixed ones were reopened once
# (and fixed again), and a few of the open ones are being handled again after a reopening.
INSERT_PROBLEMS_SQL = """
WITH r AS MATERIALIZED (
    SELECT s.*, random() AS u_cat, random() AS u_state, random() AS u_open, random() AS u_end, random() AS u_fix,
           random() AS u_dl, random() AS u_sup, random() AS u_re, random() AS u_unit, random() AS u_unit2,
           random() AS u_dep
      FROM rb_psrc s
     WHERE s.seen < %(now)s
), t AS (
    SELECT r.*,
           CASE WHEN u_cat < 0.35 THEN 'garbage' WHEN u_cat < 0.50 THEN 'sewage' WHEN u_cat < 0.65 THEN 'dumping'
                WHEN u_cat < 0.73 THEN 'encroachment' WHEN u_cat < 0.78 THEN 'sand_mining'
                WHEN u_cat < 0.85 THEN 'water_quality' WHEN u_cat < 0.93 THEN 'facility' ELSE 'other' END AS category,
           CASE WHEN u_state < LEAST(0.93, EXTRACT(EPOCH FROM %(now)s::timestamptz - seen) / 86400.0 / 45.0 * 0.93)
                     THEN 'closed'
                WHEN u_open < 0.12 THEN 'reported' WHEN u_open < 0.22 THEN 'accepted' WHEN u_open < 0.50 THEN 'assigned'
                WHEN u_open < 0.80 THEN 'in_progress' ELSE 'resolved' END AS state,
           (1 + 30 * u_fix * u_fix) * INTERVAL '1 day' AS to_fix
      FROM r
), e AS (
    SELECT t.*,
           CASE WHEN state <> 'closed' THEN ''
                WHEN u_end < 0.80 THEN 'fixed' WHEN u_end < 0.88 THEN 'not_fixed'
                WHEN u_end < 0.95 AND n > 1 THEN 'duplicate' ELSE 'invalid' END AS ending
      FROM t
), h AS (
    SELECT e.*,
           state IN ('assigned', 'in_progress', 'resolved') OR ending IN ('fixed', 'not_fixed') AS handled,
           state = 'resolved' OR ending = 'fixed' AS was_resolved,
           (ending = 'fixed' AND u_re < 0.04) OR (state = 'in_progress' AND u_re < 0.10) AS reopened
      FROM e
), d AS (
    SELECT h.*,
           CASE WHEN h.handled THEN (h.seen AT TIME ZONE %(zone)s)::date + 7 + floor(h.u_dl * 14)::int END AS first_dl,
           h.handled AND h.u_sup < 0.05 AS supervised
      FROM h
)
INSERT INTO problems_problem (
    id, category, source, note, point, observed_at, waterway_id, position_m, client_uuid, activity_id, reported_by_id,
    deputy_id, contact_phone, tracking_code, state, ending, not_fixed_reason, duplicate_of_id, unit_id, deadline,
    first_deadline, supervised_at, escalated_at, escalated_to_id, accepted_at, resolved_at, resolved_by_id, closed_at,
    reopen_count, created_at)
SELECT %(id_base)s + d.n, d.category, d.source, %(mark)s, d.point, d.seen, d.waterway_id,
       CASE WHEN d.point IS NOT NULL AND w.id IS NOT NULL THEN ST_LineLocatePoint(w.geom, d.point) * w.length_m END,
       md5('rb-problem-' || (%(id_base)s + d.n))::uuid, d.activity_id, d.reporter,
       CASE WHEN d.source = 'deputy' THEN dep.id END,
       CASE WHEN d.source = 'public' THEN '1380000' || lpad((d.n %% 10000)::text, 4, '0') ELSE '' END,
       CASE WHEN d.source = 'public' THEN 'RB' || (%(id_base)s + d.n)::text END,
       d.state, d.ending,
       CASE WHEN d.ending = 'not_fixed' THEN (ARRAY['not_ours', 'no_action', 'referred'])[1 + floor(d.u_fix * 3)::int]
            ELSE '' END,
       CASE WHEN d.ending = 'duplicate' THEN %(id_base)s + GREATEST(1, d.n - 1 - floor(d.u_dl * 50)::int) END,
       CASE WHEN NOT d.handled THEN NULL
            WHEN dept.unit_id IS NOT NULL AND d.u_unit < 0.8 THEN dept.unit_id
            WHEN d.u_unit < 0.65 AND town_unit.id IS NOT NULL THEN town_unit.id
            ELSE village_unit.id END,
       d.first_dl + CASE WHEN d.supervised THEN 7 ELSE 0 END,
       d.first_dl,
       CASE WHEN d.supervised THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute', d.seen + INTERVAL '3 days') END,
       NULL, NULL,
       CASE WHEN d.state <> 'reported' AND d.ending NOT IN ('duplicate', 'invalid')
            THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute',
                       d.seen + (0.5 + d.u_dl * 24) * INTERVAL '1 hour') END,
       CASE WHEN d.was_resolved THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute', d.seen + d.to_fix) END,
       CASE WHEN d.was_resolved THEN %(staff_user)s END,
       CASE WHEN d.state = 'closed'
            THEN LEAST(%(now)s::timestamptz - INTERVAL '1 minute',
                       d.seen + CASE WHEN d.ending IN ('fixed', 'not_fixed') THEN d.to_fix + d.u_re * INTERVAL '3 days'
                                     ELSE (1 + d.u_re * 48) * INTERVAL '1 hour' END) END,
       CASE WHEN d.reopened THEN 1 ELSE 0 END,
       LEAST(%(now)s::timestamptz, d.seen + INTERVAL '5 minutes')
  FROM d
  LEFT JOIN waterways_waterway w ON w.id = d.waterway_id
  LEFT JOIN rb_department dept ON dept.category = d.category
  LEFT JOIN problems_responsibleunit town_unit ON town_unit.kind = 'town' AND town_unit.town_id = w.town_id
  JOIN rb_village_unit village_unit ON village_unit.k = floor(d.u_unit2 * %(villages)s)::int
  JOIN rb_deputy dep ON dep.k = floor(d.u_dep * %(deputies)s)::int
"""

# The report, the move that brought each problem to its state, and a reopening where there was one.
INSERT_EVENTS_SQL = """
INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note, unit_id,
                                   deadline)
SELECT p.id, p.observed_at, p.reported_by_id, '', 'report', '', 'reported', '', NULL, NULL
  FROM problems_problem p WHERE p.id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT p.id, GREATEST(p.observed_at + INTERVAL '10 minutes',
                      COALESCE(p.closed_at, p.resolved_at, p.accepted_at, p.observed_at + INTERVAL '1 hour')),
       %(staff_user)s, '压测工作人员',
       CASE p.state WHEN 'accepted' THEN 'accept' WHEN 'assigned' THEN 'assign' WHEN 'in_progress' THEN 'start'
                    WHEN 'resolved' THEN 'resolve'
                    ELSE CASE p.ending WHEN 'fixed' THEN 'verify' WHEN 'not_fixed' THEN 'close_not_fixed'
                                       WHEN 'duplicate' THEN 'merge' ELSE 'reject' END END,
       CASE WHEN p.state = 'closed' AND p.ending IN ('fixed', 'not_fixed') THEN 'resolved' ELSE 'reported' END,
       p.state, '', p.unit_id, p.deadline
  FROM problems_problem p WHERE p.id BETWEEN %(lo)s AND %(hi)s AND p.state <> 'reported'
UNION ALL
SELECT p.id, p.observed_at + INTERVAL '5 minutes', %(staff_user)s, '压测工作人员', 'reopen', 'closed', 'assigned',
       '回头看发现问题反弹（压测数据）', p.unit_id, p.deadline
  FROM problems_problem p WHERE p.id BETWEEN %(lo)s AND %(hi)s AND p.reopen_count > 0
"""

# Credits for the verified service records as the default rules give them (points/default_rules.py):
# hours (at most 2 an activity, a point an hour) and a clean-up's debris shared by those who took part (at
# most 50 kg, 0.1 a kg), on days the rule is in force. The daily caps are left out (a person here rarely
# serves more than twice a day).
INSERT_CREDITS_SQL = """
WITH records AS (
    SELECT sr.id, sr.person_id, sr.hours, a.id AS activity_id, a.kind, a.debris_kg, a.reviewed_by_id, a.reviewed_at,
           (a.started_at AT TIME ZONE %(zone)s)::date AS day,
           count(*) OVER (PARTITION BY a.id) AS people
      FROM patrols_servicerecord sr JOIN patrols_activity a ON a.id = sr.activity_id
     WHERE a.id BETWEEN %(id_lo)s AND %(id_hi)s AND a.status = 'verified'
)
INSERT INTO points_entry (person_id, amount, kind, reason, rule_id, activity_id, service_record_id, problem_id,
                          redemption_id, reverses_id, cause, made_by_id, earned_on, at, key)
SELECT rec.person_id, round(LEAST(rec.hours, COALESCE(rule.cap_per_activity, rec.hours)) * rule.points_per_unit, 1),
       'credit', '服务时长 ' || rec.hours || ' 小时（压测数据）', rule.id, rec.activity_id, rec.id, NULL::bigint,
       NULL::bigint, NULL::bigint,
       'activity_verified', rec.reviewed_by_id, rec.day, rec.reviewed_at, 'record:' || rec.id || ':rule:' || rule.id
  FROM records rec
  JOIN points_rule rule ON rule.measure = 'hours' AND rule.effective_from <= rec.day
                       AND (rule.effective_until IS NULL OR rule.effective_until >= rec.day)
 WHERE rec.hours > 0
UNION ALL
SELECT rec.person_id,
       round(LEAST(rec.debris_kg / rec.people, COALESCE(rule.cap_per_activity, rec.debris_kg))
             * rule.points_per_unit, 1),
       'credit', '清理垃圾 ' || round(rec.debris_kg / rec.people, 1) || ' 公斤（压测数据）', rule.id, rec.activity_id,
       rec.id,
       NULL, NULL, NULL, 'activity_verified', rec.reviewed_by_id, rec.day, rec.reviewed_at,
       'record:' || rec.id || ':rule:' || rule.id
  FROM records rec
  JOIN points_rule rule ON rule.measure = 'debris_kg' AND rule.effective_from <= rec.day
                       AND (rule.effective_until IS NULL OR rule.effective_until >= rec.day)
                       AND (cardinality(rule.activity_kinds) = 0 OR rec.kind = ANY(rule.activity_kinds))
 WHERE rec.debris_kg > 0
"""

# 120 redemptions of 20 points in the year's second half, by the people with the most points.
INSERT_REDEMPTIONS_SQL = """
WITH rich AS (
    SELECT person_id, row_number() OVER (ORDER BY sum(amount) DESC, person_id) AS k
      FROM points_entry WHERE earned_on BETWEEN %(start)s AND %(end)s GROUP BY person_id HAVING sum(amount) >= 100
), made AS (
    INSERT INTO points_redemption (person_id, item_id, quantity, points, place, made_by_id, at, client_uuid)
    SELECT rich.person_id, %(item)s, 1, 20, '压测积分超市', %(staff_user)s,
           (%(middle)s::date + (n * 37) %% 150 + TIME '10:00') AT TIME ZONE %(zone)s,
           md5('rb-redemption-' || %(start)s || '-' || n)::uuid
      FROM generate_series(1, 120) AS n JOIN rich ON rich.k = 1 + (n - 1) %% 30
    RETURNING id, person_id, at
)
INSERT INTO points_entry (person_id, amount, kind, reason, rule_id, activity_id, service_record_id, problem_id,
                          redemption_id, reverses_id, cause, made_by_id, earned_on, at, key)
SELECT person_id, -20, 'redemption', '兑换压测物品 × 1', NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, id,
       NULL::bigint, 'staff', %(staff_user)s,
       (at AT TIME ZONE %(zone)s)::date, at, 'redemption:' || id
  FROM made
"""

RESET_SEQUENCES_SQL = """
SELECT setval(pg_get_serial_sequence(t, 'id'), (SELECT COALESCE(max(id), 1) FROM {table}))
  FROM (VALUES ('{table}')) AS v(t)
"""
EXPLICIT_ID_TABLES = ["people_user", "people_person", "people_team", "patrols_activity", "problems_problem"]

SIZE_TABLES = ["people_person", "people_chiefassignment", "patrols_activity", "patrols_servicerecord",
               "patrols_reachvisit", "problems_problem", "problems_problemevent", "points_entry"]


def year_ids(year):
    base = year * ID_PER_YEAR
    return base + 1, base + ID_PER_YEAR - 1


def days_in(year):
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def wanted():
    """What the data should hold: {year: (activities, problems)}."""
    year = OPTIONS.year
    share = OPTIONS.previous / OPTIONS.activities if OPTIONS.activities else 0
    return {year - 1: (OPTIONS.previous, round(OPTIONS.problems * share)), year: (OPTIONS.activities, OPTIONS.problems)}


def built():
    """The activities of each wanted year the data holds, and whether the last step (points) was done."""
    have = {}
    for year in wanted():
        lo, hi = year_ids(year)
        have[year] = scalar("SELECT count(*) FROM patrols_activity WHERE id BETWEEN %s AND %s", [lo, hi])
    finished = scalar("SELECT EXISTS (SELECT 1 FROM points_redemption WHERE place = '压测积分超市')")
    return have, finished


def ensure_units():
    from problems.models import ResponsibleUnit
    from waterways.models import Town, Village

    for name in UNITS:
        ResponsibleUnit.objects.get_or_create(name=name, defaults={"kind": "department"})
    for town in Town.objects.order_by("code"):
        ResponsibleUnit.objects.get_or_create(name=town.name, defaults={"kind": "town", "town": town})
    for village in Village.objects.select_related("town").order_by("code"):
        ResponsibleUnit.objects.get_or_create(name=f"{village.town.name}{village.name}",
                                              defaults={"kind": "village", "town": village.town, "village": village})
    run("DROP TABLE IF EXISTS rb_department; DROP TABLE IF EXISTS rb_village_unit; DROP TABLE IF EXISTS rb_deputy")
    run("CREATE TEMP TABLE rb_department (category text PRIMARY KEY, unit_id bigint NOT NULL)")
    for category, name in DEPARTMENT_OF.items():
        run("INSERT INTO rb_department SELECT %s, id FROM problems_responsibleunit WHERE name = %s", [category, name])
    run("CREATE TEMP TABLE rb_village_unit AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id"
        " FROM problems_responsibleunit WHERE kind = 'village'")
    run("CREATE TEMP TABLE rb_deputy AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id"
        " FROM rb_person WHERE role = 'deputy'")


def seed():
    from points.models import Item

    year = OPTIONS.year
    began = time.perf_counter()
    run("SET synchronous_commit = off")  # this session only: a crash loses the last batches, not data
    run("SET work_mem = '128MB'")
    run("SELECT setseed(%s)", [(OPTIONS.seed % 1000) / 1000.0])
    with step(f"人员 {PEOPLE} 人（登录账号、队伍、河长任命）与责任单位"), transaction.atomic():
        run(PLAN_SQL)
        run(PICK_SQL, {"slots": PICK_SLOTS, "seed": OPTIONS.seed})
        run("DROP TABLE IF EXISTS rb_person")
        run(PEOPLE_PLAN_SQL, {"people": PEOPLE, "base": PEOPLE_BASE})
        run(INSERT_PEOPLE_SQL, {"mark": MARK})
        run(TEAMS_SQL, {"base": PEOPLE_BASE})
        run(CHIEFS_SQL, {"since": date(year - 1, 1, 1), "handover": date(year, 7, 1)})
        ensure_units()
        run("ANALYZE people_person; ANALYZE people_chiefassignment; ANALYZE rb_pick; ANALYZE rb_member")
    doers, staff = scalar("SELECT count(*) FROM rb_doer"), scalar("SELECT count(*) FROM rb_staff")
    villages, deputies = scalar("SELECT count(*) FROM rb_village_unit"), scalar("SELECT count(*) FROM rb_deputy")
    if not villages:
        sys.exit("没有村（社区）：load_district_data 没有载入 villages.csv？")

    made = {"activities": 0, "service records": 0, "reach visits": 0, "problems": 0, "events": 0, "credits": 0}
    total = sum(activities for activities, _problems in wanted().values())
    bar = tqdm(total=total, desc="活动", unit="条", unit_scale=True)
    for seeded_year, (activities, _problems) in wanted().items():
        id_lo, _id_hi = year_ids(seeded_year)
        days = days_in(seeded_year)
        # The year before is all reviewed long since; this year's last three weeks are half pending.
        pending = 0.04 if seeded_year == year else 0.005
        for lo in range(1, activities + 1, BATCH):
            hi = min(activities, lo + BATCH - 1)
            with transaction.atomic():
                run("SELECT setseed(%s)", [((OPTIONS.seed + seeded_year + lo) % 100_000) / 100_000.0])
                run(PLAN_ACTIVITIES_SQL, {
                    "lo": lo, "hi": hi, "id_base": id_lo - 1, "days": days, "year_start": date(seeded_year, 1, 1),
                    "zone": settings.TIME_ZONE, "slots": PICK_SLOTS, "doers": doers, "staff": staff,
                    "pending": pending if seeded_year == year else 0.005})
                made["activities"] += run(INSERT_ACTIVITIES_SQL, {"track_step": TRACK_VERTEX_M, "mark": MARK})
                made["service records"] += run(INSERT_SERVICE_RECORDS_SQL)
                made["reach visits"] += run(INSERT_REACH_VISITS_SQL, {"min_fraction": 0.5})
            bar.update(hi - lo + 1)
            bar.set_postfix(records=f"{made['service records']:,}", visits=f"{made['reach visits']:,}")
    bar.close()
    run("ANALYZE patrols_activity; ANALYZE patrols_servicerecord")

    with step("问题、处理记录"):
        for seeded_year, (_activities, problems) in wanted().items():
            made["problems"], made["events"] = seed_problems(seeded_year, problems, staff, villages, deputies, made)
    with step("积分（服务时长、清理垃圾）与兑换"):
        item, _created = Item.objects.get_or_create(name="压测物品：毛巾", defaults={"price": 20, "stock": 1000})
        staff_user = scalar("SELECT min(user_id) FROM rb_staff")
        for seeded_year in wanted():
            id_lo, id_hi = year_ids(seeded_year)
            with transaction.atomic():
                made["credits"] += run(INSERT_CREDITS_SQL, {"id_lo": id_lo, "id_hi": id_hi, "zone": settings.TIME_ZONE})
        with transaction.atomic():
            run(INSERT_REDEMPTIONS_SQL, {"start": date(year, 1, 1), "end": date(year, 12, 31),
                                         "middle": date(year, 7, 1), "item": item.pk, "staff_user": staff_user,
                                         "zone": settings.TIME_ZONE})
    with step("重置序列、VACUUM ANALYZE"):
        for table in EXPLICIT_ID_TABLES:
            run(RESET_SEQUENCES_SQL.format(table=table))
        for table in SIZE_TABLES + ["people_user", "people_team_members", "points_redemption", "waterways_reach"]:
            run(f"VACUUM (ANALYZE) {table}")
    print(f"生成共用 {(time.perf_counter() - began) / 60:.1f} 分钟："
          + "，".join(f"{label} {count:,}" for label, count in made.items()))
    check_reach_visits()


def seed_problems(seeded_year, problems, staff, villages, deputies, made):
    id_lo, id_hi = year_ids(seeded_year)
    days = days_in(seeded_year)
    # A year-end build: problems' states stand at the end of the report's day (or now, if sooner).
    end_of = min(report_day(), date(seeded_year, 12, 31))
    from riverwatch.dates import day_start

    now = day_start(date.fromordinal(end_of.toordinal() + 1))
    phone = scalar("SELECT count(*) FROM patrols_activity WHERE id BETWEEN %s AND %s AND kind = 'problem_report'"
                   " AND status <> 'rejected'", [id_lo, id_hi])
    alone = round(problems * 0.3)
    found_from = scalar("SELECT count(*) FROM patrols_activity WHERE id BETWEEN %s AND %s"
                        " AND kind IN ('patrol', 'cleanup') AND status <> 'rejected' AND waterway_id IS NOT NULL",
                        [id_lo, id_hi])
    found_rate = max(0.0, problems - phone - alone) / found_from if found_from else 0.0
    staff_user = scalar("SELECT min(user_id) FROM rb_staff")
    with transaction.atomic():
        run(PROBLEM_SOURCES_SQL, {"id_lo": id_lo, "id_hi": id_hi, "found_rate": found_rate, "alone": alone,
                                  "slots": PICK_SLOTS, "year_start": date(seeded_year, 1, 1), "days": days,
                                  "zone": settings.TIME_ZONE, "staff": staff})
        count = run(INSERT_PROBLEMS_SQL, {"id_base": id_lo - 1, "mark": MARK, "now": now, "zone": settings.TIME_ZONE,
                                          "staff_user": staff_user, "villages": villages, "deputies": deputies})
        events = run(INSERT_EVENTS_SQL, {"lo": id_lo, "hi": id_hi, "staff_user": staff_user})
    return made["problems"] + count, made["events"] + events


class Rollback(Exception):
    pass


def check_reach_visits(sample=100):
    """The app's own REACH_VISITS_SQL on a sample of tracks, against the seeded visits (rolled back)."""
    from patrols.services import record_reach_visits

    ids = [row[0] for row in fetch("SELECT id FROM patrols_activity WHERE track IS NOT NULL ORDER BY md5(id::text)"
                                   " LIMIT %s", [sample])]
    try:
        with transaction.atomic():
            visits = "SELECT reach_id, activity_id FROM patrols_reachvisit WHERE activity_id = ANY(%s)"
            seeded = set(fetch(visits, [ids]))
            run("DELETE FROM patrols_reachvisit WHERE activity_id = ANY(%s)", [ids])
            record_reach_visits(activity_ids=ids)
            app = set(fetch(visits, [ids]))
            raise Rollback
    except Rollback:
        pass
    print(f"核对：{len(ids)} 条轨迹由应用的 REACH_VISITS_SQL 重算（已回滚）：生成 {len(seeded):,} 条河段巡查记录，"
          f"应用算出 {len(app):,} 条，一致 {len(seeded & app):,}"
          f"（仅生成 {len(seeded - app)}，仅应用 {len(app - seeded)}："
          "差异在交汇处和刚好覆盖一半的河段）")


def prepare():
    ensure_database(drop=OPTIONS.fresh)
    foreign = scalar(FOREIGN_SQL, {"mark": MARK})
    if foreign:
        sys.exit(f"拒绝：{database_name()} 中有 {foreign:,} 个不是本脚本生成的人员或活动。"
                 f"请用独立的压测库（默认 {DEFAULT_DATABASE}）。")
    have, finished = built()
    expected = {year: activities for year, (activities, _problems) in wanted().items()}
    others = scalar("SELECT count(*) FROM patrols_activity") - sum(have.values())
    if have == expected and finished and not others and not OPTIONS.fresh:
        print(f"{database_name()} 中已有生成的数据，直接测量（--fresh 重建）。")
        return
    if scalar("SELECT EXISTS (SELECT 1 FROM people_person)"):
        print(f"{database_name()} 中的数据与这次要的不同（有 {have}，要 {expected}）或不完整：重建数据库。")
        ensure_database(drop=True)
    seed()


def report_day():
    return OPTIONS.today or date(OPTIONS.year, 12, 31)


def inventory():
    year = OPTIONS.year
    print(f"\n数据库 {database_name()}：{scalar('SELECT pg_size_pretty(pg_database_size(current_database()))')}")
    rows = []
    for table in SIZE_TABLES:
        rows.append((table, scalar(f"SELECT count(*) FROM {table}"),
                     scalar("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])))
    print("  " + "，".join(f"{table} {count:,}（{size}）" for table, count, size in rows))
    lo, hi = year_ids(year)
    kinds = fetch("SELECT kind, count(*), count(*) FILTER (WHERE status = 'rejected'),"
                  " count(*) FILTER (WHERE status = 'submitted') FROM patrols_activity WHERE id BETWEEN %s AND %s"
                  " GROUP BY kind ORDER BY count(*) DESC", [lo, hi])
    print(f"  {year} 年活动：" + "，".join(f"{kind} {n:,}" for kind, n, _r, _s in kinds)
          + f"；驳回 {sum(r for *_x, r, _s in kinds):,}，待审核 {sum(s for *_x, s in kinds):,}")
    states = fetch("SELECT state, count(*) FROM problems_problem WHERE id BETWEEN %s AND %s GROUP BY state ORDER BY 1",
                   [lo, hi])
    overdue = scalar("SELECT count(*) FROM problems_problem WHERE id BETWEEN %s AND %s AND state = ANY(%s)"
                     " AND deadline < %s", [lo, hi, ["accepted", "assigned", "in_progress"], report_day()])
    print(f"  {year} 年问题：" + "，".join(f"{state} {n:,}" for state, n in states) + f"；逾期 {overdue:,}")
    tracks, vertices = fetch("SELECT count(*), sum(ST_NPoints(track)) FROM patrols_activity WHERE track IS NOT NULL")[0]
    print(f"  带轨迹的巡河 {tracks:,} 条，轨迹顶点共 {vertices:,}")


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

class Statements:
    """Each SQL statement the app sends, with its time (for the slowest-statements list)."""

    def __init__(self):
        self.rows = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((time.perf_counter() - started, sql, params))


def timed(function, runs, *, cold=False):
    """(median s, max s, last result) of `runs` calls, after one untimed call unless cold."""
    if not cold:
        function()
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds), result


class Sections:
    """compute_snapshot's `step` callback: the time from each step to the next is that section's."""

    def __init__(self):
        self.marks = []

    def __call__(self, label):
        self.marks.append((str(label), time.perf_counter()))

    def split(self, started, ended):
        marks = [("（开始前）", started)] + self.marks
        parts = []
        for number, (label, at) in enumerate(marks):
            until = marks[number + 1][1] if number + 1 < len(marks) else ended
            if number == len(marks) - 1:
                label += "（及其后各节：对比、方法与说明）"
            parts.append((label, until - at))
        return parts


def snapshot_with_sections(scope, today):
    from reports import services

    sections = Sections()
    started = time.perf_counter()
    snapshot = services.compute_snapshot(scope, today=today, step=sections)
    return snapshot, sections.split(started, time.perf_counter())


ROWS = []


def pad(text, width):
    """Left-aligns text in `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - len(text) - sum(1 for c in text if ord(c) >= 0x2E80))


def row(label, median, most, note=""):
    ROWS.append((label, median, most, note))
    print(f"  {pad(label, 40)}{median:>9.2f}{most:>9.2f}  {note}", flush=True)


def drawn(result):
    """render_images' answer as (SVGs, PNGs): a pair since the PDF prints PNGs, SVGs alone before."""
    return result if isinstance(result, tuple) else (result, {})


def stored(scope, snapshot, svgs, pngs):
    """The stored build of this snapshot (not timed), carrying this run's drawings (a reused build keeps
    those it was first stored with)."""
    import inspect

    from reports import services

    if "draw" in inspect.signature(services.store_build).parameters:
        build, _created = services.store_build(scope, snapshot, draw=lambda: (svgs, pngs))
    else:
        build, _created = services.store_build(scope, snapshot, images=svgs)
    build.images = svgs
    if hasattr(build, "print_images"):
        build.print_images = pngs
    return build


def image_split(snapshot):
    """Seconds per chart and map, each drawn alone as render_images draws it (one call each)."""
    from reports import services
    from reports.yearbook import images
    from reports.yearbook import snapshot as snapshots

    filters = services.map_filters(snapshot)
    split = []
    for part, block in snapshots.blocks_of(snapshot):
        if block["type"] not in ("chart", "map"):
            continue
        alone = {"scope": snapshot["scope"], "sections": [{**part, "blocks": [block]}]}
        started = time.perf_counter()
        images.render_all(alone, filters)
        split.append((f"{block['type']} {block['key']}", time.perf_counter() - started))
    return split


def measure_scope(name, scope, today):
    from reports import services
    from reports.yearbook import snapshot as snapshots

    runs, cold = OPTIONS.runs, OPTIONS.cold
    print(f"\n== {name}：{scope.key}（截至 {scope.as_of(today)}）")
    print(f"  {pad('step', 40)}{'median s':>9}{'p-max s':>9}  note")

    splits = []

    def snapshot_call():
        snapshot, split = snapshot_with_sections(scope, today)
        splits.append(split)
        return snapshot

    snap_med, snap_max, snapshot = timed(snapshot_call, runs, cold=cold)
    timed_splits = splits[-runs:]
    figures = sum(len(part["figures"]) for part in snapshot["sections"])
    row(f"{name} compute_snapshot", snap_med, snap_max,
        f"{figures} 个数字，{sum(1 for _ in snapshots.blocks_of(snapshot))} 个块")
    for index, (label, _seconds) in enumerate(timed_splits[0]):
        values = [split[index][1] for split in timed_splits if index < len(split)]
        print(f"      {pad(label, 36)}{statistics.median(values):>9.2f}{max(values):>9.2f}")

    img_med, img_max, result = timed(lambda: services.render_images(snapshot), runs, cold=cold)
    svgs, pngs = drawn(result)
    row(f"{name} render_images", img_med, img_max,
        f"{len(svgs)} 张 SVG 共 {sum(len(v) for v in svgs.values()) / 1024:,.0f} KB，"
        f"{len(pngs)} 张 PNG 共 {sum(len(v) for v in pngs.values()) / 1024:,.0f} KB")
    for label, seconds in image_split(snapshot):
        print(f"      {pad(label, 36)}{seconds:>9.2f}")

    build = stored(scope, snapshot, svgs, pngs)
    formats = {}
    for fmt in FORMATS:
        med, most, content = timed(lambda f=fmt: services.render_file(build, f), runs, cold=cold)
        formats[fmt] = (med, most)
        row(f"{name} render_file {fmt}", med, most, f"{len(content) / 1024:,.0f} KB")

    if OPTIONS.statements:
        slowest_statements(scope, today, OPTIONS.statements)
    return {"snapshot": (snap_med, snap_max), "images": (img_med, img_max), "formats": formats}


def slowest_statements(scope, today, count):
    from reports import services

    statements = Statements()
    with connection.execute_wrapper(statements):
        started = time.perf_counter()
        services.compute_snapshot(scope, today=today)
        total = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _sql, _params in statements.rows)
    print(f"    一次 compute_snapshot：{total:.2f} s，其中 SQL {len(statements.rows)} 条共 {in_sql:.2f} s，"
          f"Python {total - in_sql:.2f} s；最慢的 {count} 条：")
    for seconds, sql, params in sorted(statements.rows, key=lambda item: -item[0])[:count]:
        text = " ".join(sql.split())
        print(f"      {seconds * 1000:>8.0f} ms  {text[:150]}")
        if OPTIONS.explain and text.upper().startswith(("SELECT", "WITH")):
            plan = fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(f"                {line[:180]}" for (line,) in plan[:40]))


def verdicts(name, result):
    snapshot, images = result["snapshot"][0], result["images"][0]
    print(f"\n  {name}：每种格式的完整生成 = 快照 {snapshot:.2f} s + 图 {images:.2f} s + 文件")
    print(f"  {pad('format', 10)}{'file s':>9}{'build s':>10}{'build max':>11}{'target':>9}  {'result':<7}"
          f"background (> {BACKGROUND_S:.0f} s)")
    for fmt, (med, most) in result["formats"].items():
        total = snapshot + images + med
        worst = result["snapshot"][1] + result["images"][1] + most
        print(f"  {pad(fmt, 10)}{med:>9.2f}{total:>10.2f}{worst:>11.2f}{TARGET_S:>7.0f} s  "
              f"{'PASS' if total <= TARGET_S else 'FAIL':<7}{'yes' if total > BACKGROUND_S else 'no'}")


def busiest_waterway(year):
    lo, hi = year_ids(year)
    return scalar("SELECT w.code FROM patrols_activity a JOIN waterways_waterway w ON w.id = a.waterway_id"
                  " WHERE a.id BETWEEN %s AND %s AND a.status <> 'rejected'"
                  " GROUP BY w.code ORDER BY count(*) DESC, w.code LIMIT 1", [lo, hi])


def profile(scope, today):
    """cProfile of one snapshot, its images, its PDF and its GeoPackage (after a warm call of each)."""
    from reports import services

    def profiled(label, call):
        call()
        profiler = cProfile.Profile()
        profiler.enable()
        result = call()
        profiler.disable()
        print_profile(label, profiler)
        return result

    snapshot = profiled("compute_snapshot", lambda: services.compute_snapshot(scope, today=today))
    svgs, pngs = drawn(profiled("render_images", lambda: services.render_images(snapshot)))
    build = stored(scope, snapshot, svgs, pngs)
    for fmt in ("pdf", "gpkg"):
        profiled(f"render_file {fmt}", lambda f=fmt: services.render_file(build, f))


def print_profile(label, profiler):
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(f"\n== cProfile：{label}（累计时间前 35）")
    print("\n".join(line[:200] for line in out.getvalue().splitlines()[:70]))


def main():
    from reports.yearbook.scope import Scope

    prepare()
    settings.DEBUG = False  # no query log: the app as production runs it
    inventory()
    year, today = OPTIONS.year, report_day()
    waterway = busiest_waterway(year)
    scopes = {"annual": ("年度报告", Scope(year)), "quarterly": ("季度通报", Scope(year, 3)),
              "waterway": (f"一河一档 {waterway}", Scope(year, None, waterway))}
    load = os.getloadavg()
    print(f"\n{'热身一次后' if not OPTIONS.cold else '不热身，'}每步测 {OPTIONS.runs} 次取中位数；报告日 {today}；"
          f"机器负载 {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}，{os.cpu_count()} 核；"
          f"连接选项：{connection.settings_dict.get('OPTIONS', {}).get('options') or '无'}")
    results = {}
    for key in OPTIONS.only or ["annual", "quarterly", "waterway"]:
        name, scope = scopes[key]
        results[name] = measure_scope(name, scope, today)
    print(f"\n汇总（目标：每种格式的完整生成 ≤ {TARGET_S:.0f} s；超过 {BACKGROUND_S:.0f} s 的在后台生成）")
    for name, result in results.items():
        verdicts(name, result)
    load = os.getloadavg()
    print(f"\n结束时机器负载 {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    if OPTIONS.profile:
        profile(scopes["annual"][1], today)


if __name__ == "__main__":
    main()
