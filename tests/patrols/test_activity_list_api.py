"""GET /api/activities/: GeoJSON in lon/lat, filters, and a capped page size."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from tests.support.clock import beijing
from tests.support.factories import activity_body
from tests.support.walks import walk_along


@pytest.fixture
def mixed(crew, api):
    """Three activities of the team: a patrol on 狮子沟 in May, a cleanup on 堵河 in June, a
    sewer inspection without location in July; and the outsider's cleanup."""
    own = api(crew["volunteer"])
    patrol = own.post("/api/activities/", activity_body(walk_along(length_m=500), participants=[crew["teammate"].id]),
                      format="json").json()
    cleanup = own.post("/api/activities/", activity_body(kind="cleanup", point=[110.601, 32.740],
                       started_at="2026-06-10T09:00:00+08:00", ended_at="2026-06-10T10:00:00+08:00"), format="json").json()
    inspection = own.post("/api/activities/", activity_body(kind="sewer_inspection", figures={"manholes_checked": 12},
                          started_at="2026-07-02T09:00:00+08:00", ended_at="2026-07-02T11:00:00+08:00"), format="json").json()
    api(crew["outsider"]).post("/api/activities/", activity_body(kind="cleanup", point=[110.601, 32.740]), format="json")
    return {"patrol": patrol["id"], "cleanup": cleanup["id"], "inspection": inspection["id"]}


def _ids(client, query=""):
    response = client.get("/api/activities/" + query)
    assert response.status_code == 200, response.json()
    return {feature["id"] for feature in response.json()["features"]}


def test_geojson_in_lon_lat(crew, api, mixed):
    body = api(crew["volunteer"]).get("/api/activities/").json()
    assert body["type"] == "FeatureCollection" and body["count"] == 3
    patrol = next(f for f in body["features"] if f["id"] == mixed["patrol"])
    assert patrol["geometry"]["type"] == "MultiLineString"
    lon, lat = patrol["geometry"]["coordinates"][0][0]
    assert 110.3 < lon < 111.0 and 32.4 < lat < 32.9
    inspection = next(f for f in body["features"] if f["id"] == mixed["inspection"])
    assert inspection["geometry"] is None and inspection["properties"]["figures"]["manholes_checked"] == 12


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?kind=patrol", {"patrol"}),
        ("?waterway=ZW-G07", {"patrol"}),
        ("?start=2026-06-01&end=2026-06-30", {"cleanup"}),
        ("?start=2026-06-10&end=2026-06-10", {"cleanup"}),  # one whole day, Beijing time
        ("?bbox=110.59,32.73,110.61,32.75", {"cleanup"}),
        ("?status=submitted", {"patrol", "cleanup", "inspection"}),
        ("?status=verified", set()),
    ],
)
def test_filters(crew, api, mixed, query, expected):
    assert _ids(api(crew["volunteer"]), query) == {mixed[name] for name in expected}


def test_a_track_crossing_the_box_is_included_though_it_starts_outside(crew, api, mixed):
    lon, lat = walk_along(start_m=250, length_m=0)[0][:2]
    box = f"?bbox={lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
    assert _ids(api(crew["volunteer"]), box) == {mixed["patrol"]}


@pytest.mark.parametrize("box", ["-180,-90,180,90", "0,0,180,90", "-10,0,170,80", "100,20,125,45"])
def test_a_very_wide_box_still_finds_the_districts_activities(crew, api, mixed, box):
    assert _ids(api(crew["volunteer"]), "?bbox=" + box) == {mixed["patrol"], mixed["cleanup"]}


def test_a_box_outside_the_storage_projection_finds_nothing(crew, api, mixed):
    assert _ids(api(crew["volunteer"]), "?bbox=0,0,10,10") == set()


def test_person_and_team_filters(crew, api, mixed):
    staff = api(crew["staff"])
    assert _ids(staff, f"?person={crew['teammate'].id}") == {mixed["patrol"]}
    assert _ids(staff, f"?team={crew['team'].id}") == {mixed["patrol"], mixed["cleanup"], mixed["inspection"]}
    assert len(_ids(staff)) == 4


