"""Generates a province-sized load and times the river-chief map's queries against their psql floor.

    .venv/bin/python benchmarks/province_scale.py --generate            # once: ~40 min on 2 cores, 4 GB
    .venv/bin/python benchmarks/province_scale.py [--measure] [--runs 5] [--tiles 200] [--province-hotspots]
    .venv/bin/python benchmarks/province_scale.py --only tiles                       # or coverage, hotspots
    .venv/bin/python benchmarks/province_scale.py --small --generate --measure   # 1/100, half a minute

The load (into DATABASE_URL, by default the database rw_province, or rw_province_small with
--small): 5,000 synthetic waterways over a Hubei-sized area (186,000 km² in EPSG:4546; rivers of
8-30 km with tributaries, gullies of 2-8 km, parent links, mouths on the parent), cut into 100 m
reaches by the app's own rebuild_reaches (reach links and junctions included); 20,000 people
with logins, teams and river-chief posts; 1,000,000 activities in 2026, 200,000 of them patrols
with a track that follows a stretch of a waterway a few metres off it, the rest located at a
point near one (snapped as the app snaps); 1-3 service records each, reach visits for every
track (and the yearly rollups the app keeps of them), ~100,000 problems on the problem list, all
accepted by the office (so the hotspots count them), some in planted clusters. Everything is built
in SQL, batch by batch; the waterways are marked approximate and coded PV-00001…. The generator
refuses a database that holds anything else (real district data), and never touches riverwatch or
rw_lead. Without --fresh a load on an older schema is migrated in place; --fresh drops the
database, creates it anew on the current migrations and generates again.

--measure (the default when the data is there) times each query of the map two ways, call by call
in turn: the app's own function (warm, median of --runs calls; its statements are captured with
connection.execute_wrapper), and those same statements, the parameters substituted as Django's
client-side binding does (psycopg's ClientCursor.mogrify), in one long-lived `psql -X` session with
`\\timing on`: the floor no Python code can beat. Queries: coverage_summary, gap_stretches(days=30)
and reach_freshness for 2026, province-wide, narrowed by role, and for a county-sized subset (the
100 waterways nearest the centre); hotspots of problems (hex and network, raw and per patrol-km)
for the county, and once province-wide with --province-hotspots (minutes); vector tiles of both
layers at --tiles places where activities are, z8-z14 (tracks from their minimum zoom), as staff
and as a village chief, and of freshness and gaps (30 days) at --tiles reaches, z8-z14: p50/p95 of
each tile's median over --runs calls. psql gets the app's connection options (PGOPTIONS, e.g.
"-c jit=off"); nothing else is SET but a statement_timeout on the province-wide hotspots.
"""

import argparse
import importlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riverwatch.settings.dev")

PROTECTED_DATABASES = {"riverwatch", "rw_lead"}
DEFAULT_URL = "postgis://riverwatch@127.0.0.1:54329/{name}"

# Full scale; --small divides every count (and the area) by 100.
FULL = {
    "waterways": 5_000,
    "people": 20_000,
    "activities": 1_000_000,
    "batch": 20_000,
    "pick_slots": 100_000,
    "hot_centres": 60,
    "county_waterways": 100,
}
TRACK_EVERY = 5  # every 5th activity is a patrol with a track: 200,000 of 1,000,000
TEAM_SIZE = 20
VERTEX_STEP_M = 50.0  # waterway vertices: digitised lines carry one every few tens of metres
TRACK_VERTEX_M = 10.0  # a phone fix every ~10 m after cleaning
# Hubei is ~186,000 km²: 560 km x 332 km around CM 111E (false easting 500 km).
AREA = {"x0": 300_000.0, "y0": 3_260_000.0, "width": 560_000.0, "height": 332_000.0}
SOURCE_NOTE = "合成数据：benchmarks/province_scale.py 生成，仅用于性能测试"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", action="store_true", help="build the load (skipped if it is there)")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database anew (current migrations), then generate")
    parser.add_argument("--measure", action="store_true", help="time the queries (default when data is there)")
    parser.add_argument("--small", action="store_true", help="1/100 of everything, to check the script end to end")
    parser.add_argument("--runs", type=int, default=5, help="calls per query (and per tile); the median is printed")
    parser.add_argument("--tiles", type=int, default=200, help="tiles sampled per layer for p50/p95")
    parser.add_argument("--province-hotspots", action="store_true",
                        help="also try province-wide hotspots once (hex grid of ~1.1 M cells)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed for each province-wide hotspot try")
    parser.add_argument("--only", action="append", choices=["coverage", "hotspots", "tiles"],
                        help="measure only these parts (repeatable)")
    parser.add_argument("--seed", type=int, default=20260101)
    return parser.parse_args()


OPTIONS = parse_args()
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = DEFAULT_URL.format(name="rw_province_small" if OPTIONS.small else "rw_province")

import django  # noqa: E402

django.setup()

from _cluster import admin_connection, database_name, fetch, run, scalar, step  # noqa: E402  (benchmarks/, the script's own folder)
from _targets import verdict  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.query import QuerySet  # noqa: E402
from tqdm import tqdm  # noqa: E402

SCALE = {key: max(1, round(value / 100)) for key, value in FULL.items()} if OPTIONS.small else dict(FULL)
if OPTIONS.small:
    SCALE["waterways"], SCALE["people"], SCALE["batch"], SCALE["county_waterways"] = 50, 200, 2_000, 10
SIDE = 0.1 if OPTIONS.small else 1.0  # 1/100 of the area: a tenth of each side

# ---------------------------------------------------------------------------------------------
# Generation SQL. Temporary tables (pv_*) hold the plan; every row is made by INSERT … SELECT.
# ---------------------------------------------------------------------------------------------

PLAN_TABLES_SQL = """
CREATE TEMP TABLE IF NOT EXISTS pv_ww (
    idx int PRIMARY KEY, level int NOT NULL, parent_idx int, len_target float8,
    x0 float8, y0 float8, heading float8,
    a1 float8, l1 float8, p1 float8, a2 float8, l2 float8, p2 float8,
    mouth_f float8, side int, angle float8,
    geom geometry(LineString, 4546), len float8, weight float8, vchief int
);
CREATE TEMP TABLE IF NOT EXISTS pv_pick (slot int PRIMARY KEY, idx int NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS pv_hot (h int PRIMARY KEY, idx int NOT NULL, f float8 NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS pv_act (
    id bigint PRIMARY KEY, kind text, has_track bool, widx int, f0 float8, f1 float8, fm float8,
    split bool, reverse bool, dx float8, dy float8, started_at timestamptz, duration_s int,
    located bool, status text, submitter int, extra int, u1 float8, u2 float8, problem bool
);
TRUNCATE pv_ww, pv_pick, pv_hot, pv_act;
"""

# Three levels: main rivers (no parent), tributary rivers (mouth on a main river), gullies (mouth
# on a river). Lengths 20-30, 8-20 and 2-8 km. The wiggle: the heading swings around its base by
# two sine meanders (1.5-4 km and 0.3-0.7 km wavelength) plus a little noise per vertex, never
# by more than ~65°, so a line never turns back on itself.
PLAN_WATERWAYS_SQL = """
INSERT INTO pv_ww (idx, level, parent_idx, len_target, x0, y0, heading, a1, l1, p1, a2, l2, p2, mouth_f, side, angle)
SELECT i, lvl,
       CASE lvl WHEN 0 THEN NULL
                WHEN 1 THEN 1 + floor(random() * %(n0)s)::int
                ELSE 1 + floor(random() * (%(n0)s + %(n1)s))::int END,
       CASE lvl WHEN 0 THEN 20000 + random() * 10000
                WHEN 1 THEN 8000 + random() * 12000
                ELSE 2000 + random() * 6000 END,
       %(x0)s + 15000 * %(side)s + random() * (%(width)s - 30000 * %(side)s),
       %(y0)s + 15000 * %(side)s + random() * (%(height)s - 30000 * %(side)s),
       random() * 2 * pi(),
       CASE WHEN lvl = 2 THEN 0.2 + random() * 0.3 ELSE 0.3 + random() * 0.4 END,
       CASE WHEN lvl = 2 THEN 800 + random() * 1500 ELSE 1500 + random() * 2500 END,
       random() * 2 * pi(),
       0.1 + random() * 0.2, 300 + random() * 400, random() * 2 * pi(),
       0.08 + random() * 0.87,
       CASE WHEN random() < 0.5 THEN -1 ELSE 1 END,
       radians(30 + random() * 45)
  FROM (SELECT i, CASE WHEN i <= %(n0)s THEN 0 WHEN i <= %(n0)s + %(n1)s THEN 1 ELSE 2 END AS lvl
          FROM generate_series(1, %(total)s) AS i) AS plan
"""

