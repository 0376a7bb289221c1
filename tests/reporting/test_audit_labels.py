"""The audit viewer and 办理记录 speak in labels: no action codes or field names in what people read."""
from __future__ import annotations

import re

from app.accounts import operations as accounts
from app.accounts.models import Role
from app.extensions import db
from app.projects import operations as svc
from app.projects.models import ProjectStatus


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_audit_viewer_shows_labels_never_raw_codes(client, login_as, make_user, make_project):
    admin = login_as("admin")
    staff = accounts.create_staff("new.staff@example.test", "Str0ng!Passw0rd#", "新同事", Role.STAFF, actor=admin)
    accounts.issue_reset_link(staff, admin)
    project = make_project(status=ProjectStatus.DRAFT)
    svc.update_project(project, project.owner, {"market": "新的市场分析", "team": "新的团队"})
    accounts.set_station_contact({"name": "服务站", "phone": "0591-1234567"}, admin)
    db.session.commit()
    text = _visible_text(client.get("/admin/audit/").get_data(as_text=True))
    for label in ("创建工作人员账号", "生成密码重置链接", "行业及市场情况", "研究团队情况", "修改服务站联系方式", "联系电话"):
        assert label in text, label
    for code in ("create_staff", "issue_reset_link", "set_station_contact", "market", "team,"):
        assert code not in text, code
    history = _visible_text(client.get(f"/projects/{project.id}").get_data(as_text=True))
    assert "行业及市场情况" in history and "market" not in history
