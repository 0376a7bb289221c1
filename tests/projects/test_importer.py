"""Bulk import of paper 附件1 projects: JSON lines and .xlsx, all-or-nothing, idempotent."""
from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from app.accounts.models import Role, User
from app.accounts.operations import find_user, reset_password
from app.core.errors import PermissionDenied
from app.core.models import AuditEvent
from app.extensions import db
from app.projects.importer import SYSTEM_EMAIL, import_key, import_projects
from app.projects.models import DeviceClass, Project, ProjectStatus, ProjectType, Stage

RECORD = {
    "id": "FJ-2023-001", "name": "可降解鼻窦支架", "city": "福州市", "lead_name": "郑医生",
    "department": "耳鼻咽喉科", "phone": "0591-87654321", "email": "Zheng@Hospital.test",
    "project_type": "passive", "device_class": "III", "stage": "sample", "stage_other": None,
    "structure": "由聚乳酸支架和输送器组成。", "principle": "支撑窦口并缓释药物。",
    "intended_use": "用于慢性鼻窦炎术后窦口支撑。", "commitment_agreed": True, "publish_consent": True,
    "public_summary": "面向鼻窦炎术后的支撑器械。", "unknown_key": "ignored",
}


def write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records)
                    + "\n", encoding="utf-8")
    return path


def record(**changes):
    return {**RECORD, **changes}


def projects():
    return db.session.scalars(db.select(Project).order_by(Project.id)).all()


def test_jsonl_import_creates_drafts_owned_by_an_inactive_clinician(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [record(), {"name": "只有名称和邮箱", "email": "zheng@hospital.test"}])
    report = import_projects(path)
    assert (report.created, report.duplicates, report.accounts_created, report.errors) == (2, 0, 1, [])
    first, second = projects()
    owner = find_user("zheng@hospital.test")
    assert owner.role is Role.CLINICIAN and not owner.active and owner.password_hash == ""
    assert owner.name == "郑医生" and first.owner_id == second.owner_id == owner.id
    assert first.status is ProjectStatus.DRAFT and first.device_class is DeviceClass.III
    assert first.email == "zheng@hospital.test" and first.stage_other == ""
    assert len(first.import_key) == 64 and first.import_key == import_key("zheng@hospital.test", "FJ-2023-001", "")
    assert second.project_type is None and second.commitment_agreed is False and second.publish_consent is None
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.project_id == first.id)).all()
    assert actions == ["create", "import"]


def test_imported_account_is_claimed_through_password_reset(tmp_path):
    import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]))
    owner = find_user("zheng@hospital.test")
    assert not owner.check_password("anything")
    reset_password(owner, "new-password1")
    assert owner.active and owner.check_password("new-password1")


def test_existing_clinician_owns_the_import(tmp_path, make_user):
    clinician = make_user("clinician", email="zheng@hospital.test")
    report = import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]))
    assert report.accounts_created == 0 and projects()[0].owner_id == clinician.id


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path, make_user):
    make_user("enterprise", email="boss@company.test")
    path = write_jsonl(tmp_path / "p.jsonl", [
        record(),                                        # 1 ok
        record(id="2", name=""),                         # 2 no name
        '{"name": "broken"',                             # 3 bad JSON
        record(id="4", email="not-an-email"),            # 4
        record(id="5", phone="12345"),                   # 5
        record(id="6", device_class="IV类"),              # 6
        "",                                              # 7 blank: skipped
        record(id="8", email="boss@company.test"),       # 8 enterprise account
        record(id="9", email=None),                      # 9
        "[1, 2]",                                        # 10 not an object
    ])
    report = import_projects(path)
    assert [line for line, _ in report.errors] == [2, 3, 4, 5, 6, 8, 9, 10]
    reasons = dict(report.errors)
    assert "项目名称" in reasons[2] and "JSON" in reasons[3] and "邮箱" in reasons[4]
    assert "电话" in reasons[5] and "IV类" in reasons[6] and "非医务人员" in reasons[8]
    assert report.created == 0 and projects() == [] and find_user("zheng@hospital.test") is None


def test_skip_invalid_imports_the_good_rows(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [record(), record(id="2", stage="大概差不多"), record(id="3")])
    report = import_projects(path, skip_invalid=True)
    assert report.created == 2 and [line for line, _ in report.errors] == [2]


def test_importing_twice_does_not_duplicate(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [record(), record(id=None, name="无编号项目")])
    assert import_projects(path).created == 2
    db.session.commit()
    again = import_projects(path)
    assert (again.created, again.duplicates, again.accounts_created) == (0, 2, 0)
    assert len(projects()) == 2


def test_publish_submits_and_approves_through_the_services(tmp_path):
    report = import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]), publish=True)
    assert report.created == 1
    project = projects()[0]
    assert project.status is ProjectStatus.PUBLISHED and project.published_at is not None
    assert project.is_listed()
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.project_id == project.id)
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "import", "submit_paper_form", "approve"]
    system = find_user(SYSTEM_EMAIL)
    assert system.role is Role.STAFF and not system.active and system.name == "系统导入"
    assert events[1].actor_id == events[3].actor_id == system.id


def test_publish_uses_the_given_staff_actor(tmp_path, staff):
    import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]), publish=True, actor=staff)
    approval = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "approve"))
    assert approval.actor_id == staff.id and find_user(SYSTEM_EMAIL) is None


def test_only_staff_may_import(tmp_path, make_user):
    with pytest.raises(PermissionDenied):
        import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]), actor=make_user("clinician"))


def test_publish_requires_the_commitment(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [record(), record(id="2", commitment_agreed=False)])
    report = import_projects(path, publish=True)
    assert report.errors == [(2, "承诺书未同意，不能发布")] and projects() == []


