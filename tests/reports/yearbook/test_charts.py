"""reports/yearbook/charts.py: a chart block becomes SVG that any viewer shows the same way (its Chinese
drawn as glyph outlines of Noto Sans CJK SC, no font needed), one set of marks per series, a legend only
when there is more than one, and the same bytes for the same block (the stored image does not churn)."""

import re
import xml.etree.ElementTree as ET

from reports.yearbook import charts
from reports.yearbook import snapshot as s

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def ids(root):
    return [element.get("id") for element in root.iter() if element.get("id")]


def monthly(kind="line", series=2):
    data = [("服务记录", [200 + m * 10 for m in range(12)]), ("去年", [180 + m * 9 for m in range(12)]),
            ("前年", [150 + m * 5 for m in range(12)])]
    return s.chart("monthly", "每月服务记录", [f"{m}月" for m in range(1, 13)], data[:series], kind=kind, unit="条")


def test_a_line_chart_draws_one_line_per_series_with_a_legend():
    root = ET.fromstring(charts.render(monthly("line", series=3)))
    assert root.tag == f"{SVG}svg"
    assert sorted(i for i in ids(root) if i.startswith("series-")) == ["series-0", "series-1", "series-2"]
    assert "legend_1" in ids(root)


def test_a_bar_chart_draws_a_bar_per_category_of_each_series_and_one_series_has_no_legend():
    root = ET.fromstring(charts.render(monthly("bar", series=1)))
    bars = [i for i in ids(root) if i.startswith("series-")]
    assert len(bars) == 12 and {bar.split("-")[1] for bar in bars} == {"0"}
    assert not [i for i in ids(root) if i.startswith("legend")]
    two = ET.fromstring(charts.render(monthly("bar", series=2)))
    assert {i.split("-")[1] for i in ids(two) if i.startswith("series-")} == {"0", "1"}
    assert "legend_1" in ids(two)


def test_the_chinese_title_is_drawn_in_noto_sans_cjk_as_outlines():
    svg = charts.render(monthly())
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}text"))  # no text left for a viewer's fonts to get wrong
    title = next(element for element in root.iter(f"{SVG}g") if element.get("id") == "chart-title")
    assert "每月服务记录（条）" in svg  # matplotlib notes the text beside its glyphs
    glyphs = [use.get(XLINK) for use in title.iter(f"{SVG}use")]
    assert len(glyphs) == len("每月服务记录（条）")
    assert all(re.match(r"#NotoSansCJKsc-", glyph) for glyph in glyphs), glyphs
    # Each glyph's outline is in the file itself.
    defined = {path.get("id") for path in root.iter(f"{SVG}path") if path.get("id")}
    assert {glyph[1:] for glyph in glyphs} <= defined
    # 服 and 务 are different characters: different outlines (not one box for every missing glyph).
    assert len(set(glyphs)) == len(set("每月服务记录（条）"))


def test_the_same_block_gives_the_same_bytes_and_a_png_for_the_pdf():
    block = monthly()
    assert charts.render(block) == charts.render(block)
    assert "<dc:date>" not in charts.render(block)
    png = charts.render_png(block, dpi=100)
    assert png.startswith(b"\x89PNG") and png == charts.render_png(block, dpi=100)


def test_no_data_says_so_instead_of_an_empty_frame():
    svg = charts.render(s.chart("empty", "每月服务记录", [], [("服务记录", [])]))
    assert "没有数据" in svg
