"""Positions far from the district are refused before anything is stored, through every entry point:
phone fixes, a GeoJSON track, an activity's point, a problem's point and a GPX file. A track from
another country would otherwise be measured in the district's Gauss-Krüger projection, tens of
percent too long; a point where that projection means nothing ([25, 0]) would break the database's
geometry checks. A photo's EXIF position from far away is simply not used."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from patrols.models import Activity, Photo
from problems.models import Problem
from tests.support.factories import activity_body
from tests.support.walks import MAY_DAY_8AM_MS, lonlat_on, walk_along

CAPITAL_CITY = (116.397, 39.909)  # 1,000 km away, outside the storage projection's zone
NEAR_BUT_OUT = (110.25, 32.05)  # inside the zone, about 45 km beyond the district's outline
NOWHERE = (25.0, 0.0)  # projects to infinity in the storage SRID


def _line(lon, lat, n=40):
    """A short walk (about 5 m a step) starting at lon, lat, as phone fixes."""
    return [[lon + i * 0.00005, lat, MAY_DAY_8AM_MS + i * 8000, 6.0] for i in range(n)]


def nothing_stored():
    return not Activity.objects.exists() and not Problem.objects.exists()


@pytest.mark.parametrize("where", [CAPITAL_CITY, NEAR_BUT_OUT, NOWHERE], ids=["beijing", "45km", "nowhere"])
def test_phone_fixes_far_away_are_refused_and_nothing_is_stored(crew, api, where):
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(_line(*where)), format="json")
    assert response.status_code == 400, response.json()
    detail = response.json()["detail"]
    assert "不在服务范围内" in detail and "离区界超过 20 公里" in detail
    assert f"经度 {where[0]:.5f}，纬度 {where[1]:.5f}" in detail
    assert nothing_stored()


def test_one_stray_fix_in_a_good_track_is_cleaned_away_not_measured(crew, api):
    """A GPS glitch 45 km off is a jump: the cleaning splits there and drops the lone fix, so the
    stored track stays inside the area and its length is the walk's."""
    fixes = walk_along(length_m=300)
    fixes[7][:2] = list(NEAR_BUT_OUT)
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(fixes), format="json")
    assert response.status_code == 201, response.json()
    assert 250 < response.json()["properties"]["distance_m"] < 320


@pytest.mark.parametrize("where", [CAPITAL_CITY, NEAR_BUT_OUT, NOWHERE], ids=["beijing", "45km", "nowhere"])
def test_a_geojson_track_or_point_far_away_is_refused(crew, api, where):
    client = api(crew["volunteer"])
    track = {"type": "LineString", "coordinates": [list(where), [where[0] + 0.001, where[1] + 0.001]]}
    for body in (activity_body(track=track), activity_body(kind="cleanup", point=list(where)),
                 activity_body(kind="cleanup", point={"type": "Point", "coordinates": list(where)})):
        response = client.post("/api/activities/", body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert "不在服务范围内" in response.json()["detail"]
    assert nothing_stored()


@pytest.mark.parametrize("where", [CAPITAL_CITY, NOWHERE], ids=["beijing", "nowhere"])
def test_a_problem_far_away_is_refused_naming_the_problem(crew, api, where):
    problem = {"client_uuid": str(uuid.uuid4()), "category": "garbage", "point": list(where),
               "observed_at": "2026-05-01T08:10:00+08:00"}
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(kind="problem_report", problems=[problem]),
                                           format="json")
    assert response.status_code == 400
    assert "第 1 个问题的位置" in response.json()["detail"] and "不在服务范围内" in response.json()["detail"]
    assert nothing_stored()


def test_positions_just_outside_the_outline_are_kept(crew, api):
    """The buffer is there for patrols along the district's edge: 2 km out is fine."""
    lon, lat = lonlat_on("ZW-R01", 50)  # the 堵河 leaves the district in the north
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(kind="cleanup", point=[lon, lat + 0.018]),
                                           format="json")
    assert response.status_code == 201, response.json()


def _gpx_far_away():
    points = "".join(
        f'<trkpt lat="{CAPITAL_CITY[1]}" lon="{CAPITAL_CITY[0] + i * 0.0001:.6f}"><time>2026-05-01T0{i // 60}:{i % 60:02d}:00Z</time></trkpt>'
        for i in range(30))
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="a watch abroad" '
            f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{points}</trkseg></trk></gpx>').encode()


def test_a_gpx_file_from_another_country_is_refused(crew, api):
    response = api(crew["volunteer"]).post("/api/activities/gpx/", {
        "file": SimpleUploadedFile("abroad.gpx", _gpx_far_away()), "client_uuid": str(uuid.uuid4())}, format="multipart")
    assert response.status_code == 400
    assert "不在服务范围内" in response.json()["detail"] and "file" in response.json()["errors"]
    assert nothing_stored()


def _photo_taken_at(lon, lat):
    def dms(value):
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (IFDRational(degrees), IFDRational(minutes), IFDRational(round((value - degrees - minutes / 60) * 3600 * 1000), 1000))

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (20, 90, 160)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("where", [CAPITAL_CITY, NEAR_BUT_OUT], ids=["beijing", "45km"])
def test_a_photo_taken_far_away_is_kept_without_its_position(crew, api, where):
    client = api(crew["volunteer"])
    activity = client.post("/api/activities/", activity_body(kind="cleanup"), format="json").json()
    response = client.post(f"/api/activities/{activity['id']}/photos/",
                           {"photo": SimpleUploadedFile("far.jpg", _photo_taken_at(*where))}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["location_used"] is False and "exif_location" not in response.json()
    assert Photo.objects.get().exif_point is None
    stored = Activity.objects.get(pk=activity["id"])
    assert stored.point is None and not stored.off_network
