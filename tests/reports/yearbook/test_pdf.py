"""The report as an A4 PDF (WeasyPrint, Noto CJK), read back with poppler: the Chinese titles and the
headline figures are text, the contents give each section's real page, every page says "n / N", and the
charts and maps are embedded images on their sections' pages. Page 1 and the chart's page are kept as
pictures in test-artifacts/yearbook/ for a person to look at."""

import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from reports.filters import ReportFilters
from reports.yearbook import charts, images, pdf
from reports.yearbook import snapshot as s
from tests.support.clock import beijing
from tests.support.yearbook import sample_snapshot

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "yearbook"
SECTIONS = {"headline": "一、总体情况", "coverage": "二、巡查覆盖", "hotspots": "五、问题热点",
            "methods": "九、方法与说明"}


def run(*command) -> str:
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


@pytest.fixture
def printed(district_data, plant_visits, tmp_path):
    """The sample report printed, with one reach walked three days before the year's end."""
    plant_visits("ZW-G07", [1], beijing("2026-12-28 09:00"))
    snapshot = sample_snapshot()
    _svgs, pngs = images.render_all(snapshot, ReportFilters(date(2026, 1, 1), date(2026, 12, 31)))
    build = {"version": 2, "built_at": datetime(2026, 11, 18, 2, 30, tzinfo=timezone.utc), "inputs_hash": "ab" * 32}
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render(snapshot, pngs, build_info=build, base_url="https://rw.example.org"))
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))
    return path, pages


def page_text(path, page):
    return run("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-")


def test_the_pdf_is_a4_with_its_chinese_titles_and_figures_as_text(printed):
    path, pages = printed
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", run("pdfinfo", str(path)))
    text = run("pdftotext", "-layout", str(path), "-")
    assert "张湾区 2026 年河湖巡护年度报告" in text
    for title in SECTIONS.values():
        assert title in text
    assert "3,210 条" in text and "目标 3,200 条" in text and "较上年 +320" in text
    assert "87.5%" in text and "较上年 +7.5 个百分点" in text and "1,234.5 小时" in text
    assert "人大代表" in text and "1,200" in text and "全部河段都有人巡查。" in text
    assert re.search(r"第\s*2\s*版", page_text(path, 1)) and "abababababab" in page_text(path, 1)


def test_the_contents_give_each_sections_page_and_every_page_its_number(printed):
    path, pages = printed
    first = page_text(path, 1)
    assert "目录" in first and "张湾区 2026 年河湖巡护年度报告" in first
    listed = {}
    for title in SECTIONS.values():
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", first, re.M)
        assert match, (title, first)
        listed[title] = int(match.group(1))
    for title, page in listed.items():
        # The section's heading opens the page the contents name, under the running title.
        lines = [line.strip() for line in page_text(path, page).splitlines() if line.strip()]
        assert lines[:2] == ["张湾区 2026 年河湖巡护年度报告", title], (title, page, lines[:3])
    assert sorted(listed.values()) == list(listed.values()) and listed["一、总体情况"] == 2
    for page in range(1, pages + 1):
        assert re.search(rf"^\s*{page}\s*/\s*{pages}\s*$", page_text(path, page), re.M), page


def test_the_charts_and_maps_are_embedded_images_on_their_pages(printed):
    path, pages = printed
    listing = run("pdfimages", "-list", str(path)).splitlines()[2:]
    embedded = [line.split() for line in listing if line.split()[2] == "image"]
    assert len(embedded) == 3  # the monthly chart, the coverage map, the hotspot map
    on_pages = sorted(int(row[0]) for row in embedded)
    headline = next(page for page in range(1, pages + 1) if "一、总体情况" in page_text(path, page) and page > 1)
    coverage = next(page for page in range(2, pages + 1) if "二、巡查覆盖" in page_text(path, page))
    hotspots = next(page for page in range(2, pages + 1) if "五、问题热点" in page_text(path, page))
    assert on_pages == [headline, coverage, hotspots]
    assert all(int(row[3]) >= 1000 for row in embedded)  # wide enough to print sharp across the page

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in (1, headline, coverage):
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                        str(ARTIFACTS / f"report-page-{page}")], check=True)
    assert (ARTIFACTS / "report-page-1.png").stat().st_size > 5000


def test_a_chart_kept_as_svg_is_still_printed_as_an_image(tmp_path):
    """A build keeps SVG; the PDF draws the chart again as PNG from its block (the same drawing)."""
    snapshot = sample_snapshot()
    chart = next(block for _section, block in s.blocks_of(snapshot, "chart"))
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render(snapshot, {chart["key"]: charts.render(chart)}))
    listing = run("pdfimages", "-list", str(path)).splitlines()[2:]
    assert [line.split()[2] for line in listing if line.split()[2] == "image"] == ["image"]
    assert "“河道巡查覆盖图”的图没有生成。" in run("pdftotext", str(path), "-")  # a missing map is said to be missing
