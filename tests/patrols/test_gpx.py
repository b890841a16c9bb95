"""GPX upload: each <trkseg> is its own line; DTDs, entity bombs, huge and broken files are refused."""

import codecs
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import gpxpy
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patrols.gpx import METRES_PER_HDOP, GpxError, read_gpx
from patrols.models import Activity
from patrols.tracks import AFTER_LATEST_MS, EARLIEST_MS
from tests.support.walks import walk_along

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
    with pytest.raises(GpxError, match="太大"):
        read_gpx(_gpx([walk_along(length_m=500)]))
    assert len(_gpx([walk_along(length_m=500)])) > 2000


# --- Reading GPX with gpxpy: real-world files, zone-less times, and hostile or odd input ---------

GPX_FILES = Path(__file__).parent / "gpx_files"


def _utc_ms(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp() * 1000)


def _gpx10_without_zones(segments):
    """What an older unit writes: GPX 1.0, times without a zone (UTC by the GPX schema), no hdop."""
    def point(fix):
        moment = datetime.fromtimestamp(fix[2] / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return f'<trkpt lat="{fix[1]:.6f}" lon="{fix[0]:.6f}">\n<ele>231.0</ele>\n<time>{moment}</time>\n</trkpt>\n'

    body = "".join("<trkseg>\n" + "".join(point(f) for f in segment) + "</trkseg>\n" for segment in segments)
    return ('<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>\n'
            '<gpx version="1.0" creator="eTrex Legend" xmlns="http://www.topografix.com/GPX/1/0">\n'
            f"<trk>\n<name>ACTIVE LOG</name>\n{body}</trk>\n</gpx>\n").encode("latin-1")


def test_times_without_a_zone_are_read_as_utc():
    segments, name = read_gpx((GPX_FILES / "etrex_gpx10_no_zone.gpx").read_bytes())
    assert name == "ACTIVE LOG 001"
    assert [len(segment) for segment in segments] == [3, 2]  # each <trkseg> its own line
    assert [row[2] for row in segments[0]] == [
        _utc_ms(2013, 1, 1, 12, 0, 4),
        _utc_ms(2013, 1, 1, 12, 0, 14) + 500,  # fractional seconds kept
        _utc_ms(2013, 1, 1, 12, 0, 24),
    ]
    assert segments[1][0] == [110.777, 32.6464, _utc_ms(2013, 1, 1, 12, 20), None]
    assert segments[0][0][3] == pytest.approx(1.4 * METRES_PER_HDOP)


def test_a_gpx_10_file_without_zones_becomes_a_patrol_at_the_right_time(crew, api):
    fixes = walk_along(length_m=300)
    response = _upload(api(crew["volunteer"]), _gpx10_without_zones([fixes]), name="ACTIVE LOG.GPX")
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.started_at == datetime.fromtimestamp(fixes[0][2] / 1000, tz=timezone.utc)
    assert activity.ended_at == datetime.fromtimestamp(fixes[-1][2] / 1000, tz=timezone.utc)


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-05-01T00:00:00Z", _utc_ms(2026, 5, 1)),
        ("2026-05-01T00:00:00", _utc_ms(2026, 5, 1)),
        ("2026-05-01T08:00:00+08:00", _utc_ms(2026, 5, 1)),
        ("2026-05-01T08:00:00+0800", _utc_ms(2026, 5, 1)),
        ("2026-04-30T19:00:00-05:00", _utc_ms(2026, 5, 1)),
        ("2026-05-01T00:00:00.250Z", _utc_ms(2026, 5, 1) + 250),
        ("2026-05-01T00:00:00.123456789", _utc_ms(2026, 5, 1) + 123),
        ("\n  2026-05-01T00:00:00Z\n  ", _utc_ms(2026, 5, 1)),  # XML Schema allows the spaces
    ],
)
def test_gpx_times_are_read_in_every_usual_form(moment, expected):
    content = (GPX_HEAD + '<gpx version="1.1"><trk><trkseg>'
               f'<trkpt lat="32.7" lon="110.5"><time>{moment}</time></trkpt></trkseg></trk></gpx>').encode()
    assert read_gpx(content)[0][0][0][2] == expected


def test_gpx_is_read_by_gpxpy_after_defusedxml_has_checked_it(monkeypatch):
    seen = []
    real_parse = gpxpy.parse
    monkeypatch.setattr(gpxpy, "parse", lambda text, *args, **kwargs: seen.append(text) or real_parse(text, *args, **kwargs))
    assert read_gpx((GPX_FILES / "osmand_gpx11.gpx").read_bytes())[1] == "周五巡河"
    assert len(seen) == 1 and isinstance(seen[0], str) and "<trkpt" in seen[0]
    utf16_bomb = BILLION_LAUGHS.decode().encode("utf-16")  # the bytes' own check cannot see this DOCTYPE
    for content in (XXE, BILLION_LAUGHS, utf16_bomb):
        with pytest.raises(GpxError, match="DOCTYPE"):
            read_gpx(content)
    assert len(seen) == 1  # none of them reached gpxpy


