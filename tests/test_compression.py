"""Answers travel light: pages, JSON, GeoJSON and vector tiles are gzipped for clients that accept it,
and carry an ETag, so an unchanged answer costs a phone a 304 and nothing more. Photos (already
compressed) are sent as they are."""

import gzip
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.support.factories import activity_body
from tests.support.walks import walk_along


def _record_patrols(api, person, count=3):
    client = api(person)
    for n in range(count):
        response = client.post("/api/activities/", activity_body(walk_along(start_m=200 * n, length_m=600)),
                               format="json")
        assert response.status_code == 201, response.json()
    return client


def test_geojson_is_gzipped_and_an_unchanged_answer_is_a_304(crew, api):
    client = _record_patrols(api, crew["volunteer"])
    first = client.get("/api/activities/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert first.status_code == 200 and first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    body = gzip.decompress(first.content)
    assert len(body) > 3 * len(first.content) and b'"FeatureCollection"' in body
    etag = first["ETag"]
    assert etag.startswith('W/"')  # the body sent is not byte for byte the one it was taken from
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    again = client.get("/api/activities/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    # The 304 stands for the gzipped answer the client holds, and says so as that answer did.
    assert again["ETag"] == etag and "Accept-Encoding" in again["Vary"]
    # A new record changes the answer: the old ETag no longer matches.
    _record_patrols(api, crew["volunteer"], count=1)
    changed = client.get("/api/activities/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_client_that_does_not_accept_gzip_gets_plain_json(crew, api):
    client = _record_patrols(api, crew["volunteer"], count=1)
    response = client.get("/api/activities/")
    assert not response.has_header("Content-Encoding") and response.json()["count"] == 1


def test_pages_and_vector_tiles_are_gzipped(crew, api, client):
    staff_api = _record_patrols(api, crew["staff"], count=2)
    client.force_login(crew["staff"].user)
    page = client.get("/activities/", HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip" and b"</html>" in gzip.decompress(page.content)
    tile = staff_api.get("/api/tiles/activities/10/826/414.mvt", {"start": "2026-01-01", "end": "2026-12-31"},
                         HTTP_ACCEPT_ENCODING="gzip")
    assert tile.status_code == 200 and tile["Content-Type"] == "application/vnd.mapbox-vector-tile"
    if len(tile.content) >= 200:  # tiny answers are not worth compressing
        assert tile["Content-Encoding"] == "gzip"
    summary = staff_api.get("/api/map/tracks/", {"start": "2026-01-01", "end": "2026-12-31"}, HTTP_ACCEPT_ENCODING="gzip")
    assert summary["Content-Encoding"] == "gzip" and summary.has_header("ETag")


def test_photos_are_sent_as_they_are(crew, api):
    client = api(crew["volunteer"])
    activity = client.post("/api/activities/", activity_body(kind="cleanup"), format="json").json()
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 90, 160)).save(buffer, "JPEG")
    photo = client.post(f"/api/activities/{activity['id']}/photos/",
                        {"photo": SimpleUploadedFile("p.jpg", buffer.getvalue())}, format="multipart").json()
    response = client.get(photo["url"], HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert not response.has_header("Content-Encoding")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
