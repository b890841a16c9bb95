"""Hotspots (Getis-Ord Gi* with FDR): planted clusters are found, random maps show nothing, effort
normalisation moves the answer where it should, network neighbours cross junctions, and the API
validates, refuses volunteers and never emits invalid JSON."""

import itertools
import json
import math
import uuid
from datetime import date, timedelta

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.contrib.gis.geos import LineString, MultiLineString, Point
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import shape

from patrols.models import Activity, ReachVisit
from problems.models import Problem
from reports.filters import ReportFilters
from reports.selectors.hotspots import (
    hex_neighbours,
    hotspots,
    load_network_graph,
    local_gi_star,
    network_neighbours,
)
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.geo import to_metres
from waterways.models import Reach, ReachLink, Waterway

AT = beijing("2026-05-01 10:00")
HOT = {"hot_99", "hot_95", "hot_90"}
SIGNIFICANT = HOT | {"cold_99", "cold_95", "cold_90"}
CLASSES_OUT = SIGNIFICANT | {"not_significant"}
URL = "/api/hotspots/"


def year_2026(**extra):
    return ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31), **extra)


@pytest.fixture
def reporter(district_data):
    return make_person().user


def activity(user, *, kind="patrol", point=None, track=None, debris_kg=None, waterway=None, position_m=None,
             status="submitted", started_at=AT):
    reviewed = {} if status == "submitted" else {"reviewed_by": user, "reviewed_at": started_at}
    return Activity.objects.create(
        client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=user,
        started_at=started_at, ended_at=started_at + timedelta(hours=1), point=point, track=track,
        debris_kg=debris_kg, waterway=waterway, waterway_position_m=position_m, status=status,
        review_note="不实" if status == "rejected" else "", **reviewed,
    )


def on_waterway(waterway, position_m):
    point = waterway.geom.interpolate(position_m)
    point.srid = waterway.geom.srid
    return point


def ACCEPTED(observed_at):  # noqa: N802 (reads as the constant it nearly is)
    return {"source": "patrol", "state": "accepted", "accepted_at": observed_at}


def problems_along(owner, places, *, observed_at=AT):
    """One accepted problem per (waterway, position_m), snapped there (as PROBLEM_SNAP_SQL would)."""
    Problem.objects.bulk_create([
        Problem(activity=owner, client_uuid=uuid.uuid4(), category="garbage", point=on_waterway(w, pos),
                observed_at=observed_at, waterway=w, position_m=pos, **ACCEPTED(observed_at))
        for w, pos in places
    ])


def problems_at(owner, points, *, observed_at=AT):
    """Accepted problems at bare points, belonging to no waterway."""
    Problem.objects.bulk_create([
        Problem(activity=owner, client_uuid=uuid.uuid4(), category="garbage", point=point,
                observed_at=observed_at, **ACCEPTED(observed_at))
        for point in points
    ])


def random_places(rng, count):
    """Positions spread evenly over the whole network (by length)."""
    waterways = list(Waterway.objects.order_by("id"))
    lengths = np.array([w.length_m for w in waterways])
    chosen = rng.choice(len(waterways), size=count, p=lengths / lengths.sum())
    return [(waterways[k], float(rng.uniform(0, waterways[k].length_m))) for k in chosen]


def polygon_metres(feature):
    return shapely.transform(shape(feature["geometry"]), lambda xy: np.column_stack(to_metres(xy[:, 0], xy[:, 1])))


def by_id(result):
    return {feature["properties"]["id"]: feature for feature in result["features"]}


def visit_all(patrol, reaches, fraction=1.0):
    ReachVisit.objects.bulk_create([
        ReachVisit(reach=r, activity=patrol, visited_at=patrol.started_at, covered_fraction=fraction) for r in reaches
    ])


# --- Hexagons ---------------------------------------------------------------------------------