def test_files_from_usual_apps_are_read():
    segments, name = read_gpx((GPX_FILES / "osmand_gpx11.gpx").read_bytes())
    assert name == "周五巡河"  # the track's name, not the metadata's or a waypoint's
    assert segments == [[
        [110.7752051, 32.6451013, _utc_ms(2026, 5, 1), pytest.approx(1.6 * METRES_PER_HDOP)],
        [110.7753306, 32.6451822, _utc_ms(2026, 5, 1, 0, 0, 10), pytest.approx(2.4 * METRES_PER_HDOP)],
        [110.7754561, 32.6452631, _utc_ms(2026, 5, 1, 0, 0, 20), None],
    ]]
    segments, name = read_gpx((GPX_FILES / "strava_gpx11.gpx").read_bytes())
    assert name == "Morning Walk"
    assert segments == [[[110.775205, 32.645101, _utc_ms(2026, 5, 1), None],
                         [110.77533, 32.645182, _utc_ms(2026, 5, 1, 0, 0, 1), None]]]


def test_a_gb2312_file_from_a_chinese_app_is_read():
    # Declared GB2312 but holding a GBK-only character (堃); expat cannot read GB2312 at all.
    segments, name = read_gpx((GPX_FILES / "gb2312_declared_gbk_bytes.gpx").read_bytes())
    assert name == "狮子沟巡河 王堃"
    assert [row[2] for row in segments[0]] == [_utc_ms(2026, 5, 1), _utc_ms(2026, 5, 1, 0, 0, 10)]


@pytest.mark.parametrize(
    "content",
    [
        codecs.BOM_UTF8 + _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]),
        _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).decode().replace("UTF-8", "UTF-16").encode("utf-16"),
        _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).decode().replace("UTF-8", "UTF-16").encode("utf-16-be"),
        _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).replace(b"UTF-8", b"utf-16"),  # .NET's wrong declaration
        _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).replace(b"UTF-8", b"GBK").replace("巡河".encode(), "巡河".encode("gbk")),
        _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]], head="\n"),
    ],
    ids=["utf-8 bom", "utf-16 bom", "utf-16-be no bom", "utf-16 declared in utf-8", "gbk", "no declaration"],
)
def test_encodings_and_byte_order_marks_are_read(content):
    segments, name = read_gpx(content)
    assert name == "巡河"
    assert segments == [[[110.5, 32.7, _utc_ms(2026, 5, 1), pytest.approx(1.2 * METRES_PER_HDOP)]]]


def test_a_route_with_times_is_read_as_the_recording_but_a_planned_route_is_refused():
    segments, name = read_gpx((GPX_FILES / "route_with_times.gpx").read_bytes())
    assert name == "狮子沟巡河（路线导出）"
    assert [row[2] for row in segments[0]] == [_utc_ms(2026, 5, 1, 0, 0, s) for s in (0, 10, 20)]
    with pytest.raises(GpxError, match="没有轨迹点.*规划路线"):
        read_gpx((GPX_FILES / "planned_route_and_waypoints.gpx").read_bytes())


def _one_track(*points, version="1.1"):
    return (GPX_HEAD + f'<gpx version="{version}" xmlns="http://www.topografix.com/GPX/1/{version[-1]}">'
            "<trk><trkseg>" + "".join(points) + "</trkseg></trk></gpx>").encode()


GOOD_POINT = '<trkpt lat="32.7" lon="110.5"><time>2026-05-01T00:00:00Z</time></trkpt>'


def _bad_point(attributes='lat="32.7" lon="110.5"', time_="2026-05-01T00:00:10Z", more=""):
    return f"<trkpt {attributes}>{more}<time>{time_}</time></trkpt>"


