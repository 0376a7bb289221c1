"""The report to the national review centre's clinical translation database (报送国家局器审中心).

Two files per batch, carrying every field of 附件1 (an official report by staff, like the paper form):

report.xlsx — sheet 项目需求表, one row per project, one column per field, Chinese headers in this order
(the importer reads the same headers back: app/projects/importer.py); sheet 字段说明 repeats this table.

    列名 (header)                              | exchange key              | value coding
    -------------------------------------------|---------------------------|------------------------------------------
    项目编号                                    | id                        | 整数 (the platform's project id)
    项目名称                                    | name                      | 文本
    所在城市                                    | city                      | 文本
    项目负责人                                  | lead_name                 | 文本
    所在部门（科室）                            | department                | 文本
    联系电话                                    | phone                     | 文本
    电子邮箱                                    | email                     | 文本
    项目类型                                    | project_type              | 有源=active 无源=passive 体外诊断试剂=ivd
    产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定） | device_class              | Ⅰ类医疗器械=I Ⅱ类医疗器械=II Ⅲ类医疗器械=III
                                               |                           | 药械组合=combination 待确定=undetermined
    项目所处阶段                                | stage                     | 概念阶段=concept 样品阶段=sample
                                               |                           | 设计验证阶段=design_verification
                                               |                           | 生产验证阶段=production_verification
                                               |                           | 注册检验阶段=registration_testing
                                               |                           | 临床试验阶段=clinical_trial 其他=other
    其他阶段说明                                | stage_other               | 文本 (the text of 其他（ ）)
    产品结构组成                                | structure                 | 文本
    工作原理/作用机理                           | principle                 | 文本
    适用范围/预期用途                           | intended_use              | 文本
    临床运用前景                                | clinical_prospects        | 文本
    行业及市场情况                              | market                    | 文本
    研究团队情况                                | team                      | 文本
    是否已有知识产权                            | ip_exists (.xlsx only)    | 已授权=granted 申请中=pending 暂无=none
    知识产权情况                                | ip_status                 | 文本
    列入国家、省、市立项情况                    | funded_programs           | 文本
    目前合作情况                                | current_cooperation       | 文本
    意向合作企业（省内）                        | partners_in_province      | 文本
    意向合作企业（省外）                        | partners_out_of_province  | 文本
    其他需说明的情况                            | other_notes               | 文本
    公开摘要                                    | public_summary            | 文本
    承诺书                                      | commitment_agreed         | 是=true 否=false
    是否愿意在平台发布                          | publish_consent           | 是=true 否=false 空=null
    入库时间                                    | — (.xlsx only)            | 北京时间 YYYY-MM-DD HH:MM (初核通过时间)

Empty text is an empty cell; an option not filled in is an empty cell.

report.jsonl — UTF-8, one JSON object per line, keys exactly DESIGN.md's project record (id, name, city,
lead_name, department, phone, email, project_type, device_class, stage, stage_other, structure, principle,
intended_use, clinical_prospects, market, team, ip_status, funded_programs, current_cooperation,
partners_in_province, partners_out_of_province, other_notes, commitment_agreed, publish_consent,
public_summary); options as the codes above, 是/否 as true/false, unknown as null or "".
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

from flask_babel import force_locale

from app.core.exchange import BOOLEAN_FIELDS, EXCHANGE_KEYS, exchange_record
from app.core.spreadsheets import append_row
from app.core.templating import beijing_time
from app.projects.importer import export_cell
from app.projects.models import ENUM_FIELDS, PROJECT_FIELDS

ID_HEADER = "项目编号"
PUBLISHED_HEADER = "入库时间"
SHEET_TITLE = "项目需求表"
MAPPING_SHEET_TITLE = "字段说明"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSONL_MIMETYPE = "application/x-ndjson"


@dataclass(frozen=True)
class Column:
    header: str   # the Chinese column header of report.xlsx
    key: str      # the exchange key ("" when the column is not part of the exchange record)
    coding: str   # how values are written


def _coding(name: str) -> str:
    if name in ENUM_FIELDS:
        with force_locale("zh"):
            return "；".join(f"{m.label} = {m.value}" for m in ENUM_FIELDS[name])
    if name == "publish_consent":
        return "是 = true；否 = false；空 = null"
    if name in BOOLEAN_FIELDS:
        return "是 = true；否 = false"
    return "文本"


def columns() -> list[Column]:
    """The columns of report.xlsx in order: 项目编号, every 附件1 field with its form label, 入库时间."""
    with force_locale("zh"):
        fields = [Column(str(f.label), f.name if f.name in EXCHANGE_KEYS else f"{f.name}（仅 .xlsx）", _coding(f.name))
                  for f in PROJECT_FIELDS]
    return ([Column(ID_HEADER, "id", "整数（平台项目编号）")] + fields
            + [Column(PUBLISHED_HEADER, "—（仅 .xlsx）", "北京时间 YYYY-MM-DD HH:MM（初核通过时间）")])


def _row(project) -> list:
    return ([project.id] + [export_cell(f.name, getattr(project, f.name)) for f in PROJECT_FIELDS]
            + [beijing_time(project.published_at)])


def report_xlsx(projects) -> bytes:
    """The projects as a workbook: one row each, one column per 附件1 field, Chinese headers."""
    from openpyxl import Workbook  # openpyxl only where a workbook is written (memory)
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    cols = columns()
    append_row(sheet, [c.header for c in cols])
    for cell in sheet[1]:
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for project in projects:
        for cell in append_row(sheet, _row(project)):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text beginning with "=" stays text, never a formula
    for index, col in enumerate(cols, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 12 if col.key == "id" else min(40, max(12, len(col.header) * 2 + 2))
    sheet.freeze_panes = "C2"

    mapping = workbook.create_sheet(MAPPING_SHEET_TITLE)
    append_row(mapping, ["列名", "交换格式键名（JSON lines）", "取值说明"])
    for cell in mapping[1]:
        cell.font, cell.fill = header_font, header_fill
    for col in cols:
        append_row(mapping, [col.header, col.key, col.coding])
    for letter, width in (("A", 44), ("B", 34), ("C", 90)):
        mapping.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_jsonl(projects) -> bytes:
    """The projects in the exchange format: UTF-8 JSON lines, one object per project."""
    return "".join(json.dumps(exchange_record(p), ensure_ascii=False) + "\n" for p in projects).encode("utf-8")
