"""A chart block of the snapshot (bar or line: categories, series, unit) drawn with matplotlib: SVG for
the page and the HTML file, PNG for the PDF. Each series is drawn under its own ids (a line
`series-<n>`, bars `series-<n>-<category>`), with a legend once there is more than one."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import plotting

HEIGHT_IN = 3.1
# Beyond this many categories the bars lose their value labels and the axis its upright labels.
LABELLED_BARS = 16


def _number(value, _position=None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _values(series: dict) -> list[float]:
    return [math.nan if value is None else float(value) for value in series["values"]]


def draw(block: dict) -> Figure:
    """The chart as a matplotlib Figure (callers save it as SVG or PNG)."""
    categories = list(block.get("categories") or [])
    series = [item for item in block.get("series") or [] if item.get("values")]
    with plotting.style():
        figure = plotting.new_figure(plotting.PAGE_WIDTH_IN, HEIGHT_IN)
        axes = figure.add_subplot()
        title = block.get("title", "")
        if block.get("unit") and not title.endswith(f"（{block['unit']}）"):  # the convention: 每月服务记录（条）
            title = _("%(title)s（%(unit)s）") % {"title": title, "unit": block["unit"]}
        axes.set_title(title, loc="left", pad=12 if len(series) > 1 else 8, gid="chart-title")
        if not categories or not series:
            axes.set_axis_off()
            axes.text(0.5, 0.5, _("没有数据"), ha="center", va="center", color=plotting.MUTED, transform=axes.transAxes)
            figure.tight_layout()
            return figure
        positions = list(range(len(categories)))
        if block.get("chart") == "line":
            _draw_lines(axes, positions, series)
        else:
            _draw_bars(axes, positions, series)
        axes.set_xticks(positions, categories)
        longest = max(len(str(category)) for category in categories)
        if len(categories) * max(longest, 2) > 56:  # labels would run into each other: tilt them
            for label in axes.get_xticklabels():
                label.set_rotation(40)
                label.set_horizontalalignment("right")
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=_all_integers(series)))
        axes.yaxis.set_major_formatter(FuncFormatter(_number))
        axes.margins(y=0.12)  # room for the bars' value labels
        axes.set_ylim(bottom=min(0, _lowest(series)))
        if block.get("unit") == "%" and _highest(series) <= 100:
            axes.set_ylim(top=100)  # a share is read against the whole
        axes.grid(axis="y", color=plotting.GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.tick_params(axis="x", length=0)
        if len(series) > 1:
            axes.legend(loc="lower right", bbox_to_anchor=(1, 1.0), ncol=len(series), fontsize=8.5,
                        handlelength=1.6, borderaxespad=0.2)
        figure.tight_layout()
    return figure


def _all_integers(series) -> bool:
    return all(value is None or float(value).is_integer() for item in series for value in item["values"])


def _lowest(series) -> float:
    values = [value for item in series for value in item["values"] if value is not None]
    return min(values) if values else 0


def _highest(series) -> float:
    values = [value for item in series for value in item["values"] if value is not None]
    return max(values) if values else 0


def _draw_lines(axes, positions, series):
    for index, item in enumerate(series):
        colour = plotting.SERIES_COLOURS[index % len(plotting.SERIES_COLOURS)]
        (line,) = axes.plot(positions, _values(item), color=colour, linewidth=2 if index == 0 else 1.5,
                            marker="o", markersize=3.5, label=item["label"], zorder=3 - index * 0.1)
        line.set_gid(f"series-{index}")


def _draw_bars(axes, positions, series):
    width = 0.8 / len(series)
    for index, item in enumerate(series):
        colour = plotting.SERIES_COLOURS[index % len(plotting.SERIES_COLOURS)]
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        values = [0 if math.isnan(v) else v for v in _values(item)]
        bars = axes.bar(offsets, values, width=width * 0.92, color=colour, label=item["label"], zorder=2)
        for number, bar in enumerate(bars):
            bar.set_gid(f"series-{index}-{number}")
        if len(series) == 1 and len(positions) <= LABELLED_BARS:
            axes.bar_label(bars, labels=[_number(v) for v in item["values"]], padding=2, fontsize=7.5,
                           color=plotting.INK)


def render(block: dict) -> str:
    """The chart as SVG text (text drawn as paths; no date inside: the same block gives the same bytes)."""
    return plotting.svg_text(draw(block))


def render_png(block: dict, *, dpi: int = plotting.PNG_DPI) -> bytes:
    """The chart as a PNG, for the PDF (an embedded image there, sharp when printed)."""
    return plotting.png_bytes(draw(block), dpi=dpi)
