"""Reporting to the national review centre's database: the workbook, the JSON lines, consent, batches, access."""
import io
import json
import re

import pytest
from openpyxl import load_workbook

from app.core.errors import ServiceError
from app.core.files import upload_root
from app.core.models import AuditEvent
from app.core.templating import beijing_time
from app.extensions import db
from app.projects.importer import _norm, header_map
from app.projects.models import ProjectStatus
from app.reporting import batches as reporting
from app.reporting import exports as report_exports
from app.reporting import exports as report_module
from app.reporting.exports import report_jsonl, report_xlsx
from app.reporting.models import ReportBatch, ReportBatchItem

# 附件1 in the form's order, as documented in app/reporting/exports.py.
HEADERS = ["项目编号", "项目名称", "所在城市", "项目负责人", "所在部门（科室）", "联系电话", "电子邮箱", "项目类型",
           "产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）", "项目所处阶段", "其他阶段说明", "产品结构组成",
           "工作原理/作用机理", "适用范围/预期用途", "临床运用前景", "行业及市场情况", "研究团队情况", "是否已有知识产权",
           "知识产权情况", "列入国家、省、市立项情况", "目前合作情况", "意向合作企业（省内）", "意向合作企业（省外）",
           "其他需说明的情况", "公开摘要", "承诺书", "是否愿意在平台发布", "入库时间"]
# DESIGN.md, "Data exchange contract", the project record.
DESIGN_KEYS = ("id, name, city, lead_name, department, phone, email, project_type, device_class, stage, stage_other, "
               "structure, principle, intended_use, clinical_prospects, market, team, ip_status, funded_programs, "
               "current_cooperation, partners_in_province, partners_out_of_province, other_notes, commitment_agreed, "
               "publish_consent, public_summary").split(", ")
PUBLISHED_STATES = ["published", "negotiating", "signed", "incubating", "launched"]
UNPUBLISHED_STATES = ["draft", "submitted", "returned", "rejected", "withdrawn"]


def sheet_rows(data: bytes) -> list[list]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def row_of(rows: list[list], project_id: int) -> dict:
    headers = rows[0]
    for row in rows[1:]:
        if row[0] == project_id:
            return dict(zip(headers, row))
    raise AssertionError(f"project {project_id} not in the workbook")


