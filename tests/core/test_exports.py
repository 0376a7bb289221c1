"""附件1 and 附件2 as .docx: the official layout and wording, every field, ticks, stamp lines; who may download."""
import io
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm

from app.accounts.models import OrgStatus
from app.core import docx as forms
from app.core.docx import DOCX_MIMETYPE, download_name
from app.core.models import AuditEvent
from app.deals import exports as docking_docx
from app.deals.exports import docking_form_docx
from app.deals.models import CooperationMode, DockingForm, Interest, InterestStatus, Specialised
from app.extensions import db
from app.projects import exports as project_docx
from app.projects import operations as project_operations
from app.projects.exports import project_form_docx
from app.projects.models import DeviceClass, IpExists, ProjectStatus, ProjectType, Stage
from tests.conftest import FULL_PROJECT
from tests.uscc import make_uscc

PROJECT_LABELS = ["项目名称", "所在城市", "项目负责人", "所在部门", "（科室）", "联系电话", "电子邮箱", "项目类型",
                  "产品分类", "（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）", "项目所处阶段", "产品结构组成",
                  "工作原理/作用机理", "适用范围/预期用途", "临床运用前景", "行业及市场情况", "研究团队情况",
                  "知识产权情况", "列入国家、省、市立项情况", "目前合作情况", "意向合作企业", "（省内）", "（省外）",
                  "其他需说明的情况", "承诺书"]
DOCKING_LABELS = ["企业名称", "通讯地址", "统一社会", "信用代码", "所属领域", "法人姓名", "注册资金", "注册时间",
                  "高新", "技术企业", "专精特新企业", "联系人", "联系电话", "企业概况", "企业技术意向合作情况",
                  "项目名称", "项目申报机构/人", "合作进展情况", "合作方式"]
PROGRESS = dict(progress_work="已完成样机试制与动物实验。", progress_stage="设计验证阶段。",
                progress_investment="投入资金300万元，研发人员8名。", progress_equipment="具备负压测试台和老化设备。",
                progress_production="有十万级洁净车间。", progress_other="计划明年申报注册检验。")
COMPANY = dict(company_name="福建康复医疗器械有限公司", address="福州市鼓楼区软件大道89号", uscc=make_uscc(424242),
               field="有源手术器械", legal_rep="陈法人", registered_capital_wan=Decimal("1500.50"),
               registered_on=date(2012, 5, 8), high_tech=True, specialised=Specialised.PROVINCIAL,
               contact_name="张联系", contact_phone="0591-87654321", overview="专注创面治疗设备二十年。")


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def all_text(document) -> str:
    """Every paragraph, in and outside tables, one per line (merged cells appear once)."""
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        seen = set()
        for row in table.rows:
            for cell in row.cells:
                if cell._tc not in seen:  # the set keeps the elements alive, so identity is stable
                    seen.add(cell._tc)
                    lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def label_cell_text(document, label: str) -> str:
    """The text of the cell to the right of the label cell (first match)."""
    for row in document.tables[0].rows:
        cells = row.cells
        for i, cell in enumerate(cells[:-1]):
            if cell.text.replace("\n", "") == label:
                following = [c for c in cells[i + 1:] if c._tc is not cell._tc]
                return following[0].text
    raise AssertionError(f"no label cell {label!r}")


def assert_layout(document, annex: str, title: str):
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].text == annex
    assert paragraphs[1].text == title
    assert paragraphs[1].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert all(run.bold for run in paragraphs[1].runs)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert Mm(15) <= section.left_margin <= Mm(30) and Mm(15) <= section.top_margin <= Mm(30)
    assert len(document.tables) == 1 and document.tables[0].style.name == "Table Grid"
    for run in document.element.body.iter(qn("w:r")):
        fonts = run.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")) in ("宋体", "黑体"), run.xpath("string(.)")
    title_fonts = paragraphs[1].runs[0]._element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) in ("黑体", "宋体")


