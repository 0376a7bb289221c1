"""The admin audit viewer: filters, pages, export, access; audit rows can be neither changed nor deleted."""
import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.core import audit
from app.core.audit import AuditImmutableError
from app.core.models import AuditEvent
from app.extensions import db
from app.projects.models import ProjectStatus
from app.reporting.audit_viewer import AuditFilters, audit_page
from app.reporting.views import PER_PAGE

ROOT = Path(__file__).resolve().parents[2]
HEADERS = ["时间（北京时间）", "操作人", "操作", "项目", "对象", "状态变化", "说明"]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def trail(make_user, make_project):
    """A small trail, dated: a review by 王审核, a view by 企业用户, a system row; plus the factory's own rows."""
    reviewer = make_user("staff", name="王审核", email="wang.review@example.test")
    viewer = make_user("enterprise", name="企业用户", email="buyer@corp.test")
    project = make_project(ProjectStatus.SUBMITTED, name="可调节负压引流创面治疗仪")
    other = make_project(ProjectStatus.DRAFT, name="一次性吻合器")
    rows = [
        audit.record("approve", actor=reviewer, project=project, from_state="submitted", to_state="published",
                     comment="材料齐全"),
        audit.record("view_partner", actor=viewer, project=project, comment="查看合作方资料"),
        audit.record("import", project=other, comment="paper.xlsx 第 3 行"),
    ]
    # Dated before the INSERT (rows are never updated): 2026-03-01 23:30 UTC is 2026-03-02 07:30 in Beijing.
    for event, moment in zip(rows, (utc(2026, 3, 1, 23, 30), utc(2026, 3, 5, 8), utc(2026, 3, 10, 8))):
        event.created_at = moment
    db.session.commit()
    return dict(reviewer=reviewer, viewer=viewer, project=project, other=other, rows=rows)


def ids(**args) -> list[int]:
    return [e.id for e in audit_page(AuditFilters.from_args(args), per_page=1000).items]


def test_filters(trail):
    approve, view, imported = (e.id for e in trail["rows"])
    everything = ids()
    assert {approve, view, imported} <= set(everything)
    # newest first
    times = [e.created_at for e in audit_page(AuditFilters(), per_page=1000).items]
    assert times == sorted(times, reverse=True)
    # user: e-mail or name contains, case-insensitive
    assert ids(user="WANG.review") == [approve]
    assert ids(user="审核") == [approve]
    assert ids(user="corp.test") == [view]
    assert ids(user="nobody") == []
    # project: id or name contains
    project, other = trail["project"], trail["other"]
    by_id = ids(project=str(project.id))
    assert approve in by_id and view in by_id and imported not in by_id
    assert set(ids(project="吻合器")) == set(ids(project=str(other.id)))
    assert imported in ids(project="吻合器") and approve not in ids(project="吻合器")
    assert ids(project="50%") == []  # wildcards are literal
    # action
    assert ids(action="view_partner") == [view]
    assert ids(action="approve", user="王") == [approve]
    # Beijing dates: the approve at 23:30 UTC on 1 March is 2 March in Beijing
    assert ids(date_from="2026-03-02", date_to="2026-03-02") == [approve]
    assert ids(date_to="2026-03-01") == []
    assert ids(date_from="2026-03-05", date_to="2026-03-10") == [imported, view]
    assert ids(date_from="2026-03-06", date_to="2026-03-31") == [imported]
    assert ids(date_from="not-a-date", action="import") == [e.id for e in audit_page(
        AuditFilters(action="import"), per_page=1000).items]
    assert AuditFilters.from_args({"date_from": "2026-13-01"}).invalid == ["date_from"]


def test_page_lists_rows_with_labels_and_filters(client, login_as, trail):
    login_as("admin")
    page = client.get("/admin/audit/").get_data(as_text=True)
    total = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    assert f"共 {total} 条记录" in page
    assert "通过初核" in page and "材料齐全" in page and "王审核" in page and "wang.review@example.test" in page
    assert "2026-03-02 07:30:00" in page  # Beijing time
    assert '<option value="view_partner"' in page and "查看合作方资料" in page  # the action select, with labels
    page = client.get("/admin/audit/?action=view_partner").get_data(as_text=True)
    assert "共 1 条记录" in page and "企业用户" in page and "王审核" not in page
    page = client.get("/admin/audit/?user=wang&date_from=2026-03-01&date_to=2026-03-03").get_data(as_text=True)
    assert "共 1 条记录" in page and "材料齐全" in page


def test_pagination_counts(client, login_as, make_user):
    actor = make_user("staff", name="批量操作人")
    for i in range(PER_PAGE * 2 + 5):
        audit.record("edit", actor=actor, comment=f"第{i}条")
    db.session.commit()
    result = audit_page(AuditFilters(user="批量操作人"), page=3, per_page=PER_PAGE)
    assert (result.total, result.pages, result.page, len(result.items)) == (PER_PAGE * 2 + 5, 3, 3, 5)
    assert audit_page(AuditFilters(user="批量操作人"), page=99, per_page=PER_PAGE).page == 3
    login_as("admin")
    page = client.get("/admin/audit/?user=批量操作人&page=2").get_data(as_text=True)
    assert f"共 {PER_PAGE * 2 + 5} 条记录" in page and "第 2 / 3 页" in page
    assert page.count("<tr data-event=") == PER_PAGE
    assert "page=3" in page and "user=" in page  # pagination links keep the filters


