"""Volunteer service certificates in real headless Chromium: a volunteer asks on the phone, staff
check the preview and issue, the PDF is printed to pictures (pdftoppm) and its QR code read
(zxingcpp), and that address opened with no login shows the number, the masked name and the hours,
and nothing more. Screenshots and the PDF's pages go to test-artifacts/screenshots/."""

import subprocess
from datetime import timedelta

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from certificates.models import Certificate
from people.identity import id_tail_of
from tests.e2e.conftest import SCREENSHOTS, keep_to_live_server
from tests.e2e.test_activity_pages import log_in
from tests.e2e.test_security_headers import Watcher
from tests.support.certificates import RESIDENT_ID, served, set_issuer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def scene(crew, settings, tmp_path):
    """Browser tests run on the real clock: 张志愿's records in the last 60 days, Beijing time."""
    settings.MEDIA_ROOT = tmp_path / "media"
    set_issuer()
    volunteer = crew["volunteer"]
    volunteer.id_type, volunteer.id_tail, volunteer.volunteer_number = "resident_id", id_tail_of("resident_id", RESIDENT_ID), "HB4203-0815"
    volunteer.save()
    staff = crew["staff"].user
    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    for days_ago, minutes in [(40, 150), (30, 90), (20, 120)]:
        served(volunteer, morning - timedelta(days=days_ago), minutes=minutes, reviewer=staff)
    served(volunteer, morning - timedelta(days=10), minutes=60, decision=None)  # waiting: listed apart
    served(volunteer, morning - timedelta(days=5), minutes=45, decision="reject", reviewer=staff)
    return {**crew, "first": timezone.localdate() - timedelta(days=60), "last": timezone.localdate()}


def context_of(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    keep_to_live_server(context, live_server)
    watcher = Watcher(context)
    page = watcher.watch(context.new_page())
    page.set_default_timeout(20_000)
    return context, watcher, page


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_volunteer_asks_staff_issue_and_the_qr_code_verifies_it(browser, live_server, scene):
    volunteer, first, last = scene["volunteer"], scene["first"], scene["last"]

    # The volunteer asks from the phone.
    phone, phone_watch, page = context_of(browser, live_server, PHONE)
    try:
        log_in(page, live_server, volunteer, start="/m/certificate/")
        page.fill("input[name=start]", first.isoformat())
        page.fill("input[name=end]", last.isoformat())
        page.fill("textarea[name=note]", "学校社会实践用")
        shot(page, "certificate-phone-request")
        page.click("button[type=submit]")
        page.wait_for_selector(".request-open")
        assert "正在等河长办处理" in page.inner_text(".request-open")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "certificate-phone-requested")
        phone_watch.check(page, "phone request page")
    finally:
        phone.close()

    # Staff find the request, check the preview and issue.
    desk, desk_watch, page = context_of(browser, live_server, DESK)
    try:
        log_in(page, live_server, scene["staff"], start="/certificates/")
        assert "学校社会实践用" in page.inner_text(".open-requests")
        shot(page, "certificate-office-list")
        page.click("text=核对并出具")
        page.wait_for_selector("#preview-form")
        page.click("#preview-button")
        page.wait_for_selector(".preview")
        assert page.inner_text(".counted-hours") == "6.0"  # 2.5 + 1.5 + 2.0; not the pending 1.0 or rejected 0.8
        apart = page.inner_text(".set-apart-table")
        assert "待审核" in apart and "已驳回" in apart
        shot(page, "certificate-issue-preview")
        page.click("#issue-button")
        page.wait_for_url("**/certificates/*/")
        certificate = Certificate.objects.get()
        assert certificate.number in page.inner_text("h1")
        shot(page, "certificate-detail")
        desk_watch.check(page, "office pages")

        # The PDF as printed, its pages as pictures, its QR code read from the picture.
        response = page.context.request.get(f"{live_server.url}/certificates/{certificate.pk}/pdf/")
        assert response.status == 200 and response.body().startswith(b"%PDF-")
        pdf = SCREENSHOTS / "certificate.pdf"
        pdf.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(SCREENSHOTS / "certificate-page")], check=True)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
        pdf.unlink()
        assert "志愿服务证明" in text and "张志愿" in text and "**************4510" in text and "6.0" in text
        front = Image.open(SCREENSHOTS / "certificate-page-1.png")
        assert front.size[0] > 1200  # A4 at 150 dpi: 1240 × 1754
        decoded = [result.text for result in zxingcpp.read_barcodes(front.convert("L"))]
        assert len(decoded) == 1 and decoded[0].startswith(live_server.url + "/certificates/verify/")
        assert decoded[0].endswith(f"/{certificate.token}/")
        assert (SCREENSHOTS / "certificate-page-2.png").exists()  # the appendix: records counted and set apart
    finally:
        desk.close()

    # Anyone who scans it: no login, a phone.
    public, public_watch, page = context_of(browser, live_server, PHONE)
    try:
        page.goto(decoded[0])
        assert page.url == decoded[0]  # no login asked
        shown = page.inner_text("main")
        assert certificate.number in shown and "张*愿" in shown and "6.0 小时" in shown and "真实有效" in shown
        for private in ["张志愿", "4510", "HB4203-0815", "居民身份证", first.isoformat(), "河湖巡护志愿服务", "13900000001"]:
            assert private not in page.content(), private
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "certificate-verified")
        public_watch.check(page, "verification page")

        missing = page.goto(live_server.url + "/certificates/verify/not-a-real-token-at-all-000000/")
        assert missing.status == 404 and "没有找到这份证明" in page.inner_text("main")
        shot(page, "certificate-verify-not-found")
    finally:
        public.close()