@pytest.fixture
def make_docking_form(make_user, make_project):
    """A signed interest of a verified enterprise in a published project, with its 附件2 (no service yet)."""
    def factory(**fields):
        member = make_user("enterprise", org_name=COMPANY["company_name"])
        project = make_project(status=ProjectStatus.PUBLISHED)
        interest = Interest(project=project, organisation=member.organisation, created_by=member,
                            status=InterestStatus.SIGNED)
        values = dict(COMPANY, project_name=project.name, applicant=f"{project.owner.institution}/{project.lead_name}",
                      cooperation_modes=[CooperationMode.JOINT_DEVELOPMENT.value, CooperationMode.TECH_EQUITY.value],
                      filed_by_id=member.id, **PROGRESS)
        values.update(fields)
        form = DockingForm(interest=interest, **values)
        db.session.add_all([interest, form])
        db.session.flush()
        return form
    return factory


# --- 附件1 ---------------------------------------------------------------------------------

def test_project_form_has_every_field_of_the_official_table(make_project):
    project = make_project(status=ProjectStatus.PUBLISHED)
    document = open_docx(project_form_docx(project))
    assert_layout(document, "附件1", "医疗机构临床研究成果转化项目需求表")
    text = all_text(document)
    for label in PROJECT_LABELS:
        assert label in text, label
    for name in ("name", "city", "lead_name", "department", "phone", "email", "structure", "principle",
                 "intended_use", "clinical_prospects", "market", "team", "ip_status", "funded_programs",
                 "current_cooperation", "partners_in_province", "public_summary"):
        assert FULL_PROJECT[name] in text, name
    assert label_cell_text(document, "项目名称") == FULL_PROJECT["name"]
    assert label_cell_text(document, "产品结构组成") == FULL_PROJECT["structure"]
    assert label_cell_text(document, "适用范围/预期用途") == FULL_PROJECT["intended_use"]
    assert label_cell_text(document, "项目类型") == "☑有源 □无源 □体外诊断试剂"
    assert label_cell_text(document, "产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）") == (
        "□Ⅰ类医疗器械 ☑Ⅱ类医疗器械 □Ⅲ类医疗器械 □药械组合 □待确定")
    stage = label_cell_text(document, "项目所处阶段")
    assert stage.startswith("□概念阶段 ☑样品阶段 □设计验证阶段 □生产验证阶段 □注册检验阶段 □临床试验阶段 □其他（")
    assert "☑同意 □不同意" in label_cell_text(document, "承诺书")
    assert project_docx.COMMITMENT_TEXT in label_cell_text(document, "承诺书")
    assert "是否已有知识产权：□已授权 ☑申请中 □暂无" in label_cell_text(document, "知识产权情况")
    assert "是否愿意在福建省医疗器械临床研究成果转化平台发布？" in text
    assert text.count("☑是 □否") == 1


def test_project_form_hints_partner_rows_note_and_stamp_lines(make_project):
    project = make_project(partners_out_of_province="上海某器械公司")
    document = open_docx(project_form_docx(project))
    market = label_cell_text(document, "行业及市场情况")
    assert market.split("\n") == [project_docx.MARKET_HINT, FULL_PROJECT["market"]]
    assert label_cell_text(document, "研究团队情况").startswith("项目负责人及团队主要技术成员介绍\n")
    assert label_cell_text(document, "知识产权情况").startswith("申请和授权情况、知识产权所有人\n")
    rows = document.tables[0].rows
    partner_rows = [r for r in rows if r.cells[0].text == "意向合作企业"]
    assert len(partner_rows) == 2 and partner_rows[0].cells[0]._tc is partner_rows[1].cells[0]._tc  # merged
    assert [r.cells[1].text for r in partner_rows] == ["（省内）", "（省外）"]
    assert [r.cells[3].text for r in partner_rows] == [FULL_PROJECT["partners_in_province"], "上海某器械公司"]
    outside = [p.text for p in document.paragraphs if p.text]
    assert "注：此表可另附纸，对相关内容进行详细说明。" in outside
    assert f"项目申请单位（公章）：{project.owner.institution}" in outside
    assert project.owner.institution == "福建医科大学附属协和医院"
    signature = [line for line in outside if line.startswith("项目负责人：")]
    assert len(signature) == 1 and len(signature[0]) > len("项目负责人：") + 4  # room to sign
    assert outside.index("注：此表可另附纸，对相关内容进行详细说明。") < outside.index(signature[0])