def test_a_planted_cluster_on_a_gully_is_hot_and_nothing_far_from_it_is(reporter):
    gully = Waterway.objects.get(code="ZW-G07")
    owner = activity(reporter, kind="problem_report")
    plant = [(gully, float(pos)) for pos in range(1400, 2601, 10)]  # 121 problems along 1.2 km
    background = random_places(np.random.default_rng(11), 150)  # sparse: ~0.09 a cell
    problems_along(owner, plant + background)

    result = hotspots(year_2026(), measure="problems", method="hex", normalize="none")

    features = result["features"]
    polygons = [polygon_metres(f) for f in features]
    tree = shapely.STRtree(polygons)

    def per_cell(places):
        points = [shapely.Point(*on_waterway(w, pos).coords) for w, pos in places]
        counts = np.zeros(len(polygons), dtype=int)
        for point in points:
            counts[tree.query(point, predicate="intersects")[:1]] += 1  # a border point counts once
        return counts

    planted_per_cell = per_cell(plant)
    assert [f["properties"]["raw"] for f in features] == (planted_per_cell + per_cell(background)).tolist()
    core = np.nonzero(planted_per_cell >= 8)[0]
    assert len(core) >= 3, "the plant should fill a few adjacent cells"
    for k in core:
        assert features[k]["properties"]["class"] in {"hot_99", "hot_95"}, features[k]["properties"]
    centre = shapely.Point(*on_waterway(gully, 2000).coords)
    hot = [k for k, f in enumerate(features) if f["properties"]["class"] in HOT]
    assert all(polygons[k].centroid.distance(centre) < 1000 for k in hot)
    assert not any(f["properties"]["class"].startswith("cold") for f in features)
    meta = result["meta"]
    assert meta["units"] == len(features) and meta["items"] == len(plant) + len(background)
    assert sum(meta["counts"].values()) == len(features)
    assert meta["p_value"] == "randomisation_two_sided" and meta["seed"] == settings.HOTSPOT_SEED
    assert 0 < meta["fdr_thresholds"]["0.01"] <= meta["fdr_thresholds"]["0.05"] <= meta["fdr_thresholds"]["0.10"]


def test_uniform_random_counts_show_nothing_after_fdr(reporter):
    """Poisson counts in every cell, several seeds: uncorrected p < 0.05 flags cells by chance; after
    Benjamini–Hochberg nothing is left. (A normal-approximation p-value fails this at these counts.)"""
    empty = hotspots(year_2026(), measure="problems", method="hex", normalize="none")
    centres = [polygon_metres(f).centroid for f in empty["features"]]
    owner = activity(reporter, kind="problem_report")
    before_fdr = []
    for seed in (1, 2, 3, 4):
        Problem.objects.all().delete()
        counts = np.random.default_rng(seed).poisson(0.5, len(centres))
        problems_at(owner, [Point(c.x, c.y, srid=settings.GIS_SRID) for c, k in zip(centres, counts) for _ in range(k)])

        result = hotspots(year_2026(), measure="problems", method="hex", normalize="none")

        assert sorted(f["properties"]["raw"] for f in result["features"]) == sorted(counts.tolist())
        assert [f["properties"]["class"] for f in result["features"] if f["properties"]["class"] in SIGNIFICANT] == []
        before_fdr.append(result["meta"]["significant_before_fdr"])
    assert max(before_fdr) > 0, before_fdr


def test_items_are_located_counted_and_filtered(reporter):
    gully = Waterway.objects.get(code="ZW-G07")
    far = Point(on_waterway(gully, 100).x + 5000, on_waterway(gully, 100).y + 5000, srid=settings.GIS_SRID)
    assert not Waterway.objects.filter(geom__dwithin=(far, 600)).exists()
    track_only = LineString([on_waterway(gully, 500).coords, on_waterway(gully, 700).coords], srid=settings.GIS_SRID)
    activity(reporter, kind="cleanup", track=MultiLineString(track_only, srid=settings.GIS_SRID), debris_kg=12.5,
             waterway=gully, position_m=500)
    cleanup_at_point = activity(reporter, kind="cleanup", point=on_waterway(gully, 3000), debris_kg=7.5,
                                waterway=gully, position_m=3000)
    activity(reporter, kind="cleanup", point=on_waterway(gully, 3000), debris_kg=99, status="rejected",
             waterway=gully, position_m=3000)
    activity(reporter, kind="cleanup", point=on_waterway(gully, 3000), debris_kg=99,
             started_at=AT.replace(year=2025), waterway=gully, position_m=3000)
    problems_along(cleanup_at_point, [(gully, 3000.0)] * 3)
    problems_along(cleanup_at_point, [(gully, 3000.0)], observed_at=AT.replace(year=2027))  # not in the period
    problems_at(cleanup_at_point, [far, far])

    debris = hotspots(year_2026(), measure="debris", method="hex", normalize="none")
    cells = [(polygon_metres(f), f["properties"]) for f in debris["features"]]
    at_point = [p for poly, p in cells if poly.contains(shapely.Point(*on_waterway(gully, 3000).coords))]
    # A track without a point is where the activity layer and the tiles draw it: ST_PointOnSurface.
    on_track = shapely.point_on_surface(shapely.from_wkb(bytes(track_only.wkb)))
    at_track = [p for poly, p in cells if poly.contains(on_track)]
    assert [p["raw"] for p in at_point] == [7.5] and [p["raw"] for p in at_track] == [12.5]
    assert debris["meta"]["items"] == 2 and debris["meta"]["total"] == 20.0

    found = hotspots(year_2026(), measure="problems", method="hex", normalize="none")
    assert found["meta"]["items"] == 5 and found["meta"]["outside_study_area"] == 2
    assert sum(f["properties"]["raw"] for f in found["features"]) == 3

    on_network = hotspots(year_2026(), measure="problems", method="network", normalize="none")
    assert on_network["meta"]["off_network"] == 2
    reach = Reach.objects.get(waterway=gully, start_m__lte=3000, end_m__gt=3000)
    assert by_id(on_network)[reach.id]["properties"]["raw"] == 3

    patrols_only = hotspots(year_2026(kinds=("patrol",)), measure="activities", method="network", normalize="none")
    assert patrols_only["meta"]["items"] == 0
    cleanups = hotspots(year_2026(kinds=("cleanup",)), measure="activities", method="network", normalize="none")
    assert cleanups["meta"]["items"] == 2
    assert cleanups["meta"]["total"] == sum(f["properties"]["raw"] for f in cleanups["features"])