# A tributary starts at its mouth, a point on the parent, and is drawn upstream, leaving the
# parent at 30-75° to the parent's flow; its meander grows over the first kilometre and never
# swings it by more than that angle less 10°, so it does not run back along or across the parent.
ANCHOR_TRIBUTARIES_SQL = """
UPDATE pv_ww AS c
   SET x0 = ST_X(s.mouth), y0 = ST_Y(s.mouth),
       heading = (pi() / 2 - s.azimuth) + c.side * c.angle + pi()
  FROM (SELECT c.idx,
               ST_LineInterpolatePoint(p.geom, c.mouth_f) AS mouth,
               ST_Azimuth(ST_LineInterpolatePoint(p.geom, GREATEST(0, c.mouth_f - 60 / p.len)),
                          ST_LineInterpolatePoint(p.geom, LEAST(1, c.mouth_f + 60 / p.len))) AS azimuth
          FROM pv_ww c JOIN pv_ww p ON p.idx = c.parent_idx
         WHERE c.level = %(level)s) AS s
 WHERE c.idx = s.idx
"""

DRAW_WATERWAYS_SQL = """
WITH headings AS (
    SELECT w.idx, k.k, w.x0, w.y0,
           w.heading
           + CASE WHEN w.level = 0 THEN 1.0
                  ELSE LEAST(1.0, k.k * %(step)s / 1000.0) * LEAST(1.0, (w.angle - 0.17) / (w.a1 + w.a2 + 0.15)) END
             * (w.a1 * sin(2 * pi() * k.k * %(step)s / w.l1 + w.p1) + w.a2 * sin(2 * pi() * k.k * %(step)s / w.l2 + w.p2)
                + (random() - 0.5) * 0.3) AS h
      FROM pv_ww w
     CROSS JOIN LATERAL generate_series(0, ceil(w.len_target / %(step)s)::int) AS k(k)
     WHERE w.level = %(level)s
), vertices AS (
    SELECT idx, k,
           x0 + SUM(CASE WHEN k = 0 THEN 0 ELSE %(step)s * cos(h) END) OVER walk AS x,
           y0 + SUM(CASE WHEN k = 0 THEN 0 ELSE %(step)s * sin(h) END) OVER walk AS y
      FROM headings
    WINDOW walk AS (PARTITION BY idx ORDER BY k)
), lines AS (
    -- main rivers are walked from the source; tributaries from the mouth, so reverse them
    SELECT idx, ST_SetSRID(ST_MakeLine(ST_MakePoint(x, y) ORDER BY CASE WHEN %(level)s = 0 THEN k ELSE -k END), 4546) AS geom
      FROM vertices GROUP BY idx
)
UPDATE pv_ww AS w SET geom = lines.geom, len = ST_Length(lines.geom)
  FROM lines WHERE w.idx = lines.idx
"""

INSERT_WATERWAYS_SQL = """
INSERT INTO waterways_waterway (id, code, name, name_pinyin, kind, parent_id, town_id, village_id,
                                length_m, accuracy, source, geom, created_at, updated_at, reach_count, reach_length_m)
SELECT idx, 'PV-' || lpad(idx::text, 5, '0'),
       CASE WHEN level = 2 THEN '模拟沟' ELSE '模拟河' END || lpad(idx::text, 5, '0'), '',
       CASE WHEN level = 2 THEN 'gully' ELSE 'river' END, parent_idx, NULL, NULL,
       ST_Length(geom), 'approximate', %(source)s, geom, now(), now(), 0, 0  -- the totals: rebuild_reaches sets them
  FROM pv_ww ORDER BY idx
"""

# Roles by a fixed hash of the number, so chiefs are spread over the teams: 3 % staff, 12 % chiefs
# (4 % of them district, 21 % township, 75 % village), 10 % deputies, 15 % post workers, the rest volunteers.
INSERT_USERS_SQL = """
INSERT INTO people_user (id, password, last_login, is_superuser, username, first_name, last_name, email,
                         is_staff, is_active, date_joined)
SELECT i, '!', NULL, FALSE, 'pv' || lpad(i::text, 6, '0'), '', '', '', (i * 37) %% 100 < 3, TRUE, now()
  FROM generate_series(1, %(people)s) AS i
"""

INSERT_PEOPLE_SQL = """
INSERT INTO people_person (id, name, phone, role, level, town_id, village_id, user_id, is_active, note, created_at, updated_at,
                           board_initials_only, id_type, id_tail, volunteer_number)
SELECT i, '模拟人员' || lpad(i::text, 6, '0'), '139' || lpad(i::text, 8, '0'), r.role,
       CASE r.role
           WHEN 'chief' THEN CASE WHEN h.h < 4 THEN 'district' WHEN h.h < 25 THEN 'township' ELSE 'village' END
           WHEN 'deputy' THEN CASE WHEN h.h < 2 THEN 'national' WHEN h.h < 8 THEN 'provincial'
                                   WHEN h.h < 20 THEN 'municipal' WHEN h.h < 50 THEN 'district' ELSE 'township' END
           ELSE '' END,
       NULL, NULL, i, TRUE, '', now(), now(), FALSE, '', '', ''
  FROM generate_series(1, %(people)s) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN (i * 37) %% 100 < 3 THEN 'staff' WHEN (i * 37) %% 100 < 15 THEN 'chief'
                                 WHEN (i * 37) %% 100 < 25 THEN 'deputy' WHEN (i * 37) %% 100 < 40 THEN 'post_worker'
                                 ELSE 'volunteer' END AS role) AS r
 CROSS JOIN LATERAL (SELECT abs(hashtext('level-' || i)) %% 100 AS h) AS h
"""

INSERT_TEAMS_SQL = """
INSERT INTO people_team (id, name, kind, town_id, village_id)
SELECT t, '模拟队' || lpad(t::text, 5, '0'), (ARRAY['village', 'volunteer', 'deputy_group'])[1 + t %% 3], NULL, NULL
  FROM generate_series(1, %(people)s / %(team_size)s) AS t;
INSERT INTO people_team_members (team_id, person_id)
SELECT (i - 1) / %(team_size)s + 1, i FROM generate_series(1, %(people)s) AS i;
INSERT INTO people_team_leaders (team_id, person_id)
SELECT t, (t - 1) * %(team_size)s + 1 FROM generate_series(1, %(people)s / %(team_size)s) AS t;
"""

# Every waterway has a village chief; rivers also a township chief; main rivers a district chief.
INSERT_CHIEFS_SQL = """
WITH chiefs AS (
    SELECT id, level, row_number() OVER (PARTITION BY level ORDER BY id) AS rank,
           count(*) OVER (PARTITION BY level) AS n
      FROM people_person WHERE role = 'chief'
), posts AS (
    SELECT w.idx, 'village' AS level, w.idx AS k FROM pv_ww w
    UNION ALL SELECT w.idx, 'township', w.idx FROM pv_ww w WHERE w.level < 2
    UNION ALL SELECT w.idx, 'district', w.idx FROM pv_ww w WHERE w.level = 0
)
INSERT INTO people_chiefassignment (person_id, waterway_id, level, since, until)
SELECT c.id, p.idx, p.level, DATE '2025-01-01', NULL
  FROM posts p JOIN chiefs c ON c.level = p.level AND c.rank = (p.k - 1) %% c.n + 1
"""

SET_VILLAGE_CHIEFS_SQL = """
UPDATE pv_ww w SET vchief = a.person_id
  FROM people_chiefassignment a WHERE a.waterway_id = w.idx AND a.level = 'village'
"""

# Where the work happens: waterways weighted by length times an exponential "activity" factor,
# 15 % of them almost never visited (the gaps). pick_slots slots, each naming a waterway.
PICK_TABLE_SQL = """
UPDATE pv_ww SET weight = len * CASE WHEN random() < 0.15 THEN 0.02 ELSE -ln(1 - random()) END;
INSERT INTO pv_pick (slot, idx)
SELECT row_number() OVER (ORDER BY w.idx, s) - 1, w.idx
  FROM pv_ww w
 CROSS JOIN LATERAL generate_series(1, GREATEST(1, round(w.weight / (SELECT sum(weight) FROM pv_ww) * %(slots)s)::int)) AS s;
INSERT INTO pv_hot (h, idx, f)
SELECT h - 1, p.idx, 0.1 + random() * 0.8
  FROM (SELECT h, floor(random() * (SELECT count(*) FROM pv_pick))::int AS slot
          FROM generate_series(1, %(hot)s) AS h) AS c
  JOIN pv_pick p ON p.slot = c.slot;
"""

