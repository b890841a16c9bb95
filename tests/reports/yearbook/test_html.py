"""The report as HTML: the downloadable file stands alone (stylesheet inside, images as data: addresses,
nothing from /static), links to the records absolute when the site's address is known; the page's body
shows its images through the URLs it is given and links the figures; values read as the office writes
them (3,210 条, 87.5%, 较上年 +320, −2.1 个百分点, — for none)."""

import base64
import re
from datetime import datetime, timezone

from django.template.loader import render_to_string

from reports.templatetags import yearbook as tags
from reports.yearbook import html
from reports.yearbook import snapshot as s
from tests.support.yearbook import sample_snapshot

SITE = "https://rw.example.org"
IMAGES = {"monthly_records": "<svg xmlns='http://www.w3.org/2000/svg'><title>chart</title></svg>",
          "coverage_map": "<svg xmlns='http://www.w3.org/2000/svg'><title>coverage</title></svg>",
          "hotspot_map": b"\x89PNG\r\n\x1a\nhotspots"}
BUILD = {"version": 3, "built_at": datetime(2026, 11, 18, 2, 30, tzinfo=timezone.utc),
         "inputs_hash": "0123456789abcdef" * 4}


def test_the_file_stands_alone_with_its_stylesheet_and_images_inside():
    document = html.standalone(sample_snapshot(), IMAGES, build_info=BUILD, base_url=SITE)
    assert document.startswith("<!doctype html>")
    assert "<link" not in document and "<script" not in document
    assert not re.search(r"""(src|href)=["']/(?!/)""", document)  # nothing site-relative, /static least of all
    assert "/static/" not in document
    style = re.search(r"<style>(.*?)</style>", document, re.S).group(1)
    assert "@page" in style and "target-counter(attr(href), page)" in style and ".yb-figure-card" in style
    sources = dict(re.findall(r'<img class="yb-image yb-image-\w+" src="([^"]+)" alt="([^"]+)">', document))
    assert set(sources.values()) == {"每月服务记录", "河道巡查覆盖图", "热点分布"}
    by_title = {title: source for source, title in sources.items()}
    svg = by_title["每月服务记录"].removeprefix("data:image/svg+xml;base64,")
    assert base64.b64decode(svg).decode() == IMAGES["monthly_records"]
    png = by_title["热点分布"].removeprefix("data:image/png;base64,")
    assert base64.b64decode(png) == IMAGES["hotspot_map"]


def test_links_to_the_records_are_absolute_with_the_sites_address_and_left_out_without_it():
    document = html.standalone(sample_snapshot(), IMAGES, base_url=SITE + "/")
    assert f'<a href="{SITE}/activities/?start=2026-01-01&amp;end=2026-12-31">3,210</a>' in document
    assert f'<a href="{SITE}/activities/?role=deputy&amp;start=2026-01-01&amp;end=2026-12-31">1,200</a>' in document
    # The contents link within the document.
    for key in ("headline", "coverage", "hotspots", "methods"):
        assert f'href="#yb-{key}"' in document and f'id="yb-{key}"' in document
    offline = html.standalone(sample_snapshot(), IMAGES)
    assert "/activities/" not in offline and "3,210" in offline


def test_the_cover_the_figures_and_the_blocks_read_as_the_office_writes_them():
    document = html.standalone(sample_snapshot(), IMAGES, build_info=BUILD)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", document))
    assert "张湾区 2026 年河湖巡护年度报告" in text and "数据截至 2026-11-18" in text
    assert "第 3 版" in text and "生成于 2026-11-18 10:30" in text and "数据指纹 0123456789ab " in text
    assert "3,210 条 目标 3,200 条 上年 2,890 条 较上年 +320" in text
    assert "87.5 % 目标 98% 上年 80.0% 较上年 +7.5 个百分点" in text
    assert "87.5%" in re.sub(r"<[^>]+>", "", document)  # the unit is set apart, yet reads on
    assert "1,234.5 小时" in text and "上年 —" not in text  # no previous year: nothing to compare
    assert "人大代表 1,200 37.4%" in text
    assert "全部河段都有人巡查。" in text  # the empty table's own words
    assert "巡查覆盖 巡查轨迹 50 米内的河段 PATROL_BUFFER_M=50" in text
    assert "河网为近似位置（精度：近似）。" in text


def test_a_quarterly_report_compares_with_the_quarter_before():
    snapshot = sample_snapshot(key="2026-q3", kind="quarterly")
    text = re.sub(r"<[^>]+>", " ", html.standalone(snapshot, IMAGES))
    assert "较上季度 +320" in text and "上季度 2,890 条" in text and "较上年" not in text


def test_the_pages_body_shows_images_by_url_and_links_the_figures():
    body = render_to_string("reports/yearbook/_report.html", {
        "snapshot": sample_snapshot(), "linked": True,
        "image_src": {key: f"/reports/2026/v1/images/{key}.svg" for key in IMAGES}})
    assert ('<img class="yb-image yb-image-chart" src="/reports/2026/v1/images/monthly_records.svg"'
            ' alt="每月服务记录">') in body
    assert '<a href="/map/?start=2026-01-01&amp;end=2026-12-31">76.3</a>' in body
    assert "<style" not in body and "style=" not in body  # the site's policy allows no inline style
    assert 'class="yb-build"' not in body  # no build given, no build line


def test_snapshot_text_is_escaped_and_only_site_or_web_links_are_followed():
    snapshot = sample_snapshot()
    snapshot["sections"][0]["title"] = "<script>alert(1)</script>"
    snapshot["sections"][0]["figures"][0]["link"] = "javascript:alert(1)"
    document = html.standalone(snapshot, IMAGES, base_url=SITE)
    assert "<script>alert" not in document and "&lt;script&gt;" in document
    assert "javascript:" not in document


def test_values_by_column_type_and_changes():
    assert tags.cell(3210, "int") == "3,210" and tags.cell(12.0, "int") == "12"
    assert tags.cell(1234.5, "float") == "1,234.5" and tags.cell(12.25, "float") == "12.25"
    assert tags.cell(87.5, "pct") == "87.5%" and tags.cell(None, "pct") == "—"
    assert tags.cell("2026-03-01", "date") == "2026-03-01" and tags.cell("狮子沟", "text") == "狮子沟"
    assert tags.figure_change(s.figure("a", "覆盖率", 70.0, unit="%", previous=72.1)) == "−2.1 个百分点"
    assert tags.figure_change(s.figure("b", "服务记录", 3210, unit="条", previous=2890)) == "+320"
    assert tags.figure_change(s.figure("c", "服务记录", 3210, unit="条", previous=3210)) == "±0"
    assert tags.figure_change(s.figure("d", "服务记录", 3210, unit="条")) == ""
    assert tags.amount(None, "条") == "—" and tags.amount(98, "%") == "98%"
