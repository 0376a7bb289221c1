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


def test_values_after_an_arrow_are_labels_in_the_vocabulary_of_their_action(client, login_as, make_user):
    """A switch (院内审核 on/off), a member's role and a meeting side's outcome are not the subject's state."""
    from app.accounts import institutions
    from app.core import audit

    officer = make_user("institution")
    hospital = officer.affiliation.institution
    institutions.set_internal_review(hospital, officer, True)
    institutions.set_internal_review(hospital, officer, False)
    company = make_user("enterprise")
    audit.record("set_member_role", actor=company, subject=company, from_state="member", to_state="admin")
    db.session.commit()
    login_as("admin")
    text = _visible_text(client.get("/admin/audit/").get_data(as_text=True))
    assert "— → 已开启" in text and "— → 未开启" in text
    assert "成员 → 机构管理员" in text
    assert not re.search(r"→\s*(on|off|admin|member)\b", text), re.findall(r"→\s*\w+", text)
    assert "专班管理员" not in text.split("成员 →")[-1][:40]  # the organisation's admin member, not the station's admin


def test_a_meeting_outcome_in_the_record_is_its_label(app_context):
    from app.core.templating import state_label

    assert state_label("appointment", "stop", "appointment_outcome") == "暂不继续"
    assert state_label("appointment", "continue", "appointment_outcome") == "继续洽谈"
    assert state_label("institution", "on", "set_internal_review") == "已开启"
