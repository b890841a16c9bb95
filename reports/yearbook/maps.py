"""A map block of the snapshot drawn offline from the district's own layers (no basemap): the outline,
the network (rivers thicker than gullies), and on top, by the block's kind —

- "coverage": every reach by the age of its last visit at the period's end
  (reports.selectors.coverage.reach_freshness, green to red, grey and dashed for never walked);
- "hotspots": the block's own features (the significant cells, lon/lat) by their class.

Drawn in lon/lat with the y axis stretched by 1/cos(latitude) (metres per degree either way), so
shapes and the scale bar are true at the district's size; a north arrow and a legend. A report whose
filter names waterways (一河一档: one) is zoomed to them. SVG for the page and the HTML file, PNG for the PDF."""

from __future__ import annotations

import math

import shapely
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.patheffects import withStroke

from reports.filters import ReportFilters
from reports.selectors.coverage import FRESHNESS_CLASSES, reach_freshness
from waterways.models import Waterway

from . import plotting

# The river-chief map's colours (static/js/river-chief-map.js), so the printed map reads like the site's.
FRESHNESS_COLOURS = {"0-7": "#1a9641", "8-30": "#a6d96a", "31-90": "#fdae61", "90+": "#d7191c", "never": "#6b7280"}
HOTSPOT_COLOURS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7",
                   "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac"}
LAND, OUTLINE, WATER, WATER_FAINT = "#f6f4ee", "#8a8f98", "#3a7cc4", "#b9cde3"
UNKNOWN_CLASS = "#9e9e9e"
RIVER = Waterway.Kind.RIVER.value

TITLE_IN, SIDE_IN, LEGEND_ROW_IN, LEGEND_PT = 0.55, 0.12, 0.19, 8
# Tall enough for the district at the page's width, short enough to share a page with its section's figures.
MIN_MAP_IN, MAX_MAP_IN = 3.2, 5.8
# Shapes are simplified to about a third of a printed point: invisible, and a small file.
SIMPLIFY_PER_WIDTH = 1 / 2500
SCALE_STEPS_KM = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100)

# The part of the district the map shows, in both SRIDs (metres for the simplification, lon/lat to draw).
_EXTENT_SQL = """
SELECT ST_XMin(e.m) AS xmin, ST_XMax(e.m) AS xmax, ST_YMin(e.m) AS ymin, ST_YMax(e.m) AS ymax,
       ST_XMin(e.ll) AS lon_min, ST_XMax(e.ll) AS lon_max, ST_YMin(e.ll) AS lat_min, ST_YMax(e.ll) AS lat_max
  FROM (SELECT ST_Extent(geom) AS m, ST_Extent(ST_Transform(geom, %(srid)s)) AS ll FROM ({shapes}) s) e
"""
_FOCUS_SHAPES = "SELECT geom FROM waterways_waterway WHERE id = ANY(%(ids)s::bigint[])"
_DISTRICT_SHAPES = "SELECT geom FROM waterways_district"
_NETWORK_SHAPES = "SELECT geom FROM waterways_waterway"
EXTENT_SQL = {name: _EXTENT_SQL.replace("{shapes}", shapes) for name, shapes in
              (("focus", _FOCUS_SHAPES), ("district", _DISTRICT_SHAPES), ("network", _NETWORK_SHAPES))}

OUTLINE_SQL = """
SELECT ST_AsGeoJSON(ST_Transform(ST_ForcePolygonCCW(ST_SimplifyPreserveTopology(geom, %(tolerance)s)),
                                 %(srid)s), 6)::json AS geometry
  FROM waterways_district
"""
NETWORK_SQL = """
SELECT id, name, kind,
       ST_AsGeoJSON(ST_Transform(ST_Simplify(geom, %(tolerance)s), %(srid)s), 6)::json AS geometry
  FROM waterways_waterway
 ORDER BY kind = %(river)s, code
"""


