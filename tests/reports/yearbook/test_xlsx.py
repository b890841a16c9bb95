"""The report as an Excel workbook (reports/yearbook/xlsx.py): a cover, a sheet per section, a links
sheet; numbers stay numbers with their formats, dates dates, empty stays empty; every link is a
hyperlink; text people typed never becomes a formula; sheet names are ones Excel accepts."""

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from reports.yearbook import snapshot as s
from reports.yearbook import xlsx
from tests.support.yearbook import sample_snapshot

BUILD = {"version": 3, "built_at": "2026-11-18T02:30:00+00:00", "inputs_hash": "c0ffee" * 10 + "abcd"}


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def find(sheet, value):
    """The first cell holding value."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise AssertionError(f"{value!r} not on sheet {sheet.title}")


def right_of(cell, steps=1):
    return cell.parent.cell(row=cell.row, column=cell.column + steps)


def below(cell, steps=1):
    return cell.parent.cell(row=cell.row + steps, column=cell.column)


def test_a_cover_a_sheet_per_section_and_the_links_sheet():
    book = load(xlsx.render(sample_snapshot(), build_info=BUILD))
    assert book.sheetnames == ["封面", "一 总体情况", "二 巡查覆盖", "五 问题热点", "九 方法与说明", "链接"]
    cover = book["封面"]
    assert cover["A1"].value == "张湾区 2026 年河湖巡护年度报告"
    assert right_of(find(cover, "报告类型")).value == "年度报告"
    for label, day in (("统计期间（起）", date(2026, 1, 1)), ("统计期间（止）", date(2026, 12, 31)),
                       ("数据截至", date(2026, 11, 18))):
        cell = right_of(find(cover, label))
        assert cell.is_date and cell.value.date() == day and cell.number_format == "yyyy-mm-dd"
    version = right_of(find(cover, "版本"))
    assert (version.value, version.data_type) == (3, "n")
    built = right_of(find(cover, "生成时间（北京时间）"))
    assert built.is_date and built.value == datetime(2026, 11, 18, 10, 30)  # Beijing wall-clock time
    assert right_of(find(cover, "数据指纹（SHA-256）")).value == BUILD["inputs_hash"]
    # The table of contents leads to each sheet.
    contents = find(cover, "二 巡查覆盖")
    assert contents.hyperlink.location == "'二 巡查覆盖'!A1"


def test_without_build_info_the_cover_leaves_version_and_hash_out():
    cover = load(xlsx.render(sample_snapshot()))["封面"]
    labels = {cell.value for cell in cover["A"]}
    assert "数据截至" in labels and not labels & {"版本", "生成时间（北京时间）", "数据指纹（SHA-256）"}


def test_figures_are_numeric_cells_with_formats_units_and_empty_cells_for_none():
    sheet = load(xlsx.render(sample_snapshot()))["一 总体情况"]
    header = find(sheet, "指标")
    assert [right_of(header, i).value for i in range(6)] == ["指标", "数值", "单位", "上期", "变化", "目标"]
    assert header.font.b

    records = find(sheet, "服务记录")
    value, unit, previous, change, target = (right_of(records, i) for i in (1, 2, 3, 4, 5))
    assert (value.value, value.data_type, value.number_format) == (3210, "n", "#,##0")
    assert unit.value == "条"
    assert (previous.value, change.value, target.value) == (2890, 320, 3200)
    assert {cell.data_type for cell in (previous, change, target)} == {"n"}

    # Percentages: 87.5 (not 0.875), one decimal, the unit column says %.
    rate = find(sheet, "代表参与率")
    assert (right_of(rate).value, right_of(rate).data_type, right_of(rate).number_format) == (87.5, "n", "0.0")
    assert right_of(rate, 2).value == "%"
    assert right_of(rate, 4).value == pytest.approx(7.5) and right_of(rate, 4).number_format == "0.0"

    hours = find(sheet, "服务时长")
    assert (right_of(hours).value, right_of(hours).number_format) == (1234.5, "#,##0.0")
    assert right_of(hours, 3).value is None and right_of(hours, 4).value is None  # no previous, no change


def test_tables_keep_types_bold_headers_and_percent_columns_say_so():
    sheet = load(xlsx.render(sample_snapshot()))["一 总体情况"]
    role = find(sheet, "身份")
    assert [right_of(role, i).value for i in range(3)] == ["身份", "服务记录", "占比（%）"]
    assert all(right_of(role, i).font.b for i in range(3))
    deputy = below(role)
    assert deputy.value == "人大代表"
    assert (right_of(deputy).value, right_of(deputy).data_type, right_of(deputy).number_format) == (1200, "n", "#,##0")
    assert (right_of(deputy, 2).value, right_of(deputy, 2).number_format) == (37.4, "0.0")
    assert sheet.freeze_panes is not None
    assert sheet.column_dimensions["A"].width >= 8


def test_dates_in_tables_are_date_cells_and_an_empty_table_says_why():
    snapshot = sample_snapshot()
    snapshot["sections"][1]["blocks"].append(s.table(
        "stale", "久未巡查", [s.column("waterway", "河道"), s.column("last", "最近巡查", s.DATE),
                             s.column("km", "长度", s.FLOAT)],
        [{"waterway": "狮子沟", "last": "2026-03-01", "km": 1.25},
         {"waterway": "青石沟", "last": None, "km": 12.0}]))
    sheet = load(xlsx.render(snapshot))["二 巡查覆盖"]
    first = find(sheet, "狮子沟")
    assert right_of(first).is_date and right_of(first).value.date() == date(2026, 3, 1)
    assert (right_of(first, 2).value, right_of(first, 2).number_format) == (1.25, "#,##0.00")
    second = below(first)
    assert right_of(second).value is None  # never: an empty cell, not "None" or "—"
    assert (right_of(second, 2).value, right_of(second, 2).data_type) == (12.0, "n")
    assert below(find(sheet, "最长的未巡河段"), 2).value == "全部河段都有人巡查。"


def test_charts_are_their_data_maps_their_legend_and_hotspot_cells_and_definitions_a_table():
    book = load(xlsx.render(sample_snapshot()))
    headline = book["一 总体情况"]
    corner = below(find(headline, "每月服务记录"))
    assert [right_of(corner, i).value for i in range(3)] == ["类别", "服务记录（条）", "去年（条）"]
    months = [below(corner, i + 1) for i in range(12)]
    assert [cell.value for cell in months] == [f"{m}月" for m in range(1, 13)]
    assert [right_of(cell).value for cell in months] == [200 + m * 10 for m in range(12)]
    assert {right_of(cell, 2).data_type for cell in months} == {"n"}

    hotspots = book["五 问题热点"]
    legend = find(hotspots, "hot_95")
    assert right_of(legend, 2).fill.fgColor.rgb.endswith("D7301F")
    z_head = find(hotspots, "Z 值")
    value, z, p = below(right_of(z_head, -1)), below(z_head), below(right_of(z_head))
    assert (value.value, value.data_type, value.number_format) == (7, "n", "#,##0")
    assert (z.value, z.data_type) == (3.1, "n")
    assert (p.value, p.number_format) == (0.002, "#,##0.000")  # three decimals: 0.002 does not print as 0.0

    methods = book["九 方法与说明"]
    term = find(methods, "术语")
    assert [right_of(term, i).value for i in range(3)] == ["术语", "定义", "设置"]
    assert right_of(find(methods, "巡查覆盖"), 2).value == "PATROL_BUFFER_M=50"
    assert find(methods, "河网为近似位置（精度：近似）。").column == 1


def link_rows(sheet):
    header = find(sheet, "链接")
    assert header.row == 2
    return [[cell for cell in row] for row in sheet.iter_rows(min_row=3) if row[0].value]


def test_the_links_sheet_lists_every_link_as_a_hyperlink_relative_without_a_site_address():
    sheet = load(xlsx.render(sample_snapshot()))["链接"]
    assert "相对地址" in sheet["A1"].value
    rows = link_rows(sheet)
    assert [(row[0].value, row[1].value, row[2].value) for row in rows] == [
        ("一 总体情况", "指标", "服务记录"), ("一 总体情况", "表格", "按身份"), ("二 巡查覆盖", "指标", "河道巡查覆盖率")]
    figure, cell, coverage = rows
    assert (figure[5].value, figure[5].data_type) == (3210, "n")
    assert figure[6].value == figure[6].hyperlink.target == "/activities/?start=2026-01-01&end=2026-12-31"
    assert (cell[3].value, cell[4].value, cell[5].value) == ("第 1 行（人大代表）", "服务记录", 1200)
    assert cell[6].hyperlink.target == "/activities/?role=deputy&start=2026-01-01&end=2026-12-31"
    assert (coverage[5].value, coverage[5].number_format) == (76.3, "0.0")
    # And back to the cell in the report.
    assert figure[7].hyperlink.location == "'一 总体情况'!B6"
    assert load(xlsx.render(sample_snapshot()))["一 总体情况"]["B6"].value == 3210


def test_with_a_site_address_the_links_are_absolute():
    sheet = load(xlsx.render(sample_snapshot(), base_url="https://hzz.example.cn/"))["链接"]
    assert "https://hzz.example.cn" in sheet["A1"].value
    targets = [row[6].hyperlink.target for row in link_rows(sheet)]
    assert targets == ["https://hzz.example.cn/activities/?start=2026-01-01&end=2026-12-31",
                       "https://hzz.example.cn/activities/?role=deputy&start=2026-01-01&end=2026-12-31",
                       "https://hzz.example.cn/map/?start=2026-01-01&end=2026-12-31"]


HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0"]


def test_text_that_looks_like_a_formula_stays_text():
    snapshot = sample_snapshot()
    headline = snapshot["sections"][0]
    headline["figures"][0]["label"] = HOSTILE[0]
    headline["figures"][0]["note"] = HOSTILE[1]
    headline["intro"] = HOSTILE[2]
    headline["blocks"].append(s.table("names", "名单", [s.column("name", "姓名"), s.column("n", "次数", s.INT)],
                                      [{"name": text, "n": i, "_links": {"name": "/people/"}}
                                       for i, text in enumerate(HOSTILE)]))
    data = xlsx.render(snapshot)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", archive.read(name)), f"a formula in {name}"
    book = load(data)
    expected = set(HOSTILE)  # a bare CR too: openpyxl writes with lxml (requirements.txt), which keeps it
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value in expected]
    assert {cell.value for cell in cells} == expected
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    # On the links sheet too: the figure's label, and each linked cell's value.
    assert len([cell for cell in cells if cell.parent.title == "链接"]) == 1 + len(HOSTILE)


def test_sheet_names_are_ones_excel_accepts_and_unique():
    snapshot = sample_snapshot()
    snapshot["sections"] = [
        s.section("a", "一", "河道/沟渠[重点]:问题*清单?\\附表"),
        s.section("b", "二", "很长很长很长很长很长很长很长很长很长很长很长很长很长很长的标题"),
        s.section("c", "二", "很长很长很长很长很长很长很长很长很长很长很长很长很长很长的标题"),
        s.section("d", "", "链接"),
        s.section("e", "", "'引号'"),
    ]
    names = load(xlsx.render(snapshot)).sheetnames
    assert len(names) == 7 and len({name.casefold() for name in names}) == 7
    for name in names:
        assert 0 < len(name) <= 31 and not set(name) & set("[]:*?/\\") and not name.startswith("'")
    assert names[0] == "封面" and names[-1].startswith("链接")
    assert names[1] == "一 河道 沟渠 重点  问题 清单  附表"


def test_illegal_control_characters_are_dropped_not_a_crash():
    snapshot = sample_snapshot()
    snapshot["sections"][0]["figures"][0]["label"] = "服务\x00记录\x07"
    sheet = load(xlsx.render(snapshot))["一 总体情况"]
    assert right_of(find(sheet, "服务记录")).value == 3210
