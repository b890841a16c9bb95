"""The phone app (/m/) in real headless Chromium: recording a patrol through loss of signal and
reloads, the outbox that sends each record exactly once, offline problem reports with photos, and
every screen at 360×640."""

import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from shapely.geometry import LineString

from patrols import services
from patrols.models import Activity, Photo, ReachVisit
from points import rules as points_rules
from points import selectors as points_selectors
from problems.models import Problem
from tests.e2e.conftest import CHROMIUM, keep_to_live_server
from tests.e2e.test_activity_pages import log_in as sign_in
from tests.support.factories import make_person, make_team
from tests.support.geo import to_metres
from tests.support.walks import walk_along

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"  # what tests.support.factories.make_person gives every login
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def crew(district_data):
    volunteer = make_person(name="张志愿")
    teammate = make_person(name="李同伴")
    leader = make_person(name="王队长")
    make_team(members=[volunteer, teammate], leaders=[leader])
    return {"volunteer": volunteer, "teammate": teammate, "leader": leader}


@pytest.fixture
def phone(browser, live_server):
    """A phone: 360×640, GPS allowed, service workers on, and no network beyond the live server
    (basemap tiles are refused, as with no signal)."""
    contexts = []

    def make(*, lonlat=(110.70, 32.60), accuracy=8, timezone_id=settings.TIME_ZONE):
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", timezone_id=timezone_id, permissions=["geolocation"],
            geolocation={"longitude": lonlat[0], "latitude": lonlat[1], "accuracy": accuracy},
            service_workers="allow", has_touch=True, is_mobile=True, device_scale_factor=2,
        )
        keep_to_live_server(context, live_server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return context, page

    yield make
    for context in contexts:
        context.close()


def log_in(page, live_server, person, start):
    sign_in(page, live_server, person, start)
    # The service worker has installed, cached the shell and taken control of the page.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def outbox(page):
    return page.evaluate("""async () => {
        const db = await new Promise((ok, ko) => { const r = indexedDB.open('riverwatch-field'); r.onsuccess = () => ok(r.result); r.onerror = ko; });
        return new Promise((ok) => { const r = db.transaction('outbox').objectStore('outbox').getAll(); r.onsuccess = () => ok(r.result.map(
            (i) => ({uuid: i.uuid, status: i.status, error: i.error, server_id: i.server_id, attempts: i.attempts,
                     photos: i.photos.map((p) => ({uploaded: p.uploaded, error: p.error}))}))); });
    }""")


def wait_for_outbox(page, status, count=1, attempts=1):
    """The phone's queue holds count items, all in this state after at least `attempts` tries to send
    (0 for a phone that knows it is offline and does not try)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        items = outbox(page)
        if len(items) == count and all(item["status"] == status and item["attempts"] >= attempts for item in items):
            return items
        page.wait_for_timeout(150)
    raise AssertionError(f"outbox never reached {count}×{status} after {attempts} attempts: {outbox(page)}")


def jpeg_file(tmp_path, name="river.jpg", colour=(40, 120, 200), size=(1600, 1200)):
    path = tmp_path / name
    image = Image.new("RGB", size, colour)
    image.putpixel((3, 3), (255, 0, 0))
    image.save(path, "JPEG", quality=90)
    return path


def test_every_screen_opens_on_a_phone_without_errors(phone, live_server, crew, screenshot):
    from tests.patrols.test_pages import gap_walk, record

    volunteer = crew["volunteer"]
    # Today's patrol, 0.8 km: earlier today in Beijing, whatever the hour the test runs at.
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    start = max(timezone.now() - timedelta(hours=3), midnight + timedelta(minutes=1))
    record(volunteer, fixes=gap_walk(start_ms=int(start.timestamp() * 1000)), participants=[crew["teammate"]])
    older = record(volunteer, kind="cleanup", figures={"debris_kg": "6", "bags": 2}, started_at=timezone.now() - timedelta(days=3))
    services.review_activity(activity=older, reviewer=crew["leader"].user, decision="reject",
                            note="照片看不清，请补拍\u202e")  # a right-to-left override a note may not hide
    # A phone set to another time zone still shows the district's (Beijing) times.
    context, page = phone(lonlat=walk_along("ZW-G07", start_m=100, length_m=0)[0][:2], timezone_id="Europe/London")
    log_in(page, live_server, volunteer, reverse("field-home"))
    page.wait_for_function("() => document.getElementById('who').textContent.includes('张志愿')")
    assert page.inner_text("#today") == "今天已记录 1 次，共 0.8 公里。"
    assert page.inner_text("#stat-year") == "1"  # the rejected cleanup does not count
    # My points (/api/points/me/): none yet; today's patrol, waiting for review, shows what it would earn.
    page.wait_for_selector("#points-pending:not([hidden])")
    waiting = sum(item.points for item in points_selectors.pending(volunteer))
    assert page.inner_text("#points-balance") == "0"
    assert page.inner_text("#points-pending") == f"待审核 {points_rules.number(waiting)} 分"
    assert "还没有积分" in page.inner_text("#points-note")
    assert page.inner_text("#mini-stats") == "今年服务记录 1 条 · 积分 0"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "field-home")
    # The big buttons wear their kinds' colours (kinds.css), as every map draws those kinds.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--kind-patrol').trim()") == "#d9480f"
    assert page.evaluate("getComputedStyle(document.querySelector('.big-action.patrol')).backgroundColor") == "rgb(217, 72, 15)"

    page.goto(live_server.url + reverse("field-history"))
    page.wait_for_selector("#history-list li.status-rejected")
    assert page.locator("#history-list li").count() == 2
    rejected = page.inner_text("#history-list li.status-rejected")
    assert "照片看不清，请补拍" in rejected
    assert page.inner_text("#history-list .invisible-char") == "U+202E"  # shown, not obeyed
    beijing = timezone.localtime(older.started_at)
    assert f"{beijing.month}/{beijing.day} {beijing:%H:%M}" in rejected
    screenshot(page, "field-history")

    for name in ("field-patrol", "field-cleanup", "field-problem"):
        page.goto(live_server.url + reverse(name))
        page.wait_for_function("() => document.getElementById('field-map').dataset.networkLoaded === 'yes'")
        assert page.locator("path.rw-waterway").count() == 42
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        screenshot(page, name)

    # A patrol left running shows on the home screen, with a way back to it.
    page.goto(live_server.url + reverse("field-patrol"))
    start_patrol(page)
    page.goto(live_server.url + reverse("field-home"))
    page.wait_for_selector("#running-patrol:not([hidden])")
    assert "巡河进行中" in page.inner_text("#running-patrol")
    assert page.errors == []


def start_patrol(page):
    page.click("#patrol-start")
    page.wait_for_function("() => document.body.dataset.patrolState === 'recording'")


def stop_and_save(page):
    page.click("#patrol-stop")
    page.click("#sheet button[value=save]")


def beside(fix):
    """Where the phone is before the walk: 30 m off its first step, so that the first step is a move
    (Chromium does not report the position it already has)."""
    return fix[0] + 0.0003, fix[1]


def walk(context, page, fixes):
    """Moves the phone along fixes [lon, lat, ...], waiting until the page has taken each one."""
    for lon, lat, *_ in fixes:
        before = page.evaluate("document.getElementById('patrol-distance').dataset.fixes || '0'")
        context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
        page.wait_for_function(
            "(before) => (document.getElementById('patrol-distance').dataset.fixes || '0') !== before", arg=before,
        )


def walked_metres(fixes):
    xy = [to_metres(lon, lat) for lon, lat, *_ in fixes]
    return LineString(xy).length


def test_a_patrol_survives_offline_and_reloads_and_arrives_exactly_once(phone, live_server, crew, screenshot):
    route = walk_along("ZW-G07", start_m=300, length_m=1200, step_m=25)
    first, second, third = route[:17], route[17:33], route[33:]
    context, page = phone(lonlat=beside(route[0]))
    log_in(page, live_server, crew["volunteer"], reverse("field-patrol"))

    page.locator("#companions summary").click()
    page.locator(".companion", has_text="李同伴").locator("input").check()
    start_patrol(page)
    walk(context, page, first)

    # The tab is reloaded mid-patrol: nothing is lost and recording carries on, in a new segment.
    page.reload()
    page.wait_for_function("() => document.getElementById('banner').textContent.includes('已恢复')")
    assert page.evaluate("document.body.dataset.patrolState") == "recording"
    # What was recorded before the reload is drawn again (a second line starts with the next fix).
    page.wait_for_function("() => document.getElementById('patrol-distance').dataset.fixes >= 17")
    assert page.locator("path.rw-live-track").count() in (1, 2)
    # In the patrol orange of the desk pages, and above the river network, which loads after the
    # resumed track is redrawn.
    strokes = page.locator("path.rw-live-track").evaluate_all("(paths) => paths.map((p) => p.getAttribute('stroke'))")
    assert set(strokes) == {"#d9480f"}
    page.wait_for_function("() => document.getElementById('field-map').dataset.networkLoaded === 'yes'")
    assert page.evaluate("""() => {
        const z = (selector) => Number(getComputedStyle(document.querySelector(selector).closest('.leaflet-pane')).zIndex);
        return z('path.rw-live-track') > z('path.rw-waterway');
    }""")
    walk(context, page, second)

    # The tab is closed and the app opened again: the same, a third segment.
    page.close()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(live_server.url + reverse("field-patrol"))
    page.wait_for_function("() => document.getElementById('banner').textContent.includes('已恢复')")
    page.wait_for_function("() => document.getElementById('patrol-distance').dataset.fixes >= 33")

    # Signal lost for the rest of the walk and the end of the patrol.
    context.set_offline(True)
    walk(context, page, third)
    screenshot(page, "field-patrol-recording")
    page.click("#patrol-stop")
    page.wait_for_selector("#sheet[open]")
    screenshot(page, "field-patrol-stop")
    page.click("#sheet button[value=save]")
    wait_for_outbox(page, "waiting", attempts=0)  # the phone knows it is offline and does not try
    assert Activity.objects.count() == 0

    # Reloaded with no connection: the service worker serves the screen, the record is still queued.
    response = page.reload()
    assert response.from_service_worker
    page.wait_for_function("() => document.getElementById('sync-chip').dataset.state === 'offline'")
    assert "1 条待发送" in page.inner_text("#sync-chip")
    assert page.locator("path.rw-waterway").count() == 42  # the river network, from the cache
    page.goto(live_server.url + reverse("field-history"))
    page.wait_for_selector("#queue-list li.status-waiting")
    screenshot(page, "field-history-offline")

    # Signal back: the queue sends by itself, asking for the short answer (the id, not the track back).
    preferences = []
    page.on("request", lambda request: preferences.append(request.headers.get("prefer"))
            if request.method == "POST" and request.url.endswith("/api/activities/") else None)
    context.set_offline(False)
    wait_for_outbox(page, "sent")
    assert preferences and set(preferences) == {"return=minimal"}
    assert Activity.objects.count() == 1
    activity = Activity.objects.get()
    assert activity.kind == "patrol" and activity.submitted_by == crew["volunteer"].user
    assert sorted(activity.service_records.values_list("person__name", flat=True)) == ["张志愿", "李同伴"]
    # Split where the page was reloaded and where the tab was closed, never bridged: three lines,
    # with every fix walked.
    assert len(activity.track) == 3
    expected = walked_metres(first) + walked_metres(second) + walked_metres(third)
    assert activity.distance_m == pytest.approx(expected, rel=0.05)
    assert activity.distance_m == pytest.approx(1200 - 2 * 25, rel=0.05)
    visits = ReachVisit.objects.filter(activity=activity)
    assert visits.count() >= 8
    assert set(visits.values_list("reach__waterway__code", flat=True)) == {"ZW-G07"}
    assert activity.waterway.code == "ZW-G07"
    page.wait_for_selector(f'#history-list li[data-uuid="{activity.client_uuid}"]')
    screenshot(page, "field-history-sent")
    assert page.errors == []


def fill_cleanup(page):
    page.wait_for_function("() => document.getElementById('location-status').dataset.state === 'set'")
    page.fill("#debris-kg", "12.5")
    page.fill("#bags", "3")
    page.fill("#notes", "桥下左岸")


def test_two_quick_taps_on_submit_make_one_record(phone, live_server, crew, screenshot):
    spot = walk_along("ZW-G07", start_m=500, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, crew["volunteer"], reverse("field-cleanup"))
    fill_cleanup(page)
    page.locator("#submit").dblclick()
    items = wait_for_outbox(page, "sent")
    assert page.locator("#done-card").is_visible() and not page.locator("#cleanup-form").is_visible()
    page.wait_for_function("() => document.getElementById('done-text').textContent === '已保存并发送。'")
    screenshot(page, "field-cleanup-done")
    page.wait_for_timeout(500)  # time for a second request to arrive; none may
    assert Activity.objects.count() == 1
    cleanup = Activity.objects.get()
    assert cleanup.kind == "cleanup" and float(cleanup.debris_kg) == 12.5 and cleanup.bags == 3
    assert cleanup.location_source == "gps" and cleanup.waterway.code == "ZW-G07"
    assert str(cleanup.client_uuid) == items[0]["uuid"]

    # The next record, submitted twice in the same instant (what a double tap on a slow phone delivers).
    page.click("#record-again")
    fill_cleanup(page)
    page.evaluate("const form = document.getElementById('cleanup-form'); form.requestSubmit(); form.requestSubmit();")
    wait_for_outbox(page, "sent", count=2)
    page.wait_for_timeout(500)
    assert Activity.objects.count() == 2
    assert page.errors == []


def test_an_answer_lost_after_the_server_stored_the_record_is_retried_without_a_duplicate(phone, live_server, crew, tmp_path):
    spot = walk_along("ZW-G07", start_m=800, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, crew["volunteer"], reverse("field-cleanup"))
    stored_before_the_cut = []

    def store_then_cut(route):
        # The request reaches the server and is stored; the phone never sees the answer.
        response = route.fetch()
        stored_before_the_cut.append(response.status)
        route.abort("connectionreset")

    page.route("**/api/activities/", store_then_cut)
    fill_cleanup(page)
    page.locator("#field-map").click(position={"x": 150, "y": 110})  # a tap on the map beats the GPS
    page.wait_for_function("() => document.getElementById('location-status').textContent === '已在地图上选点'")
    page.set_input_files("#photo-input", str(jpeg_file(tmp_path)))
    page.wait_for_selector("#photo-strip img")
    page.click("#submit")
    items = wait_for_outbox(page, "waiting")
    assert stored_before_the_cut == [201]
    assert Activity.objects.count() == 1  # the server has it; the phone does not know
    assert items[0]["server_id"] is None and "网络不通" in items[0]["error"]

    page.unroute("**/api/activities/")
    page.click("#sync-chip")  # "sync now"
    items = wait_for_outbox(page, "sent")
    assert Activity.objects.count() == 1
    activity = Activity.objects.get()
    assert items[0]["server_id"] == activity.pk and str(activity.client_uuid) == items[0]["uuid"]
    assert activity.service_records.count() == 1
    assert activity.location_source == "map"
    assert items[0]["photos"] == [{"uploaded": True, "error": ""}]
    assert Photo.objects.filter(activity=activity).count() == 1
    assert items[0]["photos"] == [{"uploaded": True, "error": ""}]


def test_a_problem_reported_offline_with_a_photo_arrives_after_reconnecting(phone, live_server, crew, tmp_path, screenshot):
    spot = walk_along("ZW-G07", start_m=1100, length_m=0, sideways_m=15)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, crew["volunteer"], reverse("field-problem"))
    context.set_offline(True)
    page.reload()  # from the service worker's cache
    page.wait_for_function("() => document.getElementById('location-status').dataset.state === 'set'")
    page.locator(".category", has_text="污水直排").click()
    page.set_input_files("#photo-input", str(jpeg_file(tmp_path, colour=(90, 70, 40))))
    page.wait_for_selector("#photo-strip img")
    page.fill("#note", "排污口有黑水流出")
    screenshot(page, "field-problem-filled")
    page.click("#submit")
    wait_for_outbox(page, "waiting", attempts=0)
    assert "保存在手机上" in page.inner_text("#done-text")
    assert Activity.objects.count() == 0

    context.set_offline(False)
    items = wait_for_outbox(page, "sent")
    report = Activity.objects.get()
    assert report.kind == "problem_report" and report.service_records.count() == 0
    problem = Problem.objects.get(activity=report)
    assert problem.category == "sewage" and problem.note == "排污口有黑水流出"
    assert problem.waterway.code == "ZW-G07"
    assert problem.photos.count() == 1  # the photo is the problem's, not only the report's
    assert items[0]["photos"] == [{"uploaded": True, "error": ""}]
    assert page.errors == []
    # From "my records" to the report's page: the problem, its photo and its place on the map.
    page.goto(live_server.url + reverse("field-history"))
    page.locator(f'#history-list li[data-uuid="{report.client_uuid}"] a').click()
    page.wait_for_url(live_server.url + reverse("activity-detail", args=[report.pk]))
    assert "排污口有黑水流出" in page.inner_text("body")
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("path.rw-problem").count() == 1
    screenshot(page, "activity-detail-problem-report")


# Stands in for what the test browser cannot do by itself: hide the page (a phone's screen going off,
# another app in front) and grant a screen wake lock. The page's own code runs unchanged.
FAKE_SCREEN = """
(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible'), configurable: true });
  Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden, configurable: true });
  window.wakeRequests = 0;
  window.wakeSentinel = null;
  Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: { request: async (type) => {
    window.wakeRequests += 1;
    const sentinel = { type, released: false, release: async () => { sentinel.released = true; }, addEventListener() {} };
    window.wakeSentinel = sentinel;
    return sentinel;
  } } });
  window.setHidden = (value) => {
    hidden = value;
    if (value && window.wakeSentinel) window.wakeSentinel.released = true;  // the system drops the lock
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();
"""


def fixes_recorded(page):
    return int(page.evaluate("document.getElementById('patrol-distance').dataset.fixes || '0'"))


def test_gaps_pauses_hidden_screens_and_poor_fixes_split_or_drop_never_bridge(phone, live_server, crew, settings):
    settings.TRACK_GAP_SECONDS = 2  # short, so that the test can wait out a gap
    route = walk_along("ZW-G07", start_m=200, length_m=1000, step_m=25)
    context, page = phone(lonlat=beside(route[0]))
    context.add_init_script(FAKE_SCREEN)
    log_in(page, live_server, crew["volunteer"], reverse("field-patrol"))
    page.click("#patrol-start")
    page.wait_for_function("() => window.wakeRequests === 1")
    assert page.inner_text("#wake-status") == "屏幕常亮已开启"
    walk(context, page, route[:8])

    # A fix worse than the limit is dropped and counted, not drawn.
    context.set_geolocation({"longitude": route[8][0], "latitude": route[8][1], "accuracy": 120})
    page.wait_for_function("() => !document.getElementById('dropped-status').hidden")
    assert page.inner_text("#dropped-status") == "已舍弃 1 个精度差的定位点"
    assert fixes_recorded(page) == 8

    # No usable fix for longer than the gap: the next one starts a new segment.
    page.wait_for_timeout(2600)
    walk(context, page, route[9:16])
    assert page.inner_text("#patrol-segments") == "2 段"

    # The screen goes off and comes back: a new segment, and the wake lock is asked for again.
    page.evaluate("window.setHidden(true)")
    page.evaluate("window.setHidden(false)")
    page.wait_for_function("() => window.wakeRequests === 2")
    walk(context, page, route[16:24])
    assert page.inner_text("#patrol-segments") == "3 段"

    # Pause: nothing is recorded while paused, and resuming starts a new segment.
    page.click("#patrol-pause")
    page.wait_for_function("() => document.body.dataset.patrolState === 'paused'")
    walk_without_waiting = route[24:28]
    for lon, lat, *_ in walk_without_waiting:
        context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
        page.wait_for_timeout(100)
    assert fixes_recorded(page) == 23
    page.click("#patrol-pause")
    page.wait_for_function("() => document.body.dataset.patrolState === 'recording'")
    walk(context, page, route[28:36])
    assert page.inner_text("#patrol-segments") == "4 段"

    stop_and_save(page)
    wait_for_outbox(page, "sent")
    activity = Activity.objects.get()
    assert len(activity.track) == 4
    # Only what was walked while recording counts: the gaps and the paused stretch are not bridged.
    expected = sum(walked_metres(part) for part in (route[:8], route[9:16], route[16:24], route[28:36]))
    assert activity.distance_m == pytest.approx(expected, rel=0.05)
    assert activity.raw_track.fixes and sum(len(segment) for segment in activity.raw_track.fixes) == 31
    assert page.errors == []


def test_photos_notes_and_problem_markers_during_a_patrol_travel_with_it(phone, live_server, crew, tmp_path, screenshot):
    route = walk_along("ZW-G07", start_m=600, length_m=400, step_m=25)
    context, page = phone(lonlat=beside(route[0]))
    log_in(page, live_server, crew["volunteer"], reverse("field-patrol"))
    start_patrol(page)
    walk(context, page, route[:6])

    page.click("#patrol-marker")
    page.locator("#sheet .category", has_text="垃圾漂浮物").click()
    page.fill("#sheet textarea", "回水湾有漂浮垃圾")
    page.set_input_files("#sheet input[type=file]", str(jpeg_file(tmp_path, "marker.jpg", colour=(10, 150, 60))))
    screenshot(page, "field-patrol-marker")
    page.click("#sheet button[value=ok]")
    page.wait_for_selector("path.rw-problem-marker")

    page.click("#patrol-note")
    page.fill("#sheet textarea", "水位偏低")
    page.click("#sheet button[value=ok]")
    page.set_input_files("#patrol-photo", str(jpeg_file(tmp_path, "bank.jpg", colour=(200, 160, 20))))
    page.wait_for_function("() => document.getElementById('patrol-extras-summary').textContent.includes('2 张照片')")
    walk(context, page, route[6:])

    stop_and_save(page)
    items = wait_for_outbox(page, "sent")
    assert items[0]["photos"] == [{"uploaded": True, "error": ""}] * 2
    patrol = Activity.objects.get()
    assert "水位偏低" in patrol.notes
    problem = patrol.problems.get()
    assert problem.category == "garbage" and problem.note == "回水湾有漂浮垃圾" and problem.waterway.code == "ZW-G07"
    assert problem.photos.count() == 1
    assert patrol.photos.count() == 2
    assert page.errors == []


def test_a_lapsed_login_keeps_the_record_until_the_user_signs_in_again(phone, live_server, crew):
    spot = walk_along("ZW-G07", start_m=900, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, crew["volunteer"], reverse("field-cleanup"))
    fill_cleanup(page)
    context.clear_cookies()  # the session ended while the phone was out at the river
    page.click("#submit")
    # The server says nobody is signed in: the record waits, marked so, without a doomed attempt.
    items = wait_for_outbox(page, "waiting", attempts=0)
    page.wait_for_function("() => document.getElementById('sync-chip').dataset.state === 'login'")
    items = outbox(page)
    assert "登录已过期" in items[0]["error"]
    page.wait_for_function("() => document.getElementById('sync-chip').dataset.state === 'login'")
    assert Activity.objects.count() == 0

    page.click("#sync-chip")  # takes the user to the login page and back
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", crew["volunteer"].user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("field-cleanup"))
    wait_for_outbox(page, "sent")
    assert Activity.objects.get().submitted_by == crew["volunteer"].user


def test_a_record_the_server_refuses_shows_the_servers_reason_and_stays_on_the_phone(
    phone, live_server, district_data, django_user_model, screenshot
):
    # A login the office has not yet linked to a person: the server refuses what it submits.
    django_user_model.objects.create_user(username="new-login", password=PASSWORD)
    nobody = type("Nobody", (), {"user": type("U", (), {"username": "new-login"})()})()
    spot = walk_along("ZW-G07", start_m=900, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, nobody, reverse("field-cleanup"))
    fill_cleanup(page)
    page.click("#submit")
    items = wait_for_outbox(page, "failed")
    assert items[0]["error"] == "您的账号还没有关联人员档案，请联系河长办工作人员。"
    assert Activity.objects.count() == 0

    page.goto(live_server.url + reverse("field-history"))
    failed = page.locator("#queue-list li.status-failed")
    failed.wait_for()
    assert "您的账号还没有关联人员档案" in failed.inner_text()
    assert page.inner_text("#sync-chip") == "1 条发送失败"
    screenshot(page, "field-history-failed")
    # Retrying sends it again (still refused); deleting asks first, then removes it.
    failed.locator("button", has_text="重试").click()
    wait_for_outbox(page, "failed", attempts=2)
    failed.locator("button", has_text="删除").click()
    page.click("#sheet button[value=delete]")
    page.wait_for_selector("#queue-empty:not([hidden])")
    assert outbox(page) == []


def test_the_app_is_installable(browser, live_server, crew, tmp_path):
    """Chromium's own installability check finds nothing missing (manifest, icons, service worker).
    A profile on disk, because Chromium never offers to install from an incognito window."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, viewport=PHONE, locale="zh-CN",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    )
    try:
        keep_to_live_server(context, live_server)
        page = context.pages[0] if context.pages else context.new_page()
        log_in(page, live_server, crew["volunteer"], reverse("field-home"))
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert '"start_url": "/m/"' in manifest["data"] and '"display": "standalone"' in manifest["data"]
    finally:
        context.close()


def test_a_reload_on_a_stalled_connection_goes_on_recording_at_once(phone, live_server, crew):
    """One bar of signal: the server does not answer, yet the reloaded screen records straight away."""
    route = walk_along("ZW-G07", start_m=400, length_m=300, step_m=25)
    context, page = phone(lonlat=beside(route[0]))
    log_in(page, live_server, crew["volunteer"], reverse("field-patrol"))
    start_patrol(page)
    walk(context, page, route[:4])
    stalled = []
    page.route("**/api/**", lambda route: stalled.append(route))  # never answered
    page.reload()
    page.wait_for_function("() => document.getElementById('banner').textContent.includes('已恢复')")
    walk(context, page, route[4:8])
    assert stalled  # the screen did ask the server, and did not wait for it
    assert page.inner_text("#patrol-segments") == "2 段"
    for request in stalled:
        request.abort()


def test_a_second_window_does_not_record_over_the_first(phone, live_server, crew):
    route = walk_along("ZW-G07", start_m=400, length_m=300, step_m=25)
    context, first = phone(lonlat=beside(route[0]))
    log_in(first, live_server, crew["volunteer"], reverse("field-patrol"))
    start_patrol(first)
    second = context.new_page()
    second.goto(live_server.url + reverse("field-patrol"))
    second.wait_for_function("() => document.body.dataset.patrolState === 'elsewhere'")
    assert "另一个窗口" in second.inner_text("#banner")
    assert second.locator("#patrol-start").is_disabled()
    walk(context, first, route[:4])
    # The first window closes: the second takes over the same patrol, nothing lost.
    first.close()
    second.wait_for_function("() => document.getElementById('banner').textContent.includes('已恢复')")
    second.wait_for_function("() => document.getElementById('patrol-distance').dataset.fixes >= 4")
    stop_and_save(second)
    wait_for_outbox(second, "sent")
    assert Activity.objects.count() == 1 and len(Activity.objects.get().track) >= 1


def test_a_patrol_that_never_moved_is_sent_as_a_place_not_refused(phone, live_server, crew):
    spot = walk_along("ZW-G07", start_m=700, length_m=0)[0]
    context, page = phone(lonlat=beside(spot))
    log_in(page, live_server, crew["volunteer"], reverse("field-patrol"))
    start_patrol(page)
    # Two fixes on the same spot (standing on the bank): not a line the server could accept.
    for accuracy in (8, 6):
        context.set_geolocation({"longitude": spot[0], "latitude": spot[1], "accuracy": accuracy})
        page.wait_for_timeout(300)
    page.wait_for_function("() => document.getElementById('patrol-distance').dataset.fixes >= 2")
    stop_and_save(page)
    wait_for_outbox(page, "sent")
    patrol = Activity.objects.get()
    assert patrol.track is None and patrol.point is not None and patrol.waterway.code == "ZW-G07"


def test_a_half_filled_form_and_its_photo_survive_the_tab_being_killed(phone, live_server, crew, tmp_path):
    """Cheap phones often kill the browser tab while the camera app is open."""
    spot = walk_along("ZW-G07", start_m=300, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, crew["volunteer"], reverse("field-cleanup"))
    fill_cleanup(page)
    page.locator("#field-map").click(position={"x": 150, "y": 110})
    page.set_input_files("#photo-input", str(jpeg_file(tmp_path)))
    page.wait_for_selector("#photo-strip img")
    page.wait_for_timeout(500)  # the draft is saved a moment after the last keystroke
    page.close()

    page = context.new_page()
    page.goto(live_server.url + reverse("field-cleanup"))
    page.wait_for_selector("#photo-strip img")
    assert page.input_value("#debris-kg") == "12.5" and page.input_value("#notes") == "桥下左岸"
    assert page.inner_text("#location-status") == "已在地图上选点"
    page.click("#submit")
    wait_for_outbox(page, "sent")
    cleanup = Activity.objects.get()
    assert cleanup.location_source == "map" and cleanup.photos.count() == 1 and float(cleanup.debris_kg) == 12.5
    # Queued with the record, the draft is gone: the next form starts empty.
    page.click("#record-again")
    page.reload()
    page.wait_for_function("() => document.getElementById('location-status').dataset.state === 'set'")
    assert page.input_value("#debris-kg") == "" and page.locator("#photo-strip img").count() == 0