def test_hex_neighbours_are_the_cells_sharing_an_edge(district_data):
    result = hotspots(year_2026(), measure="problems", method="hex", normalize="none")
    ids = [f["properties"]["id"] for f in result["features"]]
    polygons = [polygon_metres(f) for f in result["features"]]
    tree = shapely.STRtree(polygons)
    sharing_edge = set()
    for a, b in zip(*tree.query(polygons, predicate="intersects")):
        if a != b and polygons[a].intersection(polygons[b]).length > 1:  # an edge, not a corner
            sharing_edge.add((int(a), int(b)))
    ij = np.array([[int(part) for part in text.split(",")] for text in ids])
    src, dst = hex_neighbours(ij[:, 0], ij[:, 1])
    assert set(zip(src.tolist(), dst.tolist())) == sharing_edge
    assert np.median([p.length / 6 for p in polygons]) == pytest.approx(250, abs=1)  # size is the edge length


# --- Effort -----------------------------------------------------------------------------------


def test_effort_normalisation_removes_a_cluster_that_is_only_where_people_walk(reporter):
    gully = Waterway.objects.get(code="ZW-G07")
    reaches = list(Reach.objects.order_by("id"))
    busy = [r for r in reaches if r.waterway_id == gully.id and 15 <= r.seq < 23]  # 800 m walked ten times
    visit_all(activity(reporter), reaches)
    for _ in range(9):
        visit_all(activity(reporter), busy)
    rng = np.random.default_rng(5)
    places = []
    for r in reaches:
        expected = 0.5 * (10 if r in busy else 1)  # the same rate per patrol-km everywhere
        places += [(gully if r in busy else r.waterway, (r.start_m + r.end_m) / 2)] * int(rng.poisson(expected))
    problems_along(activity(reporter, kind="problem_report"), places)
    busy_points = [shapely.Point(*on_waterway(gully, (r.start_m + r.end_m) / 2).coords) for r in busy]

    def busy_classes(result):
        classes = set()
        for feature in result["features"]:
            polygon = polygon_metres(feature)
            if any(polygon.contains(pt) for pt in busy_points):
                classes.add(feature["properties"]["class"])
        return classes

    raw = hotspots(year_2026(), measure="problems", method="hex", normalize="none")
    normalised = hotspots(year_2026(), measure="problems", method="hex", normalize="effort")

    assert busy_classes(raw) & HOT
    assert not busy_classes(normalised) & HOT, busy_classes(normalised)
    props = [f["properties"] for f in normalised["features"]]
    no_effort = [p for p in props if p["class"] == "no_effort"]
    assert no_effort and all(p["value"] is None and p["z"] is None and p["effort_km"] == 0 for p in no_effort)
    walked = [p for p in props if p["class"] != "no_effort"]
    assert all(p["effort_km"] > 0 and p["value"] == pytest.approx(p["raw"] / p["effort_km"], rel=1e-3) for p in walked)
    walked_km = (sum(r.length_m for r in reaches) + 9 * sum(r.length_m for r in busy)) / 1000
    assert sum(p["effort_km"] for p in props) == pytest.approx(walked_km, rel=1e-6)


