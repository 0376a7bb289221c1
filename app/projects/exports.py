"""附件1 医疗机构临床研究成果转化项目需求表 as a Word document laid out like the official table."""
from __future__ import annotations

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.shared import Pt

from app.core.docx import (BLANK, NOTE, TEXT_ROW_HEIGHT, add_row, add_text, after_table, cell_paragraph, fill_label,
                           fill_value, full_row, member, new_document, new_table, options, pair_row, programme_province,
                           to_bytes, yes_no)
from app.projects.models import DeviceClass, IpExists, ProjectType, Stage

PROJECT_FORM_ANNEX = "附件1"
PROJECT_FORM_TITLE = "医疗机构临床研究成果转化项目需求表"
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
IP_EXISTS_OPTIONS = ((IpExists.GRANTED, "已授权"), (IpExists.PENDING, "申请中"), (IpExists.NONE, "暂无"))
COMMITMENT_TEXT = ("我承诺填报项目信息真实可靠，知识产权清晰明确。如因第三方提出侵权等引起法律纠纷，"
                   "由本人承担相关责任。")
MARKET_HINT = "相关行业或细分领域的情况（行业背景、需求状况、现状瓶颈、发展趋势等）；国内外同类已上市产品情况"
TEAM_HINT = "项目负责人及团队主要技术成员介绍"
IP_HINT = "申请和授权情况、知识产权所有人"


def project_form_docx(project, *, province: str | None = None) -> bytes:
    """附件1 医疗机构临床研究成果转化项目需求表 with every field filled in; owner and staff only."""
    province = province or programme_province()
    document = new_document(PROJECT_FORM_ANNEX, PROJECT_FORM_TITLE, subject=project.name or "",
                             when=project.updated_at)
    table = new_table(document)

    full_row(table, "项目名称", project.name)
    pair_row(table, "所在城市", project.city, "项目负责人", project.lead_name)
    pair_row(table, "所在部门\n（科室）", project.department, "联系电话", project.phone)
    full_row(table, "电子邮箱", project.email)
    full_row(table, "项目类型", options(PROJECT_TYPE_OPTIONS, member(ProjectType, project.project_type)))
    full_row(table, "产品分类\n（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）",
              options(DEVICE_CLASS_OPTIONS, member(DeviceClass, project.device_class)))
    full_row(table, "项目所处阶段", _stage_options(project))
    full_row(table, "产品结构组成", project.structure, height=TEXT_ROW_HEIGHT)
    full_row(table, "工作原理/作用机理", project.principle, height=TEXT_ROW_HEIGHT)
    full_row(table, "适用范围/预期用途", project.intended_use, height=TEXT_ROW_HEIGHT)
    full_row(table, "临床运用前景", project.clinical_prospects, height=TEXT_ROW_HEIGHT)
    full_row(table, "行业及市场情况", project.market, hint=MARKET_HINT, height=TEXT_ROW_HEIGHT)
    full_row(table, "研究团队情况", project.team, hint=TEAM_HINT, height=TEXT_ROW_HEIGHT)
    ip_value = (f"是否已有知识产权：{options(IP_EXISTS_OPTIONS, member(IpExists, project.ip_exists))}\n"
                f"{project.ip_status or ''}")
    full_row(table, "知识产权情况", ip_value, hint=IP_HINT, height=TEXT_ROW_HEIGHT)
    full_row(table, "列入国家、省、市立项情况", project.funded_programs)
    full_row(table, "目前合作情况", project.current_cooperation)
    _partners_rows(table, project)
    full_row(table, "其他需说明的情况", project.other_notes)
    full_row(table, "公开摘要", project.public_summary)
    commitment = f"{COMMITMENT_TEXT}\n{options(((True, '同意'), (False, '不同意')), project.commitment_agreed or None)}"
    full_row(table, "承诺书", commitment)
    consent_row = add_row(table)
    consent_cell = consent_row.cells[0].merge(consent_row.cells[3])
    consent_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    add_text(cell_paragraph(consent_cell), f"是否愿意在{province}医疗器械临床研究成果转化平台发布？"
                                       f"{BLANK}{yes_no(project.publish_consent)}", bold=True)

    after_table(document, NOTE)
    names = [a.original_name for a in (project.attachments or [])]
    if names:
        after_table(document, "附件材料：" + "；".join(f"{i}.{name}" for i, name in enumerate(names, 1)),
                     space_before=Pt(0))
    owner = project.owner
    # the hospital that approved it in 院内审核; otherwise what the owner named, for the hospital to stamp
    applicant = project.applicant_institution.name if project.applicant_institution else \
        (getattr(owner, 'institution', '') or '')
    after_table(document, f"项目申请单位（公章）：{applicant}", space_before=Pt(24))
    after_table(document, f"项目负责人：{BLANK * 4}", space_before=Pt(24))
    return to_bytes(document)


def _stage_options(project) -> str:
    stage = member(Stage, project.stage)
    other = f"（{project.stage_other}）" if stage is Stage.OTHER and project.stage_other else f"（{BLANK}）"
    choices = tuple((value, label + other if value is Stage.OTHER else label) for value, label in STAGE_OPTIONS)
    return options(choices, stage)


def _partners_rows(table, project) -> None:
    """意向合作企业 spans two rows: （省内） and （省外）."""
    rows = [add_row(table), add_row(table)]
    rows[0].cells[0].merge(rows[1].cells[0])
    fill_label(rows[0].cells[0], "意向合作企业")
    for row, (region, text) in zip(rows, (("（省内）", project.partners_in_province),
                                          ("（省外）", project.partners_out_of_province))):
        fill_label(row.cells[1], region)
        fill_value(row.cells[2].merge(row.cells[3]), text)
    for cell in rows[0].cells:  # keep （省内） and （省外） on one page
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
