"""What each kind of support request asks for: its fields, its documents, its service-level targets.

The table is read by the form (forms/programme.py builds one form per kind), the checklist (rules.missing)
and the SLA clock (operations). Field types: text, textarea, number, date, choice, yesno.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.incubation.models import MilestoneKind
from app.programme.models import ProviderKind, RequestKind

K = RequestKind


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: object
    type: str = "text"
    required: bool = True
    choices: tuple = ()            # (value, label) for choice fields
    help: object = ""


@dataclass(frozen=True)
class DocumentSpec:
    key: str
    label: object
    required: bool = True


@dataclass(frozen=True)
class KindSpec:
    fields: tuple[FieldSpec, ...] = ()
    documents: tuple[DocumentSpec, ...] = ()
    accept_days: int = 5           # working days from submission to 受理
    close_days: int = 20           # working days from 受理 to 办结
    provider_kinds: tuple[ProviderKind, ...] = ()   # a provider of these kinds may be chosen
    needs_provider: bool = False   # 检验检测: to 省药检院 or a listed provider
    outcome: tuple[str, ...] = ()  # which outcome fields matter: granted_wan, patent_number, decision, report
    milestone: MilestoneKind | None = None          # the milestone the outcome feeds


YES_NO = (("yes", _l("是")), ("no", _l("否")))
PATENT_STATES = (("granted", _l("已授权")), ("published", _l("已公开（未授权）")), ("filed", _l("已申请未公开")),
                 ("none", _l("无")))

SPECS: dict[RequestKind, KindSpec] = {
    K.PATENT: KindSpec(
        fields=(FieldSpec("invention_title", _l("发明创造名称")),
                FieldSpec("patent_type", _l("专利类型"), "choice",
                          choices=(("invention", _l("发明")), ("utility", _l("实用新型")), ("design", _l("外观设计")))),
                FieldSpec("applicants", _l("申请人（单位）")),
                FieldSpec("inventors", _l("发明人")),
                FieldSpec("technical_points", _l("技术要点与创新点"), "textarea")),
        documents=(DocumentSpec("disclosure", _l("技术交底书")),),
        accept_days=5, close_days=30, provider_kinds=(ProviderKind.IP,), outcome=("patent_number",)),
    K.RD_SUBSIDY: KindSpec(
        fields=(FieldSpec("applicant_unit", _l("申报单位")), FieldSpec("year", _l("申报年度"), "number"),
                FieldSpec("rd_spend_wan", _l("研发投入（万元）"), "number"),
                FieldSpec("purpose", _l("研发内容"), "textarea")),
        documents=(DocumentSpec("rd_accounts", _l("研发费用明细或专项审计报告")),),
        accept_days=5, close_days=40, outcome=("granted_wan",)),
    K.INDUSTRIALISATION_AWARD: KindSpec(
        fields=(FieldSpec("applicant_unit", _l("申报单位")),
                FieldSpec("certificate_number", _l("医疗器械注册证编号")),
                FieldSpec("sales_wan", _l("上年度销售额（万元）"), "number", required=False)),
        documents=(DocumentSpec("certificate", _l("医疗器械注册证")),),
        accept_days=5, close_days=40, outcome=("granted_wan",)),
    K.MARKET_SUPPORT: KindSpec(
        fields=(FieldSpec("product_name", _l("产品名称")), FieldSpec("target_market", _l("目标市场"), required=False),
                FieldSpec("support_needed", _l("需要的支持（展会、挂网、入院等）"), "textarea")),
        accept_days=5, close_days=30, outcome=("granted_wan",)),
    K.PRE_REVIEW: KindSpec(
        fields=(FieldSpec("product_name", _l("产品名称")),
                FieldSpec("questions", _l("拟咨询的技术审评问题"), "textarea")),
        documents=(DocumentSpec("technical_file", _l("产品技术资料"), required=False),),
        accept_days=5, close_days=15, provider_kinds=(ProviderKind.REGULATORY,), milestone=MilestoneKind.REGISTRATION_FILED),
    K.STANDARD_GUIDANCE: KindSpec(
        fields=(FieldSpec("product_name", _l("产品名称")),
                FieldSpec("standards", _l("拟采用的标准"), required=False),
                FieldSpec("questions", _l("需要指导的问题（产品技术要求、标准适用等）"), "textarea")),
        documents=(DocumentSpec("technical_requirements", _l("产品技术要求（草案）"), required=False),),
        accept_days=5, close_days=15, provider_kinds=(ProviderKind.TESTING, ProviderKind.REGULATORY)),
    K.TESTING: KindSpec(
        fields=(FieldSpec("sample", _l("样品名称及型号规格")),
                FieldSpec("sample_count", _l("样品数量"), "number"),
                FieldSpec("standard", _l("检验依据（标准或产品技术要求）")),
                FieldSpec("items", _l("检验项目"), "textarea"),
                FieldSpec("purpose", _l("检验类别"), "choice",
                          choices=(("registration", _l("注册检验")), ("entrusted", _l("委托检验")),
                                   ("pre_test", _l("预检验"))))),
        documents=(DocumentSpec("technical_requirements", _l("产品技术要求")),),
        accept_days=3, close_days=40, provider_kinds=(ProviderKind.TESTING,), needs_provider=True,
        outcome=("report",), milestone=MilestoneKind.REGISTRATION_TESTING),
    # The criteria of the NMPA 创新医疗器械特别审查程序: a Chinese invention patent (granted, or published with a
    # search report), a basically finalised product, a core technology first in China of clear clinical value.
    K.SPECIAL_REVIEW: KindSpec(
        fields=(FieldSpec("patent_state", _l("核心技术中国发明专利"), "choice", choices=PATENT_STATES,
                          help=_l("须已授权（授权公告日不超过5年），或已公开并取得检索报告")),
                FieldSpec("patent_number", _l("专利号或申请公布号")),
                FieldSpec("core_technology", _l("产品核心技术"), "textarea"),
                FieldSpec("design_finalised", _l("已完成前期研究并具有基本定型产品"), "yesno"),
                FieldSpec("clinical_value", _l("国内首创性及显著临床应用价值"), "textarea")),
        documents=(DocumentSpec("patent_proof", _l("专利证书或公开文本（及检索报告）")),
                   DocumentSpec("research_summary", _l("产品研究资料综述"))),
        accept_days=5, close_days=60, provider_kinds=(ProviderKind.REGULATORY,), outcome=("decision",),
        milestone=MilestoneKind.REGISTRATION_FILED),
    K.PRIORITY_APPROVAL: KindSpec(
        fields=(FieldSpec("ground", _l("优先审批情形"), "choice",
                          choices=(("rare", _l("诊断或治疗罕见病")), ("cancer", _l("诊断或治疗恶性肿瘤")),
                                   ("elderly", _l("老年人特有和多发疾病")), ("children", _l("专用于儿童")),
                                   ("urgent", _l("临床急需且无同品种获准注册")),
                                   ("national", _l("列入国家科技重大专项或重点研发计划")))),
                FieldSpec("justification", _l("理由说明"), "textarea")),
        documents=(DocumentSpec("evidence", _l("证明材料"), required=False),),
        accept_days=5, close_days=30, outcome=("decision",), milestone=MilestoneKind.REGISTRATION_FILED),
    K.KEY_SUPPORT: KindSpec(
        fields=(FieldSpec("current_stage", _l("当前进展")),
                FieldSpec("support_needed", _l("需要帮扶的事项"), "textarea")),
        accept_days=5, close_days=30, outcome=("granted_wan",)),
    K.GENETIC_RESOURCES: KindSpec(
        fields=(FieldSpec("activity", _l("申报事项"), "choice",
                          choices=(("collection", _l("采集审批")), ("storage", _l("保藏审批")),
                                   ("international", _l("国际合作科学研究审批")),
                                   ("trial_filing", _l("国际合作临床试验备案")),
                                   ("information", _l("信息对外提供或开放使用备案")))),
                FieldSpec("partners", _l("合作单位"), required=False),
                FieldSpec("description", _l("涉及的人类遗传资源及用途"), "textarea")),
        accept_days=5, close_days=20, provider_kinds=(ProviderKind.REGULATORY,)),
    K.CONSULTATION: KindSpec(
        fields=(FieldSpec("topic", _l("咨询事项"), "textarea"),
                FieldSpec("mode", _l("咨询方式"), "choice",
                          choices=(("onsite", _l("现场")), ("video", _l("视频")), ("phone", _l("电话"))))),
        accept_days=2, close_days=10),
}

assert set(SPECS) == set(RequestKind)

# Outcome kinds whose granted amount counts as money received (subsidies and awards, 万元).
MONEY_KINDS = tuple(k for k, s in SPECS.items() if "granted_wan" in s.outcome)


def spec(kind: RequestKind) -> KindSpec:
    return SPECS[kind]


def choice_label(kind: RequestKind, name: str, value) -> str:
    """A stored field value in words (the label of a choice, 是/否), or the value itself."""
    for f in SPECS[kind].fields:
        if f.name == name:
            if f.type == "yesno":
                return str(dict(YES_NO).get(value, value or ""))
            if f.type == "choice":
                return str(dict(f.choices).get(value, value or ""))
    return "" if value is None else str(value)