# One batch of activities, planned: kind (every 5th a tracked patrol; of the rest 25 % patrols
# with a point, 20 % cleanups, 10 % sewer inspections, 10 % garbage-sorting publicity, 7 % other,
# 8 % problem reports), where (a weighted waterway; 30 % of problem reports near a planted
# hotspot), when (a day of 2026, 07:00-18:00 Asia/Shanghai), how long, status, who.
PLAN_ACTIVITIES_SQL = """
TRUNCATE pv_act;
WITH r AS MATERIALIZED (
    SELECT i, random() AS u_kind, random() AS u_w, random() AS u_hot, random() AS u_h, random() AS u_f,
           random() AS u_len, random() AS u_split, random() AS u_rev, random() AS u_dx, random() AS u_dy,
           random() AS u_day, random() AS u_sec, random() AS u_dur, random() AS u_status, random() AS u_who,
           random() AS u_chief, random() AS u_extra, random() AS u1, random() AS u2, random() AS u_loc, random() AS u_prob
      FROM generate_series(%(lo)s, %(hi)s) AS i
), k AS (
    SELECT r.*,
           CASE WHEN i %% %(track_every)s = 0 THEN 'patrol'
                WHEN u_kind < 0.3125 THEN 'patrol'
                WHEN u_kind < 0.5625 THEN 'cleanup'
                WHEN u_kind < 0.6875 THEN 'sewer_inspection'
                WHEN u_kind < 0.8125 THEN 'garbage_sorting'
                WHEN u_kind < 0.9000 THEN 'other'
                ELSE 'problem_report' END AS kind,
           i %% %(track_every)s = 0 AS has_track
      FROM r
), placed AS (
    SELECT k.*,
           CASE WHEN k.kind = 'problem_report' AND k.u_hot < 0.3 THEN hot.idx ELSE pick.idx END AS widx,
           CASE WHEN k.kind = 'problem_report' AND k.u_hot < 0.3 THEN hot.f ELSE NULL END AS hot_f
      FROM k
      JOIN pv_pick pick ON pick.slot = floor(k.u_w * %(slots)s)::int
      JOIN pv_hot hot ON hot.h = floor(k.u_h * %(hot)s)::int
)
INSERT INTO pv_act (id, kind, has_track, widx, f0, f1, fm, split, reverse, dx, dy, started_at, duration_s,
                    located, status, submitter, extra, u1, u2, problem)
SELECT p.i, p.kind, p.has_track, p.widx,
       CASE WHEN p.has_track THEN p.u_f * GREATEST(0, 1 - span.f)
            WHEN p.hot_f IS NOT NULL THEN LEAST(1, GREATEST(0, p.hot_f + (p.u_f - 0.5) * 600 / w.len))
            ELSE p.u_f END,
       CASE WHEN p.has_track THEN p.u_f * GREATEST(0, 1 - span.f) + span.f END,
       CASE WHEN p.has_track THEN p.u_f * GREATEST(0, 1 - span.f) + span.f * (0.3 + 0.4 * p.u_dx) END,
       p.has_track AND p.u_split < 0.1 AND span.f * w.len > 600,
       p.u_rev < 0.5,
       (p.u_dx - 0.5) * 24, (p.u_dy - 0.5) * 24,
       TIMESTAMPTZ '2026-01-01 07:00:00+08' + floor(p.u_day * 365) * INTERVAL '1 day' + p.u_sec * INTERVAL '11 hours',
       CASE WHEN p.has_track THEN (span.f * w.len / (0.8 + 0.45 * p.u_dur) + 300 + 900 * p.u_sec)::int
            WHEN p.kind = 'problem_report' THEN 120 + (480 * p.u_dur)::int
            ELSE 1800 + (12600 * p.u_dur)::int END,
       p.has_track OR NOT (p.kind IN ('garbage_sorting', 'other') AND p.u_loc < 0.3),
       CASE WHEN p.u_status < 0.04 THEN 'rejected' WHEN p.u_status < 0.70 THEN 'verified' ELSE 'submitted' END,
       CASE WHEN p.kind = 'patrol' AND p.u_chief < 0.4 THEN w.vchief ELSE 1 + floor(p.u_who * %(people)s)::int END,
       CASE WHEN p.kind = 'problem_report' THEN 0 ELSE floor(p.u_extra * 3)::int END,
       p.u1, p.u2,
       p.kind = 'problem_report' OR (p.has_track AND p.u_prob < 0.1)
  FROM placed p
  JOIN pv_ww w ON w.idx = p.widx
 CROSS JOIN LATERAL (SELECT LEAST(0.95, (800 + 3200 * p.u_len) / w.len) AS f) AS span
"""

# The track: the planned stretch of the waterway (two pieces with a 120 m GPS gap for one in ten),
# a fix every ~10 m, shifted a few metres off the centre line, walked either way. Point
# activities lie within ~40 m of the waterway and are snapped as SNAP_SQL would: the nearest
# waterway within SNAP_DISTANCE_M; a track belongs to the waterway it follows.
INSERT_ACTIVITIES_SQL = """
WITH shaped AS MATERIALIZED (
    SELECT a.*, w.len, w.vchief,
           CASE WHEN a.has_track THEN
               ST_Translate(ST_Segmentize(
                   CASE WHEN a.split THEN ST_Collect(
                            ST_LineSubstring(w.geom, a.f0, a.fm - 60 / w.len),
                            ST_LineSubstring(w.geom, a.fm + 60 / w.len, a.f1))
                        ELSE ST_Multi(ST_LineSubstring(w.geom, a.f0, a.f1)) END, %(track_step)s), a.dx, a.dy)
           END AS track0,
           CASE WHEN NOT a.has_track AND a.located THEN
               ST_Translate(ST_LineInterpolatePoint(w.geom, a.f0), a.dx * 1.6, a.dy * 1.6)
           END AS point
      FROM pv_act a JOIN pv_ww w ON w.idx = a.widx
), tracked AS MATERIALIZED (
    SELECT s.*, CASE WHEN s.reverse THEN ST_Reverse(s.track0) ELSE s.track0 END AS track
      FROM shaped s
)
INSERT INTO patrols_activity (
    id, client_uuid, payload_sha256, kind, submitted_by_id, started_at, ended_at, received_at,
    track, point, location_source, waterway_id, waterway_position_m, off_network, distance_m, duration_s,
    track_quality, debris_kg, bags, manholes_checked, outfalls_checked, findings, notes,
    status, reviewed_by_id, reviewed_at, review_note, skipped_participants)
SELECT t.id, md5('pv-activity-' || t.id)::uuid, encode(sha256(('pv-activity-' || t.id)::bytea), 'hex'),
       t.kind, t.submitter, t.started_at, t.started_at + t.duration_s * INTERVAL '1 second',
       t.started_at + t.duration_s * INTERVAL '1 second' + (1 + t.u2 * 600) * INTERVAL '1 minute',
       t.track, t.point,
       CASE WHEN t.track IS NOT NULL THEN 'gps' WHEN t.point IS NULL THEN '' WHEN t.u1 < 0.3 THEN 'map' ELSE 'gps' END,
       CASE WHEN t.track IS NOT NULL THEN t.widx ELSE snap.id END,
       CASE WHEN t.track IS NOT NULL THEN ST_LineLocatePoint(w.geom, ST_StartPoint(ST_GeometryN(t.track, 1))) * t.len
            ELSE snap.position_m END,
       t.point IS NOT NULL AND snap.id IS NULL,
       COALESCE(ST_Length(t.track), 0), t.duration_s,
       CASE WHEN t.track IS NOT NULL THEN '{"source": "synthetic"}'::jsonb ELSE '{}'::jsonb END,
       CASE WHEN t.kind = 'cleanup' THEN round((1 + 60 * t.u1 * t.u1)::numeric, 1) END,
       CASE WHEN t.kind = 'cleanup' THEN 1 + floor(t.u2 * 12)::int END,
       CASE WHEN t.kind = 'sewer_inspection' THEN floor(t.u1 * 40)::int END,
       CASE WHEN t.kind = 'sewer_inspection' THEN floor(t.u2 * 8)::int END,
       '', '',
       t.status,
       CASE WHEN t.status <> 'submitted' THEN COALESCE(t.vchief, 1) END,
       CASE WHEN t.status <> 'submitted' THEN t.started_at + INTERVAL '1 day' END,
       CASE WHEN t.status = 'rejected' THEN '轨迹与所报河道不符（模拟）' ELSE '' END,
       '[]'::jsonb
  FROM tracked t
  JOIN pv_ww w ON w.idx = t.widx
  LEFT JOIN LATERAL (
      SELECT ww.id, ST_LineLocatePoint(ww.geom, t.point) * ww.length_m AS position_m
        FROM waterways_waterway ww
       WHERE t.point IS NOT NULL AND ST_DWithin(ww.geom, t.point, %(snap)s)
       ORDER BY ww.geom <-> t.point, ww.id
       LIMIT 1
  ) AS snap ON TRUE
"""