def test_staff_find_the_volunteer_by_name_or_phone_on_the_issue_form(browser, live_server, scene):
    """No <select> of the whole register: a search box, a short list to choose from, then the preview."""
    context, watcher, page = context_of(browser, live_server, DESK)
    try:
        log_in(page, live_server, scene["staff"], start="/certificates/new/")
        page.fill("input[name=start]", scene["first"].isoformat())
        page.fill("#id_q", "志愿")
        page.press("#id_q", "Enter")  # the search, not the preview: the first button of the form
        page.wait_for_selector(".found-people")
        assert page.locator(".found-person").count() == 1 and "张志愿" in page.inner_text(".found-people")
        assert page.input_value("input[name=start]") == scene["first"].isoformat()  # kept across the search
        shot(page, "certificate-issue-search")
        page.fill("#id_q", "13900000002")
        page.click("#find-button")
        page.wait_for_selector(".found-people")
        assert "李同伴" in page.inner_text(".found-people")
        page.fill("#id_q", "13900000001")
        page.click("#find-button")
        page.wait_for_selector(".found-people")
        page.check(".found-person input[type=radio]")
        page.click("#preview-button")
        page.wait_for_selector(".preview")
        assert "张志愿" in page.inner_text(".chosen-person") and page.inner_text(".counted-hours") == "6.0"
        page.click(".change-person")
        page.wait_for_selector("#id_q")
        assert page.input_value("input[name=start]") == scene["first"].isoformat()
        watcher.check(page, "issue form search")
    finally:
        context.close()


def test_the_profile_card_shows_the_star_level_and_the_certificates(browser, live_server, scene):
    from certificates import services

    services.issue_certificate(person=scene["volunteer"], first=scene["first"], last=scene["last"],
                               by=scene["staff"].user)
    context, watcher, page = context_of(browser, live_server, DESK)
    try:
        log_in(page, live_server, scene["volunteer"], start=f"/people/{scene['volunteer'].pk}/")
        card = page.inner_text("#volunteer-service")
        assert "6.0 小时" in card and "一星（100 小时），还差 94.0 小时" in card and "张湾志证" in card
        page.locator("#volunteer-service").scroll_into_view_if_needed()
        page.locator("#volunteer-service").screenshot(path=str(SCREENSHOTS / "certificate-profile-card.png"))
        page.check("input[name=board_initials_only]")
        page.click(".board-form button")
        page.wait_for_selector(".message-success")
        assert "只显示您的姓名首字母" in page.inner_text(".messages")
        watcher.check(page, "profile card")
    finally:
        context.close()
