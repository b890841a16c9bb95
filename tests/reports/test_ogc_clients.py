"""Real clients of OGC API – Features against the live test server (reports/ogc/, docs/ogc.md): GDAL's
OAPIF driver (ogrinfo, ogr2ogr: what QGIS is built on), owslib (PyPI) and schemathesis fuzzing the
endpoints against the service's own OpenAPI document. A layer of 5,000 features is read whole through
paging, as a client follows the `next` links or counts offsets."""

import json
import os
import subprocess

import pytest
import requests
import schemathesis
from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Point, Polygon
from knox.models import AuthToken
from owslib import ogcapi
from owslib.ogcapi.features import Features

from tests.support.fuzzing import fuzz
from waterways.models import Station, Town

pytestmark = pytest.mark.django_db(transaction=True)

LAYER_SIZE = 5000
PAGE = 1000  # several pages for the 5,000 features
COLLECTIONS = ("waterways", "reaches", "activities", "tracks", "problems", "stations")


@pytest.fixture
def five_thousand_stations(district_data):
    """The stations layer filled up to 5,000 features, inserted in one statement: a grid of points
    around the first station, inside the district."""
    first = Station.objects.order_by("pk").first()
    town = Town.objects.order_by("pk").first()
    missing = LAYER_SIZE - Station.objects.count()
    Station.objects.bulk_create(
        Station(code=f"T-{index:05d}", name=f"测试站点{index}", kind=Station.Kind.LIAISON, town=town,
                geom=Point(first.geom.x + (index % 100) * 30, first.geom.y + (index // 100) * 30, srid=settings.GIS_SRID))
        for index in range(missing))
    assert Station.objects.count() == LAYER_SIZE
    return set(Station.objects.values_list("code", flat=True))


@pytest.fixture
def token(crew):
    """An API token of the office's staff, as /accounts/tokens/ issues it."""
    return AuthToken.objects.create(user=crew["staff"].user)[1]


def _gdal(*args, token=None, tmp_path=None):
    """Runs a GDAL program with the token in every request's headers (GDAL_HTTP_HEADERS: GDAL 3.6 adds
    it to the Accept header the OAPIF driver sends; the USERPWD open option is Basic authentication)."""
    command = list(args)
    if token:
        command += ["--config", "GDAL_HTTP_HEADERS", f"Authorization: Token {token}"]
    environment = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    environment.update(GDAL_HTTP_TIMEOUT="120", CPL_DEBUG="OFF")
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment, cwd=tmp_path,
                          check=False)


def test_ogrinfo_lists_the_layers_and_ogr2ogr_reads_every_feature_through_paging(
        live_server, crew, token, five_thousand_stations, tmp_path):
    url = f"OAPIF:{live_server.url}/ogc/"
    listed = _gdal("ogrinfo", "-ro", "-al", "-so", url, token=token)
    assert listed.returncode == 0, listed.stderr
    for collection_id in COLLECTIONS:
        assert f"Layer name: {collection_id}" in listed.stdout
    assert "Feature Count: 5000" in listed.stdout  # numberMatched of the stations
    assert "Geometry: Point" in listed.stdout and "Geometry: Line String" in listed.stdout
    # Fields typed from each collection's JSON schema (describedBy), even where no feature says so.
    for field in ("last_visit: DateTime", "visited: Integer(Boolean)", "started_at: DateTime",
                  "observed_at: DateTime", "deadline: Date", "length_m: Real", "seq: Integer"):
        assert field in listed.stdout, field

    out = tmp_path / "stations.geojson"
    copied = _gdal("ogr2ogr", "-f", "GeoJSON", str(out), url, "stations", "-oo", f"PAGE_SIZE={PAGE}", token=token)
    assert copied.returncode == 0, copied.stderr
    features = json.loads(out.read_text())["features"]
    codes = [feature["properties"]["code"] for feature in features]
    assert len(codes) == LAYER_SIZE and set(codes) == five_thousand_stations  # every one, once

    # A spatial filter is sent as bbox, and GDAL counts what every page of the answer holds.
    first = Station.objects.annotate(lonlat=Transform("geom", settings.API_SRID)).get(code="T-00000")
    west, south = first.lonlat.x - 1e-5, first.lonlat.y - 1e-5
    east, north = west + 0.0032, south + 0.0016  # about 300 m by 180 m: a corner of the grid
    box = Polygon.from_bbox((west, south, east, north))
    box.srid = settings.API_SRID
    expected = Station.objects.annotate(lonlat=Transform("geom", settings.API_SRID)).filter(
        lonlat__intersects=box).count()
    assert 20 < expected < 100
    counted = _gdal("ogrinfo", "-ro", "-so", "-spat", str(west), str(south), str(east), str(north),
                    "-oo", "PAGE_SIZE=7", url, "stations", token=token)
    assert counted.returncode == 0, counted.stderr
    assert f"Feature Count: {expected}" in counted.stdout


def test_gdal_without_a_token_is_refused(live_server, crew):
    refused = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc/")
    assert refused.returncode != 0
    assert "401" in refused.stderr or "令牌" in refused.stderr


@pytest.fixture
def owslib_headers():
    """owslib keeps the headers of every client in one module-wide dict: put it back afterwards."""
    saved = dict(ogcapi.REQUEST_HEADERS)
    yield
    ogcapi.REQUEST_HEADERS.clear()
    ogcapi.REQUEST_HEADERS.update(saved)


def test_owslib_reads_the_collections_and_every_feature_by_offsets_and_next_links(
        live_server, crew, token, five_thousand_stations, owslib_headers):
    anonymous = Features(f"{live_server.url}/ogc/")
    assert {link["rel"] for link in anonymous.links} >= {"service-desc", "conformance", "data"}
    with pytest.raises(RuntimeError):
        anonymous.collections()

    headers = {"Authorization": f"Token {token}"}
    service = Features(f"{live_server.url}/ogc/", headers=headers)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in service.conformance()["conformsTo"]
    assert service.api()["openapi"].startswith("3.0")
    assert service.feature_collections() == list(COLLECTIONS)
    stations = service.collection("stations")
    assert stations["itemType"] == "feature" and len(stations["extent"]["spatial"]["bbox"][0]) == 4

    codes, offset = [], 0
    while True:
        page = service.collection_items("stations", limit=PAGE, offset=offset)
        assert page["numberMatched"] == LAYER_SIZE
        codes.extend(feature["properties"]["code"] for feature in page["features"])
        if page["numberReturned"] < PAGE or offset + PAGE >= page["numberMatched"]:
            break
        offset += PAGE
    assert len(codes) == LAYER_SIZE and set(codes) == five_thousand_stations

    # As QGIS reads: the first page, then each `next` link until there is none.
    url, codes, pages = f"{live_server.url}/ogc/collections/stations/items?limit={PAGE}", [], 0
    while url:
        answer = requests.get(url, headers=headers, timeout=60)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/geo+json"
        page = answer.json()
        pages += 1
        codes.extend(feature["properties"]["code"] for feature in page["features"])
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert pages == LAYER_SIZE // PAGE
    assert len(codes) == LAYER_SIZE and set(codes) == five_thousand_stations

    one = service.collection_item("stations", Station.objects.get(code="T-00042").pk)
    assert one["properties"]["code"] == "T-00042"


def test_every_operation_answers_as_the_services_own_openapi_document_says(live_server, crew, token):
    """schemathesis (tests/support/fuzzing.py) over /ogc/api, valid and invalid requests: no 5xx, only the
    documented statuses and content types, bodies as the document describes them."""
    document = requests.get(f"{live_server.url}/ogc/api", headers={"Authorization": f"Token {token}"}, timeout=60)
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json())
    report = fuzz(schema, token, f"{live_server.url}/ogc", examples=8)
    assert report.failures == [], report.describe_failures()
    assert report.statuses[200] > report.cases / 10, report.statuses
