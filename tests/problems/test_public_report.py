"""Reporting from the public through a waterway's signboard: the page with no login, what is stored,
the throttle per address and per phone number, refusals that store nothing, the status page that
shows a state and nothing of anyone, and the signboard's QR code and printable sheet."""

import io
import re
import subprocess

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from problems import services
from problems.models import (
    Action,
    Category,
    Problem,
    ProblemPhoto,
    ResponsibleUnit,
    Source,
    State,
)
from problems.public_selectors import normalise_tracking_code
from problems.selectors import counted_q
from problems.services import TRACKING_ALPHABET, TRACKING_LENGTH, Move
from tests.support.factories import make_person
from tests.support.geo import to_lonlat
from waterways.models import Waterway

pytestmark = pytest.mark.django_db

REPORTER_PHONE = "139 0000 7777"
STORED_PHONE = "13900007777"
CODE = re.compile(f"[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}")


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return (IFDRational(degrees), IFDRational(minutes), IFDRational(round(seconds * 1000), 1000))


def jpeg_with_exif(lonlat=(110.70, 32.60), size=(800, 600)):
    """A phone's photo: a camera model and a GPS position in its EXIF."""
    exif = Image.Exif()
    exif[0x0110] = "Test Phone X"
    exif.get_ifd(0x8825).update({1: "N", 2: _dms(lonlat[1]), 3: "E", 4: _dms(lonlat[0])})
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def gully(district_data):
    return Waterway.objects.get(code="ZW-G07")


@pytest.fixture
def on_gully(gully):
    """A lon/lat on 狮子沟, halfway along."""
    middle = gully.geom.interpolate_normalized(0.5)
    return to_lonlat(middle.x, middle.y)


def form(lonlat, *, category=Category.GARBAGE, note="桥下左岸堆了很多垃圾", phone=REPORTER_PHONE, photo=None,
         name="river.jpg"):
    body = {"category": category, "note": note, "phone": phone,
            "photo": SimpleUploadedFile(name, jpeg_with_exif() if photo is None else photo, content_type="image/jpeg")}
    if lonlat is not None:
        body["lon"], body["lat"] = str(lonlat[0]), str(lonlat[1])
    return body


def post(client, body, code="ZW-G07", address="203.0.113.5"):
    return client.post(f"/report/{code}/", body, REMOTE_ADDR=address)


def nothing_stored():
    return not Problem.objects.exists() and not ProblemPhoto.objects.exists()


# --- the page and what it stores ---

