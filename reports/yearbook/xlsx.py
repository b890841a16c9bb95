"""A report snapshot as an Excel workbook (openpyxl): what the office pastes into its own tables.

Sheets: 封面 (title, period, the day the figures stand on and, when the build gives them, version,
built at and the inputs hash), one sheet per section ("一 总体情况": the figures as a table, then each
block: tables, charts as their data, maps as their legend and features' properties, text, definitions),
and 链接 (every figure and table cell that has a list behind it, with its URL as a hyperlink).

Cells keep their types, so the numbers add up in Excel:
- numbers are numeric cells: whole numbers "#,##0", others "#,##0.0", "#,##0.00"… (the decimals the
  values of the column, or of the figure's row, need);
- percentages stay as the snapshot holds them, 0–100 (87.5, not 0.875), formatted "0.0": a figure's
  单位 column says "%", a table column's header ends in "（%）";
- dates are date cells ("yyyy-mm-dd"), times datetime cells in Beijing time; None is an empty cell.
Text is always written as text (data type "s"), never as a formula, however it starts: names and notes
people typed can start with = + - @ (CSV/formula injection, as problems.exports guards its exports);
such cells also get Excel's quote prefix, so editing the cell keeps it text."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink

from problems.exports import FORMULA_STARTS

from .scope import ANNUAL, QUARTERLY, WATERWAY
from .snapshot import DATE, FLOAT, INT, PCT, TEXT

# Excel's limits on sheet names: 31 characters, none of []:*?/\, not starting or ending with '.
SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
# Column widths in characters (a CJK character counts two).
MIN_WIDTH, MAX_WIDTH = 8, 60
INT_FORMAT, DATE_FORMAT, DATETIME_FORMAT = "#,##0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
# Excel refuses to follow longer hyperlinks.
MAX_URL_LENGTH = 2000
# Snapshot numbers carry up to two decimals; hotspots' p values more.
MAX_DECIMALS = 4

BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
NOTE_FONT = Font(italic=True, color="666666")

# Names of the hotspot features' properties (reports.selectors.hotspots) in the map block's table.
FEATURE_PROPERTY_LABELS = {"class": gettext_lazy("类别"), "label": gettext_lazy("说明"), "value": gettext_lazy("数值"),
                           "z": gettext_lazy("Z 值"), "p": gettext_lazy("P 值")}


def render(snapshot: dict, *, build_info: dict | None = None, base_url: str = "") -> bytes:
    """The workbook's bytes. build_info: {"version", "built_at" (ISO text or datetime), "inputs_hash"},
    any of them; base_url: the site's address, to make links absolute (else they stay site-relative)."""
    book = Workbook()
    names = _SheetNames()
    cover = book.active
    cover.title = names.unique(_("封面"))
    links: list[list] = []
    section_sheets = []
    for part in snapshot["sections"]:
        sheet = book.create_sheet(names.unique(f"{part['number']} {part['title']}"))
        _write_section(sheet, part, links)
        section_sheets.append((part, sheet.title))
    links_sheet = book.create_sheet(names.unique(_("链接")))
    _write_cover(cover, snapshot["scope"], build_info or {}, section_sheets, links_sheet.title, base_url)
    _write_links(links_sheet, links, base_url)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- cells ---------------------------------------------------------------------------------------------

def _put(sheet, row: int, column: int, value, *, number_format: str | None = None, font=None):
    """One typed cell: None stays empty, numbers numeric, dates dates, text text (never a formula)."""
    cell = sheet.cell(row=row, column=column)
    if value is None:
        pass
    elif isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        # Assigned as a value, "=…" would become a formula: set the text type itself.
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    elif isinstance(value, datetime):
        cell.value = _local(value)
        cell.number_format = number_format or DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = number_format or DATE_FORMAT
    elif isinstance(value, bool):
        _put(sheet, row, column, _("是") if value else _("否"))
    elif isinstance(value, (int, float, Decimal)):
        cell.value = float(value) if isinstance(value, Decimal) else value
        cell.number_format = number_format or _number_format([cell.value])
    else:
        _put(sheet, row, column, str(value))
    if font is not None:
        cell.font = font
    return cell


