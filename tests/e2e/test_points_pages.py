"""The points pages in a real browser: the public boards and a village from them, the rules and the
points shop on a phone, a volunteer's statement, and the office's redemption desk and adjustment,
on a desk screen and on a phone. Screenshots: test-artifacts/screenshots/points-*.png."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols import services as patrol_services
from points import selectors, services
from points.models import Item, Redemption, Rule
from problems.models import Source
from tests.patrols.test_pages import record
from tests.support.problems import move, reported
from waterways.models import Village

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"  # what tests.support.factories.make_person gives every login
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
POINT = (110.55, 32.70)


@pytest.fixture
def scene(crew):
    """Browser tests run on the real clock: the default rules are moved back a year so they price
    today's work whatever today is, and the work is done a few hours ago."""
    now = timezone.now()
    Rule.objects.update(effective_from=timezone.localdate() - timedelta(days=365))
    first_village, second_village = Village.objects.order_by("code")[:2]
    for name, village in (("volunteer", first_village), ("teammate", first_village), ("outsider", second_village)):
        crew[name].village = village
        crew[name].save()
    crew["teammate"].board_initials_only = True
    crew["teammate"].save()

    def done(person, *, hours_ago, minutes, reviewer, kind="cleanup", figures=None):
        activity = record(person, kind=kind, point=POINT, started_at=now - timedelta(hours=hours_ago), minutes=minutes,
                          figures=figures)
        if reviewer is not None:
            patrol_services.review_activity(activity=activity, reviewer=reviewer.user, decision="verify")
        return activity

    done(crew["volunteer"], hours_ago=9, minutes=120, reviewer=crew["leader"], figures={"debris_kg": "40"})
    done(crew["teammate"], hours_ago=9, minutes=90, reviewer=crew["leader"])
    done(crew["outsider"], hours_ago=9, minutes=60, reviewer=crew["staff"], kind="patrol")
    waiting = done(crew["volunteer"], hours_ago=3, minutes=90, reviewer=None, kind="patrol")
    problem = reported(crew["volunteer"], source=Source.PHONE)
    move(problem, crew["staff"], "accept")
    items = {
        "soap": Item.objects.create(name="洗衣皂", description="两块装", price=2, stock=30),
        "gloves": Item.objects.create(name="劳保手套", description="防滑耐磨", price=5, stock=12),
        "bottle": Item.objects.create(name="保温水杯", description="500 毫升", price=40, stock=0),
    }
    services.adjust(person=crew["volunteer"], amount=1, reason="补录 10 月清漂活动签到", by=crew["staff"].user)
    services.redeem(person=crew["volunteer"], item=items["soap"], quantity=1, place="黄龙镇便民服务中心", by=crew["staff"].user)
    return {**crew, "items": items, "problem": problem, "waiting": waiting, "village": first_village,
            "day": timezone.localtime(now - timedelta(hours=9)).date()}


