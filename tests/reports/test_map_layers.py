"""The river-chief map's activity layers (GeoJSON and vector tiles): what each user may see, what
the filters keep, and that a tile holds what lies under it."""

import math
from datetime import date

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patrols import scopes
from patrols.models import Activity
from problems.models import Problem
from reports.filters import ReportFilters
from reports.selectors import tiles
from tests.support.factories import activity_body
from tests.support.walks import walk_along
from waterways.models import Reach

YEAR = {"start": "2026-01-01", "end": "2026-12-31"}


def _submit(client, body):
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


@pytest.fixture
def work(crew, api):
    """A patrol on 狮子沟 by the volunteer with a teammate, a cleanup with a problem on 狮子沟 by the
    outsider, a patrol on another gully by the other chief, and a rejected patrol."""
    patrol = _submit(api(crew["volunteer"]), activity_body(walk_along("ZW-G07", length_m=900),
                                                           participants=[crew["teammate"].id]))
    start = walk_along("ZW-G07", start_m=400, length_m=0)[0]
    cleanup = _submit(api(crew["outsider"]), activity_body(kind="cleanup", point=start[:2], figures={"debris_kg": 12.5}, problems=[{
        "client_uuid": "6f1c3a52-9f0e-4a53-8d7e-2b8a7c1d0e11", "category": "sewage", "point": start[:2],
        "observed_at": "2026-05-01T08:20:00+08:00", "note": "排污口冒黑水"}]))
    elsewhere = _submit(api(crew["other_chief"]), activity_body(walk_along("ZW-G01", length_m=700)))
    rejected = _submit(api(crew["volunteer"]), activity_body(walk_along("ZW-G07", start_m=1000, length_m=300)))
    staff_client = api(crew["staff"])
    response = staff_client.post(f"/api/activities/{rejected.id}/review/", {"decision": "reject", "note": "轨迹是开车录的"},
                                 format="json")
    assert response.status_code == 200
    return {"patrol": patrol, "cleanup": cleanup, "elsewhere": elsewhere, "rejected": rejected}


def _ids(response):
    assert response.status_code == 200, response.content
    return {feature["properties"]["id"] for feature in response.json()["features"]}


def test_volunteers_and_strangers_cannot_open_the_map_layers(crew, api, work, client):
    for url in ("/api/map/activities/", "/api/map/tracks/", "/api/map/problems/", "/api/map/summary/",
                "/api/tiles/tracks/12/3305/1658.mvt"):
        response = api(crew["volunteer"]).get(url)
        assert response.status_code == 403
        assert "河长" in response.json()["detail"]
        assert client.get(url).status_code == 401


def test_staff_see_every_activity_but_the_rejected_one(crew, api, work):
    ids = _ids(api(crew["staff"]).get("/api/map/activities/", YEAR))
    assert ids == {work["patrol"].id, work["cleanup"].id, work["elsewhere"].id}


def test_a_chief_sees_the_work_on_their_waterways_and_their_own_only(crew, api, work):
    chief = api(crew["chief"])  # chief of 狮子沟
    assert _ids(chief.get("/api/map/activities/", YEAR)) == {work["patrol"].id, work["cleanup"].id}
    assert _ids(chief.get("/api/map/tracks/", YEAR)) == {work["patrol"].id}
    other = api(crew["other_chief"])
    assert _ids(other.get("/api/map/activities/", YEAR)) == {work["elsewhere"].id}


def test_filters_keep_what_they_name(crew, api, work):
    staff = api(crew["staff"])
    assert _ids(staff.get("/api/map/activities/", {**YEAR, "kind": "cleanup"})) == {work["cleanup"].id}
    assert _ids(staff.get("/api/map/activities/", {**YEAR, "team": crew["team"].id})) == {work["patrol"].id}
    assert _ids(staff.get("/api/map/activities/", {**YEAR, "role": "chief"})) == {work["elsewhere"].id}
    gully = work["elsewhere"].waterway_id
    assert _ids(staff.get("/api/map/activities/", {**YEAR, "waterway": gully})) == {work["elsewhere"].id}
    assert _ids(staff.get("/api/map/activities/", {"start": "2026-05-02", "end": "2026-12-31"})) == set()
    assert _ids(staff.get("/api/map/activities/", {"start": "2026-05-01", "end": "2026-05-01"})) == {
        work["patrol"].id, work["cleanup"].id, work["elsewhere"].id}


