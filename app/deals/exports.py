"""附件2 企业意向临床研究成果转化项目对接表 as a Word document laid out like the official table."""
from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH

from app.core.docx import (NOTE, TEXT_ROW_HEIGHT, add_row, add_text, after_table, cell_paragraph, fill_label,
                           fill_value, full_row, iso_date, member, new_document, new_table, options, pair_row, to_bytes,
                           wan_amount, yes_no)
from app.deals.models import CooperationMode, Specialised

DOCKING_FORM_ANNEX = "附件2"
DOCKING_FORM_TITLE = "企业意向临床研究成果转化项目对接表"
SPECIALISED_OPTIONS = ((Specialised.NATIONAL, "国家级"), (Specialised.PROVINCIAL, "省级"),
                       (Specialised.MUNICIPAL, "市级"), (Specialised.NONE, "否"))
COOPERATION_OPTIONS = ((CooperationMode.TECH_TRANSFER, "技术转让"), (CooperationMode.TECH_EQUITY, "技术入股"),
                       (CooperationMode.JOINT_DEVELOPMENT, "联合开发"), (CooperationMode.COMMISSIONED_RD, "委托研发"),
                       (CooperationMode.LONG_TERM_SERVICE, "委托团队、专家长期技术服务"),
                       (CooperationMode.NEW_ENTITY, "共建新研发、生产实体"))
PROGRESS_HINT = "（1.已开展的工作；2.所处阶段；3.投入资金和人力；4.仪器和设备；5.生产条件；6.其他）"
PROGRESS_PARTS = (("progress_work", "1.已开展的工作"), ("progress_stage", "2.所处阶段"),
                  ("progress_investment", "3.投入资金和人力"), ("progress_equipment", "4.仪器和设备"),
                  ("progress_production", "5.生产条件"), ("progress_other", "6.其他"))


def docking_form_docx(form) -> bytes:
    """附件2 企业意向临床研究成果转化项目对接表, filled from the docking form, ready for the company seal."""
    document = new_document(DOCKING_FORM_ANNEX, DOCKING_FORM_TITLE, subject=form.company_name or "",
                             when=form.updated_at)
    table = new_table(document)

    name_row = add_row(table, TEXT_ROW_HEIGHT)
    fill_label(name_row.cells[0], "企业名称")
    name_cell = name_row.cells[1].merge(name_row.cells[3])
    fill_value(name_cell, form.company_name)
    seal = cell_paragraph(name_cell)
    seal.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(seal, "（加盖公章）")
    full_row(table, "通讯地址", form.address)
    full_row(table, "统一社会\n信用代码", form.uscc)
    pair_row(table, "所属领域", form.field, "法人姓名", form.legal_rep)
    pair_row(table, "注册资金", wan_amount(form.registered_capital_wan), "注册时间", iso_date(form.registered_on))
    pair_row(table, "高新\n技术企业", yes_no(form.high_tech), "专精特新企业",
              options(SPECIALISED_OPTIONS, member(Specialised, form.specialised)))
    pair_row(table, "联系人", form.contact_name, "联系电话", form.contact_phone)
    full_row(table, "企业概况", form.overview, height=TEXT_ROW_HEIGHT)

    heading_row = add_row(table)
    fill_label(heading_row.cells[0].merge(heading_row.cells[3]), "企业技术意向合作情况")
    full_row(table, "项目名称", form.project_name)
    full_row(table, "项目申报机构/人", form.applicant)
    progress = "\n".join(f"{label}：{getattr(form, name) or ''}" for name, label in PROGRESS_PARTS)
    full_row(table, "合作进展情况", progress, hint=PROGRESS_HINT, height=TEXT_ROW_HEIGHT)
    modes = [member(CooperationMode, v) for v in (form.cooperation_modes or [])]
    full_row(table, "合作方式", options(COOPERATION_OPTIONS, modes))

    after_table(document, NOTE)
    return to_bytes(document)
