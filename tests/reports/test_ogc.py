"""OGC API – Features under /ogc/ (reports/ogc/, docs/ogc.md): who may read it, the documents a client
reads first, paging, bbox and datetime, refusals in Chinese, the reading rules each collection keeps,
and a constant number of queries per page. Real clients (GDAL, owslib, schemathesis) against the live
server: test_ogc_clients.py."""

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator
from knox.models import AuthToken
from rest_framework.test import APIClient

from patrols.models import Activity
from people.models import ChiefAssignment
from problems.models import Source
from reports.ogc.collections import COLLECTIONS
from tests.support.clock import beijing
from tests.support.factories import activity_body, make_person
from tests.support.problems import reported
from tests.support.walks import lonlat_on, walk_along
from waterways.models import Reach, Station, Waterway

CJK = re.compile(r"[\u4e00-\u9fff]")
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
ENDPOINTS = ("/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/stations",
             "/ogc/collections/stations/items", "/ogc/collections/stations/items/1")


def _submit(client, body):
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


def _at(when: datetime, **extra):
    """The body's times: started at `when`, an hour long."""
    return {"started_at": when.isoformat(), "ended_at": (when + timedelta(hours=1)).isoformat(), **extra}


@pytest.fixture
def work(crew, api):
    """On 狮子沟 (ZW-G07, the chief's): a patrol by the volunteer with a teammate (1 May), a cleanup at a
    point with a problem by the outsider (10 June); on 斤坪沟 (ZW-G01, the other chief's) a patrol by the
    other chief (1 October); and a patrol on 狮子沟 the office rejected (2 May)."""
    may_day = beijing("2026-05-01 08:00")
    patrol = _submit(api(crew["volunteer"]), activity_body(
        walk_along("ZW-G07", length_m=900, start_ms=int(may_day.timestamp() * 1000)),
        participants=[crew["teammate"].id], **_at(may_day)))
    june = beijing("2026-06-10 09:00")
    spot = lonlat_on("ZW-G07", 400)
    cleanup = _submit(api(crew["outsider"]), activity_body(
        kind="cleanup", point=spot, figures={"debris_kg": 12.5}, **_at(june), problems=[{
            "client_uuid": "6f1c3a52-9f0e-4a53-8d7e-2b8a7c1d0e11", "category": "sewage", "point": spot,
            "observed_at": "2026-06-10T09:20:00+08:00", "note": "排污口冒黑水"}]))
    october = beijing("2026-10-01 07:00")
    elsewhere = _submit(api(crew["other_chief"]), activity_body(
        walk_along("ZW-G01", length_m=700, start_ms=int(october.timestamp() * 1000)), **_at(october)))
    may_second = beijing("2026-05-02 08:00")
    rejected = _submit(api(crew["volunteer"]), activity_body(
        walk_along("ZW-G07", start_m=1000, length_m=300, start_ms=int(may_second.timestamp() * 1000)),
        **_at(may_second)))
    response = api(crew["staff"]).post(f"/api/activities/{rejected.id}/review/",
                                       {"decision": "reject", "note": "轨迹是开车录的"}, format="json")
    assert response.status_code == 200
    return {"patrol": patrol, "cleanup": cleanup, "elsewhere": elsewhere, "rejected": rejected}


def _json(response, status=200, content_type="application/json"):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == content_type
    return response.json()


def _ids(response):
    return {feature["id"] for feature in _json(response, content_type=GEOJSON)["features"]}


def _refused(response, status):
    body = _json(response, status)
    assert CJK.search(body["detail"]), body
    assert body["description"] == body["detail"]
    return body