def test_bad_filters_are_refused_in_chinese(crew, api, work):
    staff = api(crew["staff"])
    for params, field in (({"start": "2026-13-01"}, "start"), ({"kind": "picnic"}, "kind"), ({"role": "mayor"}, "role"),
                          ({"team": "99999"}, "team"), ({"start": "2026-06-01", "end": "2026-05-01"}, "end"),
                          ({"waterway": "狮子沟"}, "waterway")):
        response = staff.get("/api/map/activities/", params)
        assert response.status_code == 400, params
        body = response.json()
        assert field in body["errors"], body
        message = body["detail"]
        assert any("\u4e00" <= character <= "\u9fff" for character in message), message


def test_tracks_are_lines_in_lonlat_and_points_sit_on_the_activity(crew, api, work):
    staff = api(crew["staff"])
    tracks = staff.get("/api/map/tracks/", YEAR).json()["features"]
    patrol = next(feature for feature in tracks if feature["properties"]["id"] == work["patrol"].id)
    assert patrol["geometry"]["type"] == "MultiLineString"
    first = patrol["geometry"]["coordinates"][0][0]
    walked = walk_along("ZW-G07", length_m=0)[0]
    assert first == pytest.approx(walked[:2], abs=1e-4)
    points = staff.get("/api/map/activities/", YEAR).json()["features"]
    cleanup = next(feature for feature in points if feature["properties"]["id"] == work["cleanup"].id)
    start = walk_along("ZW-G07", start_m=400, length_m=0)[0]
    assert cleanup["geometry"]["coordinates"] == pytest.approx(start[:2], abs=1e-6)
    assert cleanup["properties"]["debris_kg"] == 12.5
    patrol_point = next(feature for feature in points if feature["properties"]["id"] == work["patrol"].id)
    assert patrol_point["properties"]["people"] == 2


def test_problems_carry_their_state_on_the_problem_list(crew, api, work):
    staff = api(crew["staff"])
    features = staff.get("/api/map/problems/", YEAR).json()["features"]
    assert [(f["properties"]["category"], f["properties"]["state"]) for f in features] == [("sewage", "open")]
    problem = Problem.objects.get(pk=features[0]["properties"]["id"])
    Problem.objects.filter(pk=problem.pk).update(state="assigned", deadline=date(2026, 11, 1))  # before today
    assert staff.get("/api/map/problems/", YEAR).json()["features"][0]["properties"]["state"] == "overdue"
    Problem.objects.filter(pk=problem.pk).update(state="closed", ending="not_fixed", not_fixed_reason="referred")
    features = staff.get("/api/map/problems/", YEAR).json()["features"]
    assert (features[0]["properties"]["state"], features[0]["properties"]["state_display"]) == ("not_fixed", "关闭未解决")
    Problem.objects.filter(pk=problem.pk).update(ending="fixed", not_fixed_reason="")
    features = staff.get("/api/map/problems/", YEAR).json()["features"]
    assert features[0]["properties"]["state"] == "fixed"
    # The other chief does not oversee 狮子沟, and never sees its problems.
    assert api(crew["other_chief"]).get("/api/map/problems/", YEAR).json()["features"] == []


def test_the_summary_switches_to_vector_tiles_above_the_threshold(crew, api, work, settings):
    staff = api(crew["staff"])
    response = staff.post(f"/api/activities/{work['elsewhere'].id}/review/", {"decision": "verify"}, format="json")
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        summary = staff.get("/api/map/summary/", YEAR).json()
    # Reaches: every waterway's, from the counts kept on the waterways (the district has 2,071).
    assert summary["counts"] == {"activities": 3, "tracks": 2, "reaches": Reach.objects.count()}
    assert summary["vector_tiles"]["activities"] is False
    assert summary["vector_tiles"]["freshness"] is summary["vector_tiles"]["gaps"] is False
    # 2 + 1 + 1; the rejected patrol's record does not count. The other chief's patrol is verified.
    records = summary["service_records"]
    assert (records["total"], records["verified"], records["pending"]) == (4, 1, 3)
    # The service-record figures are one query, and the whole summary a handful.
    assert sum("patrols_servicerecord" in query["sql"] for query in queries.captured_queries) == 1
    assert len(queries.captured_queries) <= 4, [query["sql"][:120] for query in queries.captured_queries]
    assert not any("waterways_reach" in query["sql"] for query in queries.captured_queries)
    assert "服务记录" in summary["service_records"]["definition"]
    settings.MAP_VECTOR_TILE_THRESHOLD = 2
    summary = staff.get("/api/map/summary/", YEAR).json()
    assert summary["vector_tiles"] == {"threshold": 2, "activities": True, "tracks": False, "freshness": True,
                                       "gaps": True}