def test_export_xlsx_and_csv_with_filters(client, login_as, trail):
    admin = login_as("admin")
    response = client.get("/admin/audit/export.xlsx?project=" + str(trail["project"].id))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = [list(r) for r in load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    by_comment = {r[6]: r for r in rows[1:]}
    approve = by_comment["材料齐全"]
    assert approve[0] == "2026-03-02 07:30:00"
    assert approve[1] == "王审核（wang.review@example.test）"
    assert approve[2] == "通过初核"
    assert approve[3] == f"#{trail['project'].id} 可调节负压引流创面治疗仪"
    assert approve[4] == f"项目 #{trail['project'].id}"
    assert approve[5] == "待初核 → 已入库发布"
    assert "paper.xlsx 第 3 行" not in by_comment  # another project's row
    assert all(r[3].startswith(f"#{trail['project'].id} ") for r in rows[1:])

    response = client.get("/admin/audit/export.csv?action=import&user=")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [r[1] for r in rows[1:]] == ["系统"] * (len(rows) - 1)
    assert "paper.xlsx 第 3 行" in [r[6] for r in rows[1:]]
    exports = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "audit_export")).all()
    assert len(exports) == 2 and all(e.actor_id == admin.id for e in exports)
    assert client.get("/admin/audit/export.pdf").status_code == 404


def test_csv_export_neutralises_formulas(client, login_as, make_user):
    audit.record("edit", actor=make_user("staff"), comment="=cmd|' /C calc'!A0")
    db.session.commit()
    login_as("admin")
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit/export.csv?action=edit").data.decode("utf-8-sig"))))
    assert rows[1][6] == "'=cmd|' /C calc'!A0"
    workbook = load_workbook(io.BytesIO(client.get("/admin/audit/export.xlsx?action=edit").data))
    cell = workbook.worksheets[0].cell(row=2, column=7)
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"


ROLES = ["anonymous", "clinician", "enterprise", "investor", "unverified", "staff", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_access(client, login_as, role):
    login_as(role)
    expected = {"anonymous": 302, "admin": 200}.get(role, 403)
    for url in ("/admin/audit/", "/admin/audit/export.xlsx", "/admin/audit/export.csv"):
        assert client.get(url).status_code == expected, (role, url)


# -- append only --------------------------------------------------------------------------------------------

def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(make_user):
    event = audit.record("edit", actor=make_user("staff"), comment="原始说明")
    db.session.commit()
    event.comment = "改过的说明"
    with pytest.raises(AuditImmutableError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).comment == "原始说明"

    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditImmutableError):
        db.session.flush()
    db.session.rollback()

    with pytest.raises(AuditImmutableError):
        db.session.execute(db.update(AuditEvent).values(comment="x"))
    db.session.rollback()
    with pytest.raises(AuditImmutableError):
        db.session.execute(db.delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.rollback()
    with pytest.raises(AuditImmutableError):
        db.session.query(AuditEvent).filter_by(id=event.id).delete()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).comment == "原始说明"
    # loading and reading a row, or touching it without a change, is fine
    same = db.session.get(AuditEvent, event.id)
    same.comment = same.comment
    db.session.commit()


# Ways to change or remove audit rows that must appear nowhere in the application's code.
FORBIDDEN = [
    r"AuditEvent\s*\)\s*\.\s*(delete|update)\s*\(",          # query(AuditEvent).delete()/.update()
    r"\b(delete|update)\s*\(\s*AuditEvent\b",                  # delete(AuditEvent), update(AuditEvent)
    r"\b(delete|update)\s*\(\s*(models\.)?AuditEvent\.__table__",
    r"audit_event\b[^\n]*\b(delete|update)\s*\(",              # a table named audit_event being deleted/updated
    r"(DELETE\s+FROM|UPDATE)\s+\"?audit_event\b",              # raw SQL
    r"AuditEvent\.__table__\s*\.\s*(delete|update)\s*\(",
]


def test_no_update_or_delete_path_in_the_source():
    offenders = []
    for folder in ("app", "forms"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in FORBIDDEN:
                for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                    line = text.count("\n", 0, match.start()) + 1
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert offenders == []


def test_the_scan_would_find_them():
    samples = ["db.session.query(AuditEvent).delete()", "db.session.execute(delete(AuditEvent))",
               "db.update(AuditEvent).values(comment='')", 'connection.exec_driver_sql("DELETE FROM audit_event")',
               "AuditEvent.__table__.delete()"]
    for sample in samples:
        assert any(re.search(p, sample, flags=re.IGNORECASE) for p in FORBIDDEN), sample


def test_action_choices_tell_shared_labels_apart(make_user):
    from app.reporting.audit_viewer import action_choices
    actor = make_user("staff")
    for action in ("approve", "demo_sign", "demo_start_negotiation"):
        audit.record(action, actor=actor)
    db.session.commit()
    choices = dict(action_choices())
    assert choices["approve"] == "通过初核"
    assert choices["demo_sign"] != choices["demo_start_negotiation"]
    assert "demo_sign" in choices["demo_sign"]
