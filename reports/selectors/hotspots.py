"""Hotspots: where problems, debris or activities cluster more than chance allows.

Scope: like coverage, gaps and freshness, hotspots are aggregates over every activity that is not
rejected, for any chief or staff member: they reveal counts per cell or reach, not people or notes.
Individual records (the map's layers and tiles, the patrols in the compliance details) follow the
reading rule (patrols.scopes) instead.

Units are hexagons (ST_HexagonGrid cells near the network) or reaches (neighbours along the water,
across junctions). Each unit's value is tested with Getis-Ord Gi* (esda, binary weights, the unit
itself included) and the p-values are corrected for the number of units tested (Benjamini–Hochberg).
Which p-value, and why not esda's permutation p-values: docs/hotspots.md."""

from __future__ import annotations

import contextlib
import gc
import json
import math

import esda
import numpy as np
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from scipy import sparse

from patrols.models import Activity
from problems import selectors as problem_selectors
from waterways.models import ReachLink

from ..filters import ACTIVITY_SCOPE_CONDITIONS, FILTERED_ACTIVITIES_SQL, ReportFilters

MEASURES = ("problems", "debris", "activities")
METHODS = ("hex", "network")
NORMALIZATIONS = ("none", "effort")
ALPHAS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
CLASSES = ("hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99", "no_effort")
P_VALUE = "randomisation_two_sided"
# Reference draws are capped (time: a draw of a dozen units costs about 0.1 µs, 2 M of them 0.2 s):
# 2 M draws put the smallest two-sided p-value, 1e-6, under the 1 % Bonferroni level of 10,000
# tested units; beyond that a lone unit may miss the 99 % class, a cluster of two or more does not.
MAX_REFERENCE_DRAWS = 2_000_000
# Draws are made in blocks of at most about this many values, so memory stays flat whatever the
# count; the first block is small, as most units settle in it (SETTLE_EXCEEDANCES).
DRAW_BLOCK_VALUES = 4_000_000
FIRST_DRAW_BLOCK = 4_096
# A neighbourhood sum matched this often in both tails has p known to ±10 % and far from any
# threshold: it takes no more draws.
SETTLE_EXCEEDANCES = 100
# Up to this many units a draw is a random ordering of all of them (rejecting repeated picks would
# mostly reject when a neighbourhood is a large share of the network); see _distinct_draws.
SMALL_POOL = 256
# Values closer than this (relative to the largest) are equal: sums of kilograms differ in the
# last bits.
TIE_TOLERANCE = 1e-9
# Draws are checked for repeats and summed a slice of this many at a time (the picks, their values and
# the running sums stay in the processor's cache).
DRAW_SLICE = 65_536
# Up to this many distinct sums of one size, each is compared with every draw (faster than a binary
# search per draw).
DIRECT_COMPARISONS = 32
# Up to this many picks a draw, a repeat is found by comparing every two picks (m²/2 passes of
# whole-array comparisons) rather than sorting each draw.
PAIRWISE_REPEATS = 16
# Network distances are sums of float lengths: 5 × 100 m must count as 500 m.
DISTANCE_TOLERANCE_M = 1e-6