# The submitter and 0-2 teammates (the team is the block of TEAM_SIZE consecutive people); a
# problem report creates none (KINDS_WITHOUT_SERVICE). Role and level as they are.
INSERT_SERVICE_RECORDS_SQL = """
INSERT INTO patrols_servicerecord (activity_id, person_id, role, level, hours)
SELECT a.id, p.id, p.role, p.level, round(a.duration_s / 3600.0, 1)
  FROM pv_act a
 CROSS JOIN LATERAL generate_series(0, a.extra) AS j(j)
  JOIN people_person p
    ON p.id = CASE WHEN j.j = 0 THEN a.submitter
                   ELSE ((a.submitter - 1) / %(team_size)s) * %(team_size)s
                        + ((a.submitter - 1) %% %(team_size)s + 7 * j.j) %% %(team_size)s + 1 END
 WHERE a.kind <> 'problem_report'
"""

# Reach visits from the stretch each track follows: the track lies a few metres (< PATROL_BUFFER_M)
# off the waterway, so a reach is visited when the stretch covers at least half of it, and the
# covered fraction is the share of the reach inside the stretch — what REACH_VISITS_SQL finds.
INSERT_REACH_VISITS_SQL = """
WITH pieces AS (
    SELECT a.id, a.widx, a.started_at, piece.lo * w.len AS lo, piece.hi * w.len AS hi
      FROM pv_act a
      JOIN pv_ww w ON w.idx = a.widx
     CROSS JOIN LATERAL (VALUES (a.f0, CASE WHEN a.split THEN a.fm - 60 / w.len ELSE a.f1 END),
                                (CASE WHEN a.split THEN a.fm + 60 / w.len END, CASE WHEN a.split THEN a.f1 END)) AS piece(lo, hi)
     WHERE a.has_track AND piece.lo IS NOT NULL
)
INSERT INTO patrols_reachvisit (reach_id, activity_id, visited_at, covered_fraction)
SELECT r.id, p.id, p.started_at,
       LEAST(1.0, SUM(LEAST(r.end_m, p.hi) - GREATEST(r.start_m, p.lo)) / (r.end_m - r.start_m))
  FROM pieces p
  JOIN waterways_reach r ON r.waterway_id = p.widx AND r.end_m > p.lo AND r.start_m < p.hi
 GROUP BY r.id, p.id, p.started_at, r.start_m, r.end_m
HAVING SUM(LEAST(r.end_m, p.hi) - GREATEST(r.start_m, p.lo)) >= %(min_fraction)s * (r.end_m - r.start_m)
"""

# A problem report's problem is where the report is; one in ten tracked patrols also marks one on
# its track. Problems are snapped as PROBLEM_SNAP_SQL does. Each is on the problem list as the office
# left it after accepting it (state accepted, accepted_at set, no ending: what ACCEPTED_SQL in
# problems.selectors counts, so the hotspots see every one): a phone report's source is the phone, a
# patrol's the patrol (as problems.0004 moved them); accepted when the office verified its activity,
# else 1-48 hours after it arrived. Not yet assigned, so no unit and no deadline (an assignment sets both).
INSERT_PROBLEMS_SQL = """
WITH placed AS (
    SELECT a.id, a.kind, a.submitted_by_id, a.started_at, a.received_at, a.status, a.reviewed_at, pv.u1, pv.u2,
           CASE WHEN a.track IS NOT NULL THEN ST_LineInterpolatePoint(ST_GeometryN(a.track, 1), pv.u1)
                ELSE a.point END AS point
      FROM pv_act pv JOIN patrols_activity a ON a.id = pv.id
     WHERE pv.problem
)
INSERT INTO problems_problem (category, source, note, point, observed_at, waterway_id, position_m, client_uuid,
                              activity_id, reported_by_id, deputy_id, contact_phone, tracking_code, state, ending,
                              not_fixed_reason, duplicate_of_id, unit_id, deadline, first_deadline, supervised_at,
                              escalated_at, escalated_to_id, accepted_at, resolved_at, resolved_by_id, closed_at,
                              reopen_count, created_at)
SELECT CASE WHEN p.u2 < 0.35 THEN 'garbage' WHEN p.u2 < 0.50 THEN 'sewage' WHEN p.u2 < 0.65 THEN 'dumping'
            WHEN p.u2 < 0.73 THEN 'encroachment' WHEN p.u2 < 0.78 THEN 'sand_mining' WHEN p.u2 < 0.85 THEN 'water_quality'
            WHEN p.u2 < 0.93 THEN 'facility' ELSE 'other' END,
       CASE WHEN p.kind = 'problem_report' THEN 'phone' ELSE 'patrol' END,
       '', p.point, p.started_at + (2 + 40 * p.u1) * INTERVAL '1 minute', snap.id, snap.position_m,
       md5('pv-problem-' || p.id)::uuid, p.id, p.submitted_by_id, NULL, '', NULL, 'accepted', '',
       '', NULL, NULL, NULL, NULL, NULL,
       NULL, NULL,
       CASE WHEN p.status = 'verified' THEN p.reviewed_at ELSE p.received_at + (1 + 47 * p.u1) * INTERVAL '1 hour' END,
       NULL, NULL, NULL,
       0, p.received_at
  FROM placed p
  LEFT JOIN LATERAL (
      SELECT ww.id, ST_LineLocatePoint(ww.geom, p.point) * ww.length_m AS position_m
        FROM waterways_waterway ww
       WHERE p.point IS NOT NULL AND ST_DWithin(ww.geom, p.point, %(snap)s)
       ORDER BY ww.geom <-> p.point, ww.id
       LIMIT 1
  ) AS snap ON TRUE
"""

# The two events that brought each of the batch's problems where it is (its state is its last
# event's to_state): reported by the activity's submitter when the server received it, accepted by
# the office (the first staff login) at accepted_at. Names as the events keep them: the person's.
INSERT_PROBLEM_EVENTS_SQL = """
INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note)
SELECT p.id, e.at, e.actor_id, person.name, e.action, e.from_state, e.to_state, ''
  FROM pv_act pv
  JOIN problems_problem p ON p.activity_id = pv.id
 CROSS JOIN LATERAL (VALUES (p.created_at, p.reported_by_id, 'report', '', 'reported'),
                            (p.accepted_at, %(office)s, 'accept', 'reported', 'accepted'))
       AS e(at, actor_id, action, from_state, to_state)
  JOIN people_person person ON person.user_id = e.actor_id
 WHERE pv.problem
"""

# Rows were inserted with explicit ids (so batches can refer to each other without lookups);
# the identity sequences continue after them.
RESET_SEQUENCES_SQL = """
SELECT setval(pg_get_serial_sequence('waterways_waterway', 'id'), (SELECT max(id) FROM waterways_waterway)),
       setval(pg_get_serial_sequence('people_user', 'id'), (SELECT max(id) FROM people_user)),
       setval(pg_get_serial_sequence('people_person', 'id'), (SELECT max(id) FROM people_person)),
       setval(pg_get_serial_sequence('people_team', 'id'), (SELECT max(id) FROM people_team)),
       setval(pg_get_serial_sequence('patrols_activity', 'id'), (SELECT max(id) FROM patrols_activity))
"""

SIZE_TABLES = [
    "waterways_waterway", "waterways_reach", "waterways_reachlink", "people_person", "people_chiefassignment",
    "patrols_activity", "patrols_activitycell", "patrols_trackband", "patrols_servicerecord", "patrols_reachvisit",
    "patrols_reachvisityear",
    "problems_problem",
    "problems_problemevent",
]


# ---------------------------------------------------------------------------------------------
# Safety: which database may be filled
# ---------------------------------------------------------------------------------------------