def test_effort_normalisation_finds_a_cluster_on_a_barely_patrolled_stretch(reporter):
    gully = Waterway.objects.get(code="ZW-G12")
    reaches = list(Reach.objects.order_by("id"))
    quiet = [r for r in reaches if r.waterway_id == gully.id and 10 <= r.seq < 18]  # 800 m, half-walked once
    others = [r for r in reaches if r not in quiet]
    for _ in range(4):
        visit_all(activity(reporter), others)
    visit_all(activity(reporter), quiet, fraction=0.5)
    rng = np.random.default_rng(8)
    places = []
    for r in reaches:
        count = 2 if r in quiet else int(rng.poisson(2))  # as many problems as anywhere, on 1/8 of the walking
        places += [(r.waterway if r not in quiet else gully, (r.start_m + r.end_m) / 2)] * count
    problems_along(activity(reporter, kind="problem_report"), places)

    raw = by_id(hotspots(year_2026(), measure="problems", method="network", normalize="none"))
    normalised = by_id(hotspots(year_2026(), measure="problems", method="network", normalize="effort"))

    assert not {raw[r.id]["properties"]["class"] for r in quiet} & HOT
    middle = [r for r in quiet if 12 <= r.seq < 16]
    assert {normalised[r.id]["properties"]["class"] for r in middle} <= {"hot_99", "hot_95"}
    assert normalised[middle[0].id]["properties"]["effort_km"] == pytest.approx(middle[0].length_m / 2000)
    assert normalised[middle[0].id]["properties"]["value"] == pytest.approx(2 / (middle[0].length_m / 2000), rel=1e-4)


# --- Network ----------------------------------------------------------------------------------


def test_network_neighbours_continue_across_a_junction_and_stop_at_the_distance(district_data):
    gully = Waterway.objects.get(code="ZW-G07")
    mouth = Reach.objects.filter(waterway=gully).order_by("-seq").first()
    link = ReachLink.objects.get(reach=mouth, kind="junction")
    parent_at_junction = link.neighbour
    assert parent_at_junction.waterway_id == gully.parent_id

    reach, neighbour, metres = load_network_graph()
    ids = np.array(sorted(Reach.objects.values_list("id", flat=True)))
    a, b = np.searchsorted(ids, reach), np.searchsorted(ids, neighbour)
    src, dst, dist = network_neighbours(ids.size, a, b, metres, 500)
    pairs = {(int(ids[s]), int(ids[d])): float(x) for s, d, x in zip(src, dst, dist)}

    # The same pairs and distances as scipy's Dijkstra from every reach.
    full = dijkstra(csr_matrix((metres, (a, b)), shape=(ids.size, ids.size)), limit=500 + 1e-6)
    rows, cols = np.nonzero(np.isfinite(full) & (full > 0))
    assert {(int(ids[r]), int(ids[c])) for r, c in zip(rows, cols)} == set(pairs)
    assert all(abs(pairs[(int(ids[r]), int(ids[c]))] - full[r, c]) < 1e-6 for r, c in zip(rows, cols))

    mouth_neighbours = {other for (one, other) in pairs if one == mouth.id}
    assert parent_at_junction.id in mouth_neighbours
    parent_reaches = {r.seq: r for r in Reach.objects.filter(waterway_id=gully.parent_id)}
    seq = parent_at_junction.seq
    assert {parent_reaches[seq - 1].id, parent_reaches[seq + 1].id} <= mouth_neighbours  # both ways along the river
    two_km_on = [parent_reaches[s].id for s in (seq - 20, seq + 20) if s in parent_reaches]
    assert two_km_on and not set(two_km_on) & mouth_neighbours
    up_the_gully = Reach.objects.get(waterway=gully, seq=mouth.seq - 20)
    assert up_the_gully.id not in mouth_neighbours
    # Along one waterway: midpoints 100 m apart, so five reaches each way.
    middle = Reach.objects.get(waterway=gully, seq=20)
    five_each_way = Reach.objects.filter(waterway=gully, seq__in=[15, 16, 17, 18, 19, 21, 22, 23, 24, 25])
    assert {other for (one, other) in pairs if one == middle.id} == set(five_each_way.values_list("id", flat=True))


