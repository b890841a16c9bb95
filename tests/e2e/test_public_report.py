"""The signboard's report page in real headless Chromium on a phone-sized screen, with no login:
pick a category, take a photo, tap the map, send, get the tracking code and open the status page;
all under the Content-Security-Policy. And the signboard sheet as a staff member prints it."""

import io
import re
import subprocess
from datetime import date

import pytest
from django.test import Client
from PIL import Image

from people.models import ChiefAssignment
from problems.models import Problem, ProblemPhoto, Source, State
from problems.services import TRACKING_ALPHABET, TRACKING_LENGTH
from tests.e2e.conftest import SCREENSHOTS, keep_to_live_server
from tests.e2e.test_security_headers import Watcher
from tests.support.factories import make_person
from tests.support.geo import to_lonlat
from waterways.models import Waterway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def small_jpeg():
    buffer = io.BytesIO()
    image = Image.new("RGB", (640, 480), (70, 110, 60))
    for x in range(0, 640, 40):  # something to look at in the preview
        image.paste((200, 190, 160), (x, 200, x + 20, 280))
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture
def phone(browser, live_server):
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True,
                                      device_scale_factor=2, **options)
        keep_to_live_server(context, live_server)
        contexts.append(context)
        watcher = Watcher(context)
        page = watcher.watch(context.new_page())
        page.set_default_timeout(20_000)
        return context, watcher, page

    yield make
    for context in contexts:
        context.close()


def full_screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_of_the_public_reports_from_the_signboard_and_follows_it(phone, live_server, district_data):
    context, watcher, page = phone()
    page.goto(f"{live_server.url}/report/ZW-G07/")
    page.wait_for_function("() => document.getElementById('report-map').dataset.ready === 'yes'")
    assert page.locator("#waterway-name").inner_text() == "狮子沟"
    assert page.locator("path.rw-waterway").count() == 1  # the gully drawn, without any basemap tile
    assert fits_the_screen(page)
    full_screenshot(page, "public-report-form")

    page.get_by_text("垃圾漂浮物", exact=True).click()
    page.set_input_files("#photo-camera", files=[{"name": "river.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}])
    page.wait_for_function("() => !document.getElementById('photo-preview').hidden")
    # Tap the map where the gully runs, halfway along it.
    middle = Waterway.objects.get(code="ZW-G07").geom.interpolate_normalized(0.5)
    lon, lat = to_lonlat(middle.x, middle.y)
    x, y = page.evaluate("([lat, lon]) => { const p = window.publicReportMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                         [lat, lon])
    page.locator("#report-map").tap(position={"x": x, "y": y})
    page.wait_for_function("() => document.getElementById('id_lon').value !== ''")
    assert "已在地图上选定位置" in page.locator("#location-status").inner_text()
    page.fill("#id_note", "桥下有一片垃圾漂在水面")
    page.fill("#id_phone", "139-0000-8888")
    full_screenshot(page, "public-report-filled")

    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/report/thanks/[A-Z0-9]+/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(f"[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}", code)
    assert fits_the_screen(page)
    full_screenshot(page, "public-report-thanks")

    problem = Problem.objects.get(tracking_code=code)
    assert (problem.source, problem.state, problem.contact_phone) == (Source.PUBLIC, State.REPORTED, "13900008888")
    assert problem.point is not None and problem.waterway.code == "ZW-G07"
    assert ProblemPhoto.objects.filter(problem=problem).count() == 1

    page.locator("#status-link").click()
    page.wait_for_url(f"{live_server.url}/report/status/{code}/")
    assert page.locator("#status-state").inner_text() == "已收到待受理"
    assert "13900008888" not in page.content()
    assert page.locator("#timeline li").count() == 1
    assert fits_the_screen(page)
    full_screenshot(page, "public-report-status")
    watcher.check(page, "public report")


def test_the_phone_s_position_places_the_report(phone, live_server, district_data):
    middle = Waterway.objects.get(code="ZW-G07").geom.interpolate_normalized(0.3)
    lon, lat = to_lonlat(middle.x, middle.y)
    context, watcher, page = phone(permissions=["geolocation"],
                                   geolocation={"longitude": lon, "latitude": lat, "accuracy": 12})
    page.goto(f"{live_server.url}/report/ZW-G07/")
    page.wait_for_function("() => document.getElementById('report-map').dataset.ready === 'yes'")
    page.locator("#use-gps").click()
    page.wait_for_function("() => document.getElementById('id_lon').value !== ''")
    assert abs(float(page.input_value("#id_lon")) - lon) < 1e-5
    assert "误差约 12 米" in page.locator("#location-status").inner_text()

    # Sent without a photo: refused, and the place and the words come back.
    page.fill("#id_note", "没有照片")
    page.locator("#submit").click()
    page.wait_for_selector("#form-alert")
    assert "请拍一张现场照片" in page.locator("#form-alert").inner_text()
    assert page.input_value("#id_note") == "没有照片"
    page.wait_for_function("() => document.getElementById('report-map').dataset.picked === 'yes'")
    full_screenshot(page, "public-report-refused")
    assert not Problem.objects.exists()
    watcher.check(page, "public report, refused")


def test_the_signboard_sheet_as_printed(browser, live_server, district_data, settings):
    """The PDF a staff member downloads, turned into a picture to look at."""
    staff = make_person(name="河长办小刘", role="staff")
    gully = Waterway.objects.get(code="ZW-G07")
    for name, level in [("欧阳明轩", "district"), ("李建国", "township"), ("王秀英", "village")]:
        ChiefAssignment.objects.create(person=make_person(name=name, role="chief", level=level), waterway=gully,
                                       level=level, since=date(2024, 1, 1))
    client = Client()
    client.force_login(staff.user)
    context = browser.new_context(locale="zh-CN")
    keep_to_live_server(context, live_server)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "domain": host, "path": "/"}])
    try:
        response = context.request.get(f"{live_server.url}/waterways/ZW-G07/signboard.pdf")
        assert response.status == 200 and response.body().startswith(b"%PDF-")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pdf = SCREENSHOTS / "public-signboard.pdf"
        pdf.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(SCREENSHOTS / "public-signboard")],
                       check=True)
        pdf.unlink()
        assert (SCREENSHOTS / "public-signboard.png").stat().st_size > 10_000
    finally:
        context.close()
