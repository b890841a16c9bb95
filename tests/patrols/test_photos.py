"""Photos: real images only, within size limits; EXIF position read, offered, then stripped."""

import importlib
import io
import random
import re
import struct
from datetime import datetime
from datetime import timezone as dt_timezone
from fractions import Fraction

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from PIL import Image, ImageCms, PngImagePlugin
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational
from rest_framework.test import APIClient

from patrols.models import Activity, Photo
from riverwatch import dates, photos
from riverwatch.photos import DATETIME_ORIGINAL, EXIF_IFD, GPS_IFD
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


def _png_with_a_text_chunk_too_large_to_read():
    """1.2 KB on disk; its compressed text chunk inflates past what Pillow will read (a ValueError)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * (PngImagePlugin.MAX_TEXT_CHUNK + 1), zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "PNG", pnginfo=info)
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
        (_png_with_a_text_chunk_too_large_to_read(), "text.png", "不是可识别的图片"),
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
    from knox.models import AuthToken

    body = _upload(api(crew["volunteer"]), cleanup_without_location, _photo()).json()
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=crew['volunteer'].user)[1]}")
    full = script.get(body["url"])
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=crew['outsider'].user)[1]}")
    assert outsider.get(body["url"]).status_code == 404
    assert APIClient().get(body["url"]).status_code == 401


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


# --- Stored copies carry the pixels alone ------------------------------------------------------

PLANTED = "<script>alert(1)</script> 13912345678"
# What must not be found anywhere in the bytes of a stored copy or thumbnail.
PLANTED_BYTES = [b"13912345678", b"<script>", b"alert(1)", b"xmpmeta", b"Test Phone X", b"Photoshop 3.0",
                 b"ICC_PROFILE", b"Exif\0\0", b"MPF\0"]
# What Pillow reports of a bare JPEG written by libjpeg: its JFIF header.
HARMLESS_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression"}


def _save(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _exif_with_text():
    exif = Image.Exif()
    exif[0x0110] = "Test Phone X"
    exif[0x010E] = PLANTED  # ImageDescription
    exif.get_ifd(0x8769)[0x927C] = b"maker note " + PLANTED.encode()  # MakerNote
    return exif


def _jpeg_with_comment():
    return _save(Image.new("RGB", (800, 600), (40, 120, 200)), "JPEG", comment=PLANTED.encode())


def _png_with_text_chunks():
    info = PngInfo()
    info.add_text("comment", PLANTED)  # tEXt; Pillow writes im.info["comment"] back as a JPEG comment
    info.add_itxt("Description", PLANTED + " 河道")  # iTXt
    info.add_text("Author", PLANTED, zip=True)  # zTXt
    return _save(Image.new("RGB", (800, 600), (40, 120, 200)), "PNG", pnginfo=info)


def _xmp():
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>'
            b'&lt;script&gt;alert(1)&lt;/script&gt; 13912345678</dc:description></rdf:Description></rdf:RDF>'
            b'</x:xmpmeta>')


def _jpeg_with_xmp_exif_and_iptc():
    jpeg = _save(Image.new("RGB", (800, 600), (40, 120, 200)), "JPEG", xmp=_xmp(), exif=_exif_with_text())
    iptc = b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0" + struct.pack(">I", 18) + b"\x1c\x02\x78\0\x0e" + b"13912345678 ab"
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc + jpeg[2:]  # APP13 after SOI


def _webp_with_xmp_and_exif():
    return _save(Image.new("RGB", (800, 600), (40, 120, 200)), "WEBP", xmp=_xmp(), exif=_exif_with_text())


def _stored_files(photo_id):
    photo = Photo.objects.get(pk=photo_id)
    with photo.image.open("rb") as image, photo.thumbnail.open("rb") as thumbnail:
        return image.read(), thumbnail.read()


@pytest.mark.parametrize(
    "content, name",
    [
        (_jpeg_with_comment(), "comment.jpg"),
        (_png_with_text_chunks(), "text.png"),
        (_jpeg_with_xmp_exif_and_iptc(), "xmp.jpg"),
        (_webp_with_xmp_and_exif(), "xmp.webp"),
    ],
    ids=["jpeg-comment", "png-text-chunks", "jpeg-xmp-exif-iptc", "webp-xmp-exif"],
)
def test_no_metadata_block_survives_in_the_stored_copy_or_the_thumbnail(crew, api, cleanup_without_location, content,
                                                                      name):
    assert b"13912345678" in content  # planted indeed
    response = _upload(api(crew["volunteer"]), cleanup_without_location, content, name)
    assert response.status_code == 201, response.json()
    for stored in _stored_files(response.json()["id"]):
        for planted in PLANTED_BYTES:
            assert planted not in stored
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG"
            assert set(image.info) <= HARMLESS_INFO, image.info
            assert not image.getexif()
            assert not getattr(image, "applist", []) or {marker for marker, _ in image.applist} <= {"APP0"}


def _s15_16(value):
    return struct.pack(">i", round(value * 65536))


def _xyz(x, y, z):
    return b"XYZ " + b"\0" * 4 + _s15_16(x) + _s15_16(y) + _s15_16(z)


def _display_p3_profile():
    """A small ICC v2 display profile with Display P3's primaries (adapted to D50) and a 2.2 gamma,
    as iPhones and many Android phones embed in their photos."""
    name = b"Display P3 (test)"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(name) + 1) + name + b"\0" + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags = [(b"desc", desc), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(0.5151, 0.2412, -0.0011)),
            (b"gXYZ", _xyz(0.2919, 0.6922, 0.0419)), (b"bXYZ", _xyz(0.1571, 0.0666, 0.7841)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", b"text" + b"\0" * 4 + b"none\0\0\0\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 28
              + _s15_16(0.9642) + _s15_16(1.0) + _s15_16(0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + data


def _centre(content):
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def _close(pixel, expected, tolerance=4):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def test_a_display_p3_photo_is_converted_to_srgb_before_its_profile_is_dropped(crew, api, cleanup_without_location):
    p3 = ImageCms.ImageCmsProfile(io.BytesIO(_display_p3_profile()))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    green = (60, 180, 60)
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), green), p3, srgb, outputMode="RGB").getpixel((0, 0))
    assert not _close(expected, green, tolerance=15)  # the same numbers mean another colour in sRGB

    content = _save(Image.new("RGB", (800, 600), green), "JPEG", quality=95, icc_profile=_display_p3_profile())
    response = _upload(api(crew["volunteer"]), cleanup_without_location, content, "p3.jpg")
    assert response.status_code == 201, response.json()
    for stored in _stored_files(response.json()["id"]):
        assert _close(_centre(stored), expected), (_centre(stored), expected)
        assert "icc_profile" not in Image.open(io.BytesIO(stored)).info


@pytest.mark.parametrize("profile", ["srgb", "broken", "p3-conversion-fails"])
def test_an_srgb_or_unusable_profile_leaves_the_pixels_as_they_are(crew, api, cleanup_without_location, profile,
                                                                    monkeypatch):
    icc = {"srgb": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), "broken": b"not a profile",
           "p3-conversion-fails": _display_p3_profile()}[profile]
    if profile == "p3-conversion-fails":
        def conversion_fails(*args, **kwargs):
            raise ImageCms.PyCMSError("cannot build transform")

        monkeypatch.setattr(ImageCms, "profileToProfile", conversion_fails)
    colour = (60, 180, 60)
    content = _save(Image.new("RGB", (800, 600), colour), "JPEG", quality=95, icc_profile=icc)
    response = _upload(api(crew["volunteer"]), cleanup_without_location, content, "p.jpg")
    assert response.status_code == 201, response.json()
    for stored in _stored_files(response.json()["id"]):
        assert _close(_centre(stored), colour)
        assert b"ICC_PROFILE" not in stored


# --- Multi-picture JPEGs (MPO) --------------------------------------------------------------------


def test_a_multi_picture_jpeg_is_accepted_and_its_first_picture_stored(crew, api, cleanup_without_location):
    """Android phones save depth and HDR shots as MPO: a JPEG followed by more pictures."""
    lon, lat = walk_along(start_m=500, length_m=0)[0][:2]
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)})
    frames = [Image.new("RGB", (1600, 1200), (200, 30, 30)), Image.new("RGB", (800, 600), (30, 30, 200))]
    # As bytes: Pillow's MPO writer misplaces its index after an Exif object with no top-level tag.
    content = _save(frames[0], "MPO", save_all=True, append_images=frames[1:], exif=exif.tobytes())
    assert Image.open(io.BytesIO(content)).format == "MPO"

    response = _upload(api(crew["volunteer"]), cleanup_without_location, content, "depth.jpg")
    assert response.status_code == 201, response.json()
    assert response.json()["location_used"] is True  # the first picture's EXIF is read
    photo = Photo.objects.get(pk=response.json()["id"])
    assert (photo.width, photo.height) == (1600, 1200)
    for stored in _stored_files(photo.pk):
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        assert _close(_centre(stored), (200, 30, 30))
        assert b"MPF\0" not in stored


# --- The time a photo was taken --------------------------------------------------------------------


def _exif_block(gps=None, exif_ifd=None, *, round_trip=True):
    """An Exif object with these GPS and EXIF sub-blocks; round_trip: as Pillow writes and reads it
    back from bytes (what an upload gives), else as set (any Python value)."""
    exif = Image.Exif()
    if gps is not None:
        exif.get_ifd(GPS_IFD).update(gps)
    if exif_ifd is not None:
        exif.get_ifd(EXIF_IFD).update(exif_ifd)
    if not round_trip:
        return exif
    parsed = Image.Exif()
    parsed.load(exif.tobytes())
    return parsed


def _photo_taken(value):
    buffer = io.BytesIO()
    exif = _exif_block(exif_ifd={DATETIME_ORIGINAL: value})
    Image.new("RGB", (640, 480), (40, 120, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("value", ["0001:01:01 00:00:00", "0000:00:00 00:00:00", "9999:12:31 23:59:59"])
def test_a_photo_taken_at_an_impossible_time_is_kept_without_the_time_and_every_page_still_shows(
        crew, api, cleanup_without_location, admin_user, value):
    from django.test import Client
    from django.urls import reverse

    activity = cleanup_without_location
    response = _upload(api(crew["volunteer"]), activity, _photo_taken(value))
    assert response.status_code == 201, response.json()
    assert Photo.objects.get(pk=response.json()["id"]).taken_at is None

    client = api(crew["volunteer"])
    assert client.get(f"/api/activities/{activity.pk}/").status_code == 200
    assert client.get("/api/activities/").status_code == 200
    volunteer, staff = Client(), Client()
    volunteer.force_login(crew["volunteer"].user)
    staff.force_login(admin_user)
    assert volunteer.get(f"/activities/{activity.pk}/").status_code == 200
    assert volunteer.get("/activities/").status_code == 200
    assert staff.get(reverse("admin:patrols_activity_change", args=[activity.pk])).status_code == 200
    assert staff.get(reverse("admin:patrols_activity_changelist")).status_code == 200


def test_a_photo_taken_at_a_real_time_keeps_it_in_beijing_time(crew, api, cleanup_without_location):
    response = _upload(api(crew["volunteer"]), cleanup_without_location, _photo_taken("2026:05:01 08:30:00"))
    assert response.status_code == 201
    assert Photo.objects.get(pk=response.json()["id"]).taken_at == datetime(2026, 5, 1, 0, 30, tzinfo=dt_timezone.utc)


BAD_TIMES = [
    "0001:01:01 00:00:00", "0000:00:00 00:00:00", "1999:12:31 23:59:59", "2101:01:01 00:00:00", "9999:12:31 23:59:59",
    "2024:02:30 10:00:00", "2024:13:01 10:00:00", "2024:05:01 25:00:00", "2024-05-01 08:30:00", "2024:05:01",
    "2024:05:01 08:30:00\x00junk", "\x002024:05:01 08:30:00", "2024:05:01\x0008:30:00", "２０２４:05:01 08:30:00",
    "", "    :  :     :  :  ", b"2024:05:01 08:30:00", 1714523400.0, 1714523400, (2024, 5, 1), None,
]


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize("round_trip", [True, False], ids=["written", "as-set"])
def test_an_odd_or_out_of_range_exif_time_is_no_time(value, round_trip):
    exif = _exif_block(exif_ifd={} if value is None else {DATETIME_ORIGINAL: value}, round_trip=round_trip)
    assert photos._exif_time(exif) is None


@pytest.mark.parametrize("text, expected", [
    ("2000:01:01 00:00:00", datetime(1999, 12, 31, 16, 0, tzinfo=dt_timezone.utc)),
    ("2100:12:31 23:59:59", datetime(2100, 12, 31, 15, 59, 59, tzinfo=dt_timezone.utc)),
    ("2026:05:01 08:30:00 ", datetime(2026, 5, 1, 0, 30, tzinfo=dt_timezone.utc)),
])
def test_exif_times_on_the_days_the_app_accepts_are_read(text, expected):
    assert photos._exif_time(_exif_block(exif_ifd={DATETIME_ORIGINAL: text})) == expected


def test_the_database_refuses_a_photo_time_out_of_range(crew, cleanup_without_location):
    photo = Photo.objects.create(activity=cleanup_without_location, image="a.jpg", thumbnail="a-thumb.jpg", sha256="a",
                                 uploaded_by=crew["volunteer"].user)
    for moment in ("0001-01-01 00:00:00+08", "1999-12-31 23:59:59+08", "2101-01-01 00:00:00+08", "infinity"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE patrols_photo SET taken_at = %s::timestamptz WHERE id = %s", [moment, photo.pk])
    with connection.cursor() as cursor:  # the first and the last moment are fine
        for moment in ("2000-01-01 00:00:00+08", "2100-12-31 23:59:59.999+08"):
            cursor.execute("UPDATE patrols_photo SET taken_at = %s::timestamptz WHERE id = %s", [moment, photo.pk])


def test_the_migration_forgets_the_times_out_of_range_that_were_stored_before(crew, cleanup_without_location):
    """Rows written before the constraint existed: it is dropped for this test (inside the test's
    transaction, so it comes back afterwards), the rows are written with raw SQL, then repaired."""
    from django.apps import apps

    migration = importlib.import_module("patrols.migrations.0007_forget_photo_times_out_of_range")
    repair = migration.forget_times_out_of_range
    constraint = next(c for c in Photo._meta.constraints if c.name == "photo_taken_at_in_range")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Photo, constraint)
    times = {
        "year 1": ("0001-01-01 00:00:00+08", None), "year 0": ("0001-01-01 00:00:00+00 BC", None),
        "just before": ("1999-12-31 23:59:59+08", None), "just after": ("2101-01-01 00:00:00+08", None),
        "infinity": ("infinity", None), "-infinity": ("-infinity", None),
        "first": ("2000-01-01 00:00:00+08", datetime(1999, 12, 31, 16, tzinfo=dt_timezone.utc)),
        "last": ("2100-12-31 23:59:59+08", datetime(2100, 12, 31, 15, 59, 59, tzinfo=dt_timezone.utc)),
        "none": (None, None),
    }
    ids = {}
    with connection.cursor() as cursor:
        for name, (moment, _kept) in times.items():
            photo = Photo.objects.create(activity=cleanup_without_location, image=f"{name}.jpg",
                                         thumbnail=f"{name}-t.jpg", sha256=name, uploaded_by=crew["volunteer"].user)
            cursor.execute("UPDATE patrols_photo SET taken_at = %s::timestamptz WHERE id = %s", [moment, photo.pk])
            ids[name] = photo.pk

    assert repair(apps, None) == 6
    stored = dict(Photo.objects.values_list("pk", "taken_at"))  # every row can be read again
    assert {name: stored[pk] for name, pk in ids.items()} == {name: kept for name, (_moment, kept) in times.items()}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the new rows' foreign keys: checked before ALTER TABLE
    with connection.schema_editor() as editor:
        editor.add_constraint(Photo, constraint)  # the repaired table passes the constraint
    assert repair(apps, None) == 0


# --- Odd EXIF values: the readers never fail, they give nothing --------------------------------------


def _valid_gps(rng):
    def dms(value):
        degrees, rest = divmod(abs(value), 1)
        minutes, rest = divmod(rest * 60, 1)
        return (IFDRational(int(degrees)), IFDRational(int(minutes)), IFDRational(round(rest * 60 * 1000), 1000))

    lat, lon = rng.uniform(-89, 89), rng.uniform(-179, 179)
    return {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}


def _corruptions(rng):
    """Ways to spoil a GPS block, each enough for it to give no position, as (spoil, written):
    written, when the oddity survives Pillow writing the block into a file and reading it back
    (a wrong Python type may come back as a proper one, True as 1), else only as set."""
    component = rng.randrange(3)

    def in_part(key, bad):
        return lambda gps: gps.__setitem__(key, tuple(bad if i == component else p for i, p in enumerate(gps[key])))

    def put(key, value):
        return lambda gps: gps.__setitem__(key, value)

    lat_or_lon = rng.choice([2, 4])
    return [
        (in_part(lat_or_lon, IFDRational(rng.randrange(1, 2**31), 0)), True),  # zero denominator
        (in_part(lat_or_lon, IFDRational(-rng.randrange(1, 2**31), rng.randrange(1, 1000))), True),  # negative
        (in_part(lat_or_lon, rng.choice([float("nan"), float("inf"), float("-inf"), -0.5])), True),
        (in_part(lat_or_lon, rng.choice([Fraction(10**400), 10**400, 1e308, IFDRational(2**32 - 1, 1)])), True),  # huge
        (in_part(lat_or_lon, rng.choice(["12", b"12", "N", (1, 2), None, True, [1], Fraction(1, 3) * 1j])), False),
        (put(lat_or_lon, rng.choice(["32.5", "123", b"\x01\x02\x03", (), (IFDRational(32),), (IFDRational(32),) * 2,
                                     (IFDRational(32),) * 4])), True),  # wrong type or length
        (put(lat_or_lon, rng.choice([IFDRational(32), 32, ("32", "44", "10"), (b"3", b"4", b"1"), None, {1: 2},
                                     {1, 2, 3}, "１２３"])), False),
        (put(2, (IFDRational(rng.choice([91, 95, 180, 359])), IFDRational(0), IFDRational(0))), True),  # lat 95
        (put(4, (IFDRational(rng.choice([181, 200, 360])), IFDRational(0), IFDRational(0))), True),
        (put(lat_or_lon, (IFDRational(10), IFDRational(rng.choice([61, 600, 1980])), IFDRational(0))), True),
        (put(3, rng.choice(["X", "", " ", "N", "S", "e", "EW", "EAST"])), True),  # longitude refs other than E/W
        (put(1, rng.choice(["X", "", "E", "W", "n", "NS"])), True),
        (put(3, rng.choice([b"E", 1, 1.5, None, "E\x00W", ("E",)])), False),
        (put(1, rng.choice([b"N", 0, None, "N\x00S"])), False),
        (lambda gps: gps.pop(rng.choice([1, 2, 3, 4])), True),
    ]


def test_odd_gps_values_never_fail_and_give_no_position():
    rng = random.Random(20260501)
    written_checked = 0
    for _round in range(600):
        gps = _valid_gps(rng)
        assert photos._exif_position(_exif_block(gps)) is not None  # the block before it is spoilt
        corruptions = _corruptions(rng)  # in their order: changes in a part first, a tag removed last
        chosen = [corruptions[i] for i in sorted(rng.sample(range(len(corruptions)), rng.randint(1, 3)))]
        for spoil, _written in chosen:
            spoil(gps)
        assert photos._exif_position(_exif_block(gps, round_trip=False)) is None, gps
        if all(written for _spoil, written in chosen):
            try:
                exif = _exif_block(gps)  # as written into a file and read back, where Pillow can write it
            except Exception:
                continue
            assert photos._exif_position(exif) is None, (gps, exif.get_ifd(GPS_IFD))
            written_checked += 1
    assert written_checked > 200


def test_odd_exif_times_never_fail_and_give_no_time():
    rng = random.Random(20260502)
    alphabet = "0123456789:  -T\x00２\n"
    for _round in range(600):
        text = rng.choice(["0001:01:01 00:00:00", "2024:05:01 08:30:00", "1999:12:31 23:59:59"])
        text = "".join(rng.choice(alphabet) if rng.random() < 0.2 else c for c in text)  # a few characters changed
        value = rng.choice([text, text.encode(), text + "\x00" + text, rng.uniform(-1e300, 1e300),
                            rng.randrange(-2**40, 2**40)])
        for round_trip in (False, True):
            try:
                exif = _exif_block(exif_ifd={DATETIME_ORIGINAL: value}, round_trip=round_trip)
            except Exception:
                continue
            taken_at = photos._exif_time(exif)
            if taken_at is not None:  # a mutation that still reads as a time must be a proper one
                assert isinstance(value, str) and re.fullmatch(r"[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
                                                               value.strip(" "))
                assert dates.FIRST_DAY <= dates.local_day(taken_at) <= dates.LAST_DAY


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on the broken blocks
def test_a_broken_exif_block_never_fails_an_upload():
    """Random bytes of an EXIF block changed (one with an orientation, which is applied and so
    read too): the photo is processed, or refused as no picture, never an error."""
    rng = random.Random(20260503)
    exif = _exif_block(_valid_gps(rng), {DATETIME_ORIGINAL: "2026:05:01 08:30:00"})
    exif[0x0112] = 6  # orientation: turned 90°
    block = bytes(exif.tobytes())
    picture = Image.new("RGB", (16, 12), (40, 120, 200))
    processed_count = 0
    for _round in range(2000):
        spoilt = bytearray(block)
        for _change in range(rng.randint(1, 8)):
            spoilt[rng.randrange(6, len(spoilt))] = rng.randrange(256)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", exif=bytes(spoilt))
        try:
            processed = photos.process(buffer.getvalue())
        except photos.PhotoError:
            continue
        processed_count += 1
        assert processed.taken_at is None or dates.FIRST_DAY <= dates.local_day(processed.taken_at) <= dates.LAST_DAY
        assert {processed.width, processed.height} == {16, 12}
    assert processed_count > 1000


# --- A position where the storage projection means nothing ---------------------------------------


def test_a_photo_from_where_the_projection_goes_to_infinity_is_stored_without_its_position(
        crew, api, cleanup_without_location, settings):
    """lon 25, lat 0 is outside the storage projection's area of use: the photo is kept (201),
    its position is not used or stored, and exactly its two files are written."""
    response = _upload(api(crew["volunteer"]), cleanup_without_location, _photo(lonlat=(25.0, 0.0)))
    assert response.status_code == 201, response.json()
    assert response.json()["location_used"] is False and "exif_location" not in response.json()
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.exif_point is None
    cleanup_without_location.refresh_from_db()
    assert cleanup_without_location.point is None and cleanup_without_location.waterway is None
    files = sorted(path.name for path in (settings.MEDIA_ROOT / "photos").rglob("*") if path.is_file())
    assert files == sorted([photo.image.name.rsplit("/", 1)[-1], photo.thumbnail.name.rsplit("/", 1)[-1]])


def test_a_cut_off_photo_is_refused_even_after_the_pdf_library_loaded():
    """WeasyPrint (the signboard PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as that import leaves it, whatever ran before
    with pytest.raises(photos.PhotoError, match="不是可识别的图片"):
        photos.process(_photo()[:2000])
