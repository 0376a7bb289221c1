"""附件1 and 附件2 as Word documents laid out like the official tables, ready to print and stamp (公章).

The labels are the forms' official Chinese wording and are never translated, whatever the
reader's interface language: the printed form is what the programme office files.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from app.models.deal import CooperationMode, Specialised
from app.models.project import DeviceClass, IpExists, ProjectType, Stage

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

PROJECT_FORM_ANNEX = "附件1"
PROJECT_FORM_TITLE = "医疗机构临床研究成果转化项目需求表"
DOCKING_FORM_ANNEX = "附件2"
DOCKING_FORM_TITLE = "企业意向临床研究成果转化项目对接表"
NOTE = "注：此表可另附纸，对相关内容进行详细说明。"
DEFAULT_PROVINCE = "福建省"

# The official option wording, in the forms' order.
PROJECT_TYPE_OPTIONS = ((ProjectType.ACTIVE, "有源"), (ProjectType.PASSIVE, "无源"),
                        (ProjectType.IVD, "体外诊断试剂"))
DEVICE_CLASS_OPTIONS = ((DeviceClass.I, "Ⅰ类医疗器械"), (DeviceClass.II, "Ⅱ类医疗器械"),
                        (DeviceClass.III, "Ⅲ类医疗器械"), (DeviceClass.COMBINATION, "药械组合"),
                        (DeviceClass.UNDETERMINED, "待确定"))
STAGE_OPTIONS = ((Stage.CONCEPT, "概念阶段"), (Stage.SAMPLE, "样品阶段"),
                 (Stage.DESIGN_VERIFICATION, "设计验证阶段"), (Stage.PRODUCTION_VERIFICATION, "生产验证阶段"),
                 (Stage.REGISTRATION_TESTING, "注册检验阶段"), (Stage.CLINICAL_TRIAL, "临床试验阶段"),
                 (Stage.OTHER, "其他"))
SPECIALISED_OPTIONS = ((Specialised.NATIONAL, "国家级"), (Specialised.PROVINCIAL, "省级"),
                       (Specialised.MUNICIPAL, "市级"), (Specialised.NONE, "否"))
COOPERATION_OPTIONS = ((CooperationMode.TECH_TRANSFER, "技术转让"), (CooperationMode.TECH_EQUITY, "技术入股"),
                       (CooperationMode.JOINT_DEVELOPMENT, "联合开发"), (CooperationMode.COMMISSIONED_RD, "委托研发"),
                       (CooperationMode.LONG_TERM_SERVICE, "委托团队、专家长期技术服务"),
                       (CooperationMode.NEW_ENTITY, "共建新研发、生产实体"))
IP_EXISTS_OPTIONS = ((IpExists.GRANTED, "已授权"), (IpExists.PENDING, "申请中"), (IpExists.NONE, "暂无"))
COMMITMENT_TEXT = ("我承诺填报项目信息真实可靠，知识产权清晰明确。如因第三方提出侵权等引起法律纠纷，"
                   "由本人承担相关责任。")
MARKET_HINT = "相关行业或细分领域的情况（行业背景、需求状况、现状瓶颈、发展趋势等）；国内外同类已上市产品情况"
TEAM_HINT = "项目负责人及团队主要技术成员介绍"
IP_HINT = "申请和授权情况、知识产权所有人"
PROGRESS_HINT = "（1.已开展的工作；2.所处阶段；3.投入资金和人力；4.仪器和设备；5.生产条件；6.其他）"
PROGRESS_PARTS = (("progress_work", "1.已开展的工作"), ("progress_stage", "2.所处阶段"),
                  ("progress_investment", "3.投入资金和人力"), ("progress_equipment", "4.仪器和设备"),
                  ("progress_production", "5.生产条件"), ("progress_other", "6.其他"))


# --- text helpers ---------------------------------------------------------------------------

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


def _lines(text) -> list[str]:
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --- layout helpers (python-docx) -----------------------------------------------------------

def add_text(paragraph, text: str, *, east_asia: str = BODY_FONT, size=BODY_SIZE, bold: bool = False,
             colour: RGBColor | None = None):
    """Append a run with the East-Asian font set, so Word shows 宋体/黑体 rather than its Latin fallback."""
    run = paragraph.add_run(text)
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _new_document(annex: str, title: str, *, subject: str, when: datetime | None):
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
    properties.title = f"{annex} {title}"
    properties.subject = subject
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


def _new_table(document):
    table = document.add_table(rows=0, cols=len(COLUMN_WIDTHS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS):
        column.width = width
    return table


def _add_row(table, height=SHORT_ROW_HEIGHT):
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


def _paragraph(cell):
    """The cell's first, still empty paragraph, else a new one."""
    first = cell.paragraphs[0]
    if len(cell.paragraphs) == 1 and not first.runs:
        return first
    return cell.add_paragraph()


