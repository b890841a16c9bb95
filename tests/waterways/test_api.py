"""GET /api/waterways/ and friends: GeoJSON in lon/lat, login required."""

import pytest
from django.urls import reverse

from waterways.models import Waterway

# The district's bounding box in lon/lat: anything in lon/lat lies in here, anything in metres does not.
LON_RANGE = (110.44, 110.86)
LAT_RANGE = (32.48, 32.78)


def all_positions(geometry):
    coordinates = geometry["coordinates"]
    while isinstance(coordinates[0][0], list):
        coordinates = [position for part in coordinates for position in part]
    return coordinates if isinstance(coordinates[0], list) else [coordinates]


@pytest.mark.parametrize("name, kwargs", [
    ("api-waterways", {}), ("api-stations", {}), ("api-district", {}),
    ("api-waterway-reaches", {"code": "ZW-R01"}), ("api-schema", {}), ("api-docs", {}),
])
def test_anonymous_users_get_nothing(client, district_data, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert b"ZW-R01" not in response.content


def test_waterways_are_a_geojson_feature_collection_in_wgs84(logged_in_client, district_data):
    response = logged_in_client.get(reverse("api-waterways"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 42
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "LineString"
        assert {"code", "name", "kind", "parent", "length_m"} <= feature["properties"].keys()
        for lon, lat in all_positions(feature["geometry"]):
            assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1]
    kinds = [feature["properties"]["kind"] for feature in body["features"]]
    assert kinds[:3] == ["river"] * 3  # rivers first, as on the map
    by_code = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    jiang = Waterway.objects.get(name="犟河")
    assert by_code[jiang.code]["parent"] == "ZW-R01"
    assert by_code[jiang.code]["length_m"] == pytest.approx(jiang.length_m)


def test_reaches_of_a_waterway(logged_in_client, district_data):
    river = Waterway.objects.get(code="ZW-R01")
    body = logged_in_client.get(reverse("api-waterway-reaches", kwargs={"code": "ZW-R01"})).json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == river.reaches.count()
    seqs = [feature["properties"]["seq"] for feature in body["features"]]
    assert seqs == sorted(seqs) and seqs[0] == 1
    assert sum(f["properties"]["length_m"] for f in body["features"]) == pytest.approx(river.length_m, rel=1e-3)
    lon, lat = body["features"][0]["geometry"]["coordinates"][0]
    assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1]


def test_reaches_of_an_unknown_waterway_is_404(logged_in_client, district_data):
    assert logged_in_client.get(reverse("api-waterway-reaches", kwargs={"code": "NOPE"})).status_code == 404
    # A NUL is no code either (PostgreSQL would refuse it in a query: once a 500).
    response = logged_in_client.get("/api/waterways/%00/reaches/")
    assert response.status_code == 400 and "无法处理的字符" in response.json()["detail"]


def test_reaches_of_a_waterway_named_by_id(logged_in_client, district_data):
    gully = Waterway.objects.get(code="ZW-G07")
    by_code = logged_in_client.get(reverse("api-waterway-reaches", kwargs={"code": "ZW-G07"})).json()
    by_id = logged_in_client.get(reverse("api-waterway-reaches", kwargs={"code": str(gully.pk)})).json()
    assert by_id == by_code and len(by_id["features"]) == gully.reaches.count()


def test_district_outline_and_stations(logged_in_client, district_data):
    outline = logged_in_client.get(reverse("api-district")).json()
    assert outline["type"] == "Feature" and outline["geometry"]["type"] == "MultiPolygon"
    stations = logged_in_client.get(reverse("api-stations")).json()
    assert len(stations["features"]) == 35
    assert {f["properties"]["kind"] for f in stations["features"]} == {"home", "liaison"}


def test_openapi_schema_and_docs_are_served_without_a_cdn(logged_in_client):
    schema = logged_in_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/waterways/" in schema.content.decode()
    docs = logged_in_client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn.jsdelivr" not in docs and "unpkg.com" not in docs
