"""Vector tiles of the reaches' freshness and gaps (/api/tiles/freshness|gaps/…): over every tile that
covers a waterway, the runs drawn are the GeoJSON layers' runs (/api/coverage/reaches/ and
/api/coverage/gaps/), with the same classes, metres and days, drawn where the GeoJSON draws them, each
whole in every tile it crosses; under every filter form (the rollups, and a team's visits); `days` is
checked as the gaps API checks it; strangers get nothing. The summary tells the map when to ask.

Visits are planted on 青石沟 (ZW-G09, 21 reaches of 100 m, 2,052 m), seen from 30 April 2026 (Beijing),
with ages on both sides of each freshness bound (7, 30, 90 days) and at the edges of Beijing days."""

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from django.conf import settings
from pyproj import Transformer
from shapely.geometry import box, shape

from reports.selectors import tiles
from tests.support.clock import beijing
from waterways.models import Waterway

END = "2026-04-30"
CODE = "ZW-G09"
_LONLAT_TO_MERCATOR = Transformer.from_crs(settings.API_SRID, 3857, always_xy=True)


def to_mercator(geometry):
    """A lon/lat shapely geometry in EPSG:3857."""
    return shapely.transform(geometry, lambda xy: np.column_stack(_LONLAT_TO_MERCATOR.transform(xy[:, 0], xy[:, 1])))
HALF_WORLD = tiles.WORLD_M / 2


@pytest.fixture
def g09_history(plant_visits, report_people):
    """Reaches 1–2 never visited; 3 today, 4 seven days ago (0–7); 5 eight days ago, 6 at 23:55 thirty
    days ago (8–30); 7 at 23:55 thirty-one days ago, 8 ninety days ago (31–90); 9 ninety-one days ago
    (90+); 10 only by a rejected walk (never); 11–12 yesterday by a team member's cleanup (0–7); 13 only
    after the end (never); 14–21 never."""
    plant_visits(CODE, [3], beijing("2026-04-30 09:00"))
    plant_visits(CODE, [4], beijing("2026-04-23 00:05"))
    plant_visits(CODE, [5], beijing("2026-04-22 23:55"))
    plant_visits(CODE, [6], beijing("2026-03-31 23:55"))
    plant_visits(CODE, [7], beijing("2026-03-30 23:55"))
    plant_visits(CODE, [8], beijing("2026-01-30 10:00"))
    plant_visits(CODE, [9], beijing("2026-01-29 10:00"))
    plant_visits(CODE, [10], beijing("2026-04-29 10:00"), status="rejected")
    plant_visits(CODE, [11, 12], beijing("2026-04-29 10:00"), kind="cleanup", person=report_people["volunteer"])
    plant_visits(CODE, [13], beijing("2026-05-01 00:05"))
    return Waterway.objects.get(code=CODE)