def test_project_form_other_stage_and_unanswered_choices(make_project):
    project = make_project(stage=Stage.OTHER.value, stage_other="动物实验阶段", project_type=ProjectType.IVD.value,
                           device_class=DeviceClass.UNDETERMINED.value, ip_exists=IpExists.NONE.value,
                           commitment_agreed=False, publish_consent=None)
    document = open_docx(project_form_docx(project, province="浙江省"))
    assert label_cell_text(document, "项目所处阶段").endswith("□临床试验阶段 ☑其他（动物实验阶段）")
    assert label_cell_text(document, "项目类型") == "□有源 □无源 ☑体外诊断试剂"
    assert label_cell_text(document, "产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）").endswith("☑待确定")
    assert label_cell_text(document, "承诺书").endswith("□同意 □不同意")  # not yet agreed is not 不同意
    text = all_text(document)
    assert "是否愿意在浙江省医疗器械临床研究成果转化平台发布？" in text and "□是 □否" in text
    assert "☑" not in text.split("是否愿意")[1]


def test_project_form_publish_declined_and_blank_project(make_project, make_user):
    project = make_project(publish_consent=False)
    assert "□是 ☑否" in all_text(open_docx(project_form_docx(project)))
    blank = make_project(**{k: "" for k in ("name", "structure", "market", "project_type", "device_class", "stage")})
    document = open_docx(project_form_docx(blank))
    assert label_cell_text(document, "项目类型") == "□有源 □无源 □体外诊断试剂"
    assert "☑" not in label_cell_text(document, "项目所处阶段")


def test_project_form_lists_attachments(make_project, app):
    from werkzeug.datastructures import FileStorage

    project = make_project()
    with app.test_request_context():
        project_operations.add_project_attachment(project, project.owner,
                                           FileStorage(io.BytesIO(b"%PDF-1.4 x"), filename="临床数据.pdf"))
    text = all_text(open_docx(project_form_docx(project)))
    assert "附件材料：1.临床数据.pdf" in text


# --- 附件2 ---------------------------------------------------------------------------------

def test_docking_form_has_every_field_of_the_official_table(make_docking_form):
    form = make_docking_form()
    document = open_docx(docking_form_docx(form))
    assert_layout(document, "附件2", "企业意向临床研究成果转化项目对接表")
    text = all_text(document)
    for label in DOCKING_LABELS:
        assert label in text, label
    assert label_cell_text(document, "企业名称") == f"{COMPANY['company_name']}\n（加盖公章）"
    assert label_cell_text(document, "通讯地址") == COMPANY["address"]
    assert label_cell_text(document, "统一社会信用代码") == COMPANY["uscc"]
    assert label_cell_text(document, "所属领域") == "有源手术器械"
    assert label_cell_text(document, "法人姓名") == "陈法人"
    assert label_cell_text(document, "注册资金") == "1500.5 万元"
    assert label_cell_text(document, "注册时间") == "2012-05-08"
    assert label_cell_text(document, "高新技术企业") == "☑是 □否"
    assert label_cell_text(document, "专精特新企业") == "□国家级 ☑省级 □市级 □否"
    assert label_cell_text(document, "联系人") == "张联系"
    assert label_cell_text(document, "联系电话") == "0591-87654321"
    assert label_cell_text(document, "企业概况") == COMPANY["overview"]
    assert label_cell_text(document, "项目名称") == FULL_PROJECT["name"]
    assert label_cell_text(document, "项目申报机构/人") == f"福建医科大学附属协和医院/{FULL_PROJECT['lead_name']}"
    progress = label_cell_text(document, "合作进展情况").split("\n")
    assert progress[0] == "（1.已开展的工作；2.所处阶段；3.投入资金和人力；4.仪器和设备；5.生产条件；6.其他）"
    assert progress[1:] == [f"{label}：{PROGRESS[name]}" for name, label in docking_docx.PROGRESS_PARTS]
    assert [label for _, label in docking_docx.PROGRESS_PARTS] == ["1.已开展的工作", "2.所处阶段", "3.投入资金和人力",
                                                            "4.仪器和设备", "5.生产条件", "6.其他"]
    assert label_cell_text(document, "合作方式") == (
        "□技术转让 ☑技术入股 ☑联合开发 □委托研发 □委托团队、专家长期技术服务 □共建新研发、生产实体")
    heading = [r for r in document.tables[0].rows if r.cells[0].text == "企业技术意向合作情况"]
    assert len(heading) == 1 and len({c._tc for c in heading[0].cells}) == 1  # spans the table
    assert "注：此表可另附纸，对相关内容进行详细说明。" in [p.text for p in document.paragraphs]


