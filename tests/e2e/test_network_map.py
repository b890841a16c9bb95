"""Log in and see the water network on the map, in a real browser."""

import pytest
from django.urls import reverse

from waterways.models import Waterway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member(django_user_model, district_data):
    return django_user_model.objects.create_user(username="chief", password="patrol-2026")


def log_in(page, live_server, username="chief", password="patrol-2026"):
    page.goto(live_server.url + reverse("home"))
    assert "/accounts/login/" in page.url  # anonymous users see only the login page
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("home"))


def test_map_shows_all_42_waterways_and_the_outline(page_factory, live_server, member, screenshot):
    page = page_factory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)

    page.wait_for_selector("#network-map[data-waterway-count]")
    assert page.locator("#network-map").get_attribute("data-waterway-count") == "42"
    assert page.locator("path.rw-waterway").count() == 42
    assert page.locator("path.rw-river").count() == 3
    assert page.locator("path.rw-outline").count() >= 1
    assert page.locator("path.rw-station").count() == 35
    # Rivers are drawn bolder than gullies.
    river_width = float(page.locator("path.rw-river").first.get_attribute("stroke-width"))
    gully_width = float(page.locator("path.rw-gully").first.get_attribute("stroke-width"))
    assert river_width > gully_width
    assert page.locator(".map-legend").is_visible()
    assert page.locator(".waterway-list tbody tr").count() == 42
    screenshot(page, "network-map")
    assert errors == []


def test_list_click_zooms_to_the_waterway_and_shows_its_popup_and_reaches(page_factory, live_server, member, screenshot):
    page = page_factory()
    log_in(page, live_server)
    page.wait_for_selector("#network-map[data-waterway-count]")
    zoom_before = page.evaluate("window.riverwatchMap.map.getZoom()")

    page.locator(".zoom-to", has_text="狮子沟").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    gully = Waterway.objects.get(name="狮子沟")
    assert "狮子沟" in popup.inner_text() and "堵河" in popup.inner_text()
    assert f"{gully.length_m / 1000:.2f}" in popup.inner_text()
    assert page.evaluate("window.riverwatchMap.map.getZoom()") > zoom_before
    page.wait_for_selector("#network-map[data-reach-count]")
    assert page.locator("path.rw-reach").count() == gully.reaches.count()
    page.wait_for_timeout(600)  # let the zoom animation settle for the picture
    screenshot(page, "network-map-reaches")

    page.locator(".leaflet-popup-close-button").click()
    assert page.locator("path.rw-reach").count() == 0


def test_filter_narrows_the_list(page_factory, live_server, member):
    page = page_factory()
    log_in(page, live_server)
    page.fill("#waterway-filter", "shizi")
    assert page.locator(".waterway-list tbody tr:visible").count() == 1
    assert page.locator(".waterway-list tbody tr:visible").inner_text().startswith("狮子沟")
    page.fill("#waterway-filter", "不存在的河")
    assert page.locator(".waterway-list tbody tr:visible").count() == 0
    assert page.locator(".filter-empty").is_visible()


def test_phone_sized_screen_shows_map_and_list(page_factory, live_server, member, screenshot):
    page = page_factory(viewport={"width": 360, "height": 640})
    log_in(page, live_server)
    page.wait_for_selector("#network-map[data-waterway-count]")
    map_box = page.locator("#network-map").bounding_box()
    assert map_box["width"] == 360 and map_box["height"] > 250
    # The legend starts folded on a phone so it does not hide the map, and opens on a tap.
    assert page.locator(".map-legend .swatch.river").is_hidden()
    page.locator(".map-legend summary").click()
    assert page.locator(".map-legend .swatch.river").is_visible()
    page.locator(".map-legend summary").click()
    screenshot(page, "network-map-phone")


def test_login_page(page_factory, live_server, screenshot, db):
    page = page_factory(viewport={"width": 360, "height": 640})
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".form-error").is_visible()
    screenshot(page, "login-error")


def test_tianditu_basemap_when_a_key_is_set_and_network_draws_without_tiles(
    page_factory, live_server, member, settings
):
    settings.TIANDITU_KEY = "test-key"
    page = page_factory()
    tile_requests = []
    page.on("request", lambda request: tile_requests.append(request.url) if "tianditu" in request.url else None)
    log_in(page, live_server)
    page.wait_for_selector("#network-map[data-waterway-count]")

    assert page.locator("path.rw-waterway").count() == 42  # every tile was refused, the network still draws
    base_layers = page.locator(".leaflet-control-layers-base").inner_text()
    assert "天地图 矢量" in base_layers and "天地图 影像" in base_layers and "OpenStreetMap" in base_layers
    assert tile_requests and all("tk=test-key" in url for url in tile_requests)
    assert any("T=vec_w" in url for url in tile_requests) and any("T=cva_w" in url for url in tile_requests)


def test_names_are_shown_as_text_never_run_as_html(page_factory, live_server, member):
    hostile = '<img src=x onerror="window.hacked=1">'
    Waterway.objects.filter(name="狮子沟").update(name=hostile)
    page = page_factory()
    log_in(page, live_server)
    page.wait_for_selector("#network-map[data-waterway-count]")
    page.evaluate("window.riverwatchMap.layersByCode.get('ZW-G07').openTooltip()")
    page.locator(".zoom-to", has_text="<img").click()
    page.locator(".leaflet-popup-content").wait_for()

    assert hostile in page.locator(".rw-tooltip").inner_text()
    assert hostile in page.locator(".leaflet-popup-content").inner_text()
    assert page.evaluate("window.hacked") is None