def create_database(replace=False):
    """Creates the target database when it does not exist, or (replace, for --fresh) drops it and creates
    it anew: a synthetic load is thrown away whole, with whatever schema it was built on (a migration
    edited after it was applied there included). DROP refuses while anyone else is connected."""
    import psycopg

    name = database_name()
    identifier = psycopg.sql.Identifier(name)
    connection.close()
    with admin_connection() as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and replace:
            with step(f"删除数据库 {name}"):
                try:
                    admin.execute(psycopg.sql.SQL("DROP DATABASE {}").format(identifier))
                except psycopg.errors.ObjectInUse as error:
                    sys.exit(f"{name} 正被其他会话使用，无法重建（{error}）。")
        if replace or not exists:
            print(f"创建数据库 {name} …")
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(identifier))


def pending_migrations():
    """The migrations the database lacks: a load generated on an older schema cannot be measured."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [migration for migration, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def migrate(in_place=False):
    """Runs the migrations the database lacks; in place, over a load, as a deployment migrates its data."""
    from django.core.management import call_command

    pending = pending_migrations()
    if pending:
        names = ", ".join(str(migration) for migration in pending[:3]) + (" …" if len(pending) > 3 else "")
        with step(f"migrate（{len(pending)} 个迁移{'，数据原地迁移' if in_place else ''}：{names}）"):
            call_command("migrate", verbosity=0)


def schema_drift():
    """Columns the models have and the database lacks: a migration not written yet, or one edited after
    it was applied here. Generating or measuring then fails half-way, so say it first."""
    from django.apps import apps

    columns = set(fetch("SELECT table_name, column_name FROM information_schema.columns"
                        " WHERE table_schema = current_schema()"))
    return [f"{model._meta.db_table}.{field.column}"
            for model in apps.get_models() if model._meta.managed and not model._meta.proxy
            for field in model._meta.local_concrete_fields if (model._meta.db_table, field.column) not in columns]


def refuse_drift(advice):
    missing = schema_drift()
    if missing:
        sys.exit(f"{database_name()} 的表结构与模型不符，缺列：{', '.join(missing[:8])}"
                 f"{' …' if len(missing) > 8 else ''}（迁移尚未生成，或已应用的迁移后来被修改）。{advice}")


def data_state():
    """'empty', 'synthetic' (complete), 'partial' (an interrupted run), or 'foreign' (anything else)."""
    foreign = scalar(
        "SELECT (SELECT count(*) FROM waterways_waterway WHERE code NOT LIKE 'PV-%%')"
        " + (SELECT count(*) FROM waterways_district) + (SELECT count(*) FROM waterways_station)"
        " + (SELECT count(*) FROM people_person WHERE name NOT LIKE '模拟人员%%')"
    )
    if foreign:
        return "foreign"
    waterways = scalar("SELECT count(*) FROM waterways_waterway")
    activities = scalar("SELECT count(*) FROM patrols_activity")
    if waterways == 0 and activities == 0 and not scalar("SELECT count(*) FROM people_user"):
        return "empty"
    complete = (
        waterways == SCALE["waterways"]
        and activities == SCALE["activities"]
        and scalar("SELECT EXISTS (SELECT 1 FROM problems_problem)")
        and scalar("SELECT EXISTS (SELECT 1 FROM patrols_reachvisityear)")
        and scalar("SELECT EXISTS (SELECT 1 FROM patrols_reachvisit)")
    )
    return "synthetic" if complete else "partial"


def check_target(fresh):
    """Whether to generate ("go") or keep the load that is there ("skip"). --fresh drops the database
    and creates it anew; otherwise a load on an older schema is migrated in place."""
    name = database_name()
    if name in PROTECTED_DATABASES or name.startswith("test_"):
        sys.exit(f"拒绝：{name} 是开发/测试数据库，本脚本只在独立的压测库（默认 rw_province）中生成数据。")
    create_database(replace=fresh)
    if not fresh:
        state = data_state()
        if state == "foreign":
            sys.exit(f"拒绝：{name} 中有非合成数据（真实河道、区界、家站或人员）。确认可以清空时加 --fresh。")
        migrate(in_place=state != "empty")
        refuse_drift("加 --fresh 重建数据库。")
        state = data_state()
        if state == "synthetic":
            print(f"{name} 中已有完整的合成数据，跳过生成（--fresh 可重建）。")
            return "skip"
        if state == "partial":
            sys.exit(f"{name} 中的合成数据不完整（上次生成被中断，或规模不同）。加 --fresh 重新生成。")
        return "go"
    migrate()
    refuse_drift("模型有改动而迁移未跟上：等迁移写好后再生成。")
    return "go"


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

def counts_by_level():
    total = SCALE["waterways"]
    main = max(1, round(total * 0.05))
    tributaries = max(1, round(total * 0.15))
    return main, tributaries, total - main - tributaries


def generate():
    from waterways.services import rebuild_reaches

    began = time.perf_counter()
    run("SET synchronous_commit = off")  # this session only: a crash loses the last batches, not data
    run("SET work_mem = '256MB'")
    run(PLAN_TABLES_SQL)
    run("SELECT setseed(%s)", [(OPTIONS.seed % 1000) / 1000.0])
    n0, n1, n2 = counts_by_level()
    area = {key: (value if key in ("x0", "y0") else value * SIDE) for key, value in AREA.items()}
    area["x0"] += AREA["width"] * (1 - SIDE) / 2
    area["y0"] += AREA["height"] * (1 - SIDE) / 2

    with step(f"河道 {SCALE['waterways']} 条（干流 {n0}、支流 {n1}、支沟 {n2}）"), transaction.atomic():
        run(PLAN_WATERWAYS_SQL, {"n0": n0, "n1": n1, "total": n0 + n1 + n2, "side": SIDE, **area})
        for level in tqdm((0, 1, 2), desc="逐级绘制", unit="级"):
            if level:
                run(ANCHOR_TRIBUTARIES_SQL, {"level": level})
            run(DRAW_WATERWAYS_SQL, {"level": level, "step": VERTEX_STEP_M})
        run(INSERT_WATERWAYS_SQL, {"source": SOURCE_NOTE})
    with step("切分 100 m 河段、相邻关系与汇流口（waterways.services.rebuild_reaches）"):
        reaches = rebuild_reaches()
        run("ANALYZE waterways_waterway; ANALYZE waterways_reach; ANALYZE waterways_reachlink")
    print(f"  河段 {reaches:,} 个")

    with step(f"人员 {SCALE['people']:,} 人（含登录账号、队伍、河长任命）"):
        with transaction.atomic():
            params = {"people": SCALE["people"], "team_size": TEAM_SIZE}
            run(INSERT_USERS_SQL, params)
            run(INSERT_PEOPLE_SQL, params)
            run(INSERT_TEAMS_SQL, params)
            run(INSERT_CHIEFS_SQL)
            run(SET_VILLAGE_CHIEFS_SQL)
            run(PICK_TABLE_SQL, {"slots": SCALE["pick_slots"], "hot": SCALE["hot_centres"]})
        run("ANALYZE people_person; ANALYZE pv_ww; ANALYZE pv_pick; ANALYZE pv_hot")

    slots = scalar("SELECT count(*) FROM pv_pick")
    office = scalar("SELECT min(id) FROM people_user WHERE is_staff")  # who accepts the problems
    total, batch = SCALE["activities"], SCALE["batch"]
    made = {"activities": 0, "service records": 0, "reach visits": 0, "problems": 0}
    # The tile tables' triggers (one row at a time, at each commit) are off while the batches go in:
    # the tables are filled once afterwards, as check_rollups --rebuild fills them.
    run("ALTER TABLE patrols_activity DISABLE TRIGGER USER")
    try:
        with step(f"活动 {total:,} 条（其中带轨迹 {total // TRACK_EVERY:,} 条）、服务记录、河段巡查记录、问题"):
            bar = tqdm(total=total, desc="活动", unit="条", unit_scale=True)
            for lo in range(1, total + 1, batch):
                hi = min(total, lo + batch - 1)
                with transaction.atomic():
                    run("SELECT setseed(%s)", [((OPTIONS.seed + lo) % 100_000) / 100_000.0])
                    run(PLAN_ACTIVITIES_SQL, {
                        "lo": lo, "hi": hi, "track_every": TRACK_EVERY, "slots": slots, "hot": SCALE["hot_centres"],
                        "people": SCALE["people"],
                    })
                    made["activities"] += run(INSERT_ACTIVITIES_SQL, {"track_step": TRACK_VERTEX_M, "snap": settings.SNAP_DISTANCE_M})
                    made["service records"] += run(INSERT_SERVICE_RECORDS_SQL, {"team_size": TEAM_SIZE})
                    made["reach visits"] += run(INSERT_REACH_VISITS_SQL, {"min_fraction": 0.5})
                    made["problems"] += run(INSERT_PROBLEMS_SQL, {"snap": settings.SNAP_DISTANCE_M})
                    run(INSERT_PROBLEM_EVENTS_SQL, {"office": office})
                bar.update(hi - lo + 1)
                bar.set_postfix(visits=f"{made['reach visits']:,}", problems=f"{made['problems']:,}")
            bar.close()
    finally:
        run("ALTER TABLE patrols_activity ENABLE TRIGGER USER")
    with step("河段巡查汇总（patrols.services.rebuild_visit_rollups，每批 100 条河）"):
        rebuild_rollups()
    with step("活动瓦片网格与轨迹简化线（patrols.cells.rebuild、patrols.track_bands.rebuild）"):
        from patrols import cells, track_bands

        cells.rebuild()
        track_bands.rebuild()

    with step("重置序列、VACUUM ANALYZE"):
        run(RESET_SEQUENCES_SQL)
        for table in tqdm(SIZE_TABLES + ["people_user", "people_team_members"], desc="VACUUM ANALYZE", unit="表"):
            run("VACUUM (ANALYZE) " + table)
    print(f"生成共用 {(time.perf_counter() - began) / 60:.1f} 分钟")
    check_reach_visits()


def rebuild_rollups():
    """The rollups the visits give, as the app keeps them (the generator wrote the visits in SQL)."""
    from patrols.services import rebuild_visit_rollups
    from waterways.models import Waterway

    ids = list(Waterway.objects.order_by("id").values_list("id", flat=True))
    for start in tqdm(range(0, len(ids), 100), desc="汇总", unit="批"):
        rebuild_visit_rollups(waterway_ids=ids[start:start + 100])


# After generation: the app's own statement on a sample of tracks, compared with the generated
# visits (inside a transaction that is rolled back).
SAMPLE_TRACKS_SQL = """
SELECT id FROM patrols_activity WHERE track IS NOT NULL ORDER BY md5(id::text) LIMIT %(n)s
"""


class Rollback(Exception):
    pass


def check_reach_visits(sample=200):
    from patrols.services import record_reach_visits

    ids = [row[0] for row in fetch(SAMPLE_TRACKS_SQL, {"n": sample})]
    try:
        with transaction.atomic():
            generated = set(fetch("SELECT reach_id, activity_id FROM patrols_reachvisit WHERE activity_id = ANY(%s)", [ids]))
            run("DELETE FROM patrols_reachvisit WHERE activity_id = ANY(%s)", [ids])
            started = time.perf_counter()
            record_reach_visits(activity_ids=ids)
            seconds = time.perf_counter() - started
            app = set(fetch("SELECT reach_id, activity_id FROM patrols_reachvisit WHERE activity_id = ANY(%s)", [ids]))
            raise Rollback
    except Rollback:
        pass
    both = len(generated & app)
    print(f"核对：{len(ids)} 条轨迹由应用自己的 REACH_VISITS_SQL 重算（{seconds:.1f} s，已回滚）："
          f"生成 {len(generated)} 条巡查记录，应用算出 {len(app)} 条，一致 {both} 条"
          f"（仅生成 {len(generated - app)}，仅应用 {len(app - generated)}）")


def print_inventory():
    print(f"\n数据库 {database_name()}：{scalar('SELECT pg_size_pretty(pg_database_size(current_database()))')}")
    rows = fetch(
        "SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_total_relation_size(c.oid)),"
        " pg_size_pretty(pg_indexes_size(c.oid))"
        " FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY pg_total_relation_size(c.oid) DESC",
        [SIZE_TABLES],
    )
    print(f"{'table':<26}{'rows':>12}{'total':>12}{'indexes':>12}")
    for name, _estimate, total, indexes in rows:
        print(f"{name:<26}{scalar('SELECT count(*) FROM ' + name):>12,}{total:>12}{indexes:>12}")
    figures = fetch(
        "SELECT (SELECT round(sum(length_m)::numeric / 1000) FROM waterways_waterway),"
        " (SELECT count(*) FROM patrols_activity WHERE track IS NOT NULL),"
        " (SELECT round(avg(distance_m)) FROM patrols_activity WHERE track IS NOT NULL),"
        " (SELECT count(*) FROM waterways_reachlink WHERE kind = 'junction') / 2,"
        " (SELECT round(100.0 * count(DISTINCT reach_id) / (SELECT count(*) FROM waterways_reach), 1) FROM patrols_reachvisit)"
    )[0]
    print(f"河网 {figures[0]:,} km；带轨迹活动 {figures[1]:,} 条，平均 {figures[2]:,} m；汇流口 {figures[3]:,} 处；"
          f"全年有人巡过的河段 {figures[4]} %")


# ---------------------------------------------------------------------------------------------
# Measuring: the app's function against the same SQL in psql
# ---------------------------------------------------------------------------------------------

COUNTY_SQL = """
SELECT id FROM waterways_waterway
 ORDER BY geom <-> (SELECT ST_SetSRID(ST_Centroid(ST_Extent(geom)), 4546) FROM waterways_waterway)
 LIMIT %(n)s