def test_docking_form_unanswered_fields_stay_blank(make_docking_form):
    form = make_docking_form(registered_capital_wan=None, registered_on=None, high_tech=None, specialised=None,
                             cooperation_modes=[], progress_other="")
    document = open_docx(docking_form_docx(form))
    assert label_cell_text(document, "注册资金").endswith("万元")
    assert label_cell_text(document, "注册资金").strip("\u3000 ") == "万元"
    assert label_cell_text(document, "注册时间") == ""
    assert label_cell_text(document, "高新技术企业") == "□是 □否"
    assert label_cell_text(document, "专精特新企业") == "□国家级 □省级 □市级 □否"
    assert "☑" not in label_cell_text(document, "合作方式")
    assert label_cell_text(document, "合作进展情况").endswith("6.其他：")


def test_stored_values_are_read_like_members(make_docking_form):
    """A form just copied from the profile may still hold plain strings (Organisation.specialised is a string)."""
    form = make_docking_form(specialised="national", cooperation_modes=["tech_transfer", "no_such_mode"])
    document = open_docx(docking_form_docx(form))
    assert label_cell_text(document, "专精特新企业") == "☑国家级 □省级 □市级 □否"
    assert label_cell_text(document, "合作方式").startswith("☑技术转让 □技术入股")
    assert label_cell_text(document, "合作方式").count("☑") == 1


def test_documents_are_deterministic(make_project, make_docking_form):
    project = make_project()
    assert project_form_docx(project) == project_form_docx(project)
    form = make_docking_form()
    assert docking_form_docx(form) == docking_form_docx(form)


@pytest.mark.parametrize("value, expected", [(Decimal("500.00"), "500 万元"), (Decimal("1500.50"), "1500.5 万元"),
                                             (Decimal("0.25"), "0.25 万元"), (100, "100 万元")])
def test_wan_amount(value, expected):
    assert forms.wan_amount(value) == expected


@pytest.mark.parametrize("enum_cls, choices", [(ProjectType, project_docx.PROJECT_TYPE_OPTIONS),
                                               (DeviceClass, project_docx.DEVICE_CLASS_OPTIONS),
                                               (Stage, project_docx.STAGE_OPTIONS), (IpExists, project_docx.IP_EXISTS_OPTIONS),
                                               (Specialised, docking_docx.SPECIALISED_OPTIONS),
                                               (CooperationMode, docking_docx.COOPERATION_OPTIONS)])
def test_option_wording_covers_and_matches_the_enums(enum_cls, choices):
    """The printed wording is fixed Chinese; it must stay in step with the enums' Chinese labels."""
    assert [member for member, _ in choices] == list(enum_cls)
    assert [label for _, label in choices] == [member.label for member in enum_cls]  # default locale: zh


# --- downloads -----------------------------------------------------------------------------

def filename_of(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=UTF-8''")[1])


def export_events():
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "export_docx")
                              .order_by(AuditEvent.id)).all()


