"""总结评估: the task force's period summary as an Excel workbook and a Word report.

Both are built from one DashboardFigures (app/reporting/dashboard.py), computed under the Chinese
locale by the caller: the evaluation is filed in Chinese whatever the reader's interface language.
"""
from __future__ import annotations

import io
from functools import lru_cache

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from app.core.docx import BODY_FONT, BODY_SIZE, LATIN_FONT, TITLE_FONT, add_text
from app.core.spreadsheets import append_row
from app.reporting.dashboard import DashboardFigures, days_text, percent_text

REPORT_TITLE = "医疗器械临床研究成果转化工作总结评估"
AUTHOR = "ClinBridge 临床研究成果转化对接平台"
HEADER_FILL = "DDE6F0"
NONE_TEXT = "—"
EMPTY_TEXT = "暂无数据"

DEFINITIONS = (
    "漏斗各环节按项目计数：某项目首次到达该环节的时间落在统计期间内即计入；到达后一环节的项目视为已经过前面各环节。",
    "“意向被接受”包括项目负责人接受合作意向及由此进入合作洽谈的项目；转化率为本环节项目数占上一环节项目数的比例。",
    "项目分布的统计对象为统计期间内首次提交受理的项目（不含草稿）；申报机构取项目负责人账号登记的单位。",
    "各阶段停留天数为项目从进入某状态到离开该状态的时间中位数，只统计在统计期间内结束的停留。",
    "婉拒原因按统计期间内被婉拒的合作意向计数；逾期里程碑为截至统计日期计划完成日期已过且未完成的里程碑。",
    "所有日期、时间均为北京时间。",
)


@lru_cache(maxsize=1)
def _border():
    """The thin grey cell border (one object for every cell, as openpyxl shares styles)."""
    from openpyxl.styles import Border, Side  # openpyxl only where a workbook is written (memory)
    thin = Side(style="thin", color="A6A6A6")
    return Border(left=thin, right=thin, top=thin, bottom=thin)