def _label(cell, text: str, *, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _shade(cell)
    for line in _lines(text):
        paragraph = _paragraph(cell)
        paragraph.alignment = align
        add_text(paragraph, line, bold=True)


def _value(cell, text="", *, hint: str = "", align=None) -> None:
    """A value cell: an optional grey hint line (the official form's prompt), then the text line by line."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    if hint:
        add_text(_paragraph(cell), hint, size=HINT_SIZE, colour=HINT_COLOUR)
    for line in _lines(text):
        paragraph = _paragraph(cell)
        if align is not None:
            paragraph.alignment = align
        add_text(paragraph, line)


def _full_row(table, label: str, text="", *, hint: str = "", height=SHORT_ROW_HEIGHT):
    """Label in the first column, the value spanning the other three."""
    row = _add_row(table, height)
    value_cell = row.cells[1].merge(row.cells[3])
    _label(row.cells[0], label)
    _value(value_cell, text, hint=hint)
    return row


def _pair_row(table, label1: str, text1, label2: str, text2):
    row = _add_row(table)
    _label(row.cells[0], label1)
    _value(row.cells[1], text1)
    _label(row.cells[2], label2)
    _value(row.cells[3], text2)
    return row


def _after_table(document, text: str, *, space_before=Pt(6)):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = space_before
    add_text(paragraph, text)
    return paragraph


def _to_bytes(document) -> bytes:
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


def _province() -> str:
    from flask import current_app, has_app_context
    if has_app_context():
        return current_app.config.get("PLATFORM_PROVINCE") or DEFAULT_PROVINCE
    return DEFAULT_PROVINCE


# --- 附件1 ----------------------------------------------------------------------------------

def project_form_docx(project, *, province: str | None = None) -> bytes:
    """附件1 医疗机构临床研究成果转化项目需求表 with every field filled in; owner and staff only."""
    province = province or _province()
    document = _new_document(PROJECT_FORM_ANNEX, PROJECT_FORM_TITLE, subject=project.name or "",
                             when=project.updated_at)
    table = _new_table(document)

    _full_row(table, "项目名称", project.name)
    _pair_row(table, "所在城市", project.city, "项目负责人", project.lead_name)
    _pair_row(table, "所在部门\n（科室）", project.department, "联系电话", project.phone)
    _full_row(table, "电子邮箱", project.email)
    _full_row(table, "项目类型", options(PROJECT_TYPE_OPTIONS, member(ProjectType, project.project_type)))
    _full_row(table, "产品分类\n（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）",
              options(DEVICE_CLASS_OPTIONS, member(DeviceClass, project.device_class)))
    _full_row(table, "项目所处阶段", _stage_options(project))
    _full_row(table, "产品结构组成", project.structure, height=TEXT_ROW_HEIGHT)
    _full_row(table, "工作原理/作用机理", project.principle, height=TEXT_ROW_HEIGHT)
    _full_row(table, "适用范围/预期用途", project.intended_use, height=TEXT_ROW_HEIGHT)
    _full_row(table, "临床运用前景", project.clinical_prospects, height=TEXT_ROW_HEIGHT)
    _full_row(table, "行业及市场情况", project.market, hint=MARKET_HINT, height=TEXT_ROW_HEIGHT)
    _full_row(table, "研究团队情况", project.team, hint=TEAM_HINT, height=TEXT_ROW_HEIGHT)
    ip_value = (f"是否已有知识产权：{options(IP_EXISTS_OPTIONS, member(IpExists, project.ip_exists))}\n"
                f"{project.ip_status or ''}")
    _full_row(table, "知识产权情况", ip_value, hint=IP_HINT, height=TEXT_ROW_HEIGHT)
    _full_row(table, "列入国家、省、市立项情况", project.funded_programs)
    _full_row(table, "目前合作情况", project.current_cooperation)
    _partners_rows(table, project)
    _full_row(table, "其他需说明的情况", project.other_notes)
    _full_row(table, "公开摘要", project.public_summary)
    commitment = f"{COMMITMENT_TEXT}\n{options(((True, '同意'), (False, '不同意')), project.commitment_agreed or None)}"
    _full_row(table, "承诺书", commitment)
    consent_row = _add_row(table)
    consent_cell = consent_row.cells[0].merge(consent_row.cells[3])
    consent_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    add_text(_paragraph(consent_cell), f"是否愿意在{province}医疗器械临床研究成果转化平台发布？"
                                       f"{BLANK}{yes_no(project.publish_consent)}", bold=True)

    _after_table(document, NOTE)
    names = [a.original_name for a in (project.attachments or [])]
    if names:
        _after_table(document, "附件材料：" + "；".join(f"{i}.{name}" for i, name in enumerate(names, 1)),
                     space_before=Pt(0))
    owner = project.owner
    _after_table(document, f"项目申请单位（公章）：{getattr(owner, 'institution', '') or ''}", space_before=Pt(24))
    _after_table(document, f"项目负责人：{BLANK * 4}", space_before=Pt(24))
    return _to_bytes(document)


def _stage_options(project) -> str:
    stage = member(Stage, project.stage)
    other = f"（{project.stage_other}）" if stage is Stage.OTHER and project.stage_other else f"（{BLANK}）"
    choices = tuple((value, label + other if value is Stage.OTHER else label) for value, label in STAGE_OPTIONS)
    return options(choices, stage)


def _partners_rows(table, project) -> None:
    """意向合作企业 spans two rows: （省内） and （省外）."""
    rows = [_add_row(table), _add_row(table)]
    rows[0].cells[0].merge(rows[1].cells[0])
    _label(rows[0].cells[0], "意向合作企业")
    for row, (region, text) in zip(rows, (("（省内）", project.partners_in_province),
                                          ("（省外）", project.partners_out_of_province))):
        _label(row.cells[1], region)
        _value(row.cells[2].merge(row.cells[3]), text)
    for cell in rows[0].cells:  # keep （省内） and （省外） on one page
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


# --- 附件2 ----------------------------------------------------------------------------------

def docking_form_docx(form) -> bytes:
    """附件2 企业意向临床研究成果转化项目对接表, filled from the docking form, ready for the company seal."""
    document = _new_document(DOCKING_FORM_ANNEX, DOCKING_FORM_TITLE, subject=form.company_name or "",
                             when=form.updated_at)
    table = _new_table(document)

    name_row = _add_row(table, TEXT_ROW_HEIGHT)
    _label(name_row.cells[0], "企业名称")
    name_cell = name_row.cells[1].merge(name_row.cells[3])
    _value(name_cell, form.company_name)
    seal = _paragraph(name_cell)
    seal.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(seal, "（加盖公章）")
    _full_row(table, "通讯地址", form.address)
    _full_row(table, "统一社会\n信用代码", form.uscc)
    _pair_row(table, "所属领域", form.field, "法人姓名", form.legal_rep)
    _pair_row(table, "注册资金", wan_amount(form.registered_capital_wan), "注册时间", iso_date(form.registered_on))
    _pair_row(table, "高新\n技术企业", yes_no(form.high_tech), "专精特新企业",
              options(SPECIALISED_OPTIONS, member(Specialised, form.specialised)))
    _pair_row(table, "联系人", form.contact_name, "联系电话", form.contact_phone)
    _full_row(table, "企业概况", form.overview, height=TEXT_ROW_HEIGHT)

    heading_row = _add_row(table)
    _label(heading_row.cells[0].merge(heading_row.cells[3]), "企业技术意向合作情况")
    _full_row(table, "项目名称", form.project_name)
    _full_row(table, "项目申报机构/人", form.applicant)
    progress = "\n".join(f"{label}：{getattr(form, name) or ''}" for name, label in PROGRESS_PARTS)
    _full_row(table, "合作进展情况", progress, hint=PROGRESS_HINT, height=TEXT_ROW_HEIGHT)
    modes = [member(CooperationMode, v) for v in (form.cooperation_modes or [])]
    _full_row(table, "合作方式", options(COOPERATION_OPTIONS, modes))

    _after_table(document, NOTE)
    return _to_bytes(document)