def tile_of(mx, my, z):
    width = tiles.WORLD_M / 2**z
    return int((mx + HALF_WORLD) // width), int((HALF_WORLD - my) // width)


def tile_box(z, x, y):
    """The tile in EPSG:3857 (xmin, ymin, xmax, ymax)."""
    width = tiles.WORLD_M / 2**z
    return box(-HALF_WORLD + x * width, HALF_WORLD - (y + 1) * width, -HALF_WORLD + (x + 1) * width, HALF_WORLD - y * width)


def covering_tiles(lines, z):
    """Every tile at zoom z that the lines' bounds (EPSG:3857) touch."""
    xmin, ymin, xmax, ymax = shapely.union_all(lines).bounds
    (x0, y0), (x1, y1) = tile_of(xmin, ymax, z), tile_of(xmax, ymin, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def decoded(client, layer, z, x, y, query):
    """The tile's features (geometry in EPSG:3857), or [] for an empty tile."""
    response = client.get(f"/api/tiles/{layer}/{z}/{x}/{y}.mvt", query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    if not response.content:
        return []
    layers = mapbox_vector_tile.decode(response.content)
    assert set(layers) == {layer}
    tile = tile_box(z, x, y)
    xmin, ymin, xmax, ymax = tile.bounds
    scale = (xmax - xmin) / layers[layer]["extent"]

    # Tile units, y up (the decoder's default), to EPSG:3857.
    return [(feature["properties"], shapely.transform(shape(feature["geometry"]), lambda xy: xy * scale + (xmin, ymin)))
            for feature in layers[layer]["features"]]


def geojson_runs(client, url, query):
    response = client.get(url, query)
    assert response.status_code == 200, response.json()
    return [(feature["properties"], to_mercator(shape(feature["geometry"])))
            for feature in response.json()["features"] if feature["properties"]["waterway_code"] == CODE]


def compare(geojson, client, layer, z, query, key):
    """Every tile at zoom z covering the waterway holds exactly the GeoJSON runs that cross it, each
    drawn where the GeoJSON draws it (within a pixel: half a pixel of simplification, the tile grid);
    together the tiles hold every run. key(properties) -> what must match."""
    pixel = tiles.WORLD_M / 2**z / 256
    seen = set()
    for z, x, y in covering_tiles([line for _properties, line in geojson], z):
        tile = tile_box(z, x, y)
        drawn = {}
        for properties, line in decoded(client, layer, z, x, y, query):
            assert properties["waterway_code"] == CODE and properties["waterway_name"] == "青石沟"
            assert key(properties) not in drawn, "a run drawn twice in one tile: not merged"
            drawn[key(properties)] = line
        # A run that only touches the tile's edge may be left out; any that crosses it is there.
        expected = {key(properties): line for properties, line in geojson if line.intersects(tile.buffer(-pixel))}
        assert set(expected) <= set(drawn), (z, x, y)
        # Runs just outside reach into the tile's buffer (64 of 4096 units), so its edge joins the next.
        near = tile.buffer(pixel * (256 * 64 / tiles.EXTENT + 1))
        assert set(drawn) <= {key(properties) for properties, line in geojson if line.intersects(near)}
        for run, line in expected.items():
            inside, want = drawn[run].intersection(tile), line.intersection(tile)
            assert inside.hausdorff_distance(want) < pixel, (z, x, y, run)
        seen |= set(drawn)
    assert seen == {key(properties) for properties, _line in geojson}
    return seen


# The GeoJSON gives metres to 0.1 m (Python's round); the tiles the metres themselves.
def _freshness_key(properties):
    return (properties["class"], round(properties["start_m"], 1), round(properties["end_m"], 1),
            properties.get("days_since_visit"))


def _gap_key(properties):
    last = properties.get("last_visit")
    return (round(properties["start_m"], 1), round(properties["end_m"], 1), properties.get("days_since_visit"),
            last[:10] if last else None)


FILTERS = {
    "everyone's": {},
    "cleanups": {"kind": "cleanup"},
    "a team's": "team",  # the team form: coverage reads the visits, not the rollups
}


def expected_runs(gully, *runs):
    """(class, start_m, end_m, days) of runs given as (class, first seq, last seq, days)."""
    return [(name, (first - 1) * 100.0, round(gully.length_m, 1) if last == 21 else last * 100.0, days)
            for name, first, last, days in runs]


@pytest.mark.parametrize("z", [13, 16])
@pytest.mark.parametrize("scope", list(FILTERS), ids=list(FILTERS))
def test_freshness_tiles_hold_the_geojson_layers_runs_and_classes(g09_history, report_people, api, z, scope):
    staff = api(report_people["staff"])
    query = {"end": END, "waterway": g09_history.pk}
    query.update({"team": report_people["team"].pk} if FILTERS[scope] == "team" else FILTERS[scope])
    geojson = geojson_runs(staff, "/api/coverage/reaches/", query)
    runs = sorted(compare(geojson, staff, "freshness", z, query, _freshness_key), key=lambda run: run[1])
    if scope == "everyone's":
        # Both sides of every bound; a rejected walk (10) and one after the end (13) are no visit.
        assert runs == expected_runs(g09_history, ("never", 1, 2, None), ("0-7", 3, 4, 0), ("8-30", 5, 6, 8),
                                     ("31-90", 7, 8, 31), ("90+", 9, 9, 91), ("never", 10, 10, None),
                                     ("0-7", 11, 12, 1), ("never", 13, 21, None))
    else:  # only the team member's cleanup
        assert runs == expected_runs(g09_history, ("never", 1, 10, None), ("0-7", 11, 12, 1), ("never", 13, 21, None))


@pytest.mark.parametrize("z", [13, 16])
@pytest.mark.parametrize("days", [7, 30, 90])
def test_gap_tiles_hold_the_gap_stretches_of_the_gaps_api(g09_history, report_people, api, z, days):
    staff = api(report_people["staff"])
    query = {"end": END, "waterway": g09_history.pk, "days": days}
    geojson = geojson_runs(staff, "/api/coverage/gaps/", query)
    stretches = compare(geojson, staff, "gaps", z, query, _gap_key)
    assert len(stretches) == len(geojson) > 1


def mercator_along(gully, metres):
    point = gully.geom.interpolate(metres)
    point.transform(3857)
    return point.x, point.y


def test_a_freshness_feature_carries_what_its_popup_says(g09_history, report_people, api):
    x, y = tile_of(*mercator_along(g09_history, 300), 14)
    features = decoded(api(report_people["staff"]), "freshness", 14, x, y, {"end": END})
    assert all(set(properties) >= {"waterway_code", "waterway_name", "class", "start_m", "end_m"}
               for properties, _line in features)
    visited = [properties for properties, _line in features if properties["waterway_code"] == CODE
               and properties["start_m"] == 200.0]
    assert visited == [{"waterway_code": CODE, "waterway_name": "青石沟", "class": "0-7", "days_since_visit": 0,
                        "last_visit": END, "start_m": 200.0, "end_m": 400.0}]
    # Never visited: no days and no last visit, as the GeoJSON's nulls.
    never = [properties for properties, _line in features if properties["waterway_code"] == CODE
             and properties["start_m"] == 0.0]
    assert never == [{"waterway_code": CODE, "waterway_name": "青石沟", "class": "never", "start_m": 0.0, "end_m": 200.0}]


def test_below_zoom_8_a_tile_of_reaches_is_empty(g09_history, report_people, api):
    for z in (tiles.REACH_MIN_ZOOM, tiles.REACH_MIN_ZOOM - 1):
        x, y = tile_of(*mercator_along(g09_history, 300), z)
        response = api(report_people["staff"]).get(f"/api/tiles/freshness/{z}/{x}/{y}.mvt", {"end": END})
        assert response.status_code == 200
        assert bool(response.content) is (z >= tiles.REACH_MIN_ZOOM)


@pytest.mark.parametrize("days", ["0", "3651", "thirty", "-5", "7.5"])
def test_a_gap_tile_checks_days_as_the_gaps_api_does(report_people, api, days):
    response = api(report_people["staff"]).get("/api/tiles/gaps/12/3305/1658.mvt", {"days": days})
    assert response.status_code == 400
    body = response.json()
    assert "days" in body["errors"]
    assert "天数" in body["detail"] and "3650" in body["detail"]


@pytest.mark.parametrize("layer", ["freshness", "gaps"])
def test_strangers_and_volunteers_get_no_tile_of_reaches(report_people, api, layer):
    url = f"/api/tiles/{layer}/12/3305/1658.mvt"
    assert api().get(url).status_code == 401
    response = api(report_people["volunteer"]).get(url)
    assert response.status_code == 403 and "河长" in response.json()["detail"]
    assert api(report_people["chief"]).get(url).status_code == 200


def test_the_summary_weighs_freshness_and_gaps_by_the_reaches_in_scope(report_people, api, settings):
    staff = api(report_people["staff"])
    gully = Waterway.objects.get(code=CODE)
    settings.MAP_VECTOR_TILE_THRESHOLD = 100
    one = staff.get("/api/map/summary/", {"end": END, "waterway": gully.pk}).json()
    assert one["counts"]["reaches"] == gully.reach_count == 21
    assert (one["vector_tiles"]["freshness"], one["vector_tiles"]["gaps"]) == (False, False)
    everything = staff.get("/api/map/summary/", {"end": END}).json()
    assert everything["counts"]["reaches"] == sum(Waterway.objects.values_list("reach_count", flat=True)) > 100
    assert (everything["vector_tiles"]["freshness"], everything["vector_tiles"]["gaps"]) == (True, True)
    # A chief's own waterways ("mine"): 狮子沟 and 青石沟.
    mine = api(report_people["chief"]).get("/api/map/summary/", {"end": END, "waterway": "mine"}).json()
    assert mine["counts"]["reaches"] == sum(Waterway.objects.filter(code__in=["ZW-G07", CODE])
                                            .values_list("reach_count", flat=True))


@pytest.mark.parametrize("layer, geojson", [("freshness", "/api/coverage/reaches/"), ("gaps", "/api/coverage/gaps/")])
def test_a_tile_of_reaches_ignores_a_start_as_its_geojson_layer_does(g09_history, report_people, api, layer, geojson):
    staff = api(report_people["staff"])
    x, y = tile_of(*mercator_along(g09_history, 300), 14)
    plain = staff.get(f"/api/tiles/{layer}/14/{x}/{y}.mvt", {"end": END})
    for start in ("not-a-day", "2099-01-01", "2026-02-30"):
        assert staff.get(geojson, {"end": END, "start": start}).status_code == 200
        with_start = staff.get(f"/api/tiles/{layer}/14/{x}/{y}.mvt", {"end": END, "start": start})
        assert with_start.status_code == 200 and with_start.content == plain.content and plain.content
    # The activity layers take a period, and say when its start is wrong.
    refused = staff.get(f"/api/tiles/activities/14/{x}/{y}.mvt", {"end": END, "start": "2026-02-30"})
    assert refused.status_code == 400 and "start" in refused.json()["errors"]
