"""GPX upload: each <trkseg> is its own line; DTDs, entity bombs, huge and broken files are refused."""

import uuid
from datetime import datetime, timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patrols.models import Activity

from .factories import walk_along

GPX_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _gpx(segments, head=GPX_HEAD):
    def point(fix):
        moment = datetime.fromtimestamp(fix[2] / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f'<trkpt lat="{fix[1]:.7f}" lon="{fix[0]:.7f}"><time>{moment}</time><hdop>1.2</hdop></trkpt>'

    body = "".join("<trkseg>" + "".join(point(f) for f in segment) + "</trkseg>" for segment in segments)
    return (head + '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><name>巡河</name>{body}</trk></gpx>").encode()


def _upload(client, content, client_uuid=None, name="walk.gpx"):
    return client.post(
        "/api/activities/gpx/",
        {"file": SimpleUploadedFile(name, content, content_type="application/gpx+xml"),
         "client_uuid": str(client_uuid or uuid.uuid4()), "kind": "patrol"},
        format="multipart",
    )


def test_a_good_gpx_file_becomes_a_patrol_with_one_line_per_segment(crew, api):
    first = walk_along(start_m=0, length_m=400)
    second = walk_along(start_m=450, length_m=400, start_ms=first[-1][2] + 60_000)
    response = _upload(api(crew["volunteer"]), _gpx([first, second]))
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert len(activity.track) == 2  # the 50 m between the segments is not bridged
    assert activity.location_source == "gpx"
    assert activity.waterway.code == "ZW-G07"
    assert activity.started_at == datetime.fromtimestamp(first[0][2] / 1000, tz=timezone.utc)
    assert activity.ended_at == datetime.fromtimestamp(second[-1][2] / 1000, tz=timezone.utc)
    assert activity.reach_visits.count() >= 7


def test_the_same_gpx_sent_twice_is_stored_once(crew, api):
    content, client_uuid = _gpx([walk_along(length_m=300)]), uuid.uuid4()
    client = api(crew["volunteer"])
    assert _upload(client, content, client_uuid).status_code == 201
    assert _upload(client, content, client_uuid).status_code == 200
    assert _upload(client, _gpx([walk_along(length_m=200)]), client_uuid).status_code == 409
    assert Activity.objects.count() == 1


XXE = (
    '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    '<gpx><trk><name>&secret;</name><trkseg><trkpt lat="32.7" lon="110.5"><time>2026-05-01T00:00:00Z</time></trkpt>'
    "</trkseg></trk></gpx>"
).encode()
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><gpx><trk><name>&lol9;</name></trk></gpx>'
).encode()


@pytest.mark.parametrize(
    "content, expected",
    [
        (XXE, "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b"PK\x03\x04 this is a zip, not xml", "XML"),
        (b"", "空文件"),
        (b"   \n ", "空的"),
        (GPX_HEAD.encode() + b'<gpx version="1.1"><trk><trkseg></trkseg></trk></gpx>', "没有轨迹点"),
        (b'<?xml version="1.0"?><kml><Document/></kml>', "<gpx>"),
        (GPX_HEAD.encode() + b'<gpx><trk><trkseg><trkpt lat="32.7" lon="110.5"></trkpt></trkseg></trk></gpx>', "没有时间"),
        (GPX_HEAD.encode() + b'<gpx><trk><trkseg><trkpt lat="32.7" lon="110.5"><time>0001-01-01T00:00:00+08:00</time>'
         b'</trkpt></trkseg></trk></gpx>', "第 1 个轨迹点的时间"),
        (GPX_HEAD.encode() + b'<gpx><trk><trkseg><trkpt lat="32.7" lon="110.5"><time>9999-12-31T23:59:59-08:00</time>'
         b'</trkpt></trkseg></trk></gpx>', "第 1 个轨迹点的时间"),
    ],
)
def test_bad_gpx_is_refused_with_a_reason_and_nothing_stored(crew, api, content, expected):
    response = _upload(api(crew["volunteer"]), content)
    assert response.status_code == 400, response.content
    assert expected in str(response.json())
    assert Activity.objects.count() == 0


def test_a_50_mb_gpx_is_refused_before_it_is_read(crew, api):
    padding = b"<!-- " + b"x" * (50 * 1024 * 1024) + b" -->"
    content = GPX_HEAD.encode() + padding + _gpx([walk_along(length_m=200)])[len(GPX_HEAD):]
    response = _upload(api(crew["volunteer"]), content)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert Activity.objects.count() == 0


def test_a_gpx_just_over_the_cap_is_refused_even_without_a_declared_length(crew, api, settings):
    settings.GPX_MAX_BYTES = 2000
    from patrols.gpx import GpxError, read_gpx

    with pytest.raises(GpxError, match="太大"):
        read_gpx(_gpx([walk_along(length_m=500)]))
    assert len(_gpx([walk_along(length_m=500)])) > 2000
