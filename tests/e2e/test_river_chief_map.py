"""A river chief opens the map: coloured reaches with a legend, the list of unpatrolled stretches,
and a click on one zooms the map to it. In real Chromium, basemap tiles refused."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from people.models import ChiefAssignment
from reports.filters import ReportFilters
from reports.selectors.coverage import reach_freshness
from tests.support.factories import make_person
from tests.support.walks import walk_along
from waterways.models import Waterway

from .test_activity_pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _patrol(person, code, *, start_m, length_m, days_ago):
    """A patrol walked `days_ago` days before now, along `length_m` of the waterway."""
    started = timezone.now() - timedelta(days=days_ago)
    fixes = walk_along(code, start_m=start_m, length_m=length_m, start_ms=int(started.timestamp() * 1000))
    ended = started + timedelta(seconds=(len(fixes) + 1) * 8)
    client = APIClient()
    client.force_authenticate(person.user)
    body = {
        "client_uuid": str(uuid.uuid4()), "kind": "patrol", "points": fixes,
        "started_at": timezone.localtime(started).isoformat(), "ended_at": timezone.localtime(ended).isoformat(),
    }
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()


def recent_period():
    """The last 100 days, whatever today is: the patrols of chief_with_patrols fall in it even on
    2 January, when "this year so far" (the map's default) would hold none of them."""
    today = timezone.localdate()
    return f"?start={(today - timedelta(days=100)).isoformat()}&end={today.isoformat()}"


@pytest.fixture
def chief_with_patrols(district_data):
    """The village chief of 狮子沟 (ZW-G07) and 斤坪沟 (ZW-G01): 狮子沟 patrolled in the middle a
    few days ago, so its start and end are gaps; 斤坪沟 patrolled two months ago."""
    chief = make_person(name="黄河长", role="chief", level="village")
    for code in ("ZW-G07", "ZW-G01"):
        ChiefAssignment.objects.create(person=chief, waterway=Waterway.objects.get(code=code), level="village",
                                       since=date(2024, 1, 1))
    gully = Waterway.objects.get(code="ZW-G07")
    _patrol(chief, "ZW-G07", start_m=gully.length_m * 0.3, length_m=gully.length_m * 0.3, days_ago=3)
    _patrol(chief, "ZW-G01", start_m=0, length_m=800, days_ago=60)
    return chief


def test_a_chief_sees_the_legend_and_the_gaps_and_a_click_zooms_to_one(page_factory, live_server, chief_with_patrols,
                                                                        screenshot):
    page = page_factory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, chief_with_patrols, start=reverse("river-chief-map"))
    page.wait_for_selector("#rc-map[data-ready='true']")

    # Their own waterways first: the waterway filter starts on "mine".
    assert page.locator("#rc-waterway").input_value() == "mine"
    # The legend names the day classes; the reaches are drawn in them.
    legend = page.locator(".rc-legend")
    for label in ("7 天内", "8–30 天", "31–90 天", "90 天以上", "从未巡查"):
        assert label in legend.inner_text()
    assert page.locator("path.rc-fresh-0-7").count() >= 1  # 狮子沟's middle, 3 days ago
    assert page.locator("path.rc-fresh-31-90").count() >= 1  # 斤坪沟's first 800 m, 60 days ago

    # The gap list: longest first, each with its waterway and length.
    items = page.locator(".rc-gap-list button.rc-gap")
    assert items.count() >= 3
    lengths = [float(text.split()[0]) for text in items.locator(".rc-gap-length").all_inner_texts()]
    assert lengths == sorted(lengths, reverse=True)
    names = set(items.locator(".rc-gap-name").all_inner_texts())
    own = set(Waterway.objects.filter(code__in=["ZW-G07", "ZW-G01"]).values_list("name", flat=True))
    assert names <= own and "狮子沟" in names
    assert page.locator("#rc-coverage-pct").inner_text().endswith("%")
    screenshot(page, "river-chief-map")

    # Clicking a gap zooms the map to it and highlights it.
    before = int(page.locator("#rc-map").get_attribute("data-zoom") or page.evaluate("window.riverChiefMap.map.getZoom()"))
    gap_index = len(lengths) - 1  # the shortest: the map must zoom in to frame it
    items.nth(gap_index).click()
    page.wait_for_function(f"() => Number(document.getElementById('rc-map').dataset.zoom) > {before}")
    assert page.locator("path.rc-gap-highlight").count() == 1
    assert "active" in items.nth(gap_index).get_attribute("class")
    inside = page.evaluate("""() => {
        const map = window.riverChiefMap.map;
        const highlight = document.querySelector('path.rc-gap-highlight').getBoundingClientRect();
        const box = document.getElementById('rc-map').getBoundingClientRect();
        return highlight.left >= box.left && highlight.right <= box.right && highlight.top >= box.top && highlight.bottom <= box.bottom;
    }""")
    assert inside, "the clicked stretch lies within the map after the zoom"
    screenshot(page, "river-chief-map-gap-zoomed")
    assert errors == []