# --- Vector tiles -------------------------------------------------------------------------

def _tile_of(lon, lat, z):
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _decode(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def test_a_track_tile_holds_the_tracks_under_it_and_only_those_the_user_may_see(crew, api, work):
    lon, lat = walk_along("ZW-G07", start_m=300, length_m=0)[0][:2]
    x, y = _tile_of(lon, lat, 14)
    url = f"/api/tiles/tracks/14/{x}/{y}.mvt"
    staff_tile = _decode(api(crew["staff"]).get(url, YEAR))
    ids = {feature["id"] for feature in staff_tile["tracks"]["features"]}
    assert ids == {work["patrol"].id}  # not the rejected one, though it lies on the same gully
    assert staff_tile["tracks"]["features"][0]["properties"]["kind"] == "patrol"
    assert _decode(api(crew["chief"]).get(url, YEAR))["tracks"]["features"][0]["id"] == work["patrol"].id
    assert _decode(api(crew["other_chief"]).get(url, YEAR)) == {}
    # A tile far away is empty, and below zoom 9 tracks are not drawn at all.
    assert _decode(api(crew["staff"]).get(f"/api/tiles/tracks/14/{x + 40}/{y}.mvt", YEAR)) == {}
    x8, y8 = _tile_of(lon, lat, 8)
    assert _decode(api(crew["staff"]).get(f"/api/tiles/tracks/8/{x8}/{y8}.mvt", YEAR)) == {}


def test_activity_tiles_merge_nearby_activities_into_counts_per_kind(crew, api, work):
    lon, lat = walk_along("ZW-G07", start_m=400, length_m=0)[0][:2]
    staff = api(crew["staff"])
    # At zoom 9 a cell is ~600 m: the patrol (located on its track) and the cleanup may share one.
    x, y = _tile_of(lon, lat, 9)
    features = _decode(staff.get(f"/api/tiles/activities/9/{x}/{y}.mvt", YEAR))["activities"]["features"]
    counts = {}
    for feature in features:
        counts[feature["properties"]["kind"]] = counts.get(feature["properties"]["kind"], 0) + feature["properties"]["count"]
    assert counts == {"patrol": 2, "cleanup": 1}  # 狮子沟's patrol and ZW-G01's, in one zoom-9 tile
    cleanup_only = _decode(staff.get(f"/api/tiles/activities/9/{x}/{y}.mvt", {**YEAR, "kind": "cleanup"}))
    assert [f["properties"] for f in cleanup_only["activities"]["features"]] == [{"kind": "cleanup", "count": 1}]


def test_tile_requests_outside_the_grid_or_for_unknown_layers_are_404(crew, api, work):
    staff = api(crew["staff"])
    assert staff.get("/api/tiles/roads/12/1/1.mvt").status_code == 404
    response = staff.get("/api/tiles/tracks/3/8/1.mvt")
    assert response.status_code == 404 and "超出范围" in response.json()["detail"]


def test_the_tile_function_renders_without_a_user_for_benchmarks(work):
    lon, lat = walk_along("ZW-G07", start_m=300, length_m=0)[0][:2]
    x, y = _tile_of(lon, lat, 13)
    filters = ReportFilters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    decoded = mapbox_vector_tile.decode(tiles.tile("tracks", 13, x, y, filters, reader=scopes.EVERYTHING))
    assert {feature["id"] for feature in decoded["tracks"]["features"]} == {work["patrol"].id}