"""

COUNTY_FIGURES_SQL = """
SELECT count(*), round(sum(end_m - start_m) / 1000), round(ST_Area(ST_Envelope(ST_Collect(geom))) / 1e6)
  FROM waterways_reach WHERE waterway_id = ANY(%(ids)s)
"""

# Where the tiles are sampled: activity points, and points along tracks, both in lon/lat.
TILE_SPOTS_SQL = """
SELECT ST_X(spot), ST_Y(spot)
  FROM (SELECT ST_Transform(CASE WHEN %(layer)s = 'tracks' THEN ST_LineInterpolatePoint(ST_GeometryN(track, 1), 0.5)
                                 ELSE point END, 4326) AS spot
          FROM patrols_activity
         WHERE CASE WHEN %(layer)s = 'tracks' THEN track IS NOT NULL ELSE point IS NOT NULL END
         ORDER BY md5(id::text || %(layer)s)
         LIMIT %(n)s) AS sample
"""
# The freshness and gap tiles: at reaches, in lon/lat.
REACH_SPOTS_SQL = """
SELECT ST_X(spot), ST_Y(spot)
  FROM (SELECT ST_Transform(ST_LineInterpolatePoint(geom, 0.5), 4326) AS spot
          FROM waterways_reach ORDER BY md5(id::text) LIMIT %(n)s) AS sample
"""

SKIPPED_STATEMENTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", re.IGNORECASE)
TIME_LINE = re.compile(r"^Time: ([0-9.]+) ms", re.MULTILINE)


class Capture:
    """Records each statement the app sends (text and parameters) and the time spent in execute()."""

    def __init__(self):
        self.statements = []
        self.db_seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.db_seconds += time.perf_counter() - started
            if not SKIPPED_STATEMENTS.match(sql):
                # In an atomic block (SET LOCAL …) psql must run it inside BEGIN … COMMIT as well.
                self.statements.append((sql, params, connection.in_atomic_block))


def mogrify(sql, params):
    """The statement as the server receives it: psycopg's client-side binding, as Django uses it."""
    import psycopg

    cursor = psycopg.ClientCursor(connection.connection)
    return cursor.mogrify(sql, params) if params else sql


def call_app(function):
    capture = Capture()
    with connection.execute_wrapper(capture):
        started = time.perf_counter()
        result = function()
        if isinstance(result, QuerySet):
            result = list(result)
        seconds = time.perf_counter() - started
    return seconds, capture, result


def call_texts(statements):
    """One call's statements as psql runs them; those the app ran in a transaction, between BEGIN
    and COMMIT (their round trips count, as they do for the app)."""
    texts, open_block = [], False
    for sql, params, atomic in statements:
        if atomic and not open_block:
            texts.append("BEGIN")
        elif open_block and not atomic:
            texts.append("COMMIT")
        open_block = atomic
        texts.append(mogrify(sql, params))
    if open_block:
        texts.append("COMMIT")
    return texts