def test_hotspots_draw_when_their_layer_is_switched_on(page_factory, live_server, chief_with_patrols, screenshot):
    page = page_factory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, chief_with_patrols, start=reverse("river-chief-map") + "?measure=activities&method=network")
    page.wait_for_selector("#rc-map[data-ready='true']")
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("热点（Gi*，显著性检验）").check()
    page.wait_for_selector("#rc-map[data-hotspot-units]")
    assert int(page.locator("#rc-map").get_attribute("data-hotspot-units")) > 10
    assert "FDR" in page.locator("#rc-hotspot-summary").inner_text()
    assert "热点（99% 置信）" in page.locator(".rc-legend").inner_text()
    screenshot(page, "river-chief-map-hotspots")
    assert errors == []


def test_volunteers_are_not_shown_the_map(page_factory, live_server, district_data):
    volunteer = make_person(name="志愿者小王")
    page = page_factory()
    log_in(page, live_server, volunteer)
    assert page.locator("a", has_text="河长地图").count() == 0
    response = page.goto(live_server.url + reverse("river-chief-map"))
    assert response.status == 403


# The first answer of each heavy layer arrives 4 s late, as on a weak signal.
SLOW_FIRST_ANSWERS = """
(() => {
  const realFetch = window.fetch.bind(window);
  const seen = {};
  window.fetch = async (url, options) => {
    const path = String(url).split('?')[0];
    seen[path] = (seen[path] || 0) + 1;
    if (seen[path] === 1 && /api\\/(map\\/activities|map\\/tracks|coverage\\/reaches|coverage\\/gaps)\\//.test(path)) {
      await new Promise((resolve) => setTimeout(resolve, 4000));
    }
    return realFetch(url, options);
  };
})();
"""


def test_a_late_answer_never_draws_over_a_newer_filter(page_factory, live_server, chief_with_patrols):
    page = page_factory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, chief_with_patrols, start=reverse("activity-list"))
    page.add_init_script(SLOW_FIRST_ANSWERS)
    page.goto(live_server.url + reverse("river-chief-map"))
    page.wait_for_timeout(1000)  # the first answers are still on their way
    page.select_option("#rc-kind", "cleanup")  # there are no cleanups: nothing must be drawn
    page.wait_for_selector("#rc-map[data-ready='true']")
    page.wait_for_timeout(4500)  # until the late answers have come and gone
    drawn = page.evaluate("""() => {
        const overlays = window.riverChiefMap.overlays;
        const count = (name) => {
            let n = 0;
            overlays[name].eachLayer((group) => { n += group.getLayers ? group.getLayers().length : 1; });
            return n;
        };
        return { activities: count('活动（按类型聚合）'), tracks: count('巡河轨迹') };
    }""")
    assert drawn == {"activities": 0, "tracks": 0}
    assert "kind=cleanup" in page.url
    assert errors == []


def test_many_records_come_as_vector_tiles(page_factory, live_server, chief_with_patrols, settings, screenshot):
    settings.MAP_VECTOR_TILE_THRESHOLD = 0  # every layer counts as large
    page = page_factory()
    errors = []
    tiles = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: tiles.append((response.url, response.status, response.headers.get("content-type")))
            if "/api/tiles/" in response.url else None)
    log_in(page, live_server, chief_with_patrols, start=reverse("river-chief-map") + recent_period())
    page.wait_for_selector("#rc-map[data-ready='true']")
    assert "矢量瓦片" in page.locator("#map-status").inner_text()
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("巡河轨迹").check()
    page.wait_for_function("() => document.querySelectorAll('#rc-map .leaflet-activityTiles-pane canvas').length > 0 && document.querySelectorAll('#rc-map .leaflet-trackTiles-pane canvas').length > 0")
    page.wait_for_timeout(500)
    assert any("/api/tiles/activities/" in url for url, _status, _type in tiles)
    assert any("/api/tiles/tracks/" in url for url, _status, _type in tiles)
    assert all(status == 200 and kind == "application/vnd.mapbox-vector-tile" for _url, status, kind in tiles)
    # The tiles carry the page's filters.
    assert all("start=" in url and "waterway=mine" in url for url, _status, _type in tiles)
    screenshot(page, "river-chief-map-vector-tiles")
    assert errors == []