@pytest.mark.parametrize(
    "content, expected",
    [
        # lat/lon: missing, garbage, NaN, infinite, huge, out of range — named with the point's number
        (_one_track(GOOD_POINT, GOOD_POINT, _bad_point('lon="110.5"')), "第 3 个轨迹点缺少经纬度（没有 lat 属性）"),
        (_one_track(GOOD_POINT, _bad_point('lat="32.7"')), "第 2 个轨迹点缺少经纬度（没有 lon 属性）"),
        (_one_track(GOOD_POINT, _bad_point('lat="32,7" lon="110,5"')), "第 2 个轨迹点的经纬度不是数字：lat=“32,7”"),
        (_one_track(_bad_point('lat="" lon="110.5"')), "第 1 个轨迹点的经纬度不是数字"),
        (_one_track(GOOD_POINT, _bad_point('lat="NaN" lon="110.5"')), "第 2 个轨迹点的经纬度超出范围：lat=NaN"),
        (_one_track(_bad_point('lat="32.7" lon="-inf"')), "第 1 个轨迹点的经纬度超出范围：lat=32.7，lon=-inf"),
        (_one_track(_bad_point('lat="1e400" lon="110.5"')), "第 1 个轨迹点的经纬度超出范围：lat=1e400"),
        (_one_track(_bad_point('lat="32.7" lon="' + "9" * 400 + '"')), "第 1 个轨迹点的经纬度超出范围"),
        (_one_track(GOOD_POINT, _bad_point('lat="95" lon="110.5"')), "第 2 个轨迹点的经纬度超出范围：lat=95"),
        (_one_track(_bad_point('lat="110.5" lon="32.7"')), "第 1 个轨迹点的经纬度超出范围：lat=110.5，lon=32.7"),
        # other values gpxpy refuses, or that make no sense as an accuracy
        (_one_track(_bad_point(more="<hdop>NaN</hdop>")), "第 1 个轨迹点的 <hdop> 值写错了：“NaN”"),
        (_one_track(_bad_point(more="<hdop>-1</hdop>")), "第 1 个轨迹点的 <hdop> 值写错了：“-1”"),
        (_one_track(GOOD_POINT, _bad_point(more="<hdop>好</hdop>")), "第 2 个轨迹点的 <hdop> 值写错了：“好”"),
        (_one_track(_bad_point(more="<ele>n/a</ele>")), "第 1 个轨迹点的 <ele> 值写错了：“n/a”"),
        (_one_track(_bad_point(more="<fix>3D</fix>")), "第 1 个轨迹点的 <fix> 值写错了"),
        (_one_track(_bad_point(more="<sat>7.0</sat>"), version="1.0"), "第 1 个轨迹点的 <sat> 值写错了"),
        # times: missing, empty, garbage, impossible, outside 2000–2100
        (_one_track(GOOD_POINT, '<trkpt lat="32.7" lon="110.5"/>'), "第 2 个轨迹点没有时间"),
        (_one_track(_bad_point(time_=" ")), "第 1 个轨迹点没有时间"),
        (_one_track(GOOD_POINT, _bad_point(time_="昨天早上")), "第 2 个轨迹点的时间无法识别：昨天早上"),
        (_one_track(_bad_point(time_="2026-02-30T08:00:00Z")), "第 1 个轨迹点的时间无法识别：2026-02-30T08:00:00Z"),
        (_one_track(_bad_point(time_="2026-05-01 08:00")), "第 1 个轨迹点的时间无法识别"),
        (_one_track(_bad_point(time_="2026-05-01T08:00:00+99:00")), "第 1 个轨迹点的时间无法识别"),
        (_one_track(_bad_point(time_="1999-12-31T15:59:59Z")), "第 1 个轨迹点的时间不合理：1999-12-31T15:59:59Z"),
        (_one_track(_bad_point(time_="2101-01-01T00:00:01")), "第 1 个轨迹点的时间不合理"),
        (_one_track(_bad_point(time_="1970-01-01T00:00:00Z")), "第 1 个轨迹点的时间不合理"),
        # waypoints and routes: gpxpy reads them too, so their faults are named as well
        ((GPX_HEAD + '<gpx version="1.1"><wpt lat="32.7" lon="110.5"/><wpt lat="北纬32度" lon="110.5"/>'
          "<trk><trkseg>" + GOOD_POINT + "</trkseg></trk></gpx>").encode(), "第 2 个航点的经纬度不是数字"),
        ((GPX_HEAD + '<gpx version="1.1"><rte><rtept lat="32.7" lon="110.5"><time>2026-05-01T00:00:00Z</time>'
          '</rtept><rtept lat="32.7" lon="110.5"/></rte></gpx>').encode(), "第 2 个路线点没有时间"),
        ((GPX_HEAD + '<gpx version="1.1"><wpt lat="32.7" lon="110.5"><name>桥</name></wpt></gpx>').encode(),
         "GPX 文件里没有轨迹点"),
        ((GPX_HEAD + '<gpx version="1.1"><trk><number>one</number><trkseg>' + GOOD_POINT + "</trkseg></trk></gpx>").encode(),
         "第 1 个轨迹的 <number> 值写错了：“one”"),
        ((GPX_HEAD + '<gpx version="1.1"><metadata><bounds minlat="x" minlon="1" maxlat="2" maxlon="3"/></metadata>'
          "<trk><trkseg>" + GOOD_POINT + "</trkseg></trk></gpx>").encode(), "<bounds> 写错了：minlat=“x”"),
        ((b'<gpx:gpx xmlns:gpx="http://www.topografix.com/GPX/1/1" version="1.1"><gpx:trk><gpx:trkseg>'
          b'<gpx:trkpt lat="32.7" lon="110.5"/></gpx:trkseg></gpx:trk></gpx:gpx>'), "命名空间前缀"),
        # files of other programs, or no file at all
        ((b'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
          b"<Placemark><LineString><coordinates>110.5,32.7,0</coordinates></LineString></Placemark></Document></kml>"),
         "文件是 KML 格式"),
        (b'<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"/>',
         "文件是 TCX 格式"),
        (b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Log In | Strava</title></head></html>',
         "文件是网页（HTML）"),
        (b"<html><head><meta charset=utf-8><title>404</title></head><body><p>Not found</body></html>", "文件是网页（HTML）"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "根元素应为 <gpx>，这里是 <svg>"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8, "文件是 JPEG 图片"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "文件是 PNG 图片"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40) + b"doc.kml", "文件是 ZIP 压缩包"),
        (b"\x1f\x8b\x08\x00" + bytes(40), "文件是 gzip 压缩文件"),
        (b"\x0e\x10\xd9\x07\x00\x00\x00\x00.FIT" + bytes(40), "Garmin FIT"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "文件是 PDF 文档"),
        (bytes(range(256)) * 4, "不是有效的 UTF-8 文本（第 129 个字节处无法解码）"),
        (codecs.BOM_UTF8 + b" \r\n", "GPX 文件是空的"),
        (b"lat,lon,time\n32.7,110.5,2026-05-01T00:00:00Z\n", "文件不是有效的 XML，无法按 GPX 读取（第 1 行第 1 列出错）"),
        (_gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]])[:-30], "文件不是有效的 XML，无法按 GPX 读取（第 2 行"),
        # encodings
        (_gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).decode().encode("gbk"), "不是有效的 UTF-8 文本"),
        (_gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).replace(b"UTF-8", b"KLINGON-8"), "编码“KLINGON-8”无法识别"),
        (_gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).replace(b"UTF-8", b"base64"), "编码“base64”无法识别"),
        (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE gpx +AFs-+ADw-!ENTITY a \'b\'+AD4-+AF0-+AD4-<gpx/>', "DOCTYPE"),
    ],
)
def test_broken_odd_and_foreign_files_give_a_clear_reason(content, expected):
    with pytest.raises(GpxError) as caught:
        read_gpx(content)
    assert expected in str(caught.value)