def jsonl_records(data: bytes) -> list[dict]:
    text = data.decode("utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# -- the files --------------------------------------------------------------------------------------------

def test_workbook_has_chinese_headers_in_documented_order_and_a_row_per_project(make_project):
    project = make_project(ProjectStatus.PUBLISHED)
    other = make_project(ProjectStatus.SIGNED, name="一次性使用内窥镜用吻合器", project_type="passive",
                         device_class="III", stage="other", stage_other="动物实验阶段", ip_exists="none",
                         commitment_agreed=True)
    rows = sheet_rows(report_xlsx([project, other]))
    assert rows[0] == HEADERS
    assert len(rows) == 3
    row = row_of(rows, project.id)
    assert row["项目名称"] == "可调节负压引流创面治疗仪"
    assert row["所在城市"] == "福州市"
    assert row["项目负责人"] == "林医生"
    assert row["联系电话"] == "13912345678"  # text, not a number
    assert row["项目类型"] == "有源"
    assert row["产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）"] == "Ⅱ类医疗器械"
    assert row["项目所处阶段"] == "样品阶段"
    assert row["是否已有知识产权"] == "申请中"
    # every tier of 附件1, as on the paper form
    assert row["产品结构组成"] == "由主机、负压泵、引流管和敷料组成。"
    assert row["知识产权情况"] == "已申请发明专利一项。"
    assert row["意向合作企业（省内）"] == "福州某医疗器械公司"
    assert row["意向合作企业（省外）"] is None  # empty text is an empty cell
    assert row["承诺书"] == "是"
    assert row["是否愿意在平台发布"] == "是"
    assert row["入库时间"] == beijing_time(project.published_at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["入库时间"])
    second = row_of(rows, other.id)
    assert (second["项目类型"], second["产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）"], second["项目所处阶段"],
            second["其他阶段说明"], second["是否已有知识产权"]) == ("无源", "Ⅲ类医疗器械", "其他", "动物实验阶段", "暂无")


def test_booleans_are_yes_no_and_unknown_is_empty():
    from types import SimpleNamespace

    from tests.conftest import FULL_PROJECT
    values = dict(FULL_PROJECT, id=7, commitment_agreed=False, publish_consent=None, project_type=None,
                  device_class=None, stage=None, ip_exists=None, published_at=None)
    row = row_of(sheet_rows(report_xlsx([SimpleNamespace(**values)])), 7)
    assert row["承诺书"] == "否"
    assert row["是否愿意在平台发布"] is None
    assert row["项目类型"] is None and row["项目所处阶段"] is None and row["入库时间"] is None


def test_text_that_looks_like_a_formula_stays_text(make_project):
    project = make_project(ProjectStatus.PUBLISHED, name="=HYPERLINK(\"http://x\")", other_notes="含\x07控制字符")
    workbook = load_workbook(io.BytesIO(report_xlsx([project])))
    sheet = workbook.worksheets[0]
    assert sheet.cell(row=2, column=2).value == "=HYPERLINK(\"http://x\")"
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert row_of(sheet_rows(report_xlsx([project])), project.id)["其他需说明的情况"] == "含控制字符"


def test_headers_are_the_ones_the_importer_reads_back():
    headers = header_map()
    for column in report_exports.columns():
        if column.header == "入库时间":
            continue
        key = column.key.split("（")[0]
        assert headers[_norm(column.header)] == key, column.header


def test_mapping_is_documented_in_the_module_docstring_and_the_workbook(make_project):
    doc = report_module.__doc__
    positions = [doc.index(header) for header in HEADERS]
    assert positions == sorted(positions)
    for key in DESIGN_KEYS + ["ip_exists"]:
        assert key in doc
    for label in ("有源=active", "Ⅱ类医疗器械=II", "样品阶段=sample", "是=true"):
        assert label in doc
    workbook = load_workbook(io.BytesIO(report_xlsx([make_project(ProjectStatus.PUBLISHED)])))
    mapping = [list(r) for r in workbook["字段说明"].iter_rows(values_only=True)]
    assert [r[0] for r in mapping[1:]] == HEADERS
    assert dict((r[0], r[1]) for r in mapping[1:])["项目类型"] == "project_type"


def test_jsonl_is_the_exchange_record_with_codes(make_project):
    project = make_project(ProjectStatus.PUBLISHED)
    other = make_project(ProjectStatus.NEGOTIATING, name="胰岛素笔", device_class="combination", stage="clinical_trial")
    data = report_jsonl([project, other])
    records = jsonl_records(data)
    assert len(records) == 2
    for record in records:
        assert list(record) == DESIGN_KEYS
    first = records[0]
    assert first["id"] == project.id
    assert (first["project_type"], first["device_class"], first["stage"]) == ("active", "II", "sample")
    assert first["commitment_agreed"] is True and first["publish_consent"] is True
    assert first["name"] == "可调节负压引流创面治疗仪"  # UTF-8, not \u escapes
    assert "可调节负压引流创面治疗仪".encode("utf-8") in data
    assert first["partners_out_of_province"] == ""
    assert (records[1]["device_class"], records[1]["stage"]) == ("combination", "clinical_trial")


# -- selection and consent ----------------------------------------------------------------------------------

def test_only_published_projects_are_candidates(make_project):
    published = {s: make_project(s) for s in PUBLISHED_STATES}
    for s in UNPUBLISHED_STATES:
        make_project(s)
    selection = reporting.select_projects(reporting.ReportFilters())
    assert {p.id for p in selection.included} == {p.id for p in published.values()}
    assert selection.excluded == []


def test_consent_is_respected_in_both_files_and_the_excluded_list(make_project, staff):
    consenting = make_project(ProjectStatus.PUBLISHED, name="同意发布的项目")
    refused = make_project(ProjectStatus.PUBLISHED, name="不同意发布的项目", publish_consent=False)
    unanswered = make_project(ProjectStatus.SIGNED, name="未回答的项目", publish_consent=None)
    batch = reporting.create_batch(reporting.ReportFilters(), staff)
    db.session.commit()
    xlsx = reporting.batch_file(batch, "xlsx").read_bytes()
    names = [row[1] for row in sheet_rows(xlsx)[1:]]
    assert names == ["同意发布的项目"]
    records = jsonl_records(reporting.batch_file(batch, "jsonl").read_bytes())
    assert [r["id"] for r in records] == [consenting.id]
    jsonl = reporting.batch_file(batch, "jsonl").read_bytes().decode("utf-8")
    assert "不同意发布的项目" not in jsonl and "未回答的项目" not in jsonl
    assert sorted(batch.excluded, key=lambda e: e["project_id"]) == [
        {"project_id": refused.id, "name": "不同意发布的项目", "reason": "项目负责人未同意在平台发布"},
        {"project_id": unanswered.id, "name": "未回答的项目", "reason": "未填写是否同意发布"},
    ]
    assert [item.project_id for item in batch.items] == [consenting.id]


def test_filters_select_like_the_library(make_project):
    active = make_project(ProjectStatus.PUBLISHED, project_type="active", city="福州市", department="烧伤科")
    passive = make_project(ProjectStatus.PUBLISHED, project_type="passive", device_class="III", city="厦门市",
                           department="骨科", stage="concept")
    def ids(**args):
        return {p.id for p in reporting.select_projects(reporting.ReportFilters.from_args(args)).included}
    assert ids() == {active.id, passive.id}
    assert ids(project_type="passive") == {passive.id}
    assert ids(device_class="II") == {active.id}
    assert ids(stage="concept") == {passive.id}
    assert ids(city="福州市") == {active.id}
    assert ids(department="骨科") == {passive.id}
    assert ids(project_type="nonsense") == {active.id, passive.id}  # unknown values are ignored
    assert reporting.filter_options()["city"] == [("厦门市", 1), ("福州市", 1)]


def test_nothing_to_report_is_refused(make_project, staff):
    make_project(ProjectStatus.PUBLISHED, publish_consent=False)
    with pytest.raises(ServiceError):
        reporting.create_batch(reporting.ReportFilters(), staff)
    with pytest.raises(ServiceError):
        reporting.create_batch(reporting.ReportFilters.from_args({"city": "无此城市"}), staff)


def test_only_staff_may_create_a_batch(make_project, make_user):
    make_project(ProjectStatus.PUBLISHED)
    with pytest.raises(ServiceError):
        reporting.create_batch(reporting.ReportFilters(), make_user("clinician"))


# -- batches, reported status, audit (through the web) ------------------------------------------------------

def export(client, **filters):
    return client.post("/reports/new", data=dict(filters))


def test_export_records_the_batch_files_items_and_audit(client, login_as, make_project):
    first = make_project(ProjectStatus.PUBLISHED, name="甲项目")
    second = make_project(ProjectStatus.INCUBATING, name="乙项目")
    make_project(ProjectStatus.PUBLISHED, name="丙项目", publish_consent=False)
    user = login_as("staff")
    response = export(client)
    assert response.status_code == 302
    batch = db.session.scalars(db.select(ReportBatch)).one()
    assert response.headers["Location"].endswith(f"/reports/{batch.id}")
    assert batch.created_by_id == user.id and batch.created_at is not None
    assert batch.project_count == 2 and len(batch.excluded) == 1
    assert {i.project_id for i in db.session.scalars(db.select(ReportBatchItem))} == {first.id, second.id}
    for name in (batch.xlsx_stored_name, batch.jsonl_stored_name):
        path = upload_root() / name
        assert path.is_file() and path.parent.name == "reports"
        assert re.fullmatch(r"reports/[0-9a-f]{32}\.(xlsx|jsonl)", name)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "report_export")).one()
    assert event.actor_id == user.id and event.subject_type == "report_batch" and event.subject_id == batch.id
    assert f"批次#{batch.id}" in event.comment and "2 个项目" in event.comment and "排除 1 个" in event.comment

    page = client.get(f"/reports/{batch.id}").get_data(as_text=True)
    assert "甲项目" in page and "乙项目" in page and "丙项目" in page and "项目负责人未同意在平台发布" in page
    assert f"/reports/{batch.id}/report.xlsx" in page and f"/reports/{batch.id}/report.jsonl" in page
    listing = client.get("/reports/").get_data(as_text=True)
    assert f"批次#{batch.id}" in listing