def test_network_cluster_at_a_gully_mouth_is_found_and_reaches_the_parent_river(reporter):
    gully = Waterway.objects.get(code="ZW-G07")
    mouth_reaches = list(Reach.objects.filter(waterway=gully).order_by("-seq")[:3])
    parent_at_junction = ReachLink.objects.get(reach=mouth_reaches[0], kind="junction").neighbour
    owner = activity(reporter, kind="problem_report")
    problems_along(owner, [(gully, (r.start_m + r.end_m) / 2) for r in mouth_reaches for _ in range(8)])
    problems_along(owner, random_places(np.random.default_rng(3), 120))

    result = by_id(hotspots(year_2026(), measure="problems", method="network", normalize="none"))

    for r in mouth_reaches:
        assert result[r.id]["properties"]["class"] in {"hot_99", "hot_95"}
    # Its neighbourhood holds the gully's mouth, across the junction: the river there is hot too.
    assert result[parent_at_junction.id]["properties"]["class"] in HOT
    far_on_parent = Reach.objects.get(waterway_id=gully.parent_id, seq=parent_at_junction.seq + 20)
    assert result[far_on_parent.id]["properties"]["class"] not in HOT


# --- The statistic itself -------------------------------------------------------------------


def test_gi_star_z_is_the_textbook_formula_and_p_the_exact_randomisation_tail():
    """Ord & Getis (1995) G*: z = (Σ w x − W x̄) / (s √((n W − W²)/(n − 1))), binary weights with the
    unit itself; p from all subsets of the same size (Gi*'s null), two-sided. Unit 5 is an island."""
    y = np.array([9.0, 7.0, 8.0, 1.0, 0.0, 3.0, 2.0, 0.0])
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (6, 7), (0, 2)]
    src = np.array([a for a, b in edges] + [b for a, b in edges])
    dst = np.array([b for a, b in edges] + [a for a, b in edges])
    z, p = local_gi_star(y, src, dst, permutations=20_000, seed=1)

    n, mean = len(y), y.mean()
    s = np.sqrt((y ** 2).mean() - mean ** 2)
    for i in range(n):
        members = [i] + [b for a, b in zip(src, dst) if a == i]
        if len(members) == 1:
            assert np.isnan(z[i]) and np.isnan(p[i])  # an island is not tested
            continue
        weight = len(members)
        expected_z = (y[members].sum() - weight * mean) / (s * np.sqrt((n * weight - weight ** 2) / (n - 1)))
        assert z[i] == pytest.approx(expected_z, rel=1e-9)
        sums = np.array([y[list(c)].sum() for c in itertools.combinations(range(n), weight)])
        observed = y[members].sum()
        exact = min(1.0, 2 * min((sums >= observed - 1e-9).mean(), (sums <= observed + 1e-9).mean()))
        assert p[i] == pytest.approx(exact, abs=0.01)


def test_an_extreme_cell_with_empty_neighbours_is_tested_in_its_upper_tail_not_called_cold():
    """esda's own permutation p-values keep the unit's value fixed and shuffle only its neighbours,
    which made such a cell a 99 % cold spot. Under Gi*'s null the 40 moves too: a random neighbourhood
    of 7 holds it with chance 7/900, so p = 2 × 7/900 — one big number alone is no cluster."""
    rng = np.random.default_rng(2)
    side = 30
    i, j = np.divmod(np.arange(side * side), side)
    src, dst = hex_neighbours(i, j)
    y = rng.poisson(2, side * side).astype(float)
    centre = 15 * side + 15
    y[dst[src == centre]] = 0
    y[centre] = 40
    z, p = local_gi_star(y, src, dst, permutations=999, seed=settings.HOTSPOT_SEED)
    assert z[centre] > 0
    assert p[centre] == pytest.approx(2 * 7 / (side * side), rel=0.15)  # a settled Monte Carlo p: ±10 %


# --- Determinism and the API --------------------------------------------------------------------


def test_the_same_request_gives_the_same_classes(reporter):
    owner = activity(reporter, kind="problem_report")
    problems_along(owner, random_places(np.random.default_rng(21), 300))
    problems_along(owner, [(Waterway.objects.get(code="ZW-G20"), float(pos)) for pos in range(1000, 1300, 15)])
    for method in ("hex", "network"):
        first = hotspots(year_2026(), measure="problems", method=method, normalize="none")
        second = hotspots(year_2026(), measure="problems", method=method, normalize="none")
        assert [f["properties"] for f in first["features"]] == [f["properties"] for f in second["features"]]
        assert first["meta"] == second["meta"]
        assert any(f["properties"]["class"] in HOT for f in first["features"])


def _strict_json(response):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(response.content, parse_constant=refuse)