# Counts the pixels of each colour (within a few units, at least that opaque) on the canvases of a tile pane.
PANE_COLOURS = """([pane, colours, opaque]) => {
    const counts = Object.fromEntries(Object.keys(colours).map((name) => [name, 0]));
    for (const canvas of document.querySelectorAll(`#rc-map .leaflet-${pane}-pane canvas`)) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] < opaque) continue;
            for (const [name, [r, g, b]] of Object.entries(colours)) {
                if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 24) counts[name] += 1;
            }
        }
    }
    return counts;
}"""


def test_many_reaches_come_as_vector_tiles_in_the_same_colours_and_words(page_factory, live_server,
                                                                        chief_with_patrols, settings, screenshot):
    settings.MAP_VECTOR_TILE_THRESHOLD = 0  # every layer counts as large, the reaches too
    page = page_factory()
    errors, answers = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: answers.append((response.url, response.status)) if "/api/" in response.url else None)
    log_in(page, live_server, chief_with_patrols, start=reverse("river-chief-map") + recent_period())
    page.wait_for_selector("#rc-map[data-ready='true']")
    colours = ["freshnessTiles", {"0-7": [26, 150, 65], "31-90": [253, 174, 97], "never": [107, 114, 128],
                                  "8-30": [166, 217, 106]}, 200]
    yellow = ["gapTiles", {"yellow": [250, 204, 21]}, 120]  # the glow is drawn at 0.6 opacity
    # Until both layers' tiles have come and been drawn.
    page.wait_for_function(f"([a, b]) => Object.values(({PANE_COLOURS})(a)).some((n) => n > 0)"
                           f" && ({PANE_COLOURS})(b).yellow > 0", arg=[colours, yellow])
    page.wait_for_timeout(300)
    status = page.locator("#map-status").inner_text()
    assert "河段颜色和未巡河段以矢量瓦片显示" in status
    # Neither GeoJSON layer was asked for; both came as tiles, with the page's filters and the gap days.
    assert not any("/api/coverage/reaches/" in url or "/api/coverage/gaps/" in url for url, _status in answers)
    freshness = [url for url, status in answers if "/api/tiles/freshness/" in url and status == 200]
    gaps = [url for url, status in answers if "/api/tiles/gaps/" in url and status == 200]
    assert freshness and gaps and all("waterway=mine" in url for url in freshness + gaps)
    assert all("days=30" in url for url in gaps)
    assert page.locator("path.rc-fresh").count() == 0

    # The GeoJSON version's colours: 狮子沟's middle walked 3 days ago (0–7), 斤坪沟's start 60 days ago
    # (31–90), the rest never (grey); the gaps' yellow glow under them.
    drawn = page.evaluate(PANE_COLOURS, colours)
    assert drawn["0-7"] > 50 and drawn["31-90"] > 50 and drawn["never"] > 50 and drawn["8-30"] == 0, drawn
    glow = page.evaluate(PANE_COLOURS, yellow)
    assert glow["yellow"] > 50, glow
    # The legend names the classes (no lengths: no tile knows them all) and the glow.
    legend = page.locator(".rc-legend").inner_text()
    assert all(label in legend for label in ("7 天内", "8–30 天", "31–90 天", "90 天以上", "从未巡查"))
    assert "未巡河段（超过 30 天）" in legend
    # No list of stretches: the panel says where they are instead.
    assert page.locator(".rc-gap-list button.rc-gap").count() == 0
    assert "未巡河段不逐段列出" in page.locator("#rc-gaps-summary").inner_text()

    # A click on 狮子沟's walked middle opens the popup the GeoJSON line has, in the same words.
    gully = Waterway.objects.get(code="ZW-G07")
    spot = gully.geom.interpolate(gully.length_m * 0.45)
    spot.transform(4326)
    run = next(feature["properties"] for feature in reach_freshness(ReportFilters(
        start=timezone.localdate(), end=timezone.localdate(), waterway_ids=(gully.pk,)))["features"]
        if feature["properties"]["start_m"] <= gully.length_m * 0.45 <= feature["properties"]["end_m"])
    assert run["class"] == "0-7"
    x, y = page.evaluate("([lat, lon]) => { const p = window.riverChiefMap.map.latLngToContainerPoint([lat, lon]);"
                         " const box = document.getElementById('rc-map').getBoundingClientRect();"
                         " return [box.left + p.x, box.top + p.y]; }", [spot.y, spot.x])
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    words = popup.inner_text()
    assert "狮子沟" in words
    assert f"{run['start_m'] / 1000:.2f}–{run['end_m'] / 1000:.2f} 公里" in words
    assert f"最近巡查：{run['days_since_visit']} 天前" in words
    # Out from under the layer control, for the screenshot.
    page.evaluate("window.riverChiefMap.map.panBy([250, -100], { animate: false })")
    page.wait_for_timeout(600)  # the popup's fade, the tiles of the new view
    screenshot(page, "river-chief-map-reach-tiles")

    # Another gap window: new gap tiles, still no GeoJSON.
    page.select_option("#rc-days", "7")
    page.wait_for_function("() => document.querySelector('.rc-legend').innerText.includes('超过 7 天')")
    page.wait_for_timeout(500)
    assert any("/api/tiles/gaps/" in url and "days=7" in url for url, _status in answers)
    assert not any("/api/coverage/gaps/" in url for url, _status in answers)
    assert errors == []