class Psql:
    """One psql session (`psql -X`, `\\timing on`, output to /dev/null) kept open for the whole run,
    as the app keeps its connection. Statements are sent in turn with the app's calls, so both meet
    the same load on the machine."""

    def __init__(self):
        params = connection.settings_dict
        # The URL's password, else the one libpq found for the app's connection (PGPASSWORD).
        environment = dict(os.environ, PGPASSWORD=params["PASSWORD"] or os.environ.get("PGPASSWORD", ""),
                           PGAPPNAME="province_scale floor",
                           # the app's connection options (settings: "-c jit=off"), so both sessions plan alike
                           PGOPTIONS=params.get("OPTIONS", {}).get("options", ""))
        command = [shutil.which("psql") or "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                   "-h", params["HOST"] or "localhost", "-p", str(params["PORT"] or 5432),
                   "-U", params["USER"], "-d", params["NAME"]]
        if shutil.which("stdbuf"):  # line-buffered output through the pipe
            command = [shutil.which("stdbuf"), "-oL"] + command
        self.process = subprocess.Popen(command, env=environment, text=True, bufsize=1, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The session as Django sets it up (UTC); the statements carry explicit zones anyway.
        self.run(["SET TIME ZONE 'UTC'"])

    def run(self, texts):
        """Runs the statements; their times in ms (psql's Time: lines), in order."""
        self.process.stdin.write("\\timing on\n\\o /dev/null\n")
        for text in texts:
            self.process.stdin.write(text.rstrip().rstrip(";") + ";\n")
        self.process.stdin.write("\\timing off\n\\echo __done__\n")
        self.process.stdin.flush()
        times = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"psql 失败：{self.process.stderr.read()[-2000:]}")
            if line.strip() == "__done__":
                break
            found = TIME_LINE.match(line)
            if found:
                times.append(float(found.group(1)))
        if len(times) != len(texts):
            raise SystemExit(f"psql 给出 {len(times)} 个 Time 行，应为 {len(texts)} 个")
        return times

    def close(self):
        self.process.stdin.close()
        self.process.wait()


PSQL = None


def time_both(function, runs):
    """`runs` warm calls of the app's function, each followed by the same statements in psql.
    Medians of: app wall time (s), app time inside execute() (s), psql floor (ms); the statement
    count and the last result."""
    connection.ensure_connection()
    _seconds, capture, _result = call_app(function)  # warm both: plans, caches, PostGIS/PROJ state
    PSQL.run(call_texts(capture.statements))
    app, inside, floor = [], [], []
    for _ in range(runs):
        seconds, capture, result = call_app(function)
        app.append(seconds)
        inside.append(capture.db_seconds)
        floor.append(sum(PSQL.run(call_texts(capture.statements))))
    return statistics.median(app), statistics.median(inside), statistics.median(floor), len(capture.statements), result


ROWS = []


def pad(text, width):
    """Left-aligns text in `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - len(text) - sum(1 for c in text if ord(c) >= 0x2E80))


def report(label, app_s, floor_ms, note=""):
    app_ms = app_s * 1000
    ROWS.append((label, app_ms, floor_ms, note))
    overhead = f"{app_ms - floor_ms:+.0f} ms ({app_ms / floor_ms:.2f}×)" if floor_ms else "—"
    print(f"  {pad(label, 44)}{app_ms:>11.1f}{floor_ms:>13.1f}   {overhead:<22}{note}", flush=True)


def header(title):
    print(f"\n{title}")
    print(f"  {'query':<44}{'app (ms)':>11}{'psql floor':>13}   {'overhead':<22}note")


def ready(module_name, function_name):
    """The other helpers' selectors are written while this runs: use them only once finished."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return None, f"{module_name} 不可导入（{error}）"
    function = getattr(module, function_name, None)
    if function is None:
        return None, f"{module_name}.{function_name} 还不存在"
    if "PLACEHOLDER" in Path(module.__file__).read_text(encoding="utf-8"):
        return None, f"{module_name} 仍含 PLACEHOLDER"
    return function, ""


def measure_case(label, function, runs):
    seconds, _inside, floor_ms, statements, result = time_both(function, runs)
    report(label, seconds, floor_ms, f"{statements} 条 SQL")
    return result


def county_ids():
    ids = [row[0] for row in fetch(COUNTY_SQL, {"n": SCALE["county_waterways"]})]
    reaches, km, area = fetch(COUNTY_FIGURES_SQL, {"ids": ids})[0]
    print(f"县级子集：离全省中心最近的 {len(ids)} 条河道，{reaches:,} 个河段，{km:,} km，外包矩形 {area:,} km²")
    return tuple(sorted(ids))


def measure_coverage(year, county, runs):
    from reports.filters import ReportFilters

    header("覆盖率与空白河段（全年 2026）")
    coverage_summary, missing = ready("reports.selectors.coverage", "coverage_summary")
    gap_stretches, missing_gaps = ready("reports.selectors.coverage", "gap_stretches")
    freshness, _missing = ready("reports.selectors.coverage", "reach_freshness")
    # The shared filter narrowed by role takes another path through the coverage SQL.
    for scope, ids, role in (("全省", None, None), ("全省 role=chief", None, "chief"), ("县级子集", county, None)):
        filters = ReportFilters(start=year[0], end=year[1], waterway_ids=ids, role=role)
        if coverage_summary:
            result = measure_case(f"coverage_summary {scope}", partial(coverage_summary, filters), runs)
            print(f"    → {result['district']['waterways']:,} 条河道，覆盖率 {result['district']['coverage_pct']} %")
        else:
            print(f"  缺：{missing}")
        if gap_stretches:
            result = measure_case(f"gap_stretches(days=30) {scope}", partial(gap_stretches, filters, days=30), runs)
            print(f"    → {len(result):,} 段空白")
        else:
            print(f"  缺：{missing_gaps}")
        if freshness:
            result = measure_case(f"reach_freshness {scope}", partial(freshness, filters), runs)
            print(f"    → {len(result['features']):,} 段（按距上次巡查天数合并）")
    # Coverage under the other filter combinations (each takes its own SQL form).
    if coverage_summary:
        team = scalar("SELECT team_id FROM people_team_members GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1")
        for scope, narrowed in (("kind=patrol", {"kinds": ("patrol",)}),
                                ("kind=patrol,cleanup", {"kinds": ("patrol", "cleanup")}),
                                ("role=chief kind=patrol", {"role": "chief", "kinds": ("patrol",)}),
                                (f"team={team}", {"team_id": team})):
            filters = ReportFilters(start=year[0], end=year[1], **narrowed)
            result = measure_case(f"coverage_summary 全省 {scope}", partial(coverage_summary, filters), runs)
            print(f"    → 覆盖率 {result['district']['coverage_pct']} %")


def measure_hotspots(year, county, runs):
    from reports.filters import ReportFilters

    header("热点（problems，Getis-Ord Gi*；psql floor = 取单元与数值的 SQL，统计量本身没有 SQL 下限）")
    hotspots, missing = ready("reports.selectors.hotspots", "hotspots")
    if not hotspots:
        print(f"  缺：{missing}")
        return
    scopes = [("县级子集", county)] + ([("全省", None)] if OPTIONS.province_hotspots else [])
    for scope, ids in scopes:
        filters = ReportFilters(start=year[0], end=year[1], waterway_ids=ids)
        for method in ("hex", "network"):
            for normalize in ("none", "effort"):
                label = f"hotspots {method}/{normalize} {scope}"
                call = partial(hotspots, filters, measure="problems", method=method, normalize=normalize)
                if ids is None:
                    # Province-wide: once, no warm-up, with a limit on each statement.
                    run("SET statement_timeout = %s", [OPTIONS.timeout * 1000])
                    try:
                        seconds, capture, result = call_app(call)
                        floor_ms = sum(PSQL.run(["SET statement_timeout = 0"] + call_texts(capture.statements))[1:])
                    except Exception as error:  # noqa: BLE001 — report why it did not finish
                        print(f"  {label}: 未完成（{type(error).__name__}: {str(error)[:200]}）")
                        continue
                    finally:
                        run("RESET statement_timeout")
                    db_s = capture.db_seconds
                    randomisation_note = ""
                else:
                    with randomisation_timed() as randomisation_ms:
                        seconds, db_s, floor_ms, _statements, result = time_both(call, runs)
                    # The randomisation test added to the SQL's floor: the least this read can cost
                    # with the draws made as now (one stream, on one core), whatever else gets faster.
                    timed_calls = randomisation_ms[1:]  # the first is time_both's warm-up
                    randomisation_median_ms = statistics.median(timed_calls) if timed_calls else 0.0
                    randomisation_note = (
                        f"; 其中随机化检验 {randomisation_median_ms:.0f} ms，仅它加 floor 已是 "
                        f"{(floor_ms + randomisation_median_ms) / floor_ms:.2f}×"
                        if floor_ms and randomisation_median_ms else "")
                units = hotspot_units(result)
                report(label, seconds, floor_ms,
                       f"SQL {db_s * 1000:.0f} ms + Python {(seconds - db_s) * 1000:.0f} ms{randomisation_note}; {units}")