def summary_xlsx(figures: DashboardFigures) -> bytes:
    """The workbook: 概览, 漏斗, 分布, 各阶段停留天数, 婉拒原因, 月度趋势, 逾期里程碑."""
    from openpyxl import Workbook  # openpyxl only where a workbook is written (memory)
    from openpyxl.styles import Alignment

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = REPORT_TITLE
    workbook.properties.creator = AUTHOR

    sheet = _sheet(workbook, "概览", ("指标", "数值"), (42, 30))
    for label, value in figures.overview():
        _row(sheet, (label, value))

    sheet = _sheet(workbook, "漏斗", ("环节", "项目数", "较上一环节转化率", "占提交受理比例"), (18, 12, 20, 18))
    for step in figures.funnel:
        _row(sheet, (step.label, step.count, _fraction(step.rate), _fraction(step.overall)), percent=(3, 4))

    sheet = _sheet(workbook, "分布", ("维度", "类别", "项目数", "占比"), (16, 36, 12, 12))
    for key, shares in figures.breakdowns.items():
        title = figures.breakdown_labels[key]
        total = sum(s.count for s in shares)
        for share in shares:
            _row(sheet, (title, share.label, share.count, _fraction(_share(share.count, total))), percent=(4,))
        _row(sheet, (title, "合计", total, _fraction(100.0 if total else None)), percent=(4,), bold=True)

    sheet = _sheet(workbook, "各阶段停留天数", ("状态", "停留天数中位数（天）", "已完成的停留（次）"), (16, 24, 22))
    for stay in figures.stays:
        _row(sheet, (stay.label, stay.median_days if stay.median_days is not None else NONE_TEXT, stay.stays))

    sheet = _sheet(workbook, "婉拒原因", ("婉拒原因", "条数", "占比"), (24, 10, 12))
    for share in figures.declines:
        _row(sheet, (share.label, share.count, _fraction(_share(share.count, figures.declined))), percent=(3,))
    _row(sheet, ("合计", figures.declined, _fraction(100.0 if figures.declined else None)), percent=(3,), bold=True)

    sheet = _sheet(workbook, "月度趋势", ("月份", "提交受理（个）", "入库发布（个）", "签约落地（个）"), (12, 16, 16, 16))
    for month in figures.trend:
        _row(sheet, (month.month, month.submitted, month.published, month.signed))
    _row(sheet, ("合计", sum(m.submitted for m in figures.trend), sum(m.published for m in figures.trend),
                 sum(m.signed for m in figures.trend)), bold=True)

    sheet = _sheet(workbook, "逾期里程碑", ("项目编号", "项目名称", "里程碑", "计划完成日期", "逾期天数", "当前状态"),
                   (10, 40, 28, 14, 10, 10))
    for item in figures.overdue:
        _row(sheet, (item.project_id, item.project_name, item.milestone, item.planned_on, item.days_overdue,
                     item.status), date_columns=(4,))
    if not figures.overdue:
        _row(sheet, (EMPTY_TEXT,))
    else:
        _row(sheet, ("合计", f"{len(figures.overdue)} 个"), bold=True)

    sheet = _sheet(workbook, "说明", ("统计口径",), (110,))
    for text in DEFINITIONS:
        _row(sheet, (text,))
    for row in sheet.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet(workbook, title: str, headers: tuple[str, ...], widths: tuple[int, ...]):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    border = _border()
    append_row(sheet, headers)
    for index, width in enumerate(widths, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(name=BODY_FONT, bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape" if len(headers) > 4 else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    return sheet


def _row(sheet, values, *, percent=(), date_columns=(), bold=False) -> None:
    from openpyxl.styles import Font

    border = _border()
    for index, cell in enumerate(append_row(sheet, values), 1):
        cell.font = Font(name=BODY_FONT, bold=bold)
        cell.border = border
        if index in percent and isinstance(cell.value, float):
            cell.number_format = "0.0%"
        if index in date_columns:
            cell.number_format = "yyyy-mm-dd"


def _fraction(rate: float | None):
    """A percent figure as Excel stores it (0.5 shown as 50.0%), or a dash when undefined."""
    return NONE_TEXT if rate is None else round(rate / 100.0, 4)


def _share(count: int, total: int) -> float | None:
    return None if not total else 100.0 * count / total


HEADING_SIZE = Pt(14)   # 四号
SUBHEADING_SIZE = Pt(12)
TABLE_SIZE = Pt(10.5)   # 五号


def summary_docx(figures: DashboardFigures, requests=None, improvements: str = "") -> bytes:
    """The Word report: title, period, a generated narrative, then each figure as a heading and a table."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    properties = document.core_properties
    properties.title = REPORT_TITLE
    properties.subject = figures.period.label
    properties.author = properties.last_modified_by = AUTHOR

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    add_text(title, REPORT_TITLE, east_asia=TITLE_FONT, size=Pt(18), bold=True)
    for line in (f"统计期间：{figures.period.label}", f"统计日期：{figures.today.isoformat()}（北京时间）"):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(paragraph, line)

    _heading(document, "一、总体情况")
    _body(document, figures.narrative())
    _table(document, ("指标", "数值"), [(label, value) for label, value in figures.overview()[2:]])

    _heading(document, "二、转化漏斗")
    _table(document, ("环节", "项目数", "较上一环节转化率", "占提交受理比例"),
           [(s.label, s.count, percent_text(s.rate), percent_text(s.overall)) for s in figures.funnel])

    _heading(document, "三、项目分布")
    _body(document, f"统计对象：统计期间内提交受理的项目，共 {figures.received} 个。")
    for number, (key, shares) in enumerate(figures.breakdowns.items(), 1):
        _heading(document, f"（{_CHINESE_NUMBERS[number]}）按{figures.breakdown_labels[key]}", level=2)
        total = sum(s.count for s in shares)
        if not total:
            _body(document, EMPTY_TEXT)
            continue
        rows = [(s.label, s.count, percent_text(_share(s.count, total))) for s in shares]
        _table(document, (figures.breakdown_labels[key], "项目数", "占比"), rows + [("合计", total, "100.0%")])

    _heading(document, "四、各阶段停留时间")
    if any(s.stays for s in figures.stays):
        _table(document, ("状态", "停留天数中位数（天）", "已完成的停留（次）"),
               [(s.label, days_text(s.median_days), s.stays) for s in figures.stays])
    else:
        _body(document, EMPTY_TEXT)

    _heading(document, "五、意向婉拒原因")
    if figures.declined:
        rows = [(s.label, s.count, percent_text(_share(s.count, figures.declined))) for s in figures.declines]
        _table(document, ("婉拒原因", "条数", "占比"), rows + [("合计", figures.declined, "100.0%")])
    else:
        _body(document, EMPTY_TEXT)

    _heading(document, "六、月度趋势")
    rows = [(m.month, m.submitted, m.published, m.signed) for m in figures.trend]
    rows.append(("合计", sum(m.submitted for m in figures.trend), sum(m.published for m in figures.trend),
                 sum(m.signed for m in figures.trend)))
    _table(document, ("月份", "提交受理（个）", "入库发布（个）", "签约落地（个）"), rows)

    _heading(document, "七、逾期里程碑")
    if figures.overdue:
        _body(document, f"截至 {figures.today.isoformat()}，逾期未完成的里程碑共 {len(figures.overdue)} 个。")
        _table(document, ("项目名称", "里程碑", "计划完成日期", "逾期天数"),
               [(i.project_name, i.milestone, i.planned_on.isoformat(), i.days_overdue) for i in figures.overdue])
    else:
        _body(document, f"截至 {figures.today.isoformat()}，没有逾期未完成的里程碑。")

    if requests is not None:
        _heading(document, "八、服务申请办理情况")
        _body(document, f"本期提交服务申请 {requests.total} 件，受理用时中位数 {days_text(requests.median_days_to_accept)} 天，"
                        f"办结用时中位数 {days_text(requests.median_days_to_close)} 天，获批补助与奖励合计 {requests.granted_wan} 万元，"
                        f"逾期未办 {len(requests.overdue)} 件。")
        rows = [(k.label, requests.kind_total(k), requests.state_total_for(k, "closed"))
                for k in requests.kinds if requests.kind_total(k)]
        if rows:
            _table(document, ("事项", "申请（件）", "已办结（件）"), rows)
        _heading(document, "九、问题分析与改进建议")
        for line in (improvements or "").splitlines():
            if line.strip():
                _body(document, line.strip())
        _heading(document, "十、统计口径说明")
    else:
        _heading(document, "八、统计口径说明")
    for number, text in enumerate(DEFINITIONS, 1):
        _body(document, f"{number}. {text}")

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_CHINESE_NUMBERS = "〇一二三四五六七八九十"


def _heading(document, text: str, level: int = 1) -> None:
    """A real Word heading (navigation pane, outline) in 黑体 black rather than the theme's blue Latin font."""
    paragraph = document.add_paragraph(style=f"Heading {level}")
    paragraph.paragraph_format.space_before = Pt(12 if level == 1 else 6)
    paragraph.paragraph_format.space_after = Pt(6)
    add_text(paragraph, text, east_asia=TITLE_FONT, size=HEADING_SIZE if level == 1 else SUBHEADING_SIZE,
             bold=True, colour=RGBColor(0, 0, 0))


def _body(document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(24)
    paragraph.paragraph_format.line_spacing = 1.5
    add_text(paragraph, text)


def _table(document, headers: tuple[str, ...], rows: list[tuple]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        _shade(cell)
        add_text(cell.paragraphs[0], text, size=TABLE_SIZE, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # repeat the header row on every page
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values)):
            add_text(cell.paragraphs[0], "" if value is None else str(value), size=TABLE_SIZE,
                     bold=values[0] == "合计")
            if index:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph()


def _shade(cell) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), HEADER_FILL)
    cell._tc.get_or_add_tcPr().append(shading)
