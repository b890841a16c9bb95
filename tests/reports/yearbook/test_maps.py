"""reports/yearbook/maps.py against the district's real layers (PostGIS): the coverage map colours each
reach by the age of its last visit at the period's end, the hotspot map draws the block's own cells in
the block's colours, both with the outline, the network, a scale bar and a north arrow, and a report on
one waterway is zoomed to it."""

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from reports.filters import ReportFilters
from reports.yearbook import maps
from reports.yearbook import snapshot as s
from tests.support.clock import beijing
from tests.support.yearbook import sample_snapshot
from waterways.models import District, Waterway

SVG = "{http://www.w3.org/2000/svg}"
YEAR = ReportFilters(date(2026, 1, 1), date(2026, 12, 31))


def groups(svg):
    """{id: {style property: the values its shapes have}} of the SVG's groups with an id that draw shapes."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        shapes = [element for element in group.iter() if element.tag in (f"{SVG}path", f"{SVG}use")]
        if not group.get("id") or not shapes:
            continue
        styles = found.setdefault(group.get("id"), {})
        for shape in shapes:
            for part in (shape.get("style") or "").split(";"):
                if ": " in part:
                    name, value = part.strip().split(": ", 1)
                    styles.setdefault(name, set()).add(value)
    return found


def coverage_block():
    return s.map_block("coverage_map", "河道巡查覆盖图", "coverage", maps.coverage_legend())


@pytest.mark.parametrize(("visited", "freshness", "colour"), [
    ("2026-12-28 09:00", "freshness-0-7", "#1a9641"),  # three days before the year's end
    ("2026-11-10 09:00", "freshness-31-90", "#fdae61"),  # 51 days
])
def test_the_coverage_map_colours_the_walked_reach_by_its_age_and_the_rest_as_never(
        plant_visits, visited, freshness, colour):
    plant_visits("ZW-G07", [1], beijing(visited))
    svg = maps.render(coverage_block(), YEAR)
    drawn = groups(svg)
    classes = {name for name in drawn if name.startswith("freshness-")}
    assert classes == {freshness, "freshness-never"}
    assert drawn[freshness]["stroke"] == {colour}
    assert drawn["freshness-never"]["stroke"] == {maps.FRESHNESS_COLOURS["never"]} == {"#6b7280"}
    # The one 100 m reach, in the legend with its length; outline, network, scale bar and north arrow drawn.
    label = dict(maps.FRESHNESS_CLASSES)[freshness.removeprefix("freshness-")]
    assert f"{label} · 0.1 公里" in svg
    assert {"district-outline", "network", "scale-bar-0", "scale-bar-1", "north-arrow"} <= set(drawn)


def test_nothing_walked_is_all_never(district_data):
    drawn = groups(maps.render(coverage_block(), YEAR))
    assert {name for name in drawn if name.startswith("freshness-")} == {"freshness-never"}


def test_the_hotspot_map_draws_the_blocks_cells_in_the_blocks_colours(district_data):
    block = next(block for _section, block in s.blocks_of(sample_snapshot(), "map") if block["map"] == "hotspots")
    svg = maps.render(block, YEAR)
    drawn = groups(svg)
    assert drawn["hotspot-hot_95"]["fill"] == {"#d7301f"}  # the snapshot's legend, not the default
    assert not [name for name in drawn if name.startswith("freshness-")]
    assert "热点（95% 置信）" in svg and {"district-outline", "network"} <= set(drawn)


def extent(queryset):
    lons, lats = [], []
    for row in queryset:
        geometry = row.geom.transform(4326, clone=True)
        lons += [geometry.extent[0], geometry.extent[2]]
        lats += [geometry.extent[1], geometry.extent[3]]
    return min(lons), min(lats), max(lons), max(lats)


def area(axes):
    return (axes.get_xlim()[1] - axes.get_xlim()[0]) * (axes.get_ylim()[1] - axes.get_ylim()[0])


def test_a_report_on_one_waterway_is_zoomed_to_it(district_data):
    gully = Waterway.objects.get(code="ZW-G07")
    whole = maps.draw(coverage_block(), YEAR).axes[0]
    zoomed = maps.draw(coverage_block(), ReportFilters(YEAR.start, YEAR.end, waterway_ids=(gully.pk,))).axes[0]
    west, south, east, north = extent(District.objects.all())
    assert whole.get_xlim()[0] <= west and whole.get_xlim()[1] >= east
    assert whole.get_ylim()[0] <= south and whole.get_ylim()[1] >= north
    west, south, east, north = extent([gully])
    assert zoomed.get_xlim()[0] <= west and zoomed.get_xlim()[1] >= east
    assert zoomed.get_ylim()[0] <= south and zoomed.get_ylim()[1] >= north
    assert area(zoomed) < area(whole) / 10