# The work that counts: the shared filter (period, not rejected, role, team) over all kinds, inlined
# where it is used so that an index on problems, activities or visits drives it, not a year of
# activities read first. The kind filter applies to what is measured, not to the effort: "debris of
# cleanups per patrol-km" must be able to divide cleanups' debris by patrols' kilometres.
# Items: one row per problem, activity or kilogram-bearing activity, with where it is.
# - Problems are those of the map's problem layer (reports.selectors.layers.problem_points): observed
#   in the period (whenever their activity started), on an activity that is not rejected and passes
#   kind, role and team, on the chosen waterways by their own snapped waterway.
# - Activities (and their debris) are those of the period's activities, of the chosen kinds.
# An activity is located by its point, else by ST_PointOnSurface of its track (as on the activity
# layer and in the tiles); a problem by its own point, else its activity's (computed only by the hex
# query: the network query places items by their snapped position, and the planner drops the unused
# column). The waterway filter keeps items snapped to the chosen waterways.
# Effort: patrol passes over each reach of the chosen waterways, one probe of the (reach, visited_at)
# index per reach, so a county costs its own reaches' visits, not the province's (a visit's time is
# its activity's start, so the bound on visited_at drops nothing the shared filter keeps).
_ITEMS_CTES = """
scope AS NOT MATERIALIZED (""" + FILTERED_ACTIVITIES_SQL + """),
acts AS NOT MATERIALIZED (
    SELECT a.id, a.kind, a.waterway_id, a.waterway_position_m AS position_m, a.debris_kg,
           COALESCE(a.point, ST_PointOnSurface(a.track)) AS pt
      FROM scope JOIN patrols_activity a ON a.id = scope.id
     WHERE %(item_kinds)s::text[] IS NULL OR a.kind = ANY(%(item_kinds)s::text[])
),
items AS (
    SELECT COALESCE(p.point, a.point, ST_PointOnSurface(a.track)) AS pt, p.waterway_id, p.position_m,
           1.0::float8 AS amount
      FROM problems_problem p LEFT JOIN patrols_activity a ON a.id = p.activity_id
     WHERE %(measure)s = 'problems'
       AND """ + problem_selectors.ACCEPTED_SQL + """
       AND p.observed_at >= %(start_at)s AND p.observed_at < %(end_at)s
       AND (%(waterways)s::bigint[] IS NULL OR p.waterway_id = ANY(%(waterways)s::bigint[]))
       AND CASE WHEN a.id IS NULL  -- reported on its own: counted unless kind, role or team narrow the work
                THEN %(item_kinds)s::text[] IS NULL AND %(role)s::text IS NULL AND %(team)s::bigint IS NULL
                ELSE (%(item_kinds)s::text[] IS NULL OR a.kind = ANY(%(item_kinds)s::text[]))
                     AND """ + ACTIVITY_SCOPE_CONDITIONS + """ END
    UNION ALL
    SELECT acts.pt, acts.waterway_id, acts.position_m,
           CASE WHEN %(measure)s = 'debris' THEN acts.debris_kg::float8 ELSE 1.0 END
      FROM acts
     WHERE (%(measure)s = 'activities' OR (%(measure)s = 'debris' AND acts.debris_kg > 0))
       AND (%(waterways)s::bigint[] IS NULL OR acts.waterway_id = ANY(%(waterways)s::bigint[]))
),
reach_effort AS (
    SELECT r.id AS reach_id, pass.passes
      FROM waterways_reach r
     CROSS JOIN LATERAL (
           SELECT SUM(v.covered_fraction) AS passes
             FROM patrols_reachvisit v JOIN scope ON scope.id = v.activity_id
            WHERE v.reach_id = r.id AND scope.kind = %(patrol)s
              AND v.visited_at >= %(start_at)s AND v.visited_at < %(end_at)s) AS pass
     WHERE %(effort)s AND pass.passes > 0
       AND (%(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[]))
)"""

# Hexagon units: every cell of the grid within the study buffer of the (filtered) network, empty
# ones included; the cells come from each reach's neighbourhood, so the cost follows the network's
# length, not its bounding box. ST_HexagonGrid's size is the hexagon's edge length (= its
# circumradius; PostGIS manual, ST_HexagonGrid/ST_Hexagon): 250 m gives cells of 0.16 km² whose
# centres are 433 m apart. Given a point, ST_HexagonGrid returns every cell whose box holds it (a
# third of the time two or three), so the cell is the one that really intersects it; a point on a
# border goes to the first in (i, j) order.
# Effort: a reach counts in the cell holding its midpoint. One row per cell, ordered by (i, j), with
# the item totals on every row (and one row of totals when there is no cell).
HOTSPOT_HEX_SQL = "WITH " + _ITEMS_CTES + """,
cells AS MATERIALIZED (
    SELECT DISTINCT ON (h.i, h.j) h.i, h.j, h.geom
      FROM waterways_reach r
     CROSS JOIN LATERAL ST_HexagonGrid(%(size)s, ST_Expand(r.geom, %(buffer)s)) AS h
     WHERE (%(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[]))
       AND ST_DWithin(r.geom, h.geom, %(buffer)s)
     ORDER BY h.i, h.j
),
placed AS MATERIALIZED (
    SELECT items.amount, cell.i, cell.j
      FROM items
      LEFT JOIN LATERAL (SELECT h.i, h.j FROM ST_HexagonGrid(%(size)s, items.pt) AS h
                          WHERE ST_Intersects(h.geom, items.pt)
                          ORDER BY h.i, h.j LIMIT 1) AS cell ON TRUE
),
counted AS (
    SELECT placed.i, placed.j, SUM(placed.amount) AS raw
      FROM placed JOIN cells ON cells.i = placed.i AND cells.j = placed.j
     GROUP BY placed.i, placed.j
),
cell_effort AS (
    SELECT cell.i, cell.j, SUM((r.end_m - r.start_m) * e.passes) / 1000.0 AS km
      FROM reach_effort e
      JOIN waterways_reach r ON r.id = e.reach_id
     CROSS JOIN LATERAL (SELECT h.i, h.j FROM ST_HexagonGrid(%(size)s, ST_LineInterpolatePoint(r.geom, 0.5)) AS h
                          WHERE ST_Intersects(h.geom, ST_LineInterpolatePoint(r.geom, 0.5))
                          ORDER BY h.i, h.j LIMIT 1) AS cell
     GROUP BY cell.i, cell.j
),
summary AS (
    SELECT COUNT(*) AS items,
           COALESCE(SUM(placed.amount), 0) AS total,
           COUNT(*) FILTER (WHERE placed.i IS NULL) AS unlocated,
           COUNT(*) FILTER (WHERE placed.i IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM cells c WHERE c.i = placed.i AND c.j = placed.j)) AS outside
      FROM placed
)
SELECT c.i AS unit, c.j, ST_AsGeoJSON(ST_Transform(c.geom, %(api_srid)s), 6) AS geometry,
       COALESCE(k.raw, 0) AS raw, COALESCE(e.km, 0) AS effort_km,
       s.items, s.total, s.unlocated, s.outside
  FROM summary s
  LEFT JOIN cells c ON TRUE
  LEFT JOIN counted k ON k.i = c.i AND k.j = c.j
  LEFT JOIN cell_effort e ON e.i = c.i AND e.j = c.j
 ORDER BY c.i, c.j
"""