def test_downloads_are_the_stored_files_and_audited(client, login_as, make_project):
    project = make_project(ProjectStatus.PUBLISHED, name="原来的名称")
    login_as("staff")
    export(client)
    batch = db.session.scalars(db.select(ReportBatch)).one()
    stored = reporting.batch_file(batch, "xlsx").read_bytes()
    project.name = "后来改过的名称"
    db.session.commit()
    response = client.get(f"/reports/{batch.id}/report.xlsx")
    assert response.status_code == 200
    assert response.data == stored
    assert response.mimetype == report_exports.XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    assert row_of(sheet_rows(response.data), project.id)["项目名称"] == "原来的名称"
    response = client.get(f"/reports/{batch.id}/report.jsonl")
    assert response.status_code == 200
    assert jsonl_records(response.data)[0]["name"] == "原来的名称"
    downloads = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "report_download")
                                   .order_by(AuditEvent.id)).all()
    assert [e.comment for e in downloads] == [f"批次#{batch.id} report.xlsx", f"批次#{batch.id} report.jsonl"]
    assert client.get(f"/reports/{batch.id}/report.csv").status_code == 404
    assert client.get("/reports/999/report.xlsx").status_code == 404


def test_reported_status_per_project(client, login_as, make_project, staff):
    project = make_project(ProjectStatus.PUBLISHED)
    later = make_project(ProjectStatus.PUBLISHED)
    assert reporting.reported_at(project) is None and reporting.report_status([project.id, later.id]) == {}
    first = reporting.create_batch(reporting.ReportFilters(), staff)
    db.session.commit()
    assert reporting.reported_at(project) == first.created_at
    second = reporting.create_batch(reporting.ReportFilters(), staff)
    db.session.commit()
    marks = reporting.report_status([project.id, later.id])
    assert marks[project.id].batch_id == second.id and marks[project.id].times == 2
    login_as("staff")
    page = client.get("/reports/new").get_data(as_text=True)
    assert "已报送" in page and f"批次#{second.id}" in page and beijing_time(second.created_at, "%Y-%m-%d") in page


