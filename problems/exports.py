"""The problem list as a spreadsheet (CSV and XLSX), with the list page's filters: every column the
table shows plus the description, the place, the ending and its reason and the reopen count.

Text a person typed can start with = + - @: a spreadsheet would run it as a formula (CSV injection).
CSV cells of text get a leading apostrophe then; XLSX cells are written as text, never as formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from . import selectors
from .models import OPEN_STATES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns():
    return [
        _("编号"), _("问题类别"), _("河流/支沟"), _("责任单位"), _("状态"), _("结果"), _("未解决原因"), _("来源"),
        _("发现日期"), _("发现时间"), _("办理期限"), _("剩余天数"), _("逾期天数"), _("督办"), _("问题描述"),
        _("经度"), _("纬度"), _("重新打开次数"),
    ]


def rows(problems, today: date):
    """One list of typed values per problem: numbers as numbers, days as dates, text as text."""
    for problem in problems.iterator(chunk_size=500):
        left = selectors.days_left(problem, today)
        observed = timezone.localtime(problem.observed_at)
        point = problem.point_api
        yield [
            problem.pk,
            problem.get_category_display(),
            problem.waterway.name if problem.waterway_id else "",
            problem.unit.name if problem.unit_id else "",
            problem.get_state_display(),
            problem.get_ending_display() if problem.ending else "",
            problem.get_not_fixed_reason_display() if problem.not_fixed_reason else "",
            problem.get_source_display(),
            observed.date(),
            observed.replace(tzinfo=None, microsecond=0),
            problem.deadline,
            left if left is not None and left >= 0 else None,
            -left if left is not None and left < 0 else None,
            _("是") if problem.supervised_at is not None and problem.state in OPEN_STATES else "",
            problem.note,
            round(point.x, 6) if point is not None else None,
            round(point.y, 6) if point is not None else None,
            problem.reopen_count,
        ]


def safe_text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def as_csv(problems, today: date) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns())
    for row in rows(problems, today):
        writer.writerow([
            safe_text(value) if isinstance(value, str)
            else value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour")
            else value.isoformat() if isinstance(value, date)
            else "" if value is None else value
            for value in row
        ])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(problems, today: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("问题清单")
    heads = columns()
    sheet.append(heads)
    for number, row in enumerate(rows(problems, today), start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                # Assigned as a value openpyxl would read "=…" as a formula: set the text type itself.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"
            else:
                cell.value = value
                if hasattr(value, "hour"):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
    for column, head in enumerate(heads, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = 30 if head == _("问题描述") else max(10, 2 * len(head) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(extension: str, today: date) -> str:
    return f"problems-{today.isoformat()}.{extension}"