def log_in(page, live_server, person, start, lands_on=None):
    page.goto(live_server.url + start)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + (lands_on or start))


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def watch(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    return errors


def board_query(scene):
    return f"?year={scene['day'].year}&month={scene['day'].month}"


def test_anyone_sees_the_boards_and_opens_a_village(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    errors = watch(page)
    page.goto(live_server.url + reverse("points-boards") + board_query(scene))
    first, last = selectors.period_bounds(scene["day"].year, scene["day"].month)
    expected = selectors.board_people(first, last)
    people = page.locator("#board-people ~ table tbody tr")
    assert people.count() == len(expected) == 3
    # 2 hours (the cap) + 40 kg × 0.1 + the accepted problem's 2 (+ the adjustment): the redemption lowers no place.
    top = people.nth(0).locator("td").all_inner_texts()
    assert top == ["1", "张志愿", scene["village"].name, str(expected[0]["points"])] and expected[0]["points"] >= 8
    assert "LTB" in people.nth(1).inner_text() and page.locator("text=李同伴").count() == 0  # initials only
    assert page.locator("#board-teams ~ table tbody tr").count() == 1
    screenshot(page, "points-boards-desk")

    page.click(f"#board-villages ~ table a:has-text('{scene['village'].name}')")
    page.wait_for_url(f"**{reverse('points-village', args=[scene['village'].code])}?year=*")
    assert page.locator("h1").inner_text().startswith(scene["village"].name)
    tiles = page.locator(".stat-tiles li strong").all_inner_texts()
    assert tiles[0] == "2"  # two people of the village took part
    assert page.locator(".board-table tbody tr").count() == 2
    screenshot(page, "points-village-desk")
    assert not errors, errors


def test_the_rules_and_the_shop_read_well_on_a_phone(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=PHONE)
    errors = watch(page)
    page.goto(live_server.url + reverse("points-rules"))
    assert page.locator("text=每服务 1 小时得 1 分，每次活动最多计 2 小时，每人每天最多 8 分").count() == 1
    assert page.locator("text=兑换积分不会减少服务时长。").count() == 1
    assert page.locator(".shop-table tbody tr").count() == 3
    assert page.locator(".shop-table tr.sold-out").count() == 1
    assert fits_the_screen(page)
    screenshot(page, "points-rules-phone")
    page.locator("#shop").scroll_into_view_if_needed()
    screenshot(page, "points-shop-phone")
    page.goto(live_server.url + reverse("points-boards") + board_query(scene))
    assert fits_the_screen(page)
    screenshot(page, "points-boards-phone")
    assert not errors, errors


def test_a_volunteer_reads_their_statement(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    errors = watch(page)
    # 积分明细 in the points menu: /points/me/ leads to their own.
    log_in(page, live_server, scene["volunteer"], reverse("points-mine"),
           lands_on=reverse("points-statement", args=[scene["volunteer"].pk]))
    tiles = page.locator(".points-tiles li strong").all_inner_texts()
    balance = selectors.balance(scene["volunteer"])
    assert tiles[0] == str(balance) and tiles[2] == "2.0"  # balance; two points spent on soap
    assert page.locator(".entries-table tbody tr").count() == 5
    assert page.locator(f"a[href='{reverse('problem-detail', args=[scene['problem'].pk])}']").count() == 1
    assert page.locator(f"a[href='{reverse('activity-detail', args=[scene['waiting'].pk])}']").count() == 1  # pending
    assert page.locator("text=人工调整积分").count() == 0
    screenshot(page, "points-statement-desk")
    with page.expect_download() as download:
        page.click("text=下载明细（CSV）")
    assert download.value.suggested_filename.endswith(".csv")
    page.set_viewport_size(PHONE)
    page.reload()
    assert fits_the_screen(page)
    screenshot(page, "points-statement-phone")
    page.locator("#entries-title").scroll_into_view_if_needed()
    screenshot(page, "points-statement-entries-phone")

    # Their profile carries a points card leading back here.
    page.set_viewport_size(DESK)
    page.goto(live_server.url + reverse("person-history", args=[scene["volunteer"].pk]))
    card = page.locator(".points-card")
    assert card.locator(".stat-tiles strong").first.inner_text() == str(balance)
    assert card.locator(".points-card-entries tr").count() == 5
    card.scroll_into_view_if_needed()
    screenshot(page, "points-profile-card")
    card.locator("text=全部积分明细").click()
    page.wait_for_url(f"**{reverse('points-statement', args=[scene['volunteer'].pk])}")
    assert not errors, errors


def test_the_office_records_a_redemption_and_an_adjustment(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    errors = watch(page)
    volunteer = scene["volunteer"]
    log_in(page, live_server, scene["staff"], reverse("points-redeem"))
    page.fill("#id_q", "张志")
    page.click("button:has-text('查找')")
    page.click(".found-table a:has-text('选择')")
    page.wait_for_selector(".chosen-person")
    before = selectors.balance(volunteer)
    assert page.input_value("#id_place") == "黄龙镇便民服务中心"  # where this desk last recorded one
    page.select_option("#id_item", label="劳保手套 · 5 分 · 库存 12")
    page.fill("#id_quantity", "3")  # 15 points: more than the balance
    page.click("button:has-text('确认兑换')")
    assert "积分不足" in page.locator("section:has(#redeem-title) .form-error").inner_text()
    screenshot(page, "points-redeem-refused")
    page.fill("#id_quantity", "1")
    page.click("button:has-text('确认兑换')")
    page.wait_for_selector(".message-success")
    assert "已为张志愿兑换 劳保手套 × 1" in page.locator(".message-success").inner_text()
    assert selectors.balance(volunteer) == before - 5
    assert Redemption.objects.filter(person=volunteer).count() == 2
    screenshot(page, "points-redeem-desk")

    page.click(".chosen-person a:has-text('积分明细')")
    page.wait_for_selector("#adjust-title")
    page.fill("#id_amount", "abc")
    page.fill("#id_reason", "补录")
    page.click("button:has-text('确认调整')")
    assert "调整积分应为数字" in page.locator(".adjust-card .form-error").inner_text()
    page.fill("#id_amount", "2.5")
    page.fill("#id_reason", "补录 11 月河道保洁签到")
    page.click("button:has-text('确认调整')")
    page.wait_for_selector(".message-success")
    assert selectors.balance(volunteer) == before - 5 + Decimal("2.5")
    assert "人工调整：补录 11 月河道保洁签到" in page.locator(".entries-table tbody tr").first.inner_text()
    screenshot(page, "points-statement-staff")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("points-redeem") + f"?person={volunteer.pk}")
    assert fits_the_screen(page)
    screenshot(page, "points-redeem-phone")
    assert not errors, errors