@pytest.mark.parametrize("method", ["hex", "network"])
def test_no_data_gives_every_unit_not_significant_as_valid_json(api, crew, method):
    response = api(crew["chief"]).get(URL, {"start": "2026-01-01", "end": "2026-12-31", "method": method,
                                             "normalize": "effort"})
    assert response.status_code == 200
    body = _strict_json(response)
    assert body["type"] == "FeatureCollection" and body["features"]
    assert {f["properties"]["class"] for f in body["features"]} == {"no_effort"}
    response = api(crew["staff"]).get(URL, {"method": method})
    body = _strict_json(response)
    assert {f["properties"]["class"] for f in body["features"]} == {"not_significant"}
    assert {f["properties"]["value"] for f in body["features"]} == {0}
    assert body["meta"]["counts"]["not_significant"] == body["meta"]["units"] == len(body["features"])
    first = body["features"][0]["geometry"]["coordinates"]
    flat = np.array(first[0] if method == "hex" else first).ravel().tolist()
    assert all(len(repr(c).split(".")[1]) <= 6 for c in flat)
    assert 110 < flat[0] < 111.2 and 32 < flat[1] < 33  # lon/lat in Zhangwan


def test_a_waterway_filter_keeps_its_own_cells_and_reaches(api, crew):
    gully = Waterway.objects.get(code="ZW-G07")
    network = _strict_json(api(crew["chief"]).get(URL, {"method": "network", "waterway": str(gully.id)}))
    own_reaches = Reach.objects.filter(waterway=gully).values_list("id", flat=True)
    assert {f["id"] for f in network["features"]} == set(own_reaches)
    hexes = _strict_json(api(crew["chief"]).get(URL, {"waterway": "mine"}))
    everything = _strict_json(api(crew["chief"]).get(URL))
    assert 0 < len(hexes["features"]) < len(everything["features"])


@pytest.mark.parametrize("params, name", [
    ({"measure": "rubbish"}, "measure"),
    ({"method": "grid"}, "method"),
    ({"normalize": "yes"}, "normalize"),
    ({"size": "10"}, "size"),
    ({"size": "20000"}, "size"),
    ({"size": "abc"}, "size"),
])
def test_bad_parameters_are_refused_in_chinese(api, crew, params, name):
    response = api(crew["staff"]).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert name in body["errors"] and name in body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])


def test_volunteers_may_not_see_hotspots(api, crew):
    assert api(crew["volunteer"]).get(URL).status_code == 403
    assert api(None).get(URL).status_code == 401


# --- Large neighbourhoods ------------------------------------------------------------------------


class _TookTooLong(Exception):
    pass


