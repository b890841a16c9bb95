"""My tasks on the phone (/m/tasks/) in real headless Chromium: the list with supervised items first and
overdue days in red, its place on a map, the home screen's count, the copy kept for no signal; a unit
member starting and resolving with a note and a photo with no signal, through the outbox, sent once
on reconnecting and once only when an answer is lost; and the question before a report is sent when
the same kind of problem is already open nearby."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols.models import Activity
from problems.models import Problem, ProblemEvent, ProblemPhoto, State
from tests.e2e import test_field_app
from tests.e2e.test_field_app import jpeg_file, log_in, outbox, wait_for_outbox
from tests.support.problems import make_world, move, reported
from tests.support.walks import lonlat_on

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

phone = test_field_app.phone  # the phone fixture: 360×640, GPS, service workers, nothing beyond the live server

RED = "rgb(201, 42, 42)"  # --danger in static/field/field.css


@pytest.fixture
def world(crew):
    """Three problems assigned to the member's unit (one supervised, one three days overdue), one
    accepted but not assigned (the office's), on 狮子沟 (ZW-G07)."""
    world = make_world(crew)
    staff, unit = world["staff"], world["unit"]
    today = timezone.localdate()
    plain = reported(staff, position_m=300)
    late = reported(staff, category="sewage", position_m=900)
    urgent = reported(staff, category="dumping", position_m=600)
    for problem in (plain, late, urgent):
        move(problem, staff, "accept")
        move(problem, staff, "assign", unit=unit)
    move(urgent, staff, "supervise", note="群众反映强烈，请加快办理", deadline=today + timedelta(days=2))
    # Three days past its deadline (the services refuse a deadline in the past, as they should).
    Problem.objects.filter(pk=late.pk).update(deadline=today - timedelta(days=3))
    office_only = reported(staff, category="facility", position_m=1200)
    move(office_only, staff, "accept")
    return {**world, "plain": plain, "late": late, "urgent": urgent, "office_only": office_only}


def task(page, problem):
    return page.locator(f'#task-list li[data-id="{problem.pk}"]')


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_task_list_on_the_phone_supervised_first_overdue_in_red_and_kept_for_no_signal(phone, live_server, world,
                                                                                            screenshot):
    context, page = phone(lonlat=lonlat_on("ZW-G07", 300))
    log_in(page, live_server, world["member"], reverse("field-home"))
    # The home screen's link, with the count in red: one of the three is overdue.
    page.wait_for_selector("#task-count:not([hidden])")
    assert page.inner_text("#task-count") == "3"
    assert page.evaluate("getComputedStyle(document.getElementById('task-count')).backgroundColor") == RED
    assert page.inner_text("#task-summary") == "3 件待办，其中 1 件逾期"
    assert fits_the_screen(page)
    screenshot(page, "field-home-tasks")

    page.click("#task-link")
    page.wait_for_url(live_server.url + reverse("field-tasks"))
    page.wait_for_selector("#task-list li")
    rows = page.locator("#task-list li")
    assert rows.count() == 3  # the office's accepted problem is not the member's task
    # Supervised (督办) first, then by deadline.
    order = rows.evaluate_all("(items) => items.map((item) => Number(item.dataset.id))")
    assert order == [world["urgent"].pk, world["late"].pk, world["plain"].pk]
    first = rows.first
    assert first.locator(".badge.supervised").inner_text() == "督办"
    head = first.locator(".task-head").inner_text()
    assert head.index("督办") < head.index(f"#{world['urgent'].pk}")
    assert "乱堆乱倒" in head and "已交办" in head and "狮子沟" in first.inner_text()
    assert first.locator(".days").inner_text() == "剩 2 天"
    late = task(page, world["late"])
    assert late.locator(".days").inner_text() == "逾期 3 天"
    assert late.locator(".days").evaluate("(node) => getComputedStyle(node).color") == RED
    assert "污水直排" in late.inner_text()
    plain = task(page, world["plain"])
    assert plain.locator("button[data-move=start]").inner_text() == "开始处理"
    assert plain.locator("button[data-move=resolve]").inner_text() == "办结"
    assert fits_the_screen(page)
    screenshot(page, "field-tasks")

    # Where it is: a small map with the river network, drawn from the copy kept for offline use.
    late.locator("button[data-place]").click()
    page.wait_for_selector("#sheet[open] .task-map[data-ready=yes]")
    assert page.locator("#sheet path.rw-task-place").count() == 1
    assert page.locator("#sheet path.rw-waterway").count() == 42
    assert fits_the_screen(page)
    screenshot(page, "field-tasks-place")
    page.click("#sheet button[value=close]")

    # No signal: the screen and the list come from the phone, and say so.
    context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    page.wait_for_function("() => document.body.dataset.tasks === 'cached'")
    assert page.locator("#task-list li").count() == 3
    assert page.inner_text("#tasks-source") == "离线：显示上次联网时的待办。"
    assert task(page, world["late"]).locator(".days").inner_text() == "逾期 3 天"
    screenshot(page, "field-tasks-offline")
    assert page.errors == []

    # Someone with nothing to do is told so.
    context, page = phone()
    log_in(page, live_server, world["volunteer"], reverse("field-tasks"))
    page.wait_for_function("() => document.body.dataset.tasks === 'fresh'")
    assert page.locator("#task-list li").count() == 0
    assert page.locator("#tasks-empty").is_visible() and page.inner_text("#tasks-empty") == "暂无待办"
    screenshot(page, "field-tasks-empty")
    page.goto(live_server.url + reverse("field-home"))
    page.wait_for_function("() => document.getElementById('task-summary').textContent === '暂无待办'")
    assert page.locator("#task-count").is_hidden()
    assert page.errors == []


def test_a_member_starts_and_resolves_with_no_signal_and_each_move_arrives_once(phone, live_server, world, tmp_path,
                                                                              screenshot):
    problem = world["plain"]
    context, page = phone(lonlat=lonlat_on("ZW-G07", 300))
    log_in(page, live_server, world["member"], reverse("field-tasks"))
    page.wait_for_function("() => document.body.dataset.tasks === 'fresh'")
    context.set_offline(True)

    row = task(page, problem)
    row.locator("button[data-move=start]").click()
    page.wait_for_selector(f'#task-list li[data-id="{problem.pk}"][data-pending=waiting]')
    assert "开始处理 · 待发送" in row.inner_text() and row.locator(".badge.status-waiting").inner_text() == "待发送"
    assert row.locator("button[data-move=start]").count() == 0  # a second tap finds nothing to press

    row.locator("button[data-move=resolve]").click()
    page.wait_for_selector("#resolve-form:not([hidden])")
    assert page.locator("#tasks-card").is_hidden()
    assert page.inner_text("#resolve-title") == f"办结 #{problem.pk} 垃圾漂浮物"
    page.click("#resolve-submit")
    assert page.inner_text("#resolve-error") == "请填写处理情况。"
    page.fill("#resolve-note", "已组织人员清理，河面已干净")
    page.click("#resolve-submit")
    assert page.inner_text("#resolve-error") == "办结须附至少一张现场照片。"
    page.set_input_files("#photo-input", str(jpeg_file(tmp_path, colour=(30, 140, 90))))
    page.wait_for_selector("#photo-strip img")
    assert fits_the_screen(page)
    screenshot(page, "field-tasks-resolve")
    page.click("#resolve-submit")
    page.wait_for_selector("#resolve-form", state="hidden")
    items = wait_for_outbox(page, "waiting", count=2, attempts=0)  # the phone knows it is offline
    assert [item["photos"] for item in sorted(items, key=lambda item: len(item["photos"]))] == [
        [], [{"uploaded": False, "error": ""}]]
    page.wait_for_function(f"""() => document.querySelector('#task-list li[data-id="{problem.pk}"]')
        .innerText.includes('办结 · 待发送')""")
    assert row.locator("button[data-move]").count() == 0
    assert page.inner_text("#sync-chip") == "2 条待发送"
    screenshot(page, "field-tasks-queued")
    problem.refresh_from_db()
    assert problem.state == State.ASSIGNED and not ProblemPhoto.objects.filter(problem=problem).exists()

    # Still there after a reload with no signal.
    page.reload()
    page.wait_for_function(f"""() => (document.querySelector('#task-list li[data-id="{problem.pk}"]') || {{}})
        .dataset?.pending === 'waiting'""")

    # Signal back: the photo, then the start and the resolution, each once; the task leaves the list.
    context.set_offline(False)
    items = wait_for_outbox(page, "sent", count=2)
    problem.refresh_from_db()
    assert problem.state == State.RESOLVED and problem.resolved_by == world["member"].user
    actions = list(problem.events.values_list("action", flat=True))
    assert actions == ["report", "accept", "assign", "start", "resolve"]
    resolution = problem.events.get(action="resolve")
    assert resolution.note == "已组织人员清理，河面已干净" and resolution.actor_name == "孙村干部"
    assert list(ProblemPhoto.objects.filter(problem=problem).values_list("event", flat=True)) == [resolution.pk]
    page.wait_for_selector(f'#task-list li[data-id="{problem.pk}"]', state="detached")
    assert page.locator("#task-list li").count() == 2
    page.wait_for_timeout(500)  # time for a second request to arrive; none may
    assert ProblemEvent.objects.filter(problem=problem).count() == 5
    assert ProblemPhoto.objects.filter(problem=problem).count() == 1

    # "My records" lists the moves as sent, linked to the problem.
    page.goto(live_server.url + reverse("field-history"))
    sent = page.locator("#queue-list li.status-sent", has_text="办结")
    sent.wait_for()
    assert sent.locator("a").get_attribute("href") == reverse("problem-detail", args=[problem.pk])
    assert page.errors == []


def test_a_resolution_whose_answer_was_lost_is_not_made_twice(phone, live_server, world, tmp_path):
    problem = world["late"]
    context, page = phone()
    log_in(page, live_server, world["member"], reverse("field-tasks"))
    page.wait_for_function("() => document.body.dataset.tasks === 'fresh'")
    answers = []

    def store_then_cut(route):
        # The move reaches the server and is made; the phone never sees the answer.
        answers.append(route.fetch().status)
        route.abort("connectionreset")

    page.route("**/api/problems/*/actions/", store_then_cut)
    task(page, problem).locator("button[data-move=resolve]").click()
    page.fill("#resolve-note", "排污口已封堵")
    page.set_input_files("#photo-input", str(jpeg_file(tmp_path, colour=(120, 60, 30))))
    page.wait_for_selector("#photo-strip img")
    page.click("#resolve-submit")
    items = wait_for_outbox(page, "waiting")
    assert answers == [201] and "网络不通" in items[0]["error"]
    assert items[0]["photos"] == [{"uploaded": True, "error": ""}]
    problem.refresh_from_db()
    assert problem.state == State.RESOLVED  # the server has it; the phone does not know

    # Sent again with the same client_uuid: the server finds the resolution it made and answers as before.
    resent = []
    page.unroute("**/api/problems/*/actions/")
    page.on("response", lambda response: resent.append(response.status) if "/actions/" in response.url else None)
    page.click("#sync-chip")  # "sync now"
    items = wait_for_outbox(page, "sent", attempts=2)
    assert items[0]["error"] == "" and items[0]["server_id"] == problem.pk and resent == [201]
    assert problem.events.filter(action="resolve").count() == 1
    assert ProblemPhoto.objects.filter(problem=problem).count() == 1
    assert page.errors == []


def test_a_move_the_server_refuses_shows_its_reason_on_the_task(phone, live_server, world):
    problem = world["plain"]
    context, page = phone()
    log_in(page, live_server, world["member"], reverse("field-tasks"))
    page.wait_for_function("() => document.body.dataset.tasks === 'fresh'")
    context.set_offline(True)
    task(page, problem).locator("button[data-move=start]").click()
    wait_for_outbox(page, "waiting", attempts=0)
    # Meanwhile the office hands the problem to another unit: the member may no longer start it.
    other = type(world["unit"]).objects.create(name="西城街道办事处", kind="town")
    move(problem, world["staff"], "assign", unit=other)
    context.set_offline(False)
    items = wait_for_outbox(page, "failed")
    assert items[0]["error"] == "没有这个问题，或你无权查看。"
    row = task(page, problem)
    page.wait_for_function(f"""() => (document.querySelector('#task-list li[data-id="{problem.pk}"]') || {{}})
        .dataset?.pending === 'failed'""")
    assert "开始处理 · 发送失败：没有这个问题，或你无权查看。" in row.inner_text()
    assert problem.events.filter(action="start").count() == 0
    assert page.errors == []


def test_before_a_report_is_sent_the_phone_asks_whether_it_is_already_reported(phone, live_server, world, screenshot):
    """The chief reads the whole list, so they are shown the open garbage problem 15 m away."""
    existing = reported(world["staff"], position_m=700)
    context, page = phone(lonlat=lonlat_on("ZW-G07", 700, sideways_m=15))
    duplicate_questions = []
    page.on("request", lambda request: duplicate_questions.append(request.url)
            if "/api/problems/duplicates/" in request.url else None)
    log_in(page, live_server, world["chief"], reverse("field-problem"))

    def fill(category="垃圾漂浮物"):
        page.wait_for_function("() => document.getElementById('location-status').dataset.state === 'set'")
        page.locator(".category", has_text=category).click()
        page.fill("#note", "桥下又有一片垃圾")

    fill()
    page.click("#submit")
    page.wait_for_selector("#sheet[open]")
    assert page.inner_text("#sheet .sheet-title") == "附近14天内已有同类问题"
    candidate = page.locator(f'#sheet .duplicate-list li[data-id="{existing.pk}"]')
    assert f"#{existing.pk} 垃圾漂浮物 · 已上报" in candidate.inner_text() and "狮子沟" in candidate.inner_text()
    assert fits_the_screen(page)
    screenshot(page, "field-problem-duplicate")
    assert "lon=" in duplicate_questions[0] and "category=garbage" in duplicate_questions[0]

    # Not sent: nothing queued, the form cleared, and the screen says why.
    page.click("#sheet button[value=skip]")
    page.wait_for_selector("#done-card:not([hidden])")
    assert f"附近的同类问题 #{existing.pk} 已在办理中" in page.inner_text("#done-text")
    screenshot(page, "field-problem-duplicate-skipped")
    assert outbox(page) == [] and Activity.objects.count() == 0

    # Sent anyway.
    page.click("#record-again")
    assert page.input_value("#note") == ""
    fill()
    page.click("#submit")
    page.wait_for_selector("#sheet[open]")
    page.click("#sheet button[value=send]")
    wait_for_outbox(page, "sent")
    report = Activity.objects.get()
    assert report.kind == "problem_report" and report.problems.get().category == "garbage"

    # Another category: nothing to ask.
    page.click("#record-again")
    fill("污水直排")
    page.click("#submit")
    wait_for_outbox(page, "sent", count=2)
    assert not page.locator("#sheet").evaluate("(dialog) => dialog.open")

    # No signal: not asked, not even tried; the report waits in the outbox.
    asked = len(duplicate_questions)
    context.set_offline(True)
    page.click("#record-again")
    fill()
    page.click("#submit")
    page.wait_for_selector("#done-card:not([hidden])")
    assert not page.locator("#sheet").evaluate("(dialog) => dialog.open")
    assert len(duplicate_questions) == asked
    assert len([item for item in outbox(page) if item["status"] == "waiting"]) == 1
    assert page.errors == []