@contextmanager
def randomisation_timed():
    """Milliseconds of each call of the hotspots' randomisation test made in the block (the first is
    the warm-up's), timed by wrapping it for the block only."""
    module = importlib.import_module("reports.selectors.hotspots")
    durations, real = [], module._randomisation_p

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            durations.append((time.perf_counter() - started) * 1000)

    module._randomisation_p = timed
    try:
        yield durations
    finally:
        module._randomisation_p = real


def hotspot_units(result):
    features = result.get("features", []) if isinstance(result, dict) else result
    try:
        classes = {}
        for feature in features:
            properties = feature.get("properties", feature)
            key = properties.get("class") or properties.get("hotspot_class") or "?"
            classes[key] = classes.get(key, 0) + 1
        hot = sum(count for key, count in classes.items() if str(key).startswith("hot"))
        return f"{len(features):,} 个单元，热点 {hot:,}"
    except (AttributeError, TypeError):
        return ""


def tile_of(lon, lat, z):
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, min(n - 1, max(0, x)), min(n - 1, max(0, y))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# A village chief with the most waterways: the tile's visibility condition at its heaviest for a chief.
CHIEF_USER_SQL = """
SELECT p.user_id FROM people_chiefassignment c JOIN people_person p ON p.id = c.person_id
 WHERE c.level = 'village' GROUP BY p.user_id ORDER BY count(*) DESC, p.user_id LIMIT 1
"""


def measure_tiles(year, count):
    from reports.filters import ReportFilters

    print(f"\n矢量瓦片（全年 2026，全省；每层 {count} 块，取活动所在处，z8–z14 混合；村级河长视角取其中一半）")
    tile, missing = ready("reports.selectors.tiles", "tile")
    if not tile:
        print(f"  缺：{missing}")
        return
    from django.contrib.auth import get_user_model

    from patrols import scopes
    from reports.selectors import tiles as tiles_module

    filters = ReportFilters(start=year[0], end=year[1])
    chief = get_user_model().objects.get(pk=scalar(CHIEF_USER_SQL))
    chief_view = scopes.reader_of(chief)
    print(f"  {'layer':<24}{'tiles':>7}{'app p50':>10}{'app p95':>10}{'floor p50':>11}{'floor p95':>11}{'max app':>10}"
          f"{'avg KB':>9}{'empty':>7}")
    for layer in ("tracks", "activities"):
        lowest = getattr(tiles_module, "TRACK_MIN_ZOOM", 8) if layer == "tracks" else 8
        spots = fetch(TILE_SPOTS_SQL, {"layer": layer, "n": count})
        zooms = list(range(max(8, lowest), 15))
        wanted = [tile_of(lon, lat, zooms[i % len(zooms)]) for i, (lon, lat) in enumerate(spots)]
        time_tiles(tile, layer, wanted, filters, scopes.EVERYTHING, f"{layer}（工作人员）")
        time_tiles(tile, layer, wanted[::2], filters, chief_view, f"{layer}（村级河长）")
    # Freshness and gaps (days=30) at reaches: aggregates, the same for every reader.
    if "freshness" in getattr(tiles_module, "LAYERS", ()):
        spots = fetch(REACH_SPOTS_SQL, {"n": count})
        zooms = list(range(getattr(tiles_module, "REACH_MIN_ZOOM", 8), 15))
        wanted = [tile_of(lon, lat, zooms[i % len(zooms)]) for i, (lon, lat) in enumerate(spots)]
        time_tiles(tile, "freshness", wanted, filters, scopes.EVERYTHING, "freshness（河段处）")
        time_tiles(partial(tile, days=30), "gaps", wanted, filters, scopes.EVERYTHING, "gaps 30 天（河段处）")


def time_tiles(tile, layer, wanted, filters, reader, label):
    """Each tile by the app, then the same statement in psql, --runs times in turn; a warm pass
    over all tiles first. A tile's figure is its median (so is "max app": the slowest tile's): with
    one call per tile, the p95 of a few dozen tiles was whichever call the machine happened to delay."""
    for z, x, y in wanted:
        _seconds, capture, _data = call_app(partial(tile, layer, z, x, y, filters, reader=reader))
        PSQL.run(call_texts(capture.statements))
    app_ms, floor, sizes = [], [], []
    for z, x, y in tqdm(wanted, desc=f"{layer} 瓦片", unit="块", leave=False):
        calls, floors = [], []
        for _run in range(max(1, OPTIONS.runs)):
            seconds, capture, data = call_app(partial(tile, layer, z, x, y, filters, reader=reader))
            calls.append(seconds * 1000)
            floors.append(sum(PSQL.run(call_texts(capture.statements))))
        app_ms.append(statistics.median(calls))
        floor.append(statistics.median(floors))
        sizes.append(len(data))
    ROWS.append((f"tile {label} p50", percentile(app_ms, 0.5), percentile(floor, 0.5), ""))
    ROWS.append((f"tile {label} p95", percentile(app_ms, 0.95), percentile(floor, 0.95), ""))
    print(f"  {pad(label, 24)}{len(wanted):>7}"
          f"{percentile(app_ms, 0.5):>10.1f}{percentile(app_ms, 0.95):>10.1f}"
          f"{percentile(floor, 0.5):>11.1f}{percentile(floor, 0.95):>11.1f}{max(app_ms):>10.1f}"
          f"{statistics.mean(sizes) / 1024:>9.1f}{sum(1 for size in sizes if not size):>7}")
    by_zoom = {}
    for (z, _x, _y), ms, floor_ms in zip(wanted, app_ms, floor):
        by_zoom.setdefault(z, []).append((ms, floor_ms))
    print("    按缩放级别 p50 app/floor ms（p95 app）：" + "，".join(
        f"z{z} {statistics.median(m for m, _f in pairs):.0f}/{statistics.median(f for _m, f in pairs):.0f}"
        f"（{percentile([m for m, _f in pairs], 0.95):.0f}）"
        for z, pairs in sorted(by_zoom.items())), flush=True)


def measure():
    settings.DEBUG = False  # no query log: the app as production runs it
    year = (date(2026, 1, 1), date(2026, 12, 31))
    print(f"数据库 {database_name()}：{scalar('SELECT count(*) FROM patrols_activity'):,} 条活动，"
          f"{scalar('SELECT count(*) FROM waterways_waterway'):,} 条河道，{scalar('SELECT count(*) FROM waterways_reach'):,} 个河段；"
          f"每项取 {OPTIONS.runs} 次的中位数（先热身一次）")
    global PSQL
    PSQL = Psql()
    load = os.getloadavg()
    print(f"机器负载（1/5/15 分钟平均）：{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}，{os.cpu_count()} 核；"
          "应用与 psql 交替执行同样的语句；连接选项（两边相同）："
          f"{connection.settings_dict.get('OPTIONS', {}).get('options') or '无'}")
    county = county_ids()
    parts = OPTIONS.only or ["coverage", "hotspots", "tiles"]
    if "coverage" in parts:
        measure_coverage(year, county, OPTIONS.runs)
    if "hotspots" in parts:
        measure_hotspots(year, county, OPTIONS.runs)
    if "tiles" in parts:
        measure_tiles(year, OPTIONS.tiles)
    PSQL.close()
    print("\n汇总（ms）：目标见 benchmarks/_targets.py（issue 16）")
    print(f"  {'query':<44}{'app':>11}{'psql floor':>13}   {'target':<38}verdict")
    short = []
    for label, app_ms, floor_ms, _note in ROWS:
        wording, met = verdict(label, app_ms, floor_ms)
        mark = "" if met is None else ("达标" if met else "未达标")
        if met is False:
            short.append(label)
        print(f"  {pad(label, 44)}{app_ms:>11.1f}{floor_ms:>13.1f}   {wording:<38}{mark}")
    print("\n未达标：" + ("、".join(short) if short else "无"))
    load = os.getloadavg()
    print(f"\n机器负载（1/5/15 分钟平均）：{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


def main():
    if OPTIONS.generate or OPTIONS.fresh:
        if check_target(OPTIONS.fresh) == "go":
            generate()
        print_inventory()
    if OPTIONS.measure or not (OPTIONS.generate or OPTIONS.fresh):
        if pending_migrations():
            sys.exit(f"{database_name()} 的表结构落后于代码（缺 {', '.join(map(str, pending_migrations()))}）："
                     "加 --generate 原地迁移（合成数据保留），或 --fresh --generate 重新生成。")
        refuse_drift("用 --fresh --generate 重新生成。")
        if not scalar("SELECT EXISTS (SELECT 1 FROM patrols_activity)"):
            sys.exit(f"{database_name()} 中没有活动数据：先运行 --generate。")
        measure()


if __name__ == "__main__":
    main()