def test_a_namespace_bomb_is_refused_before_gpxpy_spends_minutes_on_it():
    # gpxpy's namespace regex is quadratic in the " xmlns" it finds: this file alone would take ~15 s.
    content = _gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]) + b"<!--" + b" xmlns" * 70_000 + b" -->"
    started = time.monotonic()
    with pytest.raises(GpxError, match="xmlns"):
        read_gpx(content)
    assert time.monotonic() - started < 2
    many = " ".join(f'xmlns:p{i}="urn:x-{i}"' for i in range(60))
    with pytest.raises(GpxError, match="xmlns"):
        read_gpx(_gpx([[[110.5, 32.7, _utc_ms(2026, 5, 1), 5]]]).replace(b'creator="test"', many.encode()))


def test_a_track_with_a_namespace_declaration_on_every_point_is_still_read():
    point = ('<trkpt lat="32.7" lon="110.5"><time>2026-05-01T00:{:02d}:{:02d}Z</time><extensions>'
             '<gpxtpx:TrackPointExtension xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
             "<gpxtpx:hr>110</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>")
    content = _one_track(*(point.format(i // 60, i % 60) for i in range(3000)))
    assert len(read_gpx(content)[0][0]) == 3000


def test_times_are_bounded_by_the_tracks_limits():
    # The first and the last moment of the days the app accepts (2000-01-01 … 2100-12-31, Beijing).
    assert read_gpx(_one_track(_bad_point(time_="1999-12-31T16:00:00Z")))[0][0][0][2] == EARLIEST_MS
    assert read_gpx(_one_track(_bad_point(time_="2100-12-31T15:59:59.999Z")))[0][0][0][2] == AFTER_LATEST_MS - 1
    with pytest.raises(GpxError, match="时间不合理"):
        read_gpx(_one_track(_bad_point(time_="1999-12-31T15:59:59Z")))
    with pytest.raises(GpxError, match="时间不合理"):
        read_gpx(_one_track(_bad_point(time_="2100-12-31T16:00:00Z")))