# Reach units: every reach of the (filtered) waterways, empty ones included. An item goes to the
# reach of its waterway that holds its snapped position (the last reach also takes the mouth point);
# an item with no waterway or no position is off the network. Ordered by reach id.
HOTSPOT_NETWORK_SQL = "WITH " + _ITEMS_CTES + """,
units AS MATERIALIZED (
    SELECT r.id, r.waterway_id, r.start_m, r.end_m, r.geom,
           r.seq = MAX(r.seq) OVER (PARTITION BY r.waterway_id) AS is_last
      FROM waterways_reach r
     WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
),
placed AS MATERIALIZED (
    SELECT items.amount, u.id AS reach_id
      FROM items
      LEFT JOIN units u ON u.waterway_id = items.waterway_id
                       AND items.position_m >= u.start_m
                       AND (items.position_m < u.end_m OR u.is_last)
),
counted AS (
    SELECT reach_id, SUM(amount) AS raw FROM placed WHERE reach_id IS NOT NULL GROUP BY reach_id
),
summary AS (
    SELECT COUNT(*) AS items,
           COALESCE(SUM(amount), 0) AS total,
           COUNT(*) FILTER (WHERE reach_id IS NULL) AS off_network
      FROM placed
)
SELECT u.id AS unit, ST_AsGeoJSON(ST_Transform(u.geom, %(api_srid)s), 6) AS geometry,
       COALESCE(k.raw, 0) AS raw, COALESCE(e.passes * (u.end_m - u.start_m) / 1000.0, 0) AS effort_km,
       s.items, s.total, s.off_network
  FROM summary s
  LEFT JOIN units u ON TRUE
  LEFT JOIN counted k ON k.reach_id = u.id
  LEFT JOIN reach_effort e ON e.reach_id = u.id
 ORDER BY u.id
"""

# The reach graph between the (filtered) waterways' reaches, one row per directed link, with the
# distance between the two reaches' midpoints along the water: half of each along a waterway; across
# a junction, from each midpoint to the point where the two reaches meet, plus any gap between them.
HOTSPOT_GRAPH_SQL = """
SELECT l.reach_id, l.neighbour_id,
       CASE WHEN l.kind = %(along)s
            THEN ((a.end_m - a.start_m) + (b.end_m - b.start_m)) / 2.0
            ELSE ST_Distance(a.geom, b.geom)
                 + ABS(ST_LineLocatePoint(a.geom, ST_ClosestPoint(a.geom, b.geom)) - 0.5) * ST_Length(a.geom)
                 + ABS(ST_LineLocatePoint(b.geom, ST_ClosestPoint(b.geom, a.geom)) - 0.5) * ST_Length(b.geom)
       END AS metres
  FROM waterways_reachlink l
  JOIN waterways_reach a ON a.id = l.reach_id
  JOIN waterways_reach b ON b.id = l.neighbour_id
 WHERE %(waterways)s::bigint[] IS NULL
    OR (a.waterway_id = ANY(%(waterways)s::bigint[]) AND b.waterway_id = ANY(%(waterways)s::bigint[]))
"""


# --- Neighbours -------------------------------------------------------------------------------


def hex_neighbours(i, j):
    """Pairs of positions (a, b) of cells that share an edge, both directions, for ST_HexagonGrid's
    (i, j) indices. Columns i are flat-topped hexagons; odd columns sit half a cell higher (centre
    y = √3·size·(j + ½·(i odd))), so a cell's side neighbours are rows (j−1, j) from an even
    column and (j, j+1) from an odd one."""
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    n = len(i)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    odd = (i & 1).astype(bool)
    key = (i << 32) + j  # j stays well inside ±2³¹ for any real extent
    order = np.argsort(key)
    sorted_keys = key[order]
    candidates = [(i, j + 1), (i, j - 1)]
    for di in (-1, 1):
        candidates.append((i + di, np.where(odd, j, j - 1)))
        candidates.append((i + di, np.where(odd, j + 1, j)))
    sources, targets = [], []
    for ci, cj in candidates:
        wanted = (ci << 32) + cj
        pos = np.minimum(np.searchsorted(sorted_keys, wanted), n - 1)
        hit = sorted_keys[pos] == wanted
        sources.append(np.nonzero(hit)[0])
        targets.append(order[pos[hit]])
    return np.concatenate(sources), np.concatenate(targets)