def test_owner_downloads_project_form(client, login_as, make_project):
    project = make_project(status=ProjectStatus.DRAFT)
    login_as(project.owner)
    response = client.get(f"/documents/projects/{project.id}/form.docx")
    assert response.status_code == 200
    assert response.mimetype == DOCX_MIMETYPE
    assert "no-store" in response.headers["Cache-Control"]
    assert filename_of(response) == f"附件1-医疗机构临床研究成果转化项目需求表-{FULL_PROJECT['name']}.docx"
    assert open_docx(response.data).tables[0].rows[0].cells[1].text == FULL_PROJECT["name"]
    assert export_events() == []  # only staff exports are traced


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_download_both_forms_and_are_audited(client, login_as, make_docking_form, role):
    form = make_docking_form()
    project = form.interest.project
    user = login_as(role)
    response = client.get(f"/documents/projects/{project.id}/form.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_MIMETYPE
    response = client.get(f"/documents/docking/{form.id}/form.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_MIMETYPE
    assert filename_of(response) == f"附件2-企业意向临床研究成果转化项目对接表-{COMPANY['company_name']}.docx"
    assert COMPANY["uscc"] in all_text(open_docx(response.data))
    first, second = export_events()
    assert (first.actor_id, first.project_id, first.subject_type, first.comment) == (user.id, project.id, "project",
                                                                                     "附件1")
    assert (second.actor_id, second.project_id, second.subject_type, second.subject_id, second.comment) == (
        user.id, None, "docking_form", form.id, "附件2")


def test_signing_organisation_member_downloads_docking_form(client, login_as, make_docking_form, make_user):
    form = make_docking_form()
    colleague = make_user("enterprise")
    colleague.organisation = form.interest.organisation
    login_as(colleague)
    response = client.get(f"/documents/docking/{form.id}/form.docx")
    assert response.status_code == 200
    assert export_events() == []


def test_project_owner_cannot_download_the_enterprises_docking_form(client, login_as, make_docking_form):
    form = make_docking_form()
    login_as(form.interest.project.owner)
    assert client.get(f"/documents/docking/{form.id}/form.docx").status_code == 404


@pytest.mark.parametrize("role, published, draft", [
    ("enterprise", 403, 404), ("investor", 403, 404), ("clinician", 403, 404), ("unverified", 404, 404)])
def test_others_cannot_download_project_form(client, login_as, make_project, role, published, draft):
    listed = make_project(status=ProjectStatus.PUBLISHED)
    unlisted = make_project(status=ProjectStatus.DRAFT)
    login_as(role)
    assert client.get(f"/documents/projects/{listed.id}/form.docx").status_code == published
    assert client.get(f"/documents/projects/{unlisted.id}/form.docx").status_code == draft


def test_accepted_partner_cannot_download_the_owners_form(client, login_as, make_docking_form):
    """Partner access opens partner-tier fields, not the owner-tier 附件1 (preferred partners, commitment)."""
    form = make_docking_form()
    login_as(form.interest.created_by)
    assert client.get(f"/documents/projects/{form.interest.project_id}/form.docx").status_code == 403


@pytest.mark.parametrize("role", ["enterprise", "investor", "clinician", "unverified"])
def test_others_cannot_download_docking_form(client, login_as, make_docking_form, role):
    form = make_docking_form()
    login_as(role)
    assert client.get(f"/documents/docking/{form.id}/form.docx").status_code == 404


def test_unverified_member_of_the_signing_organisation_gets_404(client, login_as, make_docking_form):
    form = make_docking_form()
    member = form.interest.created_by
    member.organisation.status = OrgStatus.PENDING
    login_as(member)
    assert client.get(f"/documents/docking/{form.id}/form.docx").status_code == 404


def test_anonymous_is_sent_to_login(client, make_docking_form):
    form = make_docking_form()
    for url in (f"/documents/projects/{form.interest.project_id}/form.docx", f"/documents/docking/{form.id}/form.docx"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_missing_documents_are_404(client, login_as):
    login_as("staff")
    assert client.get("/documents/projects/999999/form.docx").status_code == 404
    assert client.get("/documents/docking/999999/form.docx").status_code == 404


def test_download_name_is_safe_for_file_systems():
    assert download_name("附件1-{}.docx", '导管/支架:"新型"?') == "附件1-导管_支架_新型_.docx"
    assert download_name("附件1-{}.docx", "") == "附件1-未命名.docx"
    assert len(download_name("{}", "长" * 300)) == 80