def test_the_page_opens_with_no_login(client, gully):
    response = client.get("/report/ZW-G07/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "狮子沟" in html
    assert 'accept="image/*" capture="environment"' in html
    assert "csrfmiddlewaretoken" in html
    for label in Category.labels:
        assert str(label) in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_report_with_no_login_is_stored_as_a_public_claim_with_a_tracking_code(gully, on_gully, settings):
    client = Client(enforce_csrf_checks=True)  # a real browser's round trip: the token from the page
    token = client.get("/report/ZW-G07/").cookies["csrftoken"].value
    response = client.post("/report/ZW-G07/", {**form(on_gully), "csrfmiddlewaretoken": token})
    assert response.status_code == 302

    problem = Problem.objects.get()
    assert response["Location"] == f"/report/thanks/{problem.tracking_code}/"
    assert CODE.fullmatch(problem.tracking_code)
    assert (problem.source, problem.state, problem.category) == (Source.PUBLIC, State.REPORTED, Category.GARBAGE)
    assert problem.reported_by is None and problem.accepted_at is None
    assert problem.contact_phone == STORED_PHONE
    assert problem.note == "桥下左岸堆了很多垃圾"
    assert problem.waterway == gully  # snapped to the signboard's waterway
    assert problem.events.get().to_state == State.REPORTED
    # A claim until the office accepts it: no figure or map counts it.
    assert not Problem.objects.filter(counted_q()).exists()

    photo = ProblemPhoto.objects.get(problem=problem)
    with photo.image.open("rb") as stored_file:
        stored = Image.open(io.BytesIO(stored_file.read()))
        assert stored.format == "JPEG"
        assert not stored.getexif()  # no camera, no GPS
        assert "exif" not in stored.info

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert problem.tracking_code in thanks.content.decode()
    assert f"/report/status/{problem.tracking_code}/" in thanks.content.decode()


def test_a_post_without_the_csrf_token_is_refused(gully, on_gully):
    response = Client(enforce_csrf_checks=True).post("/report/ZW-G07/", form(on_gully))
    assert response.status_code == 403
    assert nothing_stored()


def test_an_unknown_waterway_is_a_chinese_404(client, district_data):
    for path in ("/report/ZW-NOPE/", "/report/%E7%8B%AE/", "/report/a'b/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "找不到这条河流" in response.content.decode()
    assert post(client, {"category": "garbage"}, code="ZW-NOPE").status_code == 404


# --- the throttle ---

def test_reports_are_throttled_per_address(client, gully, on_gully, settings, clock):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    for n in range(2):
        assert post(client, form(on_gully, phone=f"1390000000{n}")).status_code == 302
    refused = post(client, form(on_gully, phone="13900000009", note="第三次上报"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "提交太频繁" in html and "每小时最多上报 2 次" in html
    # What was typed is still there (the file input cannot be).
    assert "第三次上报" in html and "13900000009" in html
    assert 'value="garbage" checked' in html
    assert f'value="{on_gully[0]}"' in html
    assert Problem.objects.count() == 2

    # Another address is not held back by this one.
    assert post(client, form(on_gully, phone=""), address="198.51.100.7").status_code == 302
    # An hour later the address may report again.
    clock.shift(3601)
    assert post(client, form(on_gully, phone="13900000009")).status_code == 302


def test_reports_are_throttled_per_phone_number_whatever_the_address(client, gully, on_gully, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    for n, spelling in enumerate(["13900001234", "139-0000-1234"]):
        assert post(client, form(on_gully, phone=spelling), address=f"198.51.100.{n + 1}").status_code == 302
    refused = post(client, form(on_gully, phone="１３９００００１２３４"), address="198.51.100.9")  # full-width digits
    assert refused.status_code == 429
    assert Problem.objects.count() == 2
    # Without the number, that address may still report.
    assert post(client, form(on_gully, phone=""), address="198.51.100.9").status_code == 302


def test_refused_reports_do_not_count_against_the_address(client, gully, on_gully, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    assert post(client, form(None)).status_code == 400  # no location
    assert post(client, form(on_gully, photo=b"not an image")).status_code == 400
    assert post(client, form(on_gully)).status_code == 302


# --- refusals that store nothing ---

def test_a_file_that_is_not_a_picture_is_refused_and_the_form_comes_back(client, gully, on_gully, settings, tmp_path):
    response = post(client, form(on_gully, photo=b"Dear river office,\nthis is text.\n", name="river.jpg",
                                 note="不是照片的文件"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "照片无法使用" in html and "不是可识别的图片" in html
    assert "不是照片的文件" in html and STORED_PHONE[:3] in html
    assert nothing_stored()
    media = tmp_path / "media"
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_a_photo_over_the_cap_is_refused_with_its_size(client, gully, on_gully, settings):
    settings.PHOTO_MAX_BYTES = 5_000
    response = post(client, form(on_gully, photo=jpeg_with_exif(size=(1600, 1200)) + b"\0" * 6_000, note="大照片"))
    assert response.status_code == 413
    html = response.content.decode()
    assert "照片太大" in html and "上限" in html
    assert "大照片" in html  # the form comes back with what was typed
    assert nothing_stored()


def test_a_body_far_over_the_cap_is_refused_before_it_is_read(client, gully, settings):
    settings.PHOTO_MAX_BYTES = 1_000
    response = client.generic("POST", "/report/ZW-G07/", b"x" * 200_000,
                              content_type="multipart/form-data; boundary=zz")
    assert response.status_code == 413
    assert "照片太大" in response.content.decode()
    assert nothing_stored()


@pytest.mark.parametrize("lonlat", [(116.40, 39.90), (25, 0), (110.0, 30.0)])
def test_a_place_outside_the_district_is_refused(client, gully, lonlat):
    response = post(client, form(lonlat))
    assert response.status_code == 400
    assert "不在张湾区内" in response.content.decode()
    assert nothing_stored()


@pytest.mark.parametrize("lon, lat", [("nan", "32.6"), ("inf", "32.6"), ("110.7", "1e999"), ("东经", "北纬")])
def test_impossible_coordinates_are_refused(client, gully, lon, lat):
    body = form(None)
    body.update(lon=lon, lat=lat)
    response = post(client, body)
    assert response.status_code == 400
    assert "在地图上点一下" in response.content.decode()
    assert nothing_stored()


def test_a_report_needs_a_category_a_photo_and_a_place(client, gully, on_gully):
    body = form(on_gully, category="")
    del body["photo"]
    response = post(client, body)
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择问题类别" in html and "请拍一张现场照片" in html
    assert post(client, form(on_gully, category="arson")).status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("field", ["note", "phone"])
def test_a_nul_in_the_text_is_a_clear_400(client, gully, on_gully, field):
    body = form(on_gully)
    body[field] = "垃圾\x00很多"
    response = post(client, body)
    assert response.status_code == 400
    assert "无法保存的字符" in response.content.decode()
    assert nothing_stored()


def test_undecodable_bytes_and_surrogates_in_the_body_never_break_the_page(client, gully, on_gully):
    # What a hostile client can send: a UTF-8 encoded surrogate (CESU-8) and stray bytes.
    body = (b"category=garbage&note=%ED%A0%80%FF%00&phone=%ED%B0%80&lon=" + str(on_gully[0]).encode()
            + b"&lat=" + str(on_gully[1]).encode())
    response = client.generic("POST", "/report/ZW-G07/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert nothing_stored()


def test_a_phone_number_that_is_not_one_is_refused(client, gully, on_gully):
    response = post(client, form(on_gully, phone="call me maybe"))
    assert response.status_code == 400
    assert "手机号格式不对" in response.content.decode()
    assert nothing_stored()


# --- the status page ---

@pytest.fixture
def reported(client, gully, on_gully):
    """A public report, accepted by the office with a note, assigned to a unit, commented on."""
    assert post(client, form(on_gully)).status_code == 302
    problem = Problem.objects.get()
    staff = make_person(name="河长办刘晓明", role="staff")
    unit = ResponsibleUnit.objects.create(name="西城开发区管委会", kind=ResponsibleUnit.Kind.TOWN)
    services.act(problem=problem, user=staff.user, move=Move(Action.ACCEPT, note="内部备注：请王科长现场核查"))
    services.act(problem=problem, user=staff.user, move=Move(Action.ASSIGN, unit=unit, note="交办给管委会环保组"))
    services.act(problem=problem, user=staff.user, move=Move(Action.COMMENT, note="举报人是老上访户，注意态度"))
    problem.refresh_from_db()
    return {"problem": problem, "staff": staff, "unit": unit}


def test_the_status_page_shows_the_state_and_public_timeline(client, reported):
    problem = reported["problem"]
    response = client.get(f"/report/status/{problem.tracking_code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "已交办" in html
    assert "垃圾漂浮物" in html and "狮子沟" in html and "2026-11-18" in html
    timeline = re.search(r'<ol class="timeline".*?</ol>', html, re.S).group(0)
    assert [re.sub(r"<[^>]+>", "", item).split("2026-11-18")[1].strip()
            for item in re.findall(r"<li>.*?</li>", timeline, re.S)] == ["已收到上报", "已受理", "已交办"]


def test_the_status_page_leaks_no_one_and_nothing_internal(client, reported, gully, on_gully):
    problem, staff, unit = reported["problem"], reported["staff"], reported["unit"]
    other_client = Client()
    assert post(other_client, form(on_gully, note="另一位群众的描述", phone="13811112222"),
                address="198.51.100.77").status_code == 302
    other = Problem.objects.exclude(pk=problem.pk).get()

    html = client.get(f"/report/status/{problem.tracking_code}/").content.decode()
    for secret in [STORED_PHONE, REPORTER_PHONE, "13811112222", staff.name, unit.name, "王科长", "内部备注",
                   "交办给管委会环保组", "老上访户", problem.note, other.tracking_code, other.note, "系统",
                   f"#{problem.pk}", staff.user.username]:
        assert secret not in html, secret
    assert "csrfmiddlewaretoken" not in html  # a page with no form to post
    assert client.get(f"/report/status/{problem.tracking_code}/")["X-Frame-Options"] == "DENY"


def test_a_closed_report_says_how_it_ended(client, gully, on_gully):
    assert post(client, form(on_gully)).status_code == 302
    problem = Problem.objects.get()
    staff = make_person(name="河长办小刘", role="staff")
    services.act(problem=problem, user=staff.user, move=Move(Action.REJECT, note="照片是网上下载的"))
    html = client.get(f"/report/status/{problem.tracking_code}/").content.decode()
    assert "已关闭：经核实不予受理" in html
    assert "网上下载" not in html


def test_a_wrong_code_is_a_404_that_does_not_say_whether_codes_exist(client, reported):
    real = reported["problem"].tracking_code
    unknown = "".join(reversed(real)) if "".join(reversed(real)) != real else "23456789AB"
    assert not Problem.objects.filter(tracking_code=unknown).exists()
    answers = [client.get(f"/report/status/{code}/") for code in (unknown, "short", "0000000000", "'; DROP--")]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.content for answer in answers}) == 1
    assert "没有找到这个查询码" in answers[0].content.decode()
    assert client.get(f"/report/thanks/{unknown}/").status_code == 404


def test_the_code_may_be_typed_loosely(client, reported):
    real = reported["problem"].tracking_code
    typed = f" {real[:5].lower()}-{real[5:]} "
    assert normalise_tracking_code(typed) == real
    response = client.get("/report/status/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/report/status/{real}/"
    assert client.get(f"/report/status/{real.lower()}/").status_code == 200
    refused = client.get("/report/status/", {"code": "ABC"})
    assert refused.status_code == 400 and "查询码共 10 位" in refused.content.decode()
    assert client.get("/report/status/").status_code == 200


# --- the signboard ---

def pdf_text(content, tmp_path):
    path = tmp_path / "signboard.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_the_signboard_is_for_staff_and_chiefs_only(client, crew):
    assert client.get("/waterways/ZW-G07/signboard.png").status_code == 302  # to the login
    client.force_login(crew["volunteer"].user)
    assert client.get("/waterways/ZW-G07/signboard.png").status_code == 403
    assert client.get("/waterways/ZW-G07/signboard.pdf").status_code == 403


def test_the_qr_code_opens_the_report_page(client, crew):
    client.force_login(crew["staff"].user)
    response = client.get("/waterways/ZW-G07/signboard.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 300
    decoded = zxingcpp.read_barcodes(image.convert("L"))
    assert [result.text for result in decoded] == ["http://testserver/report/ZW-G07/"]
    assert client.get("/waterways/ZW-NOPE/signboard.png").status_code == 404


def test_the_signboard_sheet_names_the_waterway_its_chiefs_and_the_address(client, crew, tmp_path):
    client.force_login(crew["chief"].user)  # a chief prints their own
    response = client.get("/waterways/ZW-G07/signboard.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    assert "河长公示牌" in text and "狮子沟" in text
    assert "村级河长" in text and "陈河长" in text
    assert "周河长" not in text  # chief of another gully
    assert "http://testserver/report/ZW-G07/" in text
    assert "扫码上报" in text


def test_a_chief_whose_post_has_ended_is_not_on_the_sheet(client, crew, tmp_path):
    crew["chief"].chief_assignments.update(until="2025-12-31")
    client.force_login(crew["staff"].user)
    text = pdf_text(client.get("/waterways/ZW-G07/signboard.pdf").content, tmp_path)
    assert "陈河长" not in text and "待公布" in text
