"""Activity pages in a real browser: the list's map, a track drawn segment by segment, review,
the header counter, and how it all looks on a desk screen and on a phone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols import services
from patrols.models import ReachVisit, ServiceCampaign
from tests.patrols.test_pages import HOSTILE, build_scene, jpeg

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"  # what tests.support.factories.make_person gives every login
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def scene(district_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Browser tests run on the real clock: a target campaign running whatever today is.
    today = timezone.localdate()
    ServiceCampaign.objects.all().delete()
    ServiceCampaign.objects.create(name="本期目标", target=3200, start=today - timedelta(days=400),
                                   end=today + timedelta(days=400))
    scene = build_scene()
    services.add_photo(activity=scene["patrol"], uploaded_by=scene["volunteer"].user, data=jpeg())
    services.add_photo(activity=scene["patrol"], uploaded_by=scene["volunteer"].user, data=jpeg(colour=(200, 120, 40)))
    return scene


def log_in(page, live_server, person, start=None):
    target = live_server.url + (start or reverse("activity-list"))
    page.goto(target)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(target)


def fits_the_screen(page):
    """Nothing sticks out sideways: the page never scrolls horizontally."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_open_the_list_click_an_activity_and_see_its_track(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, scene["volunteer"])

    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("#activity-map").bounding_box()["height"] >= 300  # a map, not a collapsed strip
    # The volunteer's two activities in the table; the outsider's cleanup nowhere.
    assert page.locator("tbody tr").count() == 2
    assert page.locator("text=赵路人").count() == 0
    assert page.locator("path.rw-track").count() == 2  # the patrol's two segments; the inspection has no place
    assert page.locator("path.rw-point").count() == 0
    assert page.locator("path.rw-network").count() == 42  # the district's network underneath
    assert "".join(page.locator(".target-counter").inner_text().split()).startswith("服务记录5/3200")
    screenshot(page, "activity-list")

    page.locator(f'tr[data-id="{scene["patrol"].pk}"] a.activity-link').click()
    page.wait_for_url(live_server.url + reverse("activity-detail", args=[scene["patrol"].pk]))
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("path.rw-track").count() == 2  # the gap is not bridged: two separate lines
    visited = ReachVisit.objects.filter(activity=scene["patrol"]).count()
    assert visited >= 6
    assert page.locator("path.rw-visited-reach").count() == visited
    # The map is zoomed onto the track, not left at the district view.
    assert page.evaluate("window.riverwatchActivityMap.map.getZoom()") >= 14
    thumbs = page.locator("img.photo-thumb")
    assert thumbs.count() == 2
    thumbs.first.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('img.photo-thumb')].every((img) => img.complete && img.naturalWidth > 0)")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "activity-detail")
    page.locator(".quality").scroll_into_view_if_needed()
    screenshot(page, "activity-detail-quality")
    page.evaluate("window.scrollTo(0, 0)")

    page.locator(".participants a", has_text="李同伴").click()
    page.wait_for_url(live_server.url + reverse("person-history", args=[scene["teammate"].pk]))
    assert page.locator(".history-table tbody tr").count() == 1
    assert "13900000102" not in page.content()  # another person's phone stays hidden
    screenshot(page, "person-history")
    assert errors == []