def network_neighbours(n, src, dst, metres, limit):
    """Pairs (a, b), a ≠ b, whose shortest path over the links (src[k] → dst[k], metres[k]) is at most
    `limit`, with that distance. The same answer as scipy.sparse.csgraph.dijkstra(limit=limit) from
    every unit, without its n × n distance matrix (20 GB for 50,000 reaches): paths are grown from
    all units at once, one link per round, keeping only those that improve a pair and stay within the
    limit (all lengths are positive, so a path within the limit has every prefix within it)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    metres = np.asarray(metres, dtype=float)
    limit = float(limit) + DISTANCE_TOLERANCE_M
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    if n == 0 or len(src) == 0:
        return empty
    # Adjacency in CSR form, the shortest of any repeated link.
    order = np.lexsort((metres, dst, src))
    src, dst, metres = src[order], dst[order], metres[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    src, dst, metres = src[first], dst[first], metres[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)

    best_keys = np.empty(0, dtype=np.int64)
    best_dist = np.empty(0)
    origin = np.arange(n, dtype=np.int64)
    node = origin.copy()
    dist = np.zeros(n)
    while origin.size:
        degree = indptr[node + 1] - indptr[node]
        which = np.repeat(np.arange(origin.size), degree)
        edge = np.repeat(indptr[node], degree) + (np.arange(which.size) - np.repeat(np.cumsum(degree) - degree, degree))
        o, v, d = origin[which], dst[edge], dist[which] + metres[edge]
        keep = (d <= limit) & (v != o)
        o, v, d = o[keep], v[keep], d[keep]
        keys = o * n + v
        order = np.lexsort((d, keys))
        keys, d = keys[order], d[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if keys.size else np.empty(0, dtype=bool)
        keys, d = keys[first], d[first]
        pos = np.searchsorted(best_keys, keys)
        known = pos < best_keys.size
        known[known] = best_keys[pos[known]] == keys[known]
        better = ~known
        better[known] = d[known] < best_dist[pos[known]] - DISTANCE_TOLERANCE_M
        update = known & better
        best_dist[pos[update]] = d[update]
        fresh = ~known
        if fresh.any():
            best_keys = np.concatenate([best_keys, keys[fresh]])
            best_dist = np.concatenate([best_dist, d[fresh]])
            order = np.argsort(best_keys, kind="stable")
            best_keys, best_dist = best_keys[order], best_dist[order]
        keys, d = keys[better], d[better]
        origin, node, dist = keys // n, keys % n, d
    return best_keys // n, best_keys % n, best_dist


def load_network_graph(waterway_ids=None):
    """Links between the reaches of the waterways (all when None): (reach_id, neighbour_id, metres)
    arrays, from one query."""
    with connection.cursor() as cursor:
        cursor.execute(HOTSPOT_GRAPH_SQL, {"waterways": list(waterway_ids) if waterway_ids is not None else None,
                                           "along": ReachLink.Kind.ALONG.value})
        rows = cursor.fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    reach, neighbour, metres = zip(*rows)
    return np.array(reach, dtype=np.int64), np.array(neighbour, dtype=np.int64), np.array(metres, dtype=float)


# --- Statistic --------------------------------------------------------------------------------


def local_gi_star(y, src, dst, *, permutations, seed):
    """Gi* z (esda's Zs) and two-sided randomisation p-value for each unit, with binary weights over
    the neighbour pairs (src[k], dst[k]) plus the unit itself. NaN for units that cannot be tested:
    islands (no neighbour), or every unit when the values do not vary."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    size = np.bincount(src, minlength=n) + 1  # neighbourhood size m, the unit itself included
    tested = size > 1
    if not tested.any() or np.ptp(y) == 0:  # nothing to compare (an empty map is all zeros)
        return z, p
    z[tested] = _gi_star_z(y, src, dst)[tested]
    observed = np.bincount(src, weights=y[dst], minlength=n) + y
    p[tested] = _randomisation_p(y, observed, size, tested, permutations=permutations, seed=seed)
    return z, p


def _gi_star_z(y, src, dst):
    """esda.G_Local(y, graph, transform="B", star=True).Zs, by esda 2.9's own steps in its order
    (G_Local.calc), so the same numbers: building the libpysal Graph and its pandas frames that esda
    wants took longer than the statistic. Binary weights over the pairs plus 1 on the diagonal
    (esda's star), as a CSR matrix sorted by (unit, neighbour) like Graph.sparse. A neighbourhood
    holding every unit (a neighbour distance longer than the network) has no variance: its z is NaN,
    and it is not significant; numpy need not warn about it."""
    n = len(y)
    units = np.arange(n, dtype=np.int64)
    focal = np.concatenate([src, units])
    neighbour = np.concatenate([dst, units])
    order = np.lexsort((neighbour, focal))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(focal, minlength=n), out=indptr[1:])
    weights = sparse.csr_array((np.ones(order.size), neighbour[order], indptr), shape=(n, n))
    statistic = (weights @ y) / y.sum()
    mean = y.sum() / n
    variance = (y**2).sum() / n - mean**2
    cardinality = np.asarray(weights.sum(axis=1)).squeeze()
    expected_value = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance /= n - 1
    expected_variance *= 1 / n**2
    expected_variance *= variance / (mean**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (statistic - expected_value) / np.sqrt(expected_variance)


def _randomisation_p(y, observed, size, tested, *, permutations, seed):
    """Two-sided p-value of each tested unit's neighbourhood sum against sums of random subsets of
    the same size drawn from all values without replacement (Gi*'s null: values randomly
    rearranged). One stream of draws serves every neighbourhood size: the first m of each draw are a
    random m-subset. p = (draws at least as extreme + 1) / (draws + 1), doubled, at most 1.
    A sum that SETTLE_EXCEEDANCES draws have already matched in both tails is clearly unremarkable
    and stops there (Besag & Clifford's sequential p-value, ±10 %); only sums in a far tail take
    all the draws, which is where the precision is needed."""
    n = len(y)
    draws = int(min(MAX_REFERENCE_DRAWS, max(permutations, 1) * int(tested.sum())))
    tolerance = TIE_TOLERANCE * max(1.0, float(np.abs(y).max()))
    # Per neighbourhood size: the distinct observed sums, and per sum the draws at/above and
    # at/below it, the draws counted, and whether it is still open.
    levels = {int(m): np.unique(observed[tested & (size == m)]) for m in np.unique(size[tested])}
    at_least = {m: np.zeros(len(v), dtype=np.int64) for m, v in levels.items()}
    at_most = {m: np.zeros(len(v), dtype=np.int64) for m, v in levels.items()}
    counted = {m: np.zeros(len(v), dtype=np.int64) for m, v in levels.items()}
    open_ = {m: np.ones(len(v), dtype=bool) for m, v in levels.items()}
    rng = np.random.default_rng(seed)
    rows, done = FIRST_DRAW_BLOCK, 0
    while done < draws:
        sizes = [m for m in levels if open_[m].any()]
        if not sizes:
            break
        largest = max(sizes)
        rows = min(rows, draws - done, max(1, DRAW_BLOCK_VALUES // _values_per_draw(n, largest)))
        sums = _draw_sums(rng, y, largest, rows, sizes)
        for m in sizes:
            live = open_[m]
            above, below = _tail_counts(levels[m][live], sums[m], tolerance)
            at_least[m][live] += above
            at_most[m][live] += below
            counted[m][live] += rows
            open_[m] &= np.minimum(at_least[m], at_most[m]) < SETTLE_EXCEEDANCES
        done += rows
        rows = min(rows * 2, max(1, DRAW_BLOCK_VALUES // _values_per_draw(n, largest)))
    p = np.empty(int(tested.sum()))
    sizes_of_tested = size[tested]
    observed_tested = observed[tested]
    for m, values in levels.items():
        members = sizes_of_tested == m
        where = np.searchsorted(values, observed_tested[members])
        upper = (at_least[m][where] + 1) / (counted[m][where] + 1)
        lower = (at_most[m][where] + 1) / (counted[m][where] + 1)
        p[members] = np.minimum(1.0, 2 * np.minimum(upper, lower))
    return p


def _draw_sums(rng, y, m, rows, sizes):
    """{size: the sum of the values at the first `size` picks of each draw} for each size in sizes,
    over `rows` draws of m distinct units: _prefix_sums(y, _distinct_draws(rng, len(y), m, rows), sizes)
    from the same random numbers. With picks and redraws of repeats (the usual case), each slice of
    draws is turned into rows of positions once, and used both to find repeats and to sum; the few
    draws with a repeat are redrawn as _distinct_draws redraws them and summed again."""
    n = len(y)
    if _by_ordering(n, m) or m * m > n:
        return _prefix_sums(y, _distinct_draws(rng, n, m, rows), sizes)
    picks = rng.integers(0, n, size=(rows, m), dtype=np.int32)
    wanted = set(sizes)
    sums = {size: np.empty(rows) for size in sizes}
    clashes = []
    for start in range(0, rows, DRAW_SLICE):
        stop = min(rows, start + DRAW_SLICE)
        positions = np.ascontiguousarray(picks[start:stop].T, dtype=np.intp)  # a pick of every draw in a row
        clashes.append(start + np.nonzero(_repeats_in(picks[start:stop], positions))[0])
        _add_prefix_sums(y, positions, wanted, sums, start, stop)
    clash = np.concatenate(clashes)
    if clash.size:
        _redraw_repeats(rng, n, picks, clash)
        redrawn = _prefix_sums(y, picks[clash].T, sizes)
        for size in sizes:
            sums[size][clash] = redrawn[size]
    return sums


def _prefix_sums(y, draws, sizes):
    """{m: the sum of the values at the first m positions of each draw} for each m in sizes, from
    (largest m, rows) positions."""
    wanted = set(sizes)
    rows = draws.shape[1]
    sums = {m: np.empty(rows) for m in sizes}
    for start in range(0, rows, DRAW_SLICE):
        stop = min(rows, start + DRAW_SLICE)
        positions = np.ascontiguousarray(draws[:, start:stop], dtype=np.intp)
        _add_prefix_sums(y, positions, wanted, sums, start, stop)
    return sums


def _add_prefix_sums(y, positions, wanted, sums, start, stop):
    """sums[m][start:stop] for m in wanted, from (largest m, stop − start) positions (intp, as take()
    wants): added one pick at a time in order, as np.cumsum(y[positions], axis=0) adds them (the same
    floats), a slice of draws at a time so that the work stays in the cache, keeping only the wanted
    sizes."""
    total = y.take(positions[0])
    for k in range(len(positions)):
        if k:
            total += y.take(positions[k])
        if k + 1 in wanted:
            sums[k + 1][start:stop] = total


def _tail_counts(values, sums, tolerance):
    """For each of the sorted values: how many sums are at least as large and how many at least as
    small, within the tolerance. A few values are compared with every sum directly (and a value
    beyond every sum needs no comparison: the open ones are mostly in a far tail); many are found
    by binary search."""
    count = len(values)
    if count > DIRECT_COMPARISONS:
        # A sum is ≥ values[k] when values[k] ≤ sum + tol, i.e. k < (number of values ≤ sum + tol).
        up = np.searchsorted(values, sums + tolerance, side="right")
        at_least = len(sums) - np.cumsum(np.bincount(up, minlength=count + 1))[:count]
        # A sum is ≤ values[k] when values[k] ≥ sum − tol, i.e. k ≥ (number of values < sum − tol).
        down = np.searchsorted(values, sums - tolerance, side="left")
        at_most = np.cumsum(np.bincount(down, minlength=count + 1))[:count]
        return at_least, at_most
    rows = len(sums)
    # Rounding is monotonic: the largest sum + tol is the largest of the sums + tol, bit for bit.
    lowest, highest = sums.min(), sums.max()
    at_least = np.zeros(count, dtype=np.int64)
    at_most = np.zeros(count, dtype=np.int64)
    high = low = None
    for k, value in enumerate(values):
        if value <= lowest + tolerance:
            at_least[k] = rows
        elif value <= highest + tolerance:
            high = sums + tolerance if high is None else high
            at_least[k] = np.count_nonzero(high >= value)
        if value >= highest - tolerance:
            at_most[k] = rows
        elif value >= lowest - tolerance:
            low = sums - tolerance if low is None else low
            at_most[k] = np.count_nonzero(low <= value)
    return at_least, at_most


def _by_ordering(n, m):
    """Whether draws of m distinct units from n are random orderings of all n: in a small network,
    and whenever m is over half of n (picking at random and redrawing repeats would mostly redraw)."""
    return n <= SMALL_POOL or 2 * m > n


def _values_per_draw(n, m):
    return n if _by_ordering(n, m) else m


def _distinct_draws(rng, n, m, rows):
    """(m, rows) positions: each column m distinct units chosen uniformly from n, in random order."""
    if _by_ordering(n, m):
        return np.argsort(rng.random((rows, n)), axis=1)[:, :m].T.copy()
    picks = rng.integers(0, n, size=(rows, m), dtype=np.int32)
    if m * m <= n:
        _redraw_repeats(rng, n, picks, np.nonzero(_repeats(picks))[0])
        return picks.T
    # A large neighbourhood: nearly every draw repeats a unit, so redraw only the repeats (each pick
    # after the first of a unit), which succeeds at least half the time as m ≤ n/2. Which pick is
    # redrawn depends on positions only, never on the units' numbers, so every prefix of a draw is
    # still a uniformly random set of distinct units.
    pending = np.arange(rows)
    while pending.size:
        part = picks[pending]
        order = np.argsort(part, axis=1, kind="stable")  # equal units keep their positions' order
        ordered = np.take_along_axis(part, order, axis=1)
        row, at = np.nonzero(ordered[:, 1:] == ordered[:, :-1])
        if not row.size:
            break
        picks[pending[row], order[row, at + 1]] = rng.integers(0, n, size=row.size, dtype=np.int32)
        pending = pending[np.unique(row)]
    return picks.T


def _redraw_repeats(rng, n, picks, clash):
    """Redraws (in place) the draws that picked a unit twice, rows `clash` of picks (in order; under
    40 %: about m²/2n of them), then those of them that did again, until none does."""
    m = picks.shape[1]
    while clash.size:
        picks[clash] = rng.integers(0, n, size=(clash.size, m), dtype=np.int32)
        clash = clash[_repeats(picks[clash])]


def _repeats(picks):
    """Whether each draw (a row of picks) names a unit twice, a slice of draws at a time."""
    rows = len(picks)
    found = np.empty(rows, dtype=bool)
    for start in range(0, rows, DRAW_SLICE):
        stop = min(rows, start + DRAW_SLICE)
        found[start:stop] = _repeats_in(picks[start:stop])
    return found


def _repeats_in(picks, columns=None):
    """Whether each draw (a row of picks) names a unit twice: for a few picks by comparing every two
    of them over all the draws at once (no sort per draw), else by sorting each draw. `columns`, if
    given, holds the same picks transposed and contiguous (a pick of every draw in a row)."""
    k, m = picks.shape
    if m > PAIRWISE_REPEATS:
        ordered = np.sort(picks, axis=1)
        return (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    columns = np.ascontiguousarray(picks.T) if columns is None else columns
    found = np.zeros(k, dtype=bool)
    same = np.empty(k, dtype=bool)
    for a in range(1, m):
        for b in range(a):
            np.equal(columns[a], columns[b], out=same)
            found |= same
    return found


def classify(z, p):
    """Class of each unit from z (sign) and p, at 99/95/90 % each with its own BH threshold.
    Returns (classes, thresholds {alpha: threshold or None})."""
    classes = np.full(len(z), "not_significant", dtype=object)
    testable = ~np.isnan(p) & ~np.isnan(z)
    thresholds = {}
    for alpha, label in reversed(ALPHAS):  # weakest first, so the strongest level wins
        if not testable.any():
            thresholds[alpha] = None
            continue
        threshold = float(esda.fdr(p[testable], alpha))
        thresholds[alpha] = threshold
        passed = testable & (p < threshold)
        classes[passed & (z > 0)] = "hot_" + label
        classes[passed & (z < 0)] = "cold_" + label
    return classes, thresholds


# --- The selector -----------------------------------------------------------------------------


def hotspot_query(filters: ReportFilters, *, measure: str, method: str, normalize: str,
                  size_m: int | None = None) -> tuple[str, dict]:
    """The units-and-values statement (HOTSPOT_HEX_SQL or HOTSPOT_NETWORK_SQL) and its parameters."""
    if measure not in MEASURES or method not in METHODS or normalize not in NORMALIZATIONS:
        raise ValueError(f"hotspots: measure={measure!r} method={method!r} normalize={normalize!r}")
    params = {
        **filters.sql_params(),
        "kinds": None,  # the shared filter over all kinds; the kind filter applies to items only
        "item_kinds": list(filters.kinds) if filters.kinds is not None else None,
        "measure": measure,
        "effort": normalize == "effort",
        "size": int(size_m or settings.HOTSPOT_HEX_SIZE_M) if method == "hex" else None,
        "buffer": settings.HOTSPOT_STUDY_BUFFER_M,
        "patrol": Activity.Kind.PATROL.value,
        "api_srid": settings.API_SRID,
        **problem_selectors.accepted_sql_params(),
    }
    return (HOTSPOT_HEX_SQL if method == "hex" else HOTSPOT_NETWORK_SQL), params


def hotspots(filters: ReportFilters, *, measure: str, method: str, normalize: str,
             size_m: int | None = None) -> dict:
    """Gi* hotspots of `measure` over hex cells or reaches, as a GeoJSON FeatureCollection (lon/lat)
    with a `meta` block saying what was tested and how."""
    # The answer is some 100,000 small dicts and lists (a county's GeoJSON), none in a cycle: the
    # cyclic collector, run while they are made, traversed the whole process every few calls (0.15 to
    # 0.25 s at province scale) and freed nothing. Reference counting frees as usual meanwhile.
    with _cyclic_collection_paused():
        return _hotspots(filters, measure=measure, method=method, normalize=normalize, size_m=size_m)


@contextlib.contextmanager
def _cyclic_collection_paused():
    """Python's cyclic garbage collector off for the block, and on again after it (errors too)."""
    if not gc.isenabled():  # already paused by a caller (or another thread): theirs to resume
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _hotspots(filters, *, measure, method, normalize, size_m):
    sql, params = hotspot_query(filters, measure=measure, method=method, normalize=normalize, size_m=size_m)
    effort = normalize == "effort"
    size = params["size"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()

    # Every row carries the item totals; a row without a unit only carries them (no unit at all).
    summary = dict(zip(columns, rows[0]))
    unit_column = columns.index("unit")
    units = [row for row in rows if row[unit_column] is not None]
    column = dict(zip(columns, zip(*units))) if units else {name: () for name in columns}
    # One parse of all the cells' or reaches' GeoJSON (a parse per unit spent more in the calls).
    geometries = json.loads("[" + ",".join(column["geometry"]) + "]")
    raw = np.array(column["raw"], dtype=float)
    effort_km = np.array(column["effort_km"], dtype=float)
    if method == "hex":
        ids = [f"{i},{j}" for i, j in zip(column["unit"], column["j"])]
        src, dst = hex_neighbours(column["unit"], column["j"])
        placement = {"outside_study_area": int(summary["outside"]), "unlocated": int(summary["unlocated"])}
        weights = "hex_contiguity"
    else:
        ids = [int(unit) for unit in column["unit"]]
        src, dst = _network_pairs(ids, filters.waterway_ids)
        placement = {"off_network": int(summary["off_network"])}
        weights = "network_distance"
    items, total = summary["items"], summary["total"]

    n = len(ids)
    if effort:
        assessable = effort_km > 0
        value = np.where(assessable, raw / np.where(assessable, effort_km, 1.0), np.nan)
    else:
        assessable = np.ones(n, dtype=bool)
        value = raw
    # Units without effort leave the statistic altogether; the rest keep their mutual neighbours.
    position = np.full(n, -1, dtype=np.int64)
    position[assessable] = np.arange(int(assessable.sum()))
    keep = assessable[src] & assessable[dst] if n else np.empty(0, dtype=bool)
    z_part, p_part = local_gi_star(
        value[assessable], position[src[keep]], position[dst[keep]],
        permutations=settings.HOTSPOT_PERMUTATIONS, seed=settings.HOTSPOT_SEED,
    )
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    z[assessable], p[assessable] = z_part, p_part
    classes, thresholds = classify(z, p)
    classes[~assessable] = "no_effort"

    features = []
    per_unit = zip(ids, geometries, _each(value, _number, 6), _each(raw, _number, 3), _each(z, _number, 4),
                   _each(p, _significant), classes.tolist(), _each(effort_km, _number, 4) if effort else [None] * n)
    for unit_id, geometry, unit_value, unit_raw, unit_z, unit_p, unit_class, unit_effort in per_unit:
        properties = {"id": unit_id, "value": unit_value, "raw": unit_raw, "z": unit_z, "p": unit_p,
                      "class": unit_class}
        if effort:
            properties["effort_km"] = unit_effort
        features.append({"type": "Feature", "id": unit_id, "geometry": geometry, "properties": properties})

    tested_p = p[~np.isnan(p)]
    counts = {name: 0 for name in CLASSES}
    for name in classes:
        counts[name] += 1
    meta = {
        "method": method,
        "measure": measure,
        "normalize": normalize,
        "size_m": size,
        "neighbour_m": settings.HOTSPOT_NETWORK_NEIGHBOUR_M if method == "network" else None,
        "study_buffer_m": settings.HOTSPOT_STUDY_BUFFER_M if method == "hex" else None,
        "weights": weights,
        "units": n,
        "tested": int(tested_p.size),
        "items": int(items),
        "total": _number(total, 3),
        "permutations": settings.HOTSPOT_PERMUTATIONS,
        "reference_draws": int(min(MAX_REFERENCE_DRAWS, max(settings.HOTSPOT_PERMUTATIONS, 1) * tested_p.size)),
        "seed": settings.HOTSPOT_SEED,
        "statistic": "Getis-Ord Gi* (esda.G_Local, star=True, transform=B)",
        "p_value": P_VALUE,
        "p_value_note": _("双侧随机化检验：在“各单元数值随机重排”的原假设下，邻域总和至少这么极端的概率（不用正态近似）。"),
        "fdr": "benjamini_hochberg",
        "fdr_thresholds": {f"{alpha:.2f}": _significant(threshold) for alpha, threshold in
                           sorted(thresholds.items())},
        "significant_before_fdr": int((tested_p < 0.05).sum()),
        "counts": counts,
        **placement,
        "period": {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
    }
    return {"type": "FeatureCollection", "features": features, "meta": meta}


def _network_pairs(reach_ids, waterway_ids):
    """Positions (a, b) of reaches within HOTSPOT_NETWORK_NEIGHBOUR_M of each other along the network."""
    if not reach_ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    reach, neighbour, metres = load_network_graph(waterway_ids)
    ids = np.asarray(reach_ids, dtype=np.int64)  # ordered by id (the SQL's ORDER BY)
    a = np.searchsorted(ids, reach)
    b = np.searchsorted(ids, neighbour)
    inside = (a < ids.size) & (b < ids.size)
    inside[inside] = (ids[a[inside]] == reach[inside]) & (ids[b[inside]] == neighbour[inside])
    src, dst, _distance = network_neighbours(ids.size, a[inside], b[inside], metres[inside],
                                             settings.HOTSPOT_NETWORK_NEIGHBOUR_M)
    return src, dst


def _each(values, convert, *args):
    """[convert(v, *args) for v in values], converting each distinct value (bit for bit) once: the
    units share few values (z and p come from a neighbourhood's sum and size)."""
    values = np.ascontiguousarray(values, dtype=float)
    if not values.size:
        return []
    _bits, first, inverse = np.unique(values.view(np.int64), return_index=True, return_inverse=True)
    converted = [convert(v, *args) for v in values[first].tolist()]
    return [converted[k] for k in inverse.tolist()]


def _number(value, digits):
    """A float for JSON: rounded, None for NaN/inf (NaN is not valid JSON)."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _significant(value, digits=4):
    """Small probabilities keep their significant digits (1.234e-06, not 0.0)."""
    if value is None:
        return None
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None
