"""Photos: real images only, within size limits; EXIF position read, offered, then stripped."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from rest_framework.test import APIClient

from patrols.models import Activity, Photo
from tests.support.factories import activity_body
from tests.support.walks import walk_along


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return (IFDRational(degrees), IFDRational(minutes), IFDRational(round(seconds * 1000), 1000))


def _photo(fmt="JPEG", size=(1600, 1200), lonlat=None, colour=(40, 120, 200)):
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x0110] = "Test Phone X"  # camera model: must not survive either
    if lonlat is not None:
        exif.get_ifd(0x8825).update({1: "N", 2: _dms(lonlat[1]), 3: "E", 4: _dms(lonlat[0])})
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif) if fmt in ("JPEG", "PNG", "WEBP") else image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def cleanup_without_location(crew, api):
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(kind="cleanup"), format="json")
    return Activity.objects.get(pk=response.json()["id"])


def _upload(client, activity, content, name="photo.jpg"):
    return client.post(
        f"/api/activities/{activity.pk}/photos/", {"photo": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_exif_position_becomes_the_location_and_is_stripped_from_the_stored_copy(crew, api, cleanup_without_location):
    lon, lat = walk_along(start_m=500, length_m=0)[0][:2]  # on 狮子沟
    response = _upload(api(crew["volunteer"]), cleanup_without_location, _photo(lonlat=(lon, lat)))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["location_used"] is True
    assert body["exif_location"]["coordinates"] == pytest.approx([lon, lat], abs=2e-5)

    activity = Activity.objects.get(pk=cleanup_without_location.pk)
    assert activity.location_source == "photo"
    assert activity.waterway.code == "ZW-G07"

    photo = Photo.objects.get(pk=body["id"])
    with photo.image.open("rb") as handle:
        stored = Image.open(handle)
        stored.load()
        assert stored.format == "JPEG"
        assert not stored.getexif().get_ifd(0x8825)  # no GPS
        assert 0x0110 not in stored.getexif()  # no camera model
        assert max(stored.size) <= 2048
    with photo.thumbnail.open("rb") as handle:
        assert max(Image.open(handle).size) <= 320


def test_a_photo_does_not_move_an_activity_that_already_has_a_track(crew, api):
    response = api(crew["volunteer"]).post("/api/activities/", activity_body(walk_along(length_m=300)), format="json")
    activity = Activity.objects.get(pk=response.json()["id"])
    upload = _upload(api(crew["volunteer"]), activity, _photo(lonlat=(110.60, 32.74)))
    assert upload.status_code == 201
    assert upload.json()["location_used"] is False
    activity.refresh_from_db()
    assert activity.point is None and activity.location_source == "gps"


def test_png_and_webp_are_accepted_and_re_encoded(crew, api, cleanup_without_location):
    client = api(crew["volunteer"])
    assert _upload(client, cleanup_without_location, _photo("PNG", colour=(1, 2, 3)), "a.png").status_code == 201
    assert _upload(client, cleanup_without_location, _photo("WEBP", colour=(4, 5, 6)), "a.webp").status_code == 201
    assert Photo.objects.filter(activity=cleanup_without_location).count() == 2


def test_the_same_photo_sent_twice_is_stored_once(crew, api, cleanup_without_location):
    client, content = api(crew["volunteer"]), _photo()
    first = _upload(client, cleanup_without_location, content)
    second = _upload(client, cleanup_without_location, content)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


@pytest.mark.parametrize(
    "content, name, expected",
    [
        (_photo("GIF"), "a.gif", "JPEG、PNG 或 WebP"),
        (b"%PDF-1.4 not a picture", "a.jpg", "不是可识别的图片"),
        (_photo()[:2000], "cut.jpg", "不是可识别的图片"),
    ],
)
def test_files_that_are_not_photos_are_refused(crew, api, cleanup_without_location, content, name, expected):
    response = _upload(api(crew["volunteer"]), cleanup_without_location, content, name)
    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert Photo.objects.count() == 0


def test_a_photo_over_10_mb_is_refused(crew, api, cleanup_without_location):
    too_big = _photo() + b"\0" * (10 * 1024 * 1024)
    response = _upload(api(crew["volunteer"]), cleanup_without_location, too_big)
    assert response.status_code in (400, 413)
    assert "10 MB" in response.json()["detail"]
    assert Photo.objects.count() == 0


def test_a_decompression_bomb_is_refused(crew, api, cleanup_without_location, settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    bomb = _photo("PNG", size=(3000, 3000))  # 9 megapixels of one colour: a few kilobytes
    assert len(bomb) < 200_000
    response = _upload(api(crew["volunteer"]), cleanup_without_location, bomb, "bomb.png")
    assert response.status_code == 400
    assert "像素" in response.json()["detail"]


def test_only_the_submitter_or_staff_add_photos_and_only_readers_see_them(crew, api, cleanup_without_location):
    content = _photo()
    assert _upload(api(crew["teammate"]), cleanup_without_location, content).status_code == 404
    assert _upload(api(crew["outsider"]), cleanup_without_location, content).status_code == 404
    photo_id = _upload(api(crew["volunteer"]), cleanup_without_location, content).json()["id"]

    from django.test import Client

    url = f"/activities/{cleanup_without_location.pk}/photos/{photo_id}/thumb/"
    owner, stranger = Client(), Client()
    owner.force_login(crew["volunteer"].user)
    stranger.force_login(crew["outsider"].user)
    shown = owner.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert stranger.get(url).status_code == 404


def test_a_photo_added_after_review_does_not_move_the_activity(crew, api, cleanup_without_location):
    api(crew["leader"]).post(f"/api/activities/{cleanup_without_location.pk}/review/", {"decision": "verify"}, format="json")
    lon, lat = walk_along(start_m=500, length_m=0)[0][:2]
    body = _upload(api(crew["volunteer"]), cleanup_without_location, _photo(lonlat=(lon, lat))).json()
    assert body["location_used"] is False
    assert body["exif_location"]["coordinates"] == pytest.approx([lon, lat], abs=2e-5)  # still offered
    cleanup_without_location.refresh_from_db()
    assert cleanup_without_location.point is None and cleanup_without_location.waterway is None


def test_scripts_download_photos_with_their_token(crew, api, cleanup_without_location):
    from rest_framework.authtoken.models import Token

    body = _upload(api(crew["volunteer"]), cleanup_without_location, _photo()).json()
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=crew['volunteer'].user).key}")
    full = script.get(body["url"])
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=crew['outsider'].user).key}")
    assert outsider.get(body["url"]).status_code == 404
    assert APIClient().get(body["url"]).status_code in (401, 403)


def test_a_photo_whose_transaction_fails_leaves_no_file_behind(crew, api, cleanup_without_location, monkeypatch,
                                                              settings):
    """The files are written before the row is stored; if anything fails before the commit, the row
    is rolled back and the files are deleted again, never left orphaned in storage."""
    from patrols import services

    def snapping_fails(activity):
        raise RuntimeError("the database went away while snapping")

    monkeypatch.setattr(services, "_snap", snapping_fails)  # runs after the photo row and its files
    lon, lat = walk_along(start_m=500, length_m=0)[0][:2]
    client = api(crew["volunteer"])
    client.raise_request_exception = False
    response = _upload(client, cleanup_without_location, _photo(lonlat=(lon, lat)))
    assert response.status_code == 500
    assert not Photo.objects.exists()
    stored = list((settings.MEDIA_ROOT / "photos").rglob("*")) if (settings.MEDIA_ROOT / "photos").exists() else []
    assert [path for path in stored if path.is_file()] == []

    monkeypatch.undo()  # the same photo goes through later, stored once with both files
    response = _upload(api(crew["volunteer"]), cleanup_without_location, _photo(lonlat=(lon, lat)))
    assert response.status_code == 201
    assert len([path for path in (settings.MEDIA_ROOT / "photos").rglob("*") if path.is_file()]) == 2