def _link(sheet, row: int, column: int, text: str, *, url: str = "", location: str = ""):
    """A hyperlink cell: to a URL, or to a place in the workbook ("'Sheet'!A1"). A URL longer than
    Excel opens stays plain text."""
    cell = sheet.cell(row=row, column=column)
    if location or len(url) <= MAX_URL_LENGTH:
        cell.style = "Hyperlink"  # first: a named style replaces what _put sets
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location) if location else url
    _put(sheet, row, column, text)
    return cell


def _local(moment: datetime) -> datetime:
    """Excel has no time zones: a moment as the district's wall-clock time."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def _decimals(value) -> int:
    """The decimals a number needs to show as the snapshot holds it (1 to MAX_DECIMALS)."""
    for places in range(1, MAX_DECIMALS):
        if abs(round(value, places) - value) < 1e-9:
            return places
    return MAX_DECIMALS


def _number_format(values, kind: str | None = None) -> str:
    """One format for a column or a figure's row of numbers."""
    numbers = [value for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)]
    places = max([_decimals(value) for value in numbers if isinstance(value, float)], default=1)
    if kind == PCT:
        return "0." + "0" * places
    if kind == INT or (kind is None and all(isinstance(value, int) for value in numbers)):
        return INT_FORMAT
    return "#,##0." + "0" * places


def _as_date(value):
    """A date column's value as a date (or a datetime for a moment); text that is neither stays text."""
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value


def _typed(value, kind: str):
    if kind == DATE:
        return _as_date(value)
    return value


def _width(value) -> int:
    if value is None:
        return 0
    text = value if isinstance(value, str) else f"{value:,}" if isinstance(value, (int, float)) else str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


class _Widths:
    """The widest cell of each column, for the column's width (paragraphs and titles left out)."""

    def __init__(self):
        self.widths: dict[int, int] = {}

    def see(self, column: int, value):
        self.widths[column] = max(self.widths.get(column, 0), _width(value))

    def apply(self, sheet):
        for column, width in self.widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))