def _path(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# --- who may read -------------------------------------------------------------------------------

def test_anonymous_users_get_the_landing_page_and_nothing_else(client, db):
    landing = _json(client.get("/ogc/"))
    links = {link["rel"]: link for link in landing["links"]}
    assert links["service-desc"]["type"] == OPENAPI and links["service-desc"]["href"].endswith("/ogc/api")
    assert links["conformance"]["href"].endswith("/ogc/conformance")
    assert links["data"]["href"].endswith("/ogc/collections")
    assert links["self"]["href"] == "http://testserver/ogc/"
    assert CJK.search(landing["title"])
    for url in ENDPOINTS:
        response = client.get(url)
        body = _refused(response, 401)
        assert "令牌" in body["detail"] and response["WWW-Authenticate"] == "Token"


def test_volunteers_are_refused_chiefs_and_staff_read(crew, api):
    for url in ENDPOINTS[:-1]:
        body = _refused(api(crew["volunteer"]).get(url), 403)
        assert "河长" in body["detail"]
        assert api(crew["chief"]).get(url).status_code == 200
        assert api(crew["staff"]).get(url).status_code == 200


def test_an_api_token_and_a_session_both_work(crew, client):
    token = AuthToken.objects.create(user=crew["chief"].user)[1]
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.get("/ogc/collections").status_code == 200
    client.force_login(crew["staff"].user)
    assert client.get("/ogc/collections").status_code == 200
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    _refused(wrong.get("/ogc/collections"), 401)
    # A wrong token is refused even on the landing page: it is a mistake worth saying.
    _refused(wrong.get("/ogc/"), 401)


# --- the documents a client reads first ---------------------------------------------------------------

def test_conformance_names_core_geojson_and_openapi(crew, api):
    classes = _json(api(crew["chief"]).get("/ogc/conformance"))["conformsTo"]
    assert {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"} <= set(classes)


def test_the_openapi_document_is_valid_openapi_3_and_lists_every_path(crew, api):
    document = _json(api(crew["staff"]).get("/ogc/api", {"f": "json"}), content_type=OPENAPI)
    validate_schema(document)  # the OpenAPI 3.0 JSON schema drf-spectacular ships
    assert document["servers"] == [{"url": "http://testserver/ogc"}]
    assert set(document["paths"]) == {"/", "/conformance", "/api", "/collections", "/collections/{collectionId}",
                                      "/collections/{collectionId}/schema", "/collections/{collectionId}/items",
                                      "/collections/{collectionId}/items/{featureId}"}
    parameters = document["components"]["parameters"]
    assert parameters["collectionId"]["schema"]["enum"] == list(COLLECTIONS)
    assert parameters["limit"]["schema"]["maximum"] == 10_000
    assert document["paths"]["/"]["get"]["security"] == []  # the landing page needs no login


def test_collections_describe_their_extent_and_link_their_items(crew, api, work):
    listed = _json(api(crew["staff"]).get("/ogc/collections"))
    assert [collection["id"] for collection in listed["collections"]] == [
        "waterways", "reaches", "activities", "tracks", "problems", "stations"]
    for collection in listed["collections"]:
        assert CJK.search(collection["title"]) and CJK.search(collection["description"])
        assert collection["itemType"] == "feature"
        links = {link["rel"]: link for link in collection["links"]}
        assert links["items"]["type"] == GEOJSON
        assert links["items"]["href"] == f"http://testserver/ogc/collections/{collection['id']}/items"
        west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
        # Zhangwan district, lon/lat in that order
        assert 110.3 < west <= east < 111.0 and 32.4 < south <= north < 32.9, collection["extent"]
    one = _json(api(crew["staff"]).get("/ogc/collections/activities"))
    assert one["extent"]["temporal"]["interval"] == [["2026-05-01T08:00:00+08:00", "2026-10-01T07:00:00+08:00"]]
    assert "temporal" not in _json(api(crew["staff"]).get("/ogc/collections/stations"))["extent"]


def test_every_feature_lies_in_its_collections_extent(crew, api, work):
    staff = api(crew["staff"])
    for collection_id in ("waterways", "activities", "tracks", "problems", "stations"):
        west, south, east, north = _json(staff.get(f"/ogc/collections/{collection_id}"))["extent"]["spatial"]["bbox"][0]
        features = _json(staff.get(f"/ogc/collections/{collection_id}/items"), content_type=GEOJSON)["features"]
        assert features
        for feature in features:
            for lon, lat in _positions(feature["geometry"]):
                assert west <= lon <= east and south <= lat <= north, (collection_id, lon, lat)


def _positions(geometry):
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Point":
        return [coordinates]
    if geometry["type"] == "LineString":
        return coordinates
    return [position for line in coordinates for position in line]


def _nullable(schema):
    """The schema with `nullable` properties also taking null, as JSON Schema says it."""
    for field in schema["properties"]["properties"]["properties"].values():
        if field.pop("nullable", False):
            field["type"] = [field["type"], "null"]
    return schema


def test_each_collection_describes_its_features_in_a_json_schema_they_follow(crew, api, work, plant_visits):
    plant_visits("ZW-R01", [1], beijing("2026-08-01 09:00"))
    staff = api(crew["staff"])
    for collection_id in COLLECTIONS:
        links = {link["rel"]: link for link in _json(staff.get(f"/ogc/collections/{collection_id}"))["links"]}
        described = links["describedBy"]
        assert described["type"] == "application/schema+json"
        schema = _json(staff.get(_path(described["href"])), content_type="application/schema+json")
        assert schema["$id"] == described["href"]
        validator = Draft202012Validator(_nullable(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
        features = _json(staff.get(f"/ogc/collections/{collection_id}/items", {"limit": 10000}),
                         content_type=GEOJSON)["features"]
        for feature in features:
            validator.validate(feature)
            assert set(feature["properties"]) == set(schema["properties"]["properties"]["properties"])
    reach = _json(staff.get("/ogc/collections/reaches/schema"), content_type="application/schema+json")
    assert reach["properties"]["properties"]["properties"]["last_visit"] == {
        "type": "string", "title": "期间结束前最近一次巡查", "format": "date-time", "nullable": True}
    activity = _json(staff.get("/ogc/collections/activities/schema"), content_type="application/schema+json")
    assert activity["properties"]["properties"]["properties"]["started_at"]["x-ogc-role"] == "primary-instant"


def test_coordinates_are_lon_lat_transformed_from_storage(crew, api):
    station = Station.objects.annotate(lonlat=Transform("geom", settings.API_SRID)).get(code="ZW-S01")
    feature = _json(api(crew["staff"]).get(f"/ogc/collections/stations/items/{station.pk}"), content_type=GEOJSON)
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(station.lonlat.x, abs=1e-6) and lat == pytest.approx(station.lonlat.y, abs=1e-6)
    assert 110 < lon < 111 and 32 < lat < 33  # longitude first
    assert feature["properties"] == {"code": "ZW-S01", "name": station.name, "kind": station.kind}


# --- paging ---------------------------------------------------------------------------------------------

def test_following_next_reaches_every_feature_exactly_once(crew, api):
    staff = api(crew["staff"])
    every = set(Station.objects.values_list("pk", flat=True))
    url, seen, pages = "/ogc/collections/stations/items?limit=8&bbox=-180,-90,180,90&unknown=kept", [], 0
    while url:
        page = _json(staff.get(url), content_type=GEOJSON)
        pages += 1
        links = {link["rel"]: link["href"] for link in page["links"]}
        assert page["numberMatched"] == len(every) and page["numberReturned"] == len(page["features"]) <= 8
        assert links["collection"] == "http://testserver/ogc/collections/stations"
        assert ("prev" in links) == (pages > 1)
        seen.extend(feature["id"] for feature in page["features"])
        url = _path(links["next"]) if "next" in links else None
        if url:
            assert "bbox=-180%2C-90%2C180%2C90" in url and "limit=8" in url  # the query is kept
    assert pages == -(-len(every) // 8)
    assert len(seen) == len(set(seen)) and set(seen) == every
    assert seen == sorted(seen)  # a stable order: by id


def test_offset_pages_and_the_end(crew, api):
    staff = api(crew["staff"])
    first = _json(staff.get("/ogc/collections/waterways/items", {"limit": 10}), content_type=GEOJSON)
    second = _json(staff.get("/ogc/collections/waterways/items", {"limit": 10, "offset": 10}), content_type=GEOJSON)
    assert [f["id"] for f in first["features"]][-1] < [f["id"] for f in second["features"]][0]
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert _ids(staff.get(_path(prev))) == {f["id"] for f in first["features"]}
    beyond = _json(staff.get("/ogc/collections/waterways/items", {"offset": 5000}), content_type=GEOJSON)
    assert beyond["features"] == [] and beyond["numberMatched"] == 42 and beyond["numberReturned"] == 0
    assert "next" not in {link["rel"] for link in beyond["links"]}
    default = _json(staff.get("/ogc/collections/reaches/items"), content_type=GEOJSON)
    assert default["numberReturned"] == 1000 < default["numberMatched"]  # the default page size


# --- bbox and datetime ----------------------------------------------------------------------------------

def _box(lonlat, half=0.0001):
    lon, lat = lonlat
    return f"{lon - half},{lat - half},{lon + half},{lat + half}"


def test_bbox_keeps_the_features_that_meet_it(crew, api, work):
    staff = api(crew["staff"])
    spot = lonlat_on("ZW-G07", 400)
    assert _ids(staff.get("/ogc/collections/activities/items", {"bbox": _box(spot)})) == {work["cleanup"].id}
    assert _ids(staff.get("/ogc/collections/problems/items", {"bbox": _box(spot)})) == \
        set(work["cleanup"].problems.values_list("pk", flat=True))
    start = lonlat_on("ZW-G01", 300)  # on the other chief's walk, nowhere near 狮子沟
    assert _ids(staff.get("/ogc/collections/tracks/items", {"bbox": _box(start, 0.0005)})) == {work["elsewhere"].id}
    assert _ids(staff.get("/ogc/collections/waterways/items", {"bbox": _box(start, 0.0005)})) == \
        {Waterway.objects.get(code="ZW-G01").pk}
    reaches = _ids(staff.get("/ogc/collections/reaches/items", {"bbox": _box(lonlat_on("ZW-G01", 350), 0.00001)}))
    assert reaches == {Reach.objects.get(waterway__code="ZW-G01", seq=4).pk}
    station = _json(staff.get("/ogc/collections/stations/items", {"limit": 1}), content_type=GEOJSON)["features"][0]
    assert _ids(staff.get("/ogc/collections/stations/items", {"bbox": _box(station["geometry"]["coordinates"])})) == \
        {station["id"]}
    # Six numbers (with heights) are read as the standard allows.
    lon, lat = station["geometry"]["coordinates"]
    six = f"{lon - 0.0001},{lat - 0.0001},0,{lon + 0.0001},{lat + 0.0001},100"
    assert _ids(staff.get("/ogc/collections/stations/items", {"bbox": six})) == {station["id"]}
    # The whole world, and a box far from the district (outside the storage projection): answers, not errors.
    assert _json(staff.get("/ogc/collections/tracks/items", {"bbox": "-180,-90,180,90"}),
                 content_type=GEOJSON)["numberMatched"] == 2
    for far in ("0,0,1,1", "-180,-90,-179,-89", "179.9,89.9,180,90"):
        for collection_id in COLLECTIONS:
            page = _json(staff.get(f"/ogc/collections/{collection_id}/items", {"bbox": far}), content_type=GEOJSON)
            assert page["numberMatched"] == 0 and page["features"] == []


@pytest.mark.parametrize("interval, expected", [
    ("2026-05-01", {"patrol"}),  # a date is the whole Beijing day
    ("2026-05-01T08:00:00+08:00", {"patrol"}),  # an instant: started exactly then
    ("2026-05-01T00:00:00Z", {"patrol"}),  # the same instant in UTC
    ("2026-05-01T08:00:00Z", set()),
    ("2026-05-01T23:59:00+23:59", {"patrol"}),  # RFC 3339 allows offsets PostgreSQL does not: the same instant
    ("2026-04-30T00:01:00-23:59", {"patrol"}),
    ("2026-05-01T08:00:00.000001+08:00", set()),
    ("2026-05-01/2026-06-10", {"patrol", "cleanup"}),  # the end date is included, all of it
    ("2026-05-01T08:00:00+08:00/2026-06-10T09:00:00+08:00", {"patrol", "cleanup"}),  # both ends included
    ("2026-05-01T08:00:01+08:00/2026-06-10T08:59:59+08:00", set()),
    ("../2026-06-09", {"patrol"}),
    ("/2026-06-09", {"patrol"}),
    ("2026-06-11/..", {"elsewhere"}),
    ("2026-06-11/", {"elsewhere"}),
    ("../..", {"patrol", "cleanup", "elsewhere"}),
])
def test_datetime_selects_activities_by_their_start(crew, api, work, interval, expected):
    ids = _ids(api(crew["staff"]).get("/ogc/collections/activities/items", {"datetime": interval}))
    assert ids == {work[name].id for name in expected}


def test_an_offset_whose_plus_was_not_encoded_is_still_read(crew, api, work):
    # In a query string "+" means a space: "+08:00" typed into an address arrives as " 08:00".
    url = "/ogc/collections/activities/items?datetime=2026-05-01T08:00:00+08:00/2026-06-10T09:00:00+08:00"
    assert _ids(api(crew["staff"]).get(url)) == {work["patrol"].id, work["cleanup"].id}


def test_datetime_selects_problems_by_when_they_were_seen_and_tracks_by_start(crew, api, work):
    staff = api(crew["staff"])
    problem_ids = set(work["cleanup"].problems.values_list("pk", flat=True))
    assert _ids(staff.get("/ogc/collections/problems/items", {"datetime": "2026-06-10T09:20:00+08:00"})) == problem_ids
    assert _ids(staff.get("/ogc/collections/problems/items", {"datetime": "2026-06-10T09:20:01+08:00/.."})) == set()
    assert _ids(staff.get("/ogc/collections/tracks/items", {"datetime": "2026-09-01/2026-12-31"})) == \
        {work["elsewhere"].id}
    # Waterways and stations have no time: datetime is read (and checked) but selects nothing away.
    page = _json(staff.get("/ogc/collections/waterways/items", {"datetime": "2026-01-01"}), content_type=GEOJSON)
    assert page["numberMatched"] == 42


# --- refusals ----------------------------------------------------------------------------------------------

BAD_QUERIES = [
    ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=abc", "limit"), ("limit=1.5", "limit"),
    ("limit=-1", "limit"), ("limit=" + "9" * 40, "limit"), ("limit=%C2%B2", "limit"),
    ("offset=-1", "offset"), ("offset=2147483648", "offset"), ("offset=" + "9" * 30, "offset"),
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=110.6,32.8,110.5,32.9", "bbox"),
    ("bbox=110.6,32.8,110.7,32.7", "bbox"), ("bbox=181,0,182,1", "bbox"), ("bbox=0,-91,1,0", "bbox"),
    ("bbox=nan,0,1,1", "bbox"), ("bbox=inf,0,1,1", "bbox"), ("bbox=1e999,0,1,1", "bbox"), ("bbox=1_0,0,20,1", "bbox"),
    ("bbox=0x1,0,2,1", "bbox"), ("bbox=" + "1," * 200 + "1", "bbox"), ("bbox=1,2,3,4,5", "bbox"),
    ("datetime=2026-13-01", "datetime"), ("datetime=2026-02-30", "datetime"), ("datetime=1999-12-31", "datetime"),
    ("datetime=2101-01-01", "datetime"), ("datetime=2026-05-01T25:00:00Z", "datetime"),
    ("datetime=2026-05-01T23:59:60Z", "datetime"), ("datetime=2026-05-01T08:00:00", "datetime"),
    ("datetime=2026-05-01T08:00:00%2B24:00", "datetime"), ("datetime=2026-05-01T08:00:00%2B08:60", "datetime"),
    ("datetime=1999-12-31T16:00:00Z", "datetime"), ("datetime=2026-06-01/2026-05-01", "datetime"),
    ("datetime=2026-05-01/2026-05-02/2026-05-03", "datetime"), ("datetime=yesterday", "datetime"),
    ("datetime=99999-01-01", "datetime"), ("datetime=%EF%BC%92026-05-01", "datetime"),
    ("datetime=%ED%A0%80", "datetime"), ("f=html", "f"), ("f=xml", "f"),
]


@pytest.mark.parametrize("query, field", BAD_QUERIES)
def test_bad_values_of_known_parameters_are_400_in_chinese(crew, api, query, field):
    body = _refused(api(crew["staff"]).get(f"/ogc/collections/activities/items?{query}"), 400)
    assert field in body["errors"], body


def test_unstorable_text_is_400_in_json(crew, api):
    for url in ("/ogc/collections/activities/items?bbox=%00", "/ogc/collections/activities/items?datetime=%00",
                "/ogc/collections/stations/items/1%00", "/ogc/%00"):
        body = _json(api(crew["staff"]).get(url), 400)
        assert CJK.search(body["detail"])


def test_unknown_parameters_are_ignored(crew, api, work):
    staff = api(crew["staff"])
    assert _ids(staff.get("/ogc/collections/activities/items", {"sortby": "-id", "filter": "x=1", "kind": "none",
                                                                 "f": "json"})) == \
        {work["patrol"].id, work["cleanup"].id, work["elsewhere"].id}


def test_unknown_collections_features_and_addresses_are_404_in_json(crew, api, work):
    staff = api(crew["staff"])
    for url in ("/ogc/collections/nowhere", "/ogc/collections/nowhere/items", "/ogc/collections/nowhere/items/1",
                "/ogc/collections/activities/items/999999", "/ogc/collections/activities/items/abc",
                "/ogc/collections/activities/items/" + "9" * 30, "/ogc/collections/activities/items/-1",
                f"/ogc/collections/activities/items/{work['rejected'].id}", "/ogc/nothing/here"):
        _refused(staff.get(url), 404)
    assert staff.get("/ogc/collections/").status_code == 200  # a closing slash is taken too
    assert staff.head("/ogc/collections/stations/items").status_code == 200
    _refused(staff.post("/ogc/collections", {}, format="json"), 405)  # read only


# --- reading rules -------------------------------------------------------------------------------------

def test_a_chief_reads_the_activities_of_their_waterways_only(crew, api, work):
    chief = api(crew["chief"])  # chief of 狮子沟
    assert _ids(chief.get("/ogc/collections/activities/items")) == {work["patrol"].id, work["cleanup"].id}
    assert _ids(chief.get("/ogc/collections/tracks/items")) == {work["patrol"].id}
    _refused(chief.get(f"/ogc/collections/activities/items/{work['elsewhere'].id}"), 404)
    _refused(chief.get(f"/ogc/collections/tracks/items/{work['elsewhere'].id}"), 404)
    assert _json(chief.get(f"/ogc/collections/tracks/items/{work['patrol'].id}"), content_type=GEOJSON)["id"] == \
        work["patrol"].id
    other = api(crew["other_chief"])
    assert _ids(other.get("/ogc/collections/activities/items")) == {work["elsewhere"].id}
    staff = api(crew["staff"])
    assert _ids(staff.get("/ogc/collections/activities/items")) == \
        {work["patrol"].id, work["cleanup"].id, work["elsewhere"].id}  # never the rejected patrol


def test_activity_properties_are_the_maps(crew, api, work):
    feature = _json(api(crew["staff"]).get(f"/ogc/collections/activities/items/{work['patrol'].id}"),
                    content_type=GEOJSON)
    assert feature["properties"] == {
        "id": work["patrol"].id, "kind": "patrol", "kind_label": "巡河", "started_at": "2026-05-01T08:00:00+08:00",
        "ended_at": "2026-05-01T09:00:00+08:00", "waterway_code": "ZW-G07", "status": "submitted",
        "distance_m": round(work["patrol"].distance_m, 1), "people": 2}
    assert feature["geometry"]["type"] == "Point"
    track = _json(api(crew["staff"]).get(f"/ogc/collections/tracks/items/{work['patrol'].id}"), content_type=GEOJSON)
    assert track["geometry"]["type"] == "MultiLineString" and len(track["geometry"]["coordinates"][0]) > 50
    assert {link["rel"] for link in track["links"]} == {"self", "collection"}


def test_problems_follow_the_problem_lists_reading_rule(crew, api, work):
    """The office and river chiefs read the whole list; a volunteer who holds a chief post may open the
    layers (as the map) but reads only the problems they reported. Unaccepted public reports, as on the map,
    are nobody's."""
    on_g01 = reported(crew["staff"], code="ZW-G01", observed_at=beijing("2026-07-01 10:00"))
    reported(None, code="ZW-G01", source=Source.PUBLIC, observed_at=beijing("2026-07-02 10:00"),
             contact_phone="13800000000")
    seen_at_cleanup = set(work["cleanup"].problems.values_list("pk", flat=True))
    everything = seen_at_cleanup | {on_g01.pk}
    assert _ids(api(crew["staff"]).get("/ogc/collections/problems/items")) == everything
    assert _ids(api(crew["chief"]).get("/ogc/collections/problems/items")) == everything
    volunteer_chief = make_person(name="志愿者河长")
    ChiefAssignment.objects.create(person=volunteer_chief, waterway=Waterway.objects.get(code="ZW-G07"),
                                   level="village", since=date(2024, 1, 1))
    own = reported(volunteer_chief, code="ZW-G07", observed_at=beijing("2026-07-03 10:00"))
    reader = api(volunteer_chief)
    assert _ids(reader.get("/ogc/collections/problems/items")) == {own.pk}
    _refused(reader.get(f"/ogc/collections/problems/items/{on_g01.pk}"), 404)
    # Their activities: the chief scope of 狮子沟, nothing of 斤坪沟.
    assert _ids(reader.get("/ogc/collections/activities/items")) == {work["patrol"].id, work["cleanup"].id}
    feature = _json(api(crew["staff"]).get(f"/ogc/collections/problems/items/{on_g01.pk}"), content_type=GEOJSON)
    assert feature["properties"] == {"id": on_g01.pk, "category": "garbage", "state": "reported",
                                     "observed_at": "2026-07-01T10:00:00+08:00", "deadline": None, "overdue": False,
                                     "waterway_code": "ZW-G01"}


# --- reaches and coverage --------------------------------------------------------------------------------

def _reaches(client, **params):
    page = _json(client.get("/ogc/collections/reaches/items", {"limit": 10000, **params}), content_type=GEOJSON)
    assert page["numberReturned"] == page["numberMatched"] == Reach.objects.count()
    return page


@pytest.mark.parametrize("period, coverage_params", [
    ({}, {}),  # this year so far, both
    ({"datetime": "2026-06-01/2026-11-18"}, {"start": "2026-06-01", "end": "2026-11-18"}),
    ({"datetime": "2026-01-01/2026-09-30"}, {"start": "2026-01-01", "end": "2026-09-30"}),
    ({"datetime": "2026-05-01T10:00:00+08:00"}, {"start": "2026-05-01", "end": "2026-05-01"}),
])
def test_reaches_last_visit_and_visited_agree_with_the_coverage_api(crew, api, plant_visits, period,
                                                                   coverage_params):
    plant_visits("ZW-G07", [1, 2, 3], beijing("2026-05-01 09:00"))
    plant_visits("ZW-G07", [3, 4], beijing("2026-10-01 09:00"))
    plant_visits("ZW-G07", [5], beijing("2026-10-02 09:00"), status="rejected")  # never counts
    plant_visits("ZW-G01", [1], beijing("2025-12-31 23:30"))  # last year
    staff = api(crew["staff"])
    page = _reaches(staff, **period)
    coverage = _json(staff.get("/api/coverage/", coverage_params))
    assert page["period"] == coverage["period"]
    by_waterway = {}
    for feature in page["features"]:
        by_waterway.setdefault(feature["properties"]["waterway_code"], []).append(feature["properties"])
    for row in coverage["waterways"]:
        reaches = by_waterway[row["code"]]
        assert sum(reach["visited"] for reach in reaches) == row["reaches_visited"], row["code"]
        last = [datetime.fromisoformat(reach["last_visit"]) for reach in reaches if reach["last_visit"]]
        expected = datetime.fromisoformat(row["last_visit"]) if row["last_visit"] else None
        assert (max(last) if last else None) == expected, row["code"]
    g07 = {reach["seq"]: reach for reach in by_waterway["ZW-G07"]}
    assert g07[5]["last_visit"] is None  # the rejected patrol


def test_a_reach_says_when_it_was_last_visited_in_the_period(crew, api, plant_visits):
    plant_visits("ZW-G07", [3], beijing("2026-05-01 09:00"))
    plant_visits("ZW-G07", [3], beijing("2026-10-01 09:00"))
    reach = Reach.objects.get(waterway__code="ZW-G07", seq=3)
    staff = api(crew["staff"])
    url = f"/ogc/collections/reaches/items/{reach.pk}"
    assert _json(staff.get(url), content_type=GEOJSON)["properties"] == {
        "waterway_code": "ZW-G07", "seq": 3, "start_m": reach.start_m, "end_m": reach.end_m,
        "last_visit": "2026-10-01T09:00:00+08:00", "visited": True}
    summer = _json(staff.get(url, {"datetime": "2026-06-01/2026-09-30"}), content_type=GEOJSON)["properties"]
    assert summer["last_visit"] == "2026-05-01T09:00:00+08:00" and summer["visited"] is False
    spring = _json(staff.get(url, {"datetime": "2026-04-01/2026-05-31"}), content_type=GEOJSON)["properties"]
    assert spring["last_visit"] == "2026-05-01T09:00:00+08:00" and spring["visited"] is True


# --- queries per page ---------------------------------------------------------------------------------

@pytest.fixture
def many(crew, api, work, plant_visits):
    """Enough of each collection for a page of 30: cleanups with problems on 狮子沟, visits on reaches."""
    for index in range(30):
        when = beijing("2026-07-01 08:00") + timedelta(hours=index)
        spot = lonlat_on("ZW-G07", 100 + index * 20)
        _submit(api(crew["outsider"]), activity_body(kind="cleanup", point=spot, **_at(when), problems=[{
            "client_uuid": f"6f1c3a52-9f0e-4a53-8d7e-{index:012d}", "category": "garbage", "point": spot,
            "observed_at": (when + timedelta(minutes=5)).isoformat(), "note": "垃圾"}]))
        _submit(api(crew["volunteer"]), activity_body(
            walk_along("ZW-G07", start_m=index * 10, length_m=60, start_ms=int(when.timestamp() * 1000)),
            **_at(when)))
    plant_visits("ZW-R01", range(1, 31), beijing("2026-08-01 09:00"))


def test_a_page_costs_the_same_queries_however_many_features(crew, api, many, django_assert_max_num_queries):
    for role in ("staff", "chief"):
        reader = api(crew[role])
        for collection_id in COLLECTIONS:
            url = f"/ogc/collections/{collection_id}/items"
            with CaptureQueriesContext(connection) as one:
                assert len(_json(reader.get(url, {"limit": 1}), content_type=GEOJSON)["features"]) == 1
            with django_assert_max_num_queries(len(one.captured_queries), info=f"{role} {collection_id}"):
                assert len(_json(reader.get(url, {"limit": 30}), content_type=GEOJSON)["features"]) == 30
            with django_assert_max_num_queries(len(one.captured_queries), info=f"{role} {collection_id}"):
                assert reader.get(f"/ogc/collections/{collection_id}").status_code == 200
