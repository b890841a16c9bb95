"""The office's reports in a real browser: staff open the reports, build this year's report, follow a
figure's link to the list behind it (which holds exactly that many rows), and download each format.
Builds run within the request here (the test settings' immediate task backend); the database queue
and its worker are tested in tests/reports/yearbook/test_builds.py. Screenshots:
test-artifacts/screenshots/report-*.png."""

import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols import services as patrol_services
from problems.models import Problem, Source
from tests.patrols.test_pages import record
from tests.support.problems import move, reported

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"
DESK = {"width": 1280, "height": 900}
POINT = (110.55, 32.70)


@pytest.fixture
def scene(crew):
    """Work done a few hours ago (browser tests keep the real clock): two cleanups, one verified, and
    two problems reported by phone, one accepted."""
    now = timezone.now()
    for hours_ago, reviewer in ((6, crew["leader"]), (4, None)):
        activity = record(crew["volunteer"], kind="cleanup", point=POINT, started_at=now - timedelta(hours=hours_ago),
                          minutes=90, figures={"debris_kg": "25"})
        if reviewer is not None:
            patrol_services.review_activity(activity=activity, reviewer=reviewer.user, decision="verify")
    accepted = reported(crew["volunteer"], source=Source.PHONE)
    move(accepted, crew["staff"], "accept")
    reported(crew["teammate"], source=Source.PHONE, position_m=900)
    return crew


def log_in(page, live_server, person, start):
    page.goto(live_server.url + start)
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + start)


def watch(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    return errors


def test_staff_build_the_report_follow_a_figure_and_download_every_format(page_factory, live_server, scene,
                                                                           screenshot, tmp_path):
    # The year the problems were found in (a run just after New Year in Beijing still finds them).
    year = timezone.localtime(Problem.objects.earliest("observed_at").observed_at).year
    page = page_factory(viewport=DESK)
    errors = watch(page)
    log_in(page, live_server, scene["staff"], reverse("report-index"))
    screenshot(page, "report-index")
    page.click(f"a[href='{reverse('report-annual', kwargs={'year': year})}']")
    assert page.locator("text=这份报告还没有生成").count() == 1
    page.click("button:has-text('生成报告')")
    page.wait_for_selector("text=第 1 版", timeout=120_000)
    assert page.locator("h2:has-text('总体情况')").count() >= 1
    assert page.locator("img[src*='/images/']").count() >= 3  # charts and maps
    screenshot(page, "report-annual")

    # A figure leads to the list behind it, with exactly that many rows.
    found = page.locator("#yb-figure-problems_found .yb-figure-value a")
    shown = int(found.inner_text().replace(",", ""))
    assert shown == 2  # both phone reports count (only public and Open311 reports wait for acceptance)
    found.click()
    page.wait_for_url("**/problems/?*")
    assert page.locator(".problem-list tbody tr, table tbody tr").count() == shown
    screenshot(page, "report-figure-list")
    page.go_back()

    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("html", b"<!DOCTYPE"), ("gpkg", b"SQLite format 3")):
        with page.expect_download() as waiting:
            page.click(f"a[href$='/{fmt}/']")
        path = tmp_path / f"report.{fmt}"
        waiting.value.save_as(path)
        assert path.read_bytes()[:len(magic)].upper() == magic.upper(), fmt
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "总体情况" in text and "问题处置" in text
    assert not errors, errors