def coverage_legend() -> list[dict]:
    """The legend a coverage map block carries: the freshness classes in order, with their colours."""
    return [{"key": key, "label": str(label), "colour": FRESHNESS_COLOURS[key]} for key, label in FRESHNESS_CLASSES]


def gid(layer: str, key: str) -> str:
    """The SVG id of a layer's class ("freshness-90plus"): what the page's tests and scripts can find."""
    return f"{layer}-{key.replace('+', 'plus')}"


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


class View:
    """The shown area in lon/lat, and metres per degree at its middle latitude."""

    def __init__(self, row: dict, *, focused: bool):
        width_m, height_m = row["xmax"] - row["xmin"], row["ymax"] - row["ymin"]
        # A margin around the shapes; a short gully still gets some of its valley around it.
        pad_m = max(0.05 * max(width_m, height_m), 400.0 if focused else 1.0)
        latitude = math.radians((row["lat_min"] + row["lat_max"]) / 2)
        # Lengths of a degree on the ellipsoid (metres) at this latitude.
        self.m_per_lat = 111132.954 - 559.822 * math.cos(2 * latitude) + 1.175 * math.cos(4 * latitude)
        self.m_per_lon = 111412.84 * math.cos(latitude) - 93.5 * math.cos(3 * latitude) + 0.118 * math.cos(5 * latitude)
        self.lon = (row["lon_min"] - pad_m / self.m_per_lon, row["lon_max"] + pad_m / self.m_per_lon)
        self.lat = (row["lat_min"] - pad_m / self.m_per_lat, row["lat_max"] + pad_m / self.m_per_lat)
        self.width_m = (self.lon[1] - self.lon[0]) * self.m_per_lon
        self.height_m = (self.lat[1] - self.lat[0]) * self.m_per_lat
        self.focused = focused

    def fit(self, box_ratio: float):
        """Widen the shorter side so the area fills a box of height/width box_ratio at equal metres."""
        if self.height_m / self.width_m < box_ratio:
            grow = (box_ratio * self.width_m - self.height_m) / 2 / self.m_per_lat
            self.lat = (self.lat[0] - grow, self.lat[1] + grow)
        else:
            grow = (self.height_m / box_ratio - self.width_m) / 2 / self.m_per_lon
            self.lon = (self.lon[0] - grow, self.lon[1] + grow)
        self.width_m = (self.lon[1] - self.lon[0]) * self.m_per_lon
        self.height_m = (self.lat[1] - self.lat[0]) * self.m_per_lat

    @property
    def tolerance_m(self) -> float:
        return self.width_m * SIMPLIFY_PER_WIDTH


def _view(filters: ReportFilters) -> View | None:
    params = {"srid": settings.API_SRID, "ids": list(filters.waterway_ids or [])}
    attempts = (("focus", True),) if filters.waterway_ids else ()
    for name, focused in attempts + (("district", False), ("network", False)):
        row = _rows(EXTENT_SQL[name], params)[0]
        if row["xmin"] is not None:
            return View(row, focused=focused)
    return None


def _line_parts(geometry: dict | None):
    """Coordinate lists of a (multi)line's parts."""
    if not geometry:
        return []
    if geometry["type"] == "LineString":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiLineString":
        return list(geometry["coordinates"])
    return []


def _polygons(geometry: dict | None):
    """Each polygon of a (multi)polygon as its list of rings."""
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _compound_path(polygons) -> Path:
    """One path of every ring (exteriors counter-clockwise, holes clockwise: the holes stay empty)."""
    vertices, codes = [], []
    for rings in polygons:
        for ring in rings:
            if len(ring) < 3:
                continue
            vertices.extend(ring)
            codes.extend([Path.MOVETO] + [Path.LINETO] * (len(ring) - 2) + [Path.CLOSEPOLY])
    return Path(vertices, codes) if vertices else Path([(0, 0)], [Path.MOVETO])