class _SheetNames:
    """Sheet names Excel accepts, each unique (Excel compares them ignoring case)."""

    def __init__(self):
        self.taken: set[str] = set()

    def unique(self, wanted: str) -> str:
        base = _NOT_IN_SHEET_NAMES.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", wanted)).strip().strip("'").strip()
        base = base or _("工作表")
        name, number = base[:SHEET_NAME_MAX], 1
        # "History" is reserved by Excel.
        while name.casefold() in self.taken or name.casefold() == "history":
            number += 1
            suffix = f" ({number})"
            name = base[:SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
        self.taken.add(name.casefold())
        return name


# --- the section sheets ----------------------------------------------------------------------------------

class _Writer:
    """Writes a section down one sheet, keeping the row, the widths and the first table's header row."""

    def __init__(self, sheet, part: dict, links: list):
        self.sheet, self.part, self.links = sheet, part, links
        self.row = 1
        self.widths = _Widths()
        self.first_header_row: int | None = None

    def title(self, text, font=HEADING_FONT):
        _put(self.sheet, self.row, 1, text, font=font)
        self.row += 1

    def line(self, text, font=None):
        if text:
            _put(self.sheet, self.row, 1, text, font=font)
            self.row += 1

    def gap(self):
        self.row += 1

    def header(self, labels):
        for column, label in enumerate(labels, start=1):
            cell = _put(self.sheet, self.row, column, label, font=BOLD)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center")
            self.widths.see(column, label)
        if self.first_header_row is None:
            self.first_header_row = self.row
        self.row += 1

    def cells(self, values, formats=()):
        formats = list(formats) + [None] * (len(values) - len(formats))
        for column, (value, number_format) in enumerate(zip(values, formats), start=1):
            _put(self.sheet, self.row, column, value, number_format=number_format)
            self.widths.see(column, value)
        self.row += 1


def _write_section(sheet, part: dict, links: list):
    out = _Writer(sheet, part, links)
    out.title(sheet.title, font=TITLE_FONT)
    out.line(part.get("intro"))
    if part.get("figures"):
        out.gap()
        out.title(_("主要指标"))
        _write_figures(out, part["figures"])
    for block in part.get("blocks", []):
        out.gap()
        out.title(block.get("title") or "")
        writer = _BLOCK_WRITERS.get(block.get("type"))
        if writer is not None:
            writer(out, block)
        out.line(block.get("note"), font=NOTE_FONT)
    out.widths.apply(sheet)
    # One frozen band per sheet: under the first table's header when it is near the top, else the title.
    header = out.first_header_row
    sheet.freeze_panes = f"A{header + 1}" if header is not None and header <= 6 else "A2"


def _write_figures(out: _Writer, figures: list):
    out.header([_("指标"), _("数值"), _("单位"), _("上期"), _("变化"), _("目标"), _("说明")])
    for item in figures:
        numbers = [item.get(name) for name in ("value", "previous", "change", "target")]
        number_format = _number_format(numbers, PCT if item.get("unit") == "%" else None)
        row = out.row
        out.cells([item["label"], *numbers[:1], item.get("unit") or None, *numbers[1:], item.get("note") or None],
                  [None, number_format, None, number_format, number_format, number_format])
        if item.get("link"):
            out.links.append([out.part, _("指标"), item["label"], "", "", item.get("value"), number_format,
                              item["link"], (out.sheet.title, row, 2)])


def _column_label(column: dict) -> str:
    return f"{column['label']}（%）" if column.get("type") == PCT else column["label"]


def _write_table(out: _Writer, block: dict):
    columns = block.get("columns", [])
    rows = block.get("rows", [])
    out.header([_column_label(column) for column in columns])
    if not rows:
        out.line(block.get("empty") or _("（无数据）"), font=NOTE_FONT)
        return
    formats = [
        _number_format([row.get(column["key"]) for row in rows], column.get("type"))
        if column.get("type") in (INT, FLOAT, PCT) else None
        for column in columns
    ]
    for number, row in enumerate(rows, start=1):
        sheet_row = out.row
        out.cells([_typed(row.get(column["key"]), column.get("type", TEXT)) for column in columns], formats)
        for key, url in (row.get("_links") or {}).items():
            index = next((i for i, column in enumerate(columns) if column["key"] == key), None)
            if not url or index is None:
                continue
            first = row.get(columns[0]["key"]) if columns else None
            where = _("第 %(n)s 行") % {"n": number} + (f"（{first}）" if first not in (None, "") else "")
            out.links.append([out.part, _("表格"), block.get("title") or block.get("key"), where,
                              _column_label(columns[index]), _typed(row.get(key), columns[index].get("type", TEXT)),
                              formats[index], url, (out.sheet.title, sheet_row, index + 1)])


def _write_chart(out: _Writer, block: dict):
    """Categories down, one column per series."""
    series = block.get("series", [])
    unit = block.get("unit") or ""
    out.header([_("类别")] + [f"{item['label']}（{unit}）" if unit else item["label"] for item in series])
    kind = PCT if unit == "%" else None
    formats = [None] + [_number_format(item.get("values", []), kind) for item in series]
    for index, category in enumerate(block.get("categories", [])):
        values = [item["values"][index] if index < len(item.get("values", [])) else None for item in series]
        out.cells([category, *values], formats)


def _write_map(out: _Writer, block: dict):
    """The legend (its colours filled in), then the features' properties (the hotspots' cells)."""
    legend = block.get("legend", [])
    if legend:
        out.header([_("图例"), _("说明"), _("颜色")])
        for entry in legend:
            row = out.row
            out.cells([entry.get("key"), entry.get("label"), entry.get("colour")])
            colour = (entry.get("colour") or "").lstrip("#")
            if re.fullmatch(r"[0-9A-Fa-f]{6}", colour):
                out.sheet.cell(row=row, column=3).fill = PatternFill("solid", fgColor=colour.upper())
    features = block.get("features", [])
    if features:
        out.gap()
        keys = []
        for feature in features:
            keys += [key for key in (feature.get("properties") or {}) if key not in keys]
        out.header([str(FEATURE_PROPERTY_LABELS.get(key, key)) for key in keys])
        values = [[(feature.get("properties") or {}).get(key) for key in keys] for feature in features]
        formats = [_number_format([row[i] for row in values]) for i in range(len(keys))]
        for row in values:
            out.cells(row, formats)
        out.line(_("各单元的范围见 GeoPackage 文件的 hotspots 图层。"), font=NOTE_FONT)


def _write_text(out: _Writer, block: dict):
    for paragraph in block.get("paragraphs", []):
        out.line(paragraph)


def _write_image(out: _Writer, block: dict):
    """An image (the signboard's QR code) cannot be a cell: its caption says where it leads."""
    out.line(block.get("caption"))


def _write_definitions(out: _Writer, block: dict):
    out.header([_("术语"), _("定义"), _("设置")])
    for row in block.get("rows", []):
        out.cells([row.get("term"), row.get("definition"), row.get("setting") or None])


_BLOCK_WRITERS = {
    "table": _write_table,
    "chart": _write_chart,
    "map": _write_map,
    "text": _write_text,
    "definitions": _write_definitions,
    "image": _write_image,
}


# --- the cover and the links -------------------------------------------------------------------------------

def _kind_label(kind: str) -> str:
    return {ANNUAL: _("年度报告"), QUARTERLY: _("季度通报"), WATERWAY: _("一河一档")}.get(kind, kind)


def _built_at(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _write_cover(sheet, scope: dict, build_info: dict, section_sheets, links_title: str, base_url: str):
    widths = _Widths()
    _put(sheet, 1, 1, scope.get("title"), font=TITLE_FONT)
    rows = [(_("副标题"), scope.get("subtitle") or None),
            (_("报告类型"), _kind_label(scope.get("kind"))),
            (_("报告范围"), scope.get("key"))]
    if scope.get("waterway"):
        waterway = scope["waterway"]
        rows.append((_("河道"), f"{waterway.get('name', '')}（{waterway.get('code', '')}）"))
    rows += [(_("统计期间（起）"), _as_date(scope.get("start"))),
             (_("统计期间（止）"), _as_date(scope.get("end"))),
             (_("数据截至"), _as_date(scope.get("as_of")))]
    if build_info.get("version") is not None:
        rows.append((_("版本"), build_info["version"]))
    if build_info.get("built_at"):
        rows.append((_("生成时间（北京时间）"), _built_at(build_info["built_at"])))
    if build_info.get("inputs_hash"):
        rows.append((_("数据指纹（SHA-256）"), build_info["inputs_hash"]))
    rows.append((_("链接"), _links_note(base_url)))
    row = 3
    for label, value in rows:
        _put(sheet, row, 1, label, font=BOLD)
        _put(sheet, row, 2, value)
        widths.see(1, label)
        row += 1
    row += 1
    _put(sheet, row, 1, _("目录"), font=HEADING_FONT)
    row += 1
    for title in [name for _part, name in section_sheets] + [links_title]:
        _link(sheet, row, 1, title, location=f"{quote_sheetname(title)}!A1")
        widths.see(1, title)
        row += 1
    widths.apply(sheet)
    sheet.column_dimensions["B"].width = 70


def _links_note(base_url: str) -> str:
    if base_url:
        return _("链接为完整网址（%(site)s），登录后可打开。") % {"site": base_url.rstrip("/")}
    return _("链接为站内相对地址：请在前面加上本系统的网址后打开。")


def absolute(url: str, base_url: str) -> str:
    """A site-relative URL made absolute with base_url (when given)."""
    if base_url and url.startswith("/") and not url.startswith("//"):
        return base_url.rstrip("/") + url
    return url


def _write_links(sheet, links: list, base_url: str):
    """One row per link: section, figure or table/row/column, the value, the URL as a hyperlink."""
    widths = _Widths()
    _put(sheet, 1, 1, _links_note(base_url), font=NOTE_FONT)
    heads = [_("章节"), _("类型"), _("指标或表格"), _("行"), _("列"), _("数值"), _("链接"), _("报告中的位置")]
    for column, head in enumerate(heads, start=1):
        cell = _put(sheet, 2, column, head, font=BOLD)
        cell.fill = HEADER_FILL
        widths.see(column, head)
    row = 3
    for part, kind, label, where, column_label, value, number_format, url, (sheet_name, at_row, at_column) in links:
        values = [f"{part['number']} {part['title']}", kind, label, where or None, column_label or None, value]
        for column, cell_value in enumerate(values, start=1):
            _put(sheet, row, column, cell_value, number_format=number_format if column == 6 else None)
            widths.see(column, cell_value)
        target = absolute(url, base_url)
        _link(sheet, row, 7, target, url=target)
        widths.see(7, target)
        cell_name = f"{get_column_letter(at_column)}{at_row}"
        _link(sheet, row, 8, f"{sheet_name}!{cell_name}", location=f"{quote_sheetname(sheet_name)}!{cell_name}")
        widths.see(8, f"{sheet_name}!{cell_name}")
        row += 1
    if not links:
        _put(sheet, row, 1, _("本报告没有链接。"), font=NOTE_FONT)
    widths.apply(sheet)
    sheet.freeze_panes = "A3"
