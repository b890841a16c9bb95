"""The closed loop in real browsers, one problem from end to end: a member of the public reports it from
the signboard page with a photo; the office accepts and assigns it on the problem's page; a member of
the responsible unit resolves it on the phone with no signal (the outbox keeps it and sends it on
reconnecting); the river chief of that waterway verifies it; the list, its map, the river-chief map and
the public status page show it fixed. Each step is screenshotted (test-artifacts/screenshots/chain-*)."""

import re

import pytest
from django.urls import reverse

from patrols.models import Activity
from problems.models import Ending, Problem, ProblemPhoto, Source, State
from tests.e2e import test_field_app
from tests.e2e.test_field_app import jpeg_file, wait_for_outbox
from tests.e2e.test_field_app import log_in as phone_log_in
from tests.e2e.test_problem_pages import fits_the_screen, log_in, watch
from tests.e2e.test_public_report import small_jpeg
from tests.support.geo import to_lonlat
from tests.support.problems import make_world
from waterways.models import Waterway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

phone = test_field_app.phone  # the phone fixture: 360×640, GPS, service workers, nothing beyond the live server

DESK = {"width": 1280, "height": 800}
PUBLIC_PHONE = {"width": 360, "height": 740}


def detail_url(live_server, problem):
    return live_server.url + reverse("problem-detail", args=[problem.pk])