@pytest.mark.parametrize(
    "query, message",
    [("?bbox=1,2,3", "bbox"), ("?bbox=111,32,110,33", "bbox"), ("?start=2026-07-01&end=2026-06-01", "结束日期"),
     ("?kind=swim", "kind"), ("?start=yesterday", "start")],
)
def test_bad_filters_are_explained(crew, api, mixed, query, message):
    response = api(crew["volunteer"]).get("/api/activities/" + query)
    assert response.status_code == 400
    assert message in str(response.json())


def test_pages_are_capped(crew, api, mixed, monkeypatch):
    from patrols.api.activities import ActivityPagination

    client = api(crew["staff"])
    first = client.get("/api/activities/?page_size=2").json()
    assert first["count"] == 4 and len(first["features"]) == 2 and first["next"]
    monkeypatch.setattr(ActivityPagination, "max_page_size", 3)
    capped = client.get("/api/activities/?page_size=1000000").json()
    assert len(capped["features"]) == 3 and capped["count"] == 4


def _more_work(crew, api, count):
    """Patrols by a village chief, each with a problem and its photo: everything a listed activity
    shows comes from related rows (participants, photos, problems, the chief's rule)."""
    client = api(crew["chief"])
    for n in range(count):
        started = beijing(f"2026-05-{n + 2:02d} 08:00")
        problem_uuid = str(uuid.uuid4())
        body = activity_body(
            walk_along(start_m=100 * n, length_m=300, start_ms=int(started.timestamp() * 1000)),
            started_at=started.isoformat(), ended_at=(started + timedelta(hours=1)).isoformat(),
            problems=[{"client_uuid": problem_uuid, "category": "garbage", "observed_at": started.isoformat(),
                       "point": walk_along(start_m=100 * n, length_m=0)[0][:2]}],
        )
        created = client.post("/api/activities/", body, format="json")
        assert created.status_code == 201, created.json()
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (n * 20, 90, 160)).save(buffer, "JPEG")
        photo = client.post(f"/api/activities/{created.json()['id']}/photos/",
                            {"photo": SimpleUploadedFile("p.jpg", buffer.getvalue()), "problem": problem_uuid},
                            format="multipart")
        assert photo.status_code == 201, photo.json()


def test_the_list_costs_the_same_queries_for_two_activities_or_twelve(crew, api, client):
    """The selector returns what the list shows (participants, photos, problems and their photos,
    the compliance verdicts): no query per activity, in the API or on the page."""
    staff_api = api(crew["staff"])
    client.force_login(crew["staff"].user)

    def cost():
        with CaptureQueriesContext(connection) as api_queries:
            body = staff_api.get("/api/activities/").json()
        with CaptureQueriesContext(connection) as page_queries:
            page = client.get("/activities/")
        assert page.status_code == 200
        return body["count"], len(api_queries), len(page_queries)

    _more_work(crew, api, 2)
    few, api_few, page_few = cost()
    _more_work(crew, api, 10)
    many, api_many, page_many = cost()
    assert (few, many) == (2, 12)
    assert api_many == api_few and page_many == page_few, (api_few, api_many, page_few, page_many)
    assert api_few <= 15, api_few


def test_the_last_instant_of_a_day_belongs_to_that_day_in_the_list_and_on_the_map(crew, api):
    """One end of day everywhere (riverwatch.dates, half-open): the activity list and the river-chief
    map's layers put the last microsecond of 31 May in May and midnight in June."""
    from datetime import timedelta as delta

    from patrols.models import Activity

    staff = api(crew["staff"])
    ids = {}
    for name, started in (("last", beijing("2026-05-31 23:59:59.999999")), ("first", beijing("2026-06-01 00:00"))):
        body = activity_body(kind="cleanup", point=walk_along(start_m=300, length_m=0)[0][:2],
                             started_at=started.isoformat(), ended_at=(started + delta(hours=1)).isoformat())
        response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
        assert response.status_code == 201, response.json()
        ids[name] = response.json()["id"]
    assert Activity.objects.get(pk=ids["last"]).started_at.microsecond == 999999

    def listed(query):
        return {feature["id"] for feature in staff.get("/api/activities/", query).json()["features"]}

    def drawn(query):
        return {f["properties"]["id"] for f in staff.get("/api/map/activities/", query).json()["features"]}

    may, june = {"start": "2026-05-01", "end": "2026-05-31"}, {"start": "2026-06-01", "end": "2026-06-30"}
    assert listed(may) == drawn(may) == {ids["last"]}
    assert listed(june) == drawn(june) == {ids["first"]}