XLSX_HEADER = ["序号说明", "项目名称", "所在城市", "项目负责人", "所在部门(科室)", "联系电话", "电子邮箱", "项目类型",
               "产品分类", "项目所处阶段", "其他阶段说明", "适用范围/预期用途", "承诺书", "是否愿意在平台发布"]


def write_xlsx(path, rows, title=True):
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append(["附件1 医疗机构临床研究成果转化项目需求表"])
    sheet.append(XLSX_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_with_chinese_headers_and_options(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", [
        ["x", "智能输液监测系统", "厦门市", "林护士长", "护理部", 13912345678, "lin@hospital.test", "有源",
         "Ⅱ类", "设计验证阶段", None, "用于病房输液监测。", "同意", "是"],
        [None] * len(XLSX_HEADER),
        ["x", "血流感染快速检测试剂盒", "泉州市", "黄医生", "检验科", None, "huang@hospital.test", "体外诊断试剂",
         "三类", "其他", "完成临床前研究", "", "同意", "否"],
    ])
    report = import_projects(path)
    assert report.errors == [] and report.created == 2
    monitor, kit = projects()
    assert monitor.project_type is ProjectType.ACTIVE and monitor.device_class is DeviceClass.II
    assert monitor.stage is Stage.DESIGN_VERIFICATION and monitor.phone == "13912345678"
    assert monitor.commitment_agreed is True and monitor.publish_consent is True
    assert kit.project_type is ProjectType.IVD and kit.device_class is DeviceClass.III
    assert kit.stage is Stage.OTHER and kit.stage_other == "完成临床前研究" and kit.publish_consent is False


def test_xlsx_errors_carry_the_spreadsheet_row(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", [
        ["x", "项目甲", "福州市", "甲", "骨科", None, "a@hospital.test", "有源", "II", "sample", None, "", "同意", "是"],
        ["x", "项目乙", "福州市", "乙", "骨科", None, "b@hospital.test", "机械", "II", "sample", None, "", "同意", "是"],
    ])
    report = import_projects(path)
    assert [line for line, _ in report.errors] == [4] and "项目类型" in report.errors[0][1]


def test_xlsx_with_exchange_keys_as_headers(tmp_path):
    workbook = Workbook()
    workbook.active.append(["name", "email", "device_class", "commitment_agreed"])
    workbook.active.append(["英文表头项目", "en@hospital.test", "combination", 1])
    workbook.save(tmp_path / "keys.xlsx")
    report = import_projects(tmp_path / "keys.xlsx")
    assert report.created == 1 and projects()[0].device_class is DeviceClass.COMBINATION


def test_cli_import_exit_codes(app, tmp_path):
    runner = app.test_cli_runner()
    bad = write_jsonl(tmp_path / "bad.jsonl", [record(), record(id="2", email="")])
    result = runner.invoke(args=["projects", "import", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output and "nothing imported" in result.output
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0

    result = runner.invoke(args=["projects", "import", "--skip-invalid", "--publish", str(bad)])
    assert result.exit_code == 0, result.output
    assert "imported 1" in result.output and "accounts created 1" in result.output
    db.session.expire_all()
    assert db.session.scalar(db.select(Project.status)) is ProjectStatus.PUBLISHED

    result = runner.invoke(args=["projects", "import", "--skip-invalid", str(bad)])
    assert result.exit_code == 0 and "already present 1" in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2  # the owner and the system account


def test_publish_records_the_paper_submission_by_staff(tmp_path, make_user):
    make_user("clinician", email="zheng@hospital.test")
    staff = make_user("staff")
    import_projects(write_jsonl(tmp_path / "p.jsonl", [record()]), publish=True, actor=staff)
    submission = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "submit_paper_form"))
    assert submission.actor_id == staff.id and projects()[0].status is ProjectStatus.PUBLISHED


def test_a_batch_import_queues_one_index_job_and_probes_saved_searches_once(app, queue, tmp_path, make_user,
                                                                            monkeypatch):
    """Per batch, not per row: one index_projects job for every published row and one saved-search pass; then
    every imported project is searchable and each matching saved search's owner is told once per project."""
    from app.core import jobs
    from app.core.models import Notification
    from app.projects import importer, saved_searches, search
    from app.projects.jobs import index_project, index_projects

    reader = make_user("enterprise")
    saved_searches.save_search(reader, "鼻窦", "鼻窦支架", {})
    db.session.commit()
    passes = []
    real_pass = importer.notify_matches_many
    monkeypatch.setattr(importer, "notify_matches_many", lambda projects: passes.append(len(projects))
                        or real_pass(projects))
    monkeypatch.setattr(saved_searches, "notify_matches", lambda project: pytest.fail("a probe per row"))
    rows = [record(id=f"B-{i}", name=f"可降解鼻窦支架{i}号") for i in range(6)]
    report = import_projects(write_jsonl(tmp_path / "batch.jsonl", rows), publish=True)
    assert report.created == 6 and passes == [6]
    assert jobs.pending(index_project) == []
    (pending,) = jobs.pending(index_projects)
    ids = {project.id for project in projects()}
    assert set(pending[1][0]) == ids
    db.session.commit()
    assert queue.waiting(index_projects) == ["index_projects"] and queue.waiting(index_project) == []
    queue.run_all()
    assert {hit.project_id for hit in search.search_projects("鼻窦支架", per_page=50).hits} == ids
    assert search.backend().indexed_ids() >= ids
    told = db.session.scalars(db.select(Notification.link).where(Notification.user_id == reader.id,
                                                                 Notification.kind == saved_searches.HIT_KIND)).all()
    assert sorted(told) == sorted(saved_searches.project_link(p) for p in projects())