def test_a_public_report_goes_round_the_whole_loop_and_ends_fixed(page_factory, phone, live_server, crew, tmp_path,
                                                                   screenshot):
    world = make_world(crew)
    unit, member, chief = world["unit"], world["member"], world["chief"]
    middle = Waterway.objects.get(code="ZW-G07").geom.interpolate_normalized(0.5)
    lon, lat = to_lonlat(middle.x, middle.y)

    # 1. The public, on the signboard's page, no login: a category, a photo, a tap on the map.
    public = page_factory(viewport=PUBLIC_PHONE)
    errors = watch(public)
    public.goto(f"{live_server.url}/report/ZW-G07/")
    public.wait_for_function("() => document.getElementById('report-map').dataset.ready === 'yes'")
    public.get_by_text("垃圾漂浮物", exact=True).click()
    public.set_input_files("#photo-camera",
                           files=[{"name": "river.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}])
    public.wait_for_function("() => !document.getElementById('photo-preview').hidden")
    x, y = public.evaluate(
        "([lat, lon]) => { const p = window.publicReportMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon])
    public.locator("#report-map").click(position={"x": x, "y": y})
    public.wait_for_function("() => document.getElementById('id_lon').value !== ''")
    public.fill("#id_note", "桥下有一片垃圾漂在水面")
    screenshot(public, "chain-1-public-report")
    public.locator("#submit").click()
    public.wait_for_url(re.compile(r".*/report/thanks/[A-Z0-9]+/$"))
    code = public.locator("#tracking-code").inner_text().strip()
    problem = Problem.objects.get(tracking_code=code)
    assert (problem.source, problem.state, problem.waterway.code) == (Source.PUBLIC, State.REPORTED, "ZW-G07")
    assert ProblemPhoto.objects.filter(problem=problem).count() == 1
    screenshot(public, "chain-1-public-thanks")

    # 2. The office accepts it and assigns it to the village's unit, on the problem's page.
    desk = page_factory(viewport=DESK)
    errors += watch(desk)
    log_in(desk, live_server, world["staff"], reverse("problem-detail", args=[problem.pk]))
    desk.locator("details.action-accept summary").click()
    desk.locator("details.action-accept button[type=submit]").click()
    desk.wait_for_url(detail_url(live_server, problem))
    assert "已受理" in desk.locator(".page-head .state-badge").inner_text()
    desk.locator("details.action-assign summary").click()
    desk.locator("details.action-assign select[name=unit]").select_option(str(unit.pk))
    desk.locator("details.action-assign textarea[name=note]").fill("请尽快清理")
    desk.locator("details.action-assign button[type=submit]").click()
    desk.wait_for_url(detail_url(live_server, problem))
    assert "已交办" in desk.locator(".page-head .state-badge").inner_text()
    desk.wait_for_selector("#problem-map[data-ready]")
    screenshot(desk, "chain-2-accepted-and-assigned")
    problem.refresh_from_db()
    assert problem.state == State.ASSIGNED and problem.unit == unit and problem.deadline is not None

    # 3. The unit's member, on the phone at the river with no signal: resolved with a note and a photo.
    context, mobile = phone(lonlat=(lon, lat))
    phone_log_in(mobile, live_server, member, reverse("field-tasks"))
    mobile.wait_for_function("() => document.body.dataset.tasks === 'fresh'")
    row = mobile.locator(f'#task-list li[data-id="{problem.pk}"]')
    assert "垃圾漂浮物" in row.inner_text() and "狮子沟" in row.inner_text()
    screenshot(mobile, "chain-3-phone-task")
    context.set_offline(True)
    row.locator("button[data-move=resolve]").click()
    mobile.fill("#resolve-note", "已组织村保洁员清理，共 2 袋")
    mobile.set_input_files("#photo-input", str(jpeg_file(tmp_path, colour=(30, 140, 90))))
    mobile.wait_for_selector("#photo-strip img")
    mobile.click("#resolve-submit")
    wait_for_outbox(mobile, "waiting", attempts=0)
    mobile.wait_for_selector(f'#task-list li[data-id="{problem.pk}"][data-pending=waiting]')
    assert "办结 · 待发送" in row.inner_text()
    screenshot(mobile, "chain-3-phone-queued-offline")
    problem.refresh_from_db()
    assert problem.state == State.ASSIGNED  # nothing has reached the server

    context.set_offline(False)
    wait_for_outbox(mobile, "sent")
    problem.refresh_from_db()
    assert problem.state == State.RESOLVED and problem.resolved_by == member.user
    assert problem.events.filter(action="resolve").count() == 1
    mobile.wait_for_selector("#tasks-empty:not([hidden])")  # the member's list is empty now
    screenshot(mobile, "chain-3-phone-sent")
    assert mobile.errors == []

    # 4. The river chief of 狮子沟 verifies it.
    chief_page = page_factory(viewport=DESK)
    errors += watch(chief_page)
    log_in(chief_page, live_server, chief, reverse("problem-detail", args=[problem.pk]))
    resolution = chief_page.locator(".timeline .event-resolve")
    assert "已组织村保洁员清理，共 2 袋" in resolution.inner_text() and "孙村干部" in resolution.inner_text()
    assert chief_page.locator(".card.photos .photo-grid img").count() == 2  # the public's photo and the resolution's
    assert resolution.locator(".event-photos img").count() == 1  # the phone's photo is the resolution's evidence
    chief_page.locator("details.action-verify summary").click()
    chief_page.locator("details.action-verify textarea[name=note]").fill("现场核实，已清理干净")
    chief_page.locator("details.action-verify button[type=submit]").click()
    chief_page.wait_for_url(detail_url(live_server, problem))
    assert chief_page.locator(".page-head .state-badge.ending-fixed").inner_text() == "已解决"
    chief_page.wait_for_selector("#problem-map[data-ready]")
    screenshot(chief_page, "chain-4-verified")
    problem.refresh_from_db()
    assert (problem.state, problem.ending) == (State.CLOSED, Ending.FIXED)
    assert list(problem.events.values_list("action", flat=True)) == ["report", "accept", "assign", "resolve", "verify"]

    # 5. The list and its map, and the river-chief map, show it fixed; so does the public's status page.
    chief_page.goto(live_server.url + reverse("problem-list"))
    chief_page.wait_for_selector("#problem-map[data-ready]")
    listed = chief_page.locator(f'tbody tr[data-id="{problem.pk}"]')
    assert listed.locator(".state-badge.ending-fixed").inner_text() == "已解决"
    assert chief_page.locator("path.rw-problem").count() == 1
    assert chief_page.locator("path.rw-problem-fixed").count() == 1
    screenshot(chief_page, "chain-5-list-fixed")
    chief_page.goto(live_server.url + reverse("river-chief-map"))
    chief_page.wait_for_selector("#rc-map[data-ready='true']")
    assert chief_page.locator("path.rc-problem").count() == 1
    assert chief_page.locator("path.rc-problem-fixed").count() == 1
    # Drawn in the fixed colour, with the legend naming each of the list's map classes.
    assert chief_page.locator("path.rc-problem-fixed").get_attribute("stroke") == "#2b8a3e"
    legend = chief_page.locator(".rc-legend").inner_text()
    assert all(label in legend for label in ("办理中", "已逾期", "已解决", "关闭未解决")), legend
    screenshot(chief_page, "chain-5-river-chief-map-fixed")

    public.goto(f"{live_server.url}/report/status/{code}/")
    assert "已解决" in public.locator("#status-state").inner_text()
    assert fits_the_screen(public)
    screenshot(public, "chain-5-public-status")
    assert Activity.objects.count() == 0  # the member's resolution is a move, not an activity
    assert errors == []