def _draw_base(axes, view: View, *, faint: bool) -> dict:
    """Outline and network; returns the waterways ({id: row with kind, name, lon/lat geometry}) for the layers
    drawn on top."""
    params = {"srid": settings.API_SRID, "tolerance": view.tolerance_m, "river": RIVER}
    polygons = [polygon for row in _rows(OUTLINE_SQL, params) for polygon in _polygons(row["geometry"])]
    if polygons:
        axes.add_patch(PathPatch(_compound_path(polygons), facecolor=LAND, edgecolor=OUTLINE, linewidth=0.9,
                                 zorder=1, gid="district-outline"))
    network = _rows(NETWORK_SQL, params)
    scale = 1.6 if view.focused else 1.0
    lines, widths = [], []
    for row in network:
        for part in _line_parts(row["geometry"]):
            lines.append(part)
            widths.append((1.5 if row["kind"] == RIVER else 0.6) * scale)
    axes.add_collection(LineCollection(lines, linewidths=widths, colors=WATER_FAINT if faint else WATER,
                                       capstyle="round", joinstyle="round", zorder=3, gid="network"))
    return {row["id"]: row for row in network}


def _label_waterways(axes, view: View, waterways, *, shown_ids=None):
    """Names of the rivers (zoomed in: of the waterways shown), white-haloed, halfway along each."""
    for waterway in waterways.values():
        if shown_ids is not None:
            if waterway["id"] not in shown_ids:
                continue
        elif waterway["kind"] != RIVER:
            continue
        parts = _line_parts(waterway["geometry"])
        if not parts:
            continue
        part = max(parts, key=len)
        lon, lat = part[len(part) * 2 // 5]
        if not (view.lon[0] < lon < view.lon[1] and view.lat[0] < lat < view.lat[1]):
            continue
        axes.text(lon, lat, waterway["name"], fontsize=8.5, color="#0b3d7a", ha="center", va="center", zorder=8,
                  path_effects=[withStroke(linewidth=2.5, foreground="white")])


def _draw_coverage(axes, view: View, block: dict, filters: ReportFilters, waterways: dict):
    freshness = reach_freshness(filters)
    colours = _legend_colours(block, FRESHNESS_COLOURS)
    scale = 1.6 if view.focused else 1.0
    by_class: dict[str, tuple[list, list]] = {}
    for feature in freshness["features"]:
        properties = feature["properties"]
        kind = waterways.get(properties["waterway"], {}).get("kind")
        lines, widths = by_class.setdefault(properties["class"], ([], []))
        for part in _line_parts(feature["geometry"]):
            lines.append(_simplified(part, view))
            widths.append((2.6 if kind == RIVER else 1.5) * scale)
    for order, (key, _label) in enumerate(FRESHNESS_CLASSES):
        if key not in by_class:
            continue
        lines, widths = by_class[key]
        axes.add_collection(LineCollection(
            lines, linewidths=widths, colors=colours.get(key, UNKNOWN_CLASS), capstyle="butt", joinstyle="round",
            linestyles=(0, (2.5, 1.5)) if key == "never" else "solid", zorder=4 + order * 0.01,
            gid=gid("freshness", key)))
    handles, labels = [], []
    for key, label in FRESHNESS_CLASSES:
        length_km = next((item["length_m"] for item in freshness["classes"] if item["class"] == key), 0) / 1000
        handles.append(Line2D([], [], color=colours.get(key, UNKNOWN_CLASS), linewidth=2.6,
                              linestyle=(0, (2.5, 1.5)) if key == "never" else "solid"))
        labels.append(_("%(label)s · %(km)s 公里") % {"label": label, "km": _km(length_km)})
    return handles, labels


def _simplified(coordinates, view: View):
    """A lon/lat line simplified as the database simplifies the network (the features come whole)."""
    if len(coordinates) <= 2:
        return coordinates
    scaled = shapely.LineString([(lon * view.m_per_lon, lat * view.m_per_lat) for lon, lat in coordinates])
    return [(x / view.m_per_lon, y / view.m_per_lat)
            for x, y in shapely.simplify(scaled, view.tolerance_m).coords]


def _coverage_labels() -> list[str]:
    """As long as the legend's labels will be (with a length in km), for laying the legend out."""
    return [_("%(label)s · %(km)s 公里") % {"label": label, "km": "000.0"} for _key, label in FRESHNESS_CLASSES]


def _legend_columns(labels, width_in: float) -> int:
    """As many entries a row as fit the figure's width (a CJK character is about 1 em, others about 0.6)."""
    if not labels:
        return 1
    em = LEGEND_PT / 72
    widest = max(sum(1.0 if ord(char) > 0x2e80 else 0.6 for char in str(label)) for label in labels)
    entry = (2.2 + 0.8 + 1.6 + widest) * em  # handle, its gap, the gap to the next column, the label
    return max(1, min(len(labels), int((width_in - 0.3) // entry)))


def _km(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _legend_colours(block: dict, defaults: dict) -> dict:
    """The block's legend colours by key, over the defaults (the snapshot's legend is what the text says)."""
    colours = dict(defaults)
    colours.update({item["key"]: item["colour"] for item in block.get("legend") or [] if item.get("colour")})
    return colours


def _draw_hotspots(axes, block: dict):
    colours = _legend_colours(block, HOTSPOT_COLOURS)
    shapes: dict[str, dict[str, list]] = {}
    for feature in block.get("features") or []:
        key = (feature.get("properties") or {}).get("class", "")
        parts = shapes.setdefault(key, {"cells": [], "lines": [], "points": []})
        geometry = feature.get("geometry")
        parts["cells"].extend(rings[0] for rings in _polygons(geometry) if rings)
        parts["lines"].extend(_line_parts(geometry))
        if geometry and geometry["type"] == "Point":
            parts["points"].append(geometry["coordinates"])
    for key, parts in sorted(shapes.items()):
        colour = colours.get(key, UNKNOWN_CLASS)
        if parts["cells"]:
            axes.add_collection(PolyCollection(parts["cells"], facecolors=colour, edgecolors=colour, linewidths=0.4,
                                               alpha=0.85, zorder=2, gid=gid("hotspot", key)))
        if parts["lines"]:
            axes.add_collection(LineCollection(parts["lines"], colors=colour, linewidths=5, alpha=0.85, zorder=2,
                                               capstyle="butt", gid=gid("hotspot-lines", key)))
        if parts["points"]:
            xs, ys = zip(*parts["points"])
            axes.scatter(xs, ys, s=18, color=colour, zorder=5, gid=gid("hotspot-points", key))
    legend = block.get("legend") or [
        {"key": key, "label": key, "colour": colours.get(key, UNKNOWN_CLASS)} for key in sorted(shapes)]
    handles = [Patch(facecolor=item.get("colour") or colours.get(item["key"], UNKNOWN_CLASS), edgecolor="none")
               for item in legend]
    return handles, [item["label"] for item in legend]


def _scale_bar(axes, view: View):
    """A two-part bar of a round length near a fifth of the map's width, bottom left."""
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    width_km = (x1 - x0) * view.m_per_lon / 1000
    length_km = max([step for step in SCALE_STEPS_KM if step <= width_km / 5] or [SCALE_STEPS_KM[0]])
    length = length_km * 1000 / view.m_per_lon
    left, bottom, height = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0), 0.012 * (y1 - y0)
    for half in range(2):
        axes.add_patch(Rectangle((left + half * length / 2, bottom), length / 2, height, zorder=9,
                                 facecolor=plotting.INK if half == 0 else "white", edgecolor=plotting.INK,
                                 linewidth=0.6, gid=f"scale-bar-{half}"))
    halo = [withStroke(linewidth=2.5, foreground="white")]
    for x, text in ((left, "0"), (left + length, _("%(km)s 公里") % {"km": f"{length_km:g}"})):
        axes.text(x, bottom + height * 1.6, text, fontsize=7.5, ha="center", va="bottom", color=plotting.INK,
                  zorder=9, path_effects=halo)


def _north_arrow(axes):
    arrow = axes.annotate("", xy=(0.955, 0.95), xytext=(0.955, 0.84), xycoords="axes fraction", zorder=9,
                          arrowprops={"arrowstyle": "-|>,head_width=0.4,head_length=0.8", "color": plotting.INK,
                                      "linewidth": 1.4})
    arrow.arrow_patch.set_gid("north-arrow")
    axes.text(0.955, 0.82, "N", transform=axes.transAxes, ha="center", va="top", fontsize=9, fontweight="bold",
              color=plotting.INK, zorder=9, path_effects=[withStroke(linewidth=2.5, foreground="white")])


def _subtitle(block: dict, filters: ReportFilters) -> str:
    if block.get("map") == "coverage":
        return _("%(end)s 时各河段距最近一次巡查的天数") % {"end": filters.end.isoformat()}
    return _("%(start)s 至 %(end)s") % {"start": filters.start.isoformat(), "end": filters.end.isoformat()}


def draw(block: dict, filters: ReportFilters) -> Figure:
    """The map as a matplotlib Figure (callers save it as SVG or PNG)."""
    with plotting.style():
        view = _view(filters)
        width = plotting.PAGE_WIDTH_IN
        if view is None:
            figure = plotting.new_figure(width, 1.5)
            figure.text(0.5, 0.5, _("没有区界和河网数据，无法绘制地图。"), ha="center", va="center",
                        color=plotting.MUTED)
            return figure
        map_width = width - 2 * SIDE_IN
        map_height = min(MAX_MAP_IN, max(MIN_MAP_IN, map_width * view.height_m / view.width_m))
        coverage = block.get("map") == "coverage"
        entries = _coverage_labels() if coverage else [item["label"] for item in block.get("legend") or []]
        columns = _legend_columns(entries, width)
        legend_in = LEGEND_ROW_IN * (-(-len(entries) // columns)) + 0.12 if entries else 0.1
        height = map_height + TITLE_IN + legend_in
        figure = plotting.new_figure(width, height)
        figure.text(SIDE_IN / width, 1 - 0.08 / height, block.get("title", ""), fontsize=11, fontweight="bold",
                    color=plotting.INK, va="top", gid="map-title")
        figure.text(SIDE_IN / width, 1 - 0.33 / height, _subtitle(block, filters), fontsize=8, color=plotting.MUTED,
                    va="top")
        axes = figure.add_axes((SIDE_IN / width, legend_in / height, map_width / width, map_height / height))
        view.fit(map_height / map_width)
        axes.set_xlim(*view.lon)
        axes.set_ylim(*view.lat)
        # Equal metres both ways: a degree of latitude is 1/cos(latitude) times a degree of longitude.
        axes.set_aspect(view.m_per_lat / view.m_per_lon, adjustable="box")
        axes.set_xticks([])
        axes.set_yticks([])
        for spine in axes.spines.values():
            spine.set_color(plotting.GRID)
        waterways = _draw_base(axes, view, faint=coverage)
        if coverage:
            handles, labels = _draw_coverage(axes, view, block, filters, waterways)
        else:
            handles, labels = _draw_hotspots(axes, block)
        focus = set(filters.waterway_ids) if view.focused else None
        _label_waterways(axes, view, waterways, shown_ids=focus)
        _scale_bar(axes, view)
        _north_arrow(axes)
        if handles:
            figure.legend(handles, labels, loc="lower center", ncol=columns, fontsize=LEGEND_PT,
                          bbox_to_anchor=(0.5, 0), handlelength=2.2, columnspacing=1.6, labelspacing=0.35)
    return figure


def render(block: dict, filters: ReportFilters) -> str:
    """The map as SVG text (text drawn as paths; the same data gives the same bytes)."""
    return plotting.svg_text(draw(block, filters))


def render_png(block: dict, filters: ReportFilters, *, dpi: int = plotting.PNG_DPI) -> bytes:
    """The map as a PNG, for the PDF."""
    return plotting.png_bytes(draw(block, filters), dpi=dpi)
