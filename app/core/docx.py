"""Word documents laid out like the official tables (附件1, 附件2, 总结评估): fonts, table rows, option marks, download names.

The labels are the forms' official Chinese wording and are never translated, whatever the
reader's interface language: the printed form is what the programme office files.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from flask import current_app, has_app_context, send_file

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(12)    # 小四
HINT_SIZE = Pt(10.5)  # 五号
ANNEX_SIZE = Pt(16)   # 三号
TITLE_SIZE = Pt(18)   # 小二
HINT_COLOUR = RGBColor(0x59, 0x59, 0x59)
LABEL_SHADING = "F2F2F2"
CHECKED, UNCHECKED = "☑", "□"
BLANK = "\u3000" * 3  # room to write by hand

# A4 with 25 mm top/bottom and 22 mm side margins; the table fills the 166 mm between.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TB, MARGIN_LR = Mm(25), Mm(22)
COLUMN_WIDTHS = (Mm(34), Mm(49), Mm(34), Mm(49))
TEXT_ROW_HEIGHT = Mm(16)
SHORT_ROW_HEIGHT = Mm(9)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FALLBACK_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
AUTHOR = "ClinBridge 临床研究成果转化对接平台"
NOTE = "注：此表可另附纸，对相关内容进行详细说明。"
DEFAULT_PROVINCE = "福建省"











def options(choices, selected) -> str:
    """The full option list, the chosen ones ticked: "☑有源 □无源 □体外诊断试剂"."""
    chosen = set(selected) if isinstance(selected, (list, tuple, set, frozenset)) else {selected}
    return " ".join(f"{CHECKED if value in chosen else UNCHECKED}{label}" for value, label in choices)


def member(enum_cls, value):
    """The enum member for a member or its stored value (unsaved objects may still hold the string); else None."""
    try:
        return enum_cls.coerce(value)
    except (ValueError, TypeError):
        return None


def yes_no(value: bool | None) -> str:
    """是/否 with an unanswered question left blank rather than read as 否."""
    return options(((True, "是"), (False, "否")), value)


def wan_amount(value) -> str:
    """An amount in 万元 as the form prints it: "500 万元"; blank space when unknown."""
    if value is None or value == "":
        return f"{BLANK}万元"
    text = f"{Decimal(str(value)):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} 万元"


def iso_date(value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


# Characters an XML document cannot hold (python-docx raises on them).
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _lines(text) -> list[str]:
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def add_text(paragraph, text: str, *, east_asia: str = BODY_FONT, size=BODY_SIZE, bold: bool = False,
             colour: RGBColor | None = None):
    """Append a run with the East-Asian font set, so Word shows 宋体/黑体 rather than its Latin fallback."""
    run = paragraph.add_run(XML_UNSAFE.sub("", str(text)))  # forms refuse these; imported text may still carry them
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return run


def new_document(annex: str, title: str, *, subject: str, when: datetime | None):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin = section.bottom_margin = MARGIN_TB
    section.left_margin = section.right_margin = MARGIN_LR
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)

    properties = document.core_properties
    properties.title = XML_UNSAFE.sub("", f"{annex} {title}")
    properties.subject = XML_UNSAFE.sub("", subject)
    properties.author = properties.last_modified_by = AUTHOR
    properties.created = properties.modified = _utc(when)
    properties.revision = 1

    add_text(document.add_paragraph(), annex, east_asia=TITLE_FONT, size=ANNEX_SIZE)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.space_after = Pt(12)
    add_text(heading, title, east_asia=TITLE_FONT, size=TITLE_SIZE, bold=True)
    return document


def _utc(when: datetime | None) -> datetime:
    when = when or FALLBACK_TIME
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def new_table(document):
    table = document.add_table(rows=0, cols=len(COLUMN_WIDTHS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS):
        column.width = width
    return table


def add_row(table, height=SHORT_ROW_HEIGHT):
    row = table.add_row()
    row.height = height
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
    for cell, width in zip(row.cells, COLUMN_WIDTHS):
        cell.width = width
    return row


def _shade(cell, fill: str = LABEL_SHADING) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def cell_paragraph(cell):
    """The cell's first, still empty paragraph, else a new one."""
    first = cell.paragraphs[0]
    if len(cell.paragraphs) == 1 and not first.runs:
        return first
    return cell.add_paragraph()


def fill_label(cell, text: str, *, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _shade(cell)
    for line in _lines(text):
        paragraph = cell_paragraph(cell)
        paragraph.alignment = align
        add_text(paragraph, line, bold=True)


def fill_value(cell, text="", *, hint: str = "", align=None) -> None:
    """A value cell: an optional grey hint line (the official form's prompt), then the text line by line."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    if hint:
        add_text(cell_paragraph(cell), hint, size=HINT_SIZE, colour=HINT_COLOUR)
    for line in _lines(text):
        paragraph = cell_paragraph(cell)
        if align is not None:
            paragraph.alignment = align
        add_text(paragraph, line)


def full_row(table, label: str, text="", *, hint: str = "", height=SHORT_ROW_HEIGHT):
    """Label in the first column, the value spanning the other three."""
    row = add_row(table, height)
    value_cell = row.cells[1].merge(row.cells[3])
    fill_label(row.cells[0], label)
    fill_value(value_cell, text, hint=hint)
    return row


def pair_row(table, label1: str, text1, label2: str, text2):
    row = add_row(table)
    fill_label(row.cells[0], label1)
    fill_value(row.cells[1], text1)
    fill_label(row.cells[2], label2)
    fill_value(row.cells[3], text2)
    return row


def after_table(document, text: str, *, space_before=Pt(6)):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = space_before
    add_text(paragraph, text)
    return paragraph


def to_bytes(document) -> bytes:
    """Save with fixed zip timestamps so the same form always gives the same bytes."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def programme_province() -> str:
    if has_app_context():
        return current_app.config.get("PLATFORM_PROVINCE") or DEFAULT_PROVINCE
    return DEFAULT_PROVINCE

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROJECT_FORM_NAME = "附件1-医疗机构临床研究成果转化项目需求表-{}.docx"
DOCKING_FORM_NAME = "附件2-企业意向临床研究成果转化项目对接表-{}.docx"
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_name(template: str, name: str) -> str:
    """The Chinese download name, with characters Windows refuses in file names replaced."""
    cleaned = _UNSAFE_IN_NAME.sub("_", name or "").strip(" .") or "未命名"
    return template.format(cleaned[:80])


def send_docx(data: bytes, name: str):
    response = send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"  # confidential tiers: keep out of shared caches
    return response