def test_a_phone_shows_list_detail_and_person_pages_without_sideways_scrolling(page_factory, live_server, scene, screenshot,
                                                                             settings):
    ServiceCampaign.objects.update(target=100_000)  # a counter as wide as the district's real "4347 / 3200"
    page = page_factory(viewport=PHONE)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, scene["volunteer"])
    page.wait_for_selector("#activity-map[data-ready]")
    map_box = page.locator("#activity-map").bounding_box()
    assert map_box["width"] > 300 and map_box["height"] >= 200
    # Header: the pages and the counter are on screen, the counter readable.
    counter = page.locator(".target-counter").bounding_box()
    assert counter["x"] + counter["width"] <= PHONE["width"]
    nav = page.locator(".site-nav").bounding_box()
    for link in ("活动记录", "我的记录"):
        box = page.locator(".site-nav a", has_text=link).bounding_box()
        # Whole, inside its row and clear of the counter beside it: not cut off or covered.
        assert box["x"] >= 0 and box["x"] + box["width"] <= min(nav["x"] + nav["width"], counter["x"]) + 0.5
    assert fits_the_screen(page)
    screenshot(page, "activity-list-phone")

    page.locator(f'tr[data-id="{scene["patrol"].pk}"] a.activity-link').click()
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("path.rw-track").count() == 2
    assert fits_the_screen(page)
    screenshot(page, "activity-detail-phone")
    page.locator(".photos").scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('img.photo-thumb')].every((img) => img.complete && img.naturalWidth > 0)")
    screenshot(page, "activity-detail-phone-photos")
    page.locator(".quality").scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scrolled page paint
    screenshot(page, "activity-detail-phone-quality")

    page.goto(live_server.url + reverse("my-history"))
    page.wait_for_url(live_server.url + reverse("person-history", args=[scene["volunteer"].pk]))
    assert "13900000101" in page.content()  # your own phone number, shown to you
    assert fits_the_screen(page)
    screenshot(page, "person-history-phone")
    assert errors == []


def test_counter_help_explains_what_a_service_record_is(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=PHONE)
    log_in(page, live_server, scene["volunteer"])
    popover = page.locator(".target-popover")
    assert popover.is_hidden()
    page.locator(".target-help summary").click()
    assert popover.is_visible()
    assert "一人参加一次" in popover.inner_text() and "5" in popover.inner_text()
    box = popover.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # on screen, not cut off
    screenshot(page, "target-help-phone")


def test_leader_rejects_only_with_a_reason(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    detail = reverse("activity-detail", args=[scene["patrol"].pk])
    log_in(page, live_server, scene["leader"], start=detail)
    page.wait_for_selector("#activity-map[data-ready]")
    screenshot(page, "activity-detail-review")
    page.click("button[value=reject]")
    page.wait_for_selector(".message-error")
    assert "驳回时请写明原因" in page.locator(".messages").inner_text()
    assert page.locator(".review .status-badge").inner_text() == "待审核"

    page.fill("#review-note", "照片看不出清理前后")
    page.click("button[value=reject]")
    page.wait_for_selector(".message-success")
    assert page.locator(".review .status-badge").inner_text() == "已驳回"
    assert "照片看不出清理前后" in page.locator(".review-note").inner_text()
    assert page.locator(".review-form").count() == 0
    page.wait_for_selector("#activity-map[data-ready]")
    screenshot(page, "activity-detail-rejected")


def test_names_in_map_popups_stay_text(page_factory, live_server, scene):
    scene["teammate"].name = HOSTILE
    scene["teammate"].save()
    page = page_factory(viewport=DESK)
    log_in(page, live_server, scene["volunteer"])
    page.wait_for_selector("#activity-map[data-ready]")
    page.evaluate(f"window.riverwatchActivityMap.layersById.get('{scene['patrol'].pk}').openPopup()")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert HOSTILE in popup.inner_text()
    assert page.evaluate("window.hacked") is None


def test_staff_filter_the_list_by_kind_in_the_form(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    log_in(page, live_server, scene["staff"])
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("tbody tr").count() == 3
    assert page.locator("path.rw-track").count() == 2 and page.locator("path.rw-point").count() == 1
    page.locator(".filters summary").click()
    page.select_option("select[name=kind]", "cleanup")
    screenshot(page, "activity-list-staff-filters")
    page.locator(".filter-form button[type=submit]").click()
    page.wait_for_url("**/activities/?kind=cleanup*")
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("tbody tr").count() == 1
    assert "清漂保洁" in page.locator("tbody tr").inner_text()
    assert page.locator("path.rw-track").count() == 0 and page.locator("path.rw-point").count() == 1
    assert page.locator(".filters").get_attribute("open") is not None  # the chosen filters stay in view
