"""Points on the phone, in real headless Chromium: a cleanup recorded on the phone waits for review
(待审核), the team leader verifies it on the activity page, and the volunteer's home screen shows
the new balance with the entry's reason; with no signal the phone still shows the points it kept."""

from decimal import Decimal

import pytest
from django.urls import reverse

from patrols.models import Activity
from points import rules, selectors
from points.models import Entry
from tests.e2e import test_field_app
from tests.e2e.test_activity_pages import log_in as desk_log_in
from tests.e2e.test_field_app import fill_cleanup, log_in, wait_for_outbox
from tests.support.walks import walk_along

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

phone = test_field_app.phone  # 360×640, GPS, service workers, nothing beyond the live server
crew = test_field_app.crew  # a volunteer and a teammate with their team leader

DESK = {"width": 1280, "height": 900}


def points_text(value: Decimal) -> str:
    """As the phone writes a number of points: 2.3, 12, -6."""
    return rules.number(value)


def show_points_card(page):
    page.locator("#points-card").scroll_into_view_if_needed()


def test_a_verified_cleanup_shows_its_points_on_the_phone_and_offline(phone, page_factory, live_server, crew, screenshot):
    volunteer, leader = crew["volunteer"], crew["leader"]
    spot = walk_along("ZW-G07", start_m=500, length_m=0)[0]
    context, page = phone(lonlat=spot[:2])
    log_in(page, live_server, volunteer, reverse("field-cleanup"))
    fill_cleanup(page)  # 12.5 kg, over the hour the form starts with
    page.click("#submit")
    wait_for_outbox(page, "sent")
    cleanup = Activity.objects.get()

    # At home: no points yet, what the cleanup would earn waits for review.
    page.goto(live_server.url + reverse("field-home"))
    page.wait_for_selector("#points-pending:not([hidden])")
    [waiting] = selectors.pending(volunteer)
    assert waiting.activity == cleanup and waiting.points > 0
    assert page.inner_text("#points-balance") == "0"
    assert page.inner_text("#points-pending") == f"待审核 {points_text(waiting.points)} 分"
    assert "还没有积分" in page.inner_text("#points-note")
    assert page.locator("#points-entries li").count() == 0
    # The rules, for reading with no signal too, folded away until asked for.
    assert page.locator("#points-rule-list li").count() == 4 and not page.locator("#points-rule-list").is_visible()
    page.locator("#points-rules summary").click()
    assert "每服务 1 小时得 1 分" in page.inner_text("#points-rule-list")
    assert page.get_attribute("#points-card a[href='/points/rules/']", "href") == "/points/rules/"
    show_points_card(page)
    screenshot(page, "field-points-pending")

    # The team leader verifies the cleanup on its page, in an office browser.
    desk = page_factory(viewport=DESK)
    desk_log_in(desk, live_server, leader, start=reverse("activity-detail", args=[cleanup.pk]))
    desk.click("button[value=verify]")
    desk.wait_for_selector(".message-success")
    assert desk.locator(".review .status-badge").inner_text() == "已审核"

    # The volunteer opens the app again: the balance, nothing pending, and the reason of each entry.
    balance = selectors.balance(volunteer)
    assert balance == waiting.points  # what was shown as pending is what was credited
    entries = list(Entry.objects.filter(person=volunteer).order_by("-at", "-id"))
    assert len(entries) == 2  # the hour of service and the share of the debris
    page.goto(live_server.url + reverse("field-home"))
    page.wait_for_function("(text) => document.getElementById('points-balance').textContent === text",
                           arg=points_text(balance))
    assert page.locator("#points-pending").is_hidden()
    rows = page.locator("#points-entries li")
    assert rows.count() == 2
    for row, entry in zip(rows.all(), entries):
        assert row.locator(".amount").inner_text() == f"+{points_text(entry.amount)}"
        assert entry.reason in row.inner_text() and "获得" in row.inner_text()
    assert f"清漂保洁 #{cleanup.pk} 审核通过" in page.inner_text("#points-entries")
    assert page.inner_text("#mini-stats") == f"今年服务记录 1 条 · 积分 {points_text(balance)}"
    assert page.inner_text("#points-source") == ""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    show_points_card(page)
    screenshot(page, "field-points-verified")

    # No signal: the service worker serves the screen, and the points kept on the phone are shown.
    context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    page.wait_for_function("() => document.getElementById('points-source').textContent !== ''")
    assert page.inner_text("#points-source") == "离线：显示上次联网时的积分。"
    assert page.inner_text("#points-balance") == points_text(balance)
    assert page.locator("#points-entries li").count() == 2
    assert f"清漂保洁 #{cleanup.pk} 审核通过" in page.inner_text("#points-entries")
    page.locator("#points-rules summary").click()
    assert "每服务 1 小时得 1 分" in page.inner_text("#points-rule-list")
    show_points_card(page)
    screenshot(page, "field-points-offline")
    assert page.errors == []
