"""Exports of the programme area: an event's registrations as .xlsx or .csv."""
from __future__ import annotations

import csv
import io

from app.core.spreadsheets import append_row, csv_cell
from app.core.templating import beijing_time
from app.programme.models import Article

HEADERS = ("序号", "姓名", "单位", "联系电话", "参会人数", "报名账号", "报名时间（北京时间）", "备注")


def _rows(article: Article):
    for number, r in enumerate(article.registrations, 1):
        yield (number, r.attendee_name, r.unit, r.phone, r.attendees, r.user.email, beijing_time(r.created_at), r.note)


def registrations_xlsx(article: Article) -> bytes:
    from openpyxl import Workbook  # openpyxl only where a workbook is written (memory)
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报名名单"
    append_row(sheet, [article.title])
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in _rows(article):
        append_row(sheet, list(row))
    for column, width in zip("ABCDEFGH", (6, 12, 28, 16, 10, 28, 20, 30)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def registrations_csv(article: Article) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in _rows(article):
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