def test_not_yet_reported_only(client, login_as, make_project, staff):
    old = make_project(ProjectStatus.PUBLISHED, name="已报送过的项目")
    reporting.create_batch(reporting.ReportFilters(), staff)
    db.session.commit()
    new = make_project(ProjectStatus.PUBLISHED, name="新入库的项目")
    selection = reporting.select_projects(reporting.ReportFilters.from_args({"unreported": "1"}))
    assert [p.id for p in selection.included] == [new.id]
    assert {p.id for p in reporting.select_projects(reporting.ReportFilters()).included} == {old.id, new.id}
    login_as("staff")
    page = client.get("/reports/new?unreported=1").get_data(as_text=True)
    assert "新入库的项目" in page and "已报送过的项目" not in page
    assert export(client, unreported="1").status_code == 302
    batch = db.session.scalars(db.select(ReportBatch).order_by(ReportBatch.id.desc())).first()
    assert [i.project_id for i in batch.items] == [new.id]
    assert batch.filters == {"unreported": True}
    # nothing left: refused with a message, no batch
    response = client.post("/reports/new", data={"unreported": "1"},
                           headers={"Referer": "http://localhost/reports/new?unreported=1"})
    assert response.status_code == 400 and "所选范围内没有可报送的项目" in response.get_data(as_text=True)
    assert 'href="http://localhost/reports/new?unreported=1"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ReportBatch)) == 2


def test_candidates_page_shows_counts_and_excluded(client, login_as, make_project):
    make_project(ProjectStatus.PUBLISHED, name="可报送项目", city="泉州市")
    make_project(ProjectStatus.PUBLISHED, name="未同意项目", city="泉州市", publish_consent=False)
    make_project(ProjectStatus.PUBLISHED, name="别的城市", city="漳州市")
    login_as("staff")
    page = client.get("/reports/new?city=泉州市").get_data(as_text=True)
    assert "符合条件的已入库项目 2 个：可报送 1 个" in page and "排除 1 个" in page
    assert "可报送项目" in page and "未同意项目" in page and "项目负责人未同意在平台发布" in page
    assert "别的城市" not in page.split('id="candidates"')[1]


def test_mapping_page(client, login_as):
    login_as("staff")
    page = client.get("/reports/mapping").get_data(as_text=True)
    for header in HEADERS:
        assert header in page
    for key in DESIGN_KEYS:
        assert f"<code>{key}</code>" in page
    assert "有源 = active" in page


ROLES = ["anonymous", "clinician", "enterprise", "investor", "unverified", "staff", "admin"]
EXPECTED = {"anonymous": 302, "staff": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, make_project, staff, role):
    make_project(ProjectStatus.PUBLISHED)
    batch = reporting.create_batch(reporting.ReportFilters(), staff)
    db.session.commit()
    login_as(role)
    expected = EXPECTED.get(role, 403)
    for url in ("/reports/", "/reports/new", "/reports/mapping", f"/reports/{batch.id}",
                f"/reports/{batch.id}/report.xlsx", f"/reports/{batch.id}/report.jsonl"):
        assert client.get(url).status_code == expected, (role, url)
    before = db.session.scalar(db.select(db.func.count()).select_from(ReportBatch))
    assert client.post("/reports/new", data={}).status_code == (302 if role in EXPECTED else 403)
    after = db.session.scalar(db.select(db.func.count()).select_from(ReportBatch))
    assert after == before + (1 if role in ("staff", "admin") else 0)