PATROL_ORANGE = "#d9480f"  # orange, not blue: patrol tracks are drawn over blue rivers


def kind_colour(page, kind):
    """The colour kinds.css gives a kind, as the page sees it."""
    return page.evaluate(f"getComputedStyle(document.documentElement).getPropertyValue('--kind-{kind}').trim()")


def as_rgb(page, colour):
    """A CSS colour as the browser computes it (rgb(…)), to compare with computed styles."""
    return page.evaluate("""(colour) => {
        const probe = document.createElement('span');
        probe.style.color = colour;
        document.body.append(probe);
        const rgb = getComputedStyle(probe).color;
        probe.remove();
        return rgb;
    }""", colour)


def test_a_patrol_has_the_same_colour_on_the_activity_pages_and_the_map(page_factory, live_server, chief_with_patrols):
    page = page_factory()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, chief_with_patrols, start=reverse("activity-list"))
    page.wait_for_selector("#activity-map[data-ready]")
    patrol = kind_colour(page, "patrol")
    assert patrol == PATROL_ORANGE
    # The list: the patrols' tracks and their badge dots.
    strokes = page.locator("path.rw-track.rw-kind-patrol").evaluate_all("(paths) => paths.map((p) => p.getAttribute('stroke'))")
    assert strokes and set(strokes) == {patrol}
    dots = page.locator(".kind-dot.kind-patrol").evaluate_all("(dots) => dots.map((d) => getComputedStyle(d).backgroundColor)")
    assert dots and set(dots) == {as_rgb(page, patrol)}

    page.goto(live_server.url + reverse("river-chief-map") + recent_period())
    page.wait_for_selector("#rc-map[data-ready='true']")
    assert kind_colour(page, "patrol") == patrol
    # Activities are single dots or, close together, a cluster: either way in the patrol colour.
    fills = page.locator("path.rc-activity.rc-kind-patrol").evaluate_all("(paths) => paths.map((p) => p.getAttribute('fill'))")
    clusters = page.locator(".rc-cluster.rc-kind-patrol span").evaluate_all(
        "(spans) => spans.map((s) => getComputedStyle(s).backgroundColor)")
    assert fills or clusters
    assert set(fills) <= {patrol} and set(clusters) <= {as_rgb(page, patrol)}
    # The legend's patrol dot, and the tracks once their layer is on.
    legend_dot = page.locator(".rc-legend .rc-kind .dot").first.evaluate("(d) => getComputedStyle(d).backgroundColor")
    assert legend_dot == as_rgb(page, patrol)
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("巡河轨迹").check()
    page.wait_for_selector("path.rc-track")
    strokes = page.locator("path.rc-track.rc-kind-patrol").evaluate_all("(paths) => paths.map((p) => p.getAttribute('stroke'))")
    assert strokes and set(strokes) == {patrol}
    assert errors == []