def _within(seconds, work):
    """work() or _TookTooLong after `seconds`: a draw that never ends must fail the test, not hang it."""
    import signal

    def stop(_signum, _frame):
        raise _TookTooLong(f"did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return work()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("n, m", [(1000, 300), (400, 300), (300, 299), (2000, 60)])
def test_draws_of_distinct_units_end_and_are_uniform_even_when_a_neighbourhood_is_most_of_the_network(n, m):
    from reports.selectors.hotspots import _distinct_draws

    rng = np.random.default_rng(7)
    rows = 3000
    draws = _within(60, lambda: _distinct_draws(rng, n, m, rows))
    assert draws.shape == (m, rows)
    assert all(len(set(column)) == m for column in draws.T)  # distinct units in every draw
    assert draws.min() >= 0 and draws.max() < n
    # Every prefix is a uniform subset: each unit is among the first k picks with chance k/n.
    for k in (1, m // 3, m):
        hits = np.bincount(draws[:k].ravel(), minlength=n)
        expected = rows * k / n
        assert abs(hits.mean() - expected) < 1e-9
        # Binomial spread, with room for the largest of n deviations.
        assert np.abs(hits - expected).max() < 5.5 * math.sqrt(expected * (1 - k / n)) + 1, k


@pytest.mark.parametrize("neighbour_m", [5000, 30000])
def test_network_hotspots_finish_when_neighbourhoods_span_kilometres(reporter, settings, neighbour_m):
    """堵河 and 犟河 (370 reaches): with neighbours up to 5 km along the water a neighbourhood is a
    hundred reaches or more, with 30 km nearly the whole network."""
    settings.HOTSPOT_NETWORK_NEIGHBOUR_M = neighbour_m
    rivers = list(Waterway.objects.filter(code__in=["ZW-R01", "ZW-R02"]).order_by("code"))
    owner = activity(reporter, kind="cleanup")
    problems_along(owner, [(rivers[0], 3000.0 + 20 * k) for k in range(30)])
    problems_along(owner, [(river, float(pos)) for river in rivers for pos in range(500, 15000, 1500)])
    filters = year_2026(waterway_ids=tuple(river.pk for river in rivers))
    result = _within(120, lambda: hotspots(filters, measure="problems", method="network", normalize="none"))
    assert result["meta"]["units"] == Reach.objects.filter(waterway__in=rivers).count() == 370
    assert result["meta"]["tested"] == 370 and result["meta"]["neighbour_m"] == neighbour_m
    assert sum(f["properties"]["raw"] for f in result["features"]) == result["meta"]["items"] == 30 + 2 * 10
    assert all(0 < f["properties"]["p"] <= 1 and f["properties"]["class"] in CLASSES_OUT for f in result["features"])


# --- The statistic computed in slices is the statistic as first written -------------------------
# The draws are summed, checked for repeats and counted a slice at a time, and z is computed without
# building esda's Graph, for speed only: the same z as esda and the same p-values, bit for bit, as
# the draws summed whole (np.cumsum), repeats found by sorting every draw and tails counted by binary
# search, from the same random numbers.


def _random_graph(rng, n, reach):
    """Symmetric neighbour pairs between units at most `reach` apart in a line (islands possible)."""
    a = rng.integers(0, n, 6 * n)
    b = np.clip(a + rng.integers(-reach, reach + 1, a.size), 0, n - 1)
    keys = np.unique(np.r_[a * n + b, b * n + a][np.r_[a != b, a != b]])
    return keys // n, keys % n


def _statistic_cases():
    rng = np.random.default_rng(31)
    i, j = np.divmod(np.arange(40 * 40), 40)
    yield "hex grid, counts", rng.poisson(0.6, i.size).astype(float), *hex_neighbours(i, j), 999
    for n, reach, permutations in ((900, 3, 999), (1500, 12, 199), (200, 4, 999), (500, 300, 99), (2500, 40, 99)):
        src, dst = _random_graph(rng, n, reach)
        counts = rng.poisson(0.8, n).astype(float)
        counts[rng.integers(0, n, 4)] += 25  # far upper tails: every draw is counted
        yield f"n={n} reach={reach}, counts", counts, src, dst, permutations
        kilograms = rng.gamma(0.6, 4.0, n) * (rng.random(n) < 0.4)  # many zeros, the rest all distinct
        yield f"n={n} reach={reach}, kilograms", kilograms, src, dst, permutations


def _reference_p(y, src, dst, *, permutations, seed):
    import reports.selectors.hotspots as module

    def draws_of(rng, n, m, rows):
        if module._by_ordering(n, m) or m * m > n:
            return module._distinct_draws(rng, n, m, rows)
        picks = rng.integers(0, n, size=(rows, m), dtype=np.int32)
        while True:
            ordered = np.sort(picks, axis=1)
            clash = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
            if not clash.any():
                return picks.T
            picks[clash] = rng.integers(0, n, size=(int(clash.sum()), m), dtype=np.int32)

    n = len(y)
    size = np.bincount(src, minlength=n) + 1
    tested = size > 1
    observed = np.bincount(src, weights=y[dst], minlength=n) + y
    draws = int(min(module.MAX_REFERENCE_DRAWS, permutations * int(tested.sum())))
    tolerance = module.TIE_TOLERANCE * max(1.0, float(np.abs(y).max()))
    levels = {int(m): np.unique(observed[tested & (size == m)]) for m in np.unique(size[tested])}
    at_least, at_most, counted = ({m: np.zeros(len(v), dtype=np.int64) for m, v in levels.items()} for _ in range(3))
    open_ = {m: np.ones(len(v), dtype=bool) for m, v in levels.items()}
    rng = np.random.default_rng(seed)
    rows, done = module.FIRST_DRAW_BLOCK, 0
    while done < draws and any(live.any() for live in open_.values()):
        largest = max(m for m in levels if open_[m].any())
        cap = max(1, module.DRAW_BLOCK_VALUES // module._values_per_draw(n, largest))
        rows = min(rows, draws - done, cap)
        sums = np.cumsum(y[draws_of(rng, n, largest, rows)], axis=0)
        for m in [m for m in levels if open_[m].any()]:
            s, live = sums[m - 1], open_[m]
            values = levels[m][live]
            up = np.searchsorted(values, s + tolerance, side="right")
            at_least[m][live] += rows - np.cumsum(np.bincount(up, minlength=len(values) + 1))[:len(values)]
            down = np.searchsorted(values, s - tolerance, side="left")
            at_most[m][live] += np.cumsum(np.bincount(down, minlength=len(values) + 1))[:len(values)]
            counted[m][live] += rows
            open_[m] &= np.minimum(at_least[m], at_most[m]) < module.SETTLE_EXCEEDANCES
        done += rows
        rows = min(rows * 2, cap)
    p = np.full(n, np.nan)
    for m, values in levels.items():
        members = tested & (size == m)
        where = np.searchsorted(values, observed[members])
        tail = np.minimum(at_least[m][where], at_most[m][where])
        p[members] = np.minimum(1.0, 2 * ((tail + 1) / (counted[m][where] + 1)))
    return p


@pytest.mark.parametrize("case", list(range(11)))
def test_gi_star_is_esdas_z_and_the_same_p_values_as_the_draws_summed_whole(case):
    import esda
    from libpysal.graph import Graph

    label, y, src, dst, permutations = list(_statistic_cases())[case]
    z, p = local_gi_star(y, src, dst, permutations=permutations, seed=settings.HOTSPOT_SEED)

    n = len(y)
    islands = np.setdiff1d(np.arange(n), src)
    focal, neighbour = np.r_[src, islands], np.r_[dst, islands]
    order = np.lexsort((neighbour, focal))
    graph = Graph.from_arrays(focal[order], neighbour[order], np.r_[np.ones(src.size), np.zeros(islands.size)][order])
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_z = esda.G_Local(y, graph, transform="B", permutations=0, star=True).Zs
    expected_z[islands] = np.nan
    np.testing.assert_allclose(z, expected_z, rtol=1e-12, atol=0, err_msg=label)
    assert np.array_equal(p, _reference_p(y, src, dst, permutations=permutations, seed=settings.HOTSPOT_SEED),
                          equal_nan=True), label
    assert np.isnan(p).sum() == islands.size, label


@pytest.mark.parametrize("n, m, rows", [(5000, 7, 70_000), (400, 20, 3000), (2000, 60, 2000), (300, 200, 500),
                                        (200, 5, 1000)])
def test_draws_summed_in_slices_are_the_sums_of_the_same_draws(n, m, rows):
    """The slices (with the repeats redrawn after them) give each draw's sums from the same random
    numbers as the draws made whole, and leave the generator where the whole draws leave it. m² ≈ n
    makes repeats common; m > 16 finds them by sorting; the last three take the other ways to draw."""
    from reports.selectors.hotspots import _distinct_draws, _draw_sums

    y = np.random.default_rng(n + m).gamma(0.5, 3.0, n)
    sizes = sorted({2, m // 2, m})
    sliced_rng, whole_rng = np.random.default_rng(9), np.random.default_rng(9)
    sums = _draw_sums(sliced_rng, y, m, rows, sizes)
    whole = np.cumsum(y[_distinct_draws(whole_rng, n, m, rows)], axis=0)
    for size in sizes:
        assert np.array_equal(sums[size], whole[size - 1]), size
    assert sliced_rng.bit_generator.state == whole_rng.bit_generator.state


def test_tails_are_counted_as_a_binary_search_counts_them_at_the_tolerance():
    from reports.selectors.hotspots import DIRECT_COMPARISONS, _tail_counts

    rng = np.random.default_rng(4)
    tolerance = 1e-9
    sums = np.r_[rng.integers(0, 6, 500).astype(float), 3 + tolerance, 3 - tolerance, 2.5 + 2 * tolerance]
    for values in (np.array([-1.0, 0.0, 2.5, 3.0, 5.0, 9.0]), np.unique(np.r_[sums, rng.random(80) * 7])):
        assert (len(values) <= DIRECT_COMPARISONS) == (len(values) == 6)
        at_least, at_most = _tail_counts(values, sums, tolerance)
        assert at_least.tolist() == [np.count_nonzero(sums + tolerance >= v) for v in values]
        assert at_most.tolist() == [np.count_nonzero(sums - tolerance <= v) for v in values]


def test_hotspots_leave_the_cyclic_garbage_collector_as_they_found_it(district_data):
    """It is paused while the answer is built (tens of thousands of acyclic dicts and lists), and
    must not stay off for the rest of the process, even when the request is refused."""
    import gc

    hotspots(year_2026(), measure="problems", method="hex", normalize="none")
    assert gc.isenabled()
    with pytest.raises(ValueError):
        hotspots(year_2026(), measure="rubbish", method="hex", normalize="none")
    assert gc.isenabled()
    gc.disable()
    try:
        hotspots(year_2026(), measure="problems", method="network", normalize="none")
        assert not gc.isenabled()  # the caller's to turn back on
    finally:
        gc.enable()
