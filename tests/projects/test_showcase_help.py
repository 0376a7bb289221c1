"""Anyone sees the showcase; every role has a help page; the station's contact details are where users are sent to it."""
from __future__ import annotations

import pytest

from app.core.models import AuditEvent
from app.extensions import db
from app.projects.models import ProjectStatus


def test_anonymous_visitors_see_the_showcase_tier_only_and_are_invited_to_register(client, make_project):
    shown = make_project(status=ProjectStatus.PUBLISHED, name="展示用负压引流仪", city="泉州市",
                         department="烧伤科秘密科室", intended_use="公开层用途ZQ1", public_summary="公开摘要ZQ2",
                         structure="合作方结构ZQ3", lead_name="林医生ZQ4")
    make_project(status=ProjectStatus.SUBMITTED, name="待初核项目ZQ5")
    make_project(status=ProjectStatus.PUBLISHED, name="不愿发布项目ZQ6", publish_consent=False)
    db.session.commit()
    page = client.get("/showcase/").get_data(as_text=True)
    assert "展示用负压引流仪" in page and "泉州市" in page
    assert shown.project_type.label in page and shown.device_class.label in page and shown.stage.label in page
    for hidden in ("烧伤科秘密科室", "ZQ1", "ZQ2", "ZQ3", "ZQ4", "ZQ5", "ZQ6", shown.phone, shown.email):
        assert hidden not in page
    assert 'id="showcase-invitation"' in page and "/auth/register/organisation" in page
    assert "/showcase/" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role, words", [
    ("clinician", "医疗机构临床研究成果转化项目需求表"),
    ("enterprise", "企业意向临床研究成果转化项目对接表"),
    ("staff", "在“项目初核”中审核"),
    ("anonymous", "浏览入选项目展示"),
])
def test_each_role_has_a_help_page_with_what_each_state_means(client, login_as, role, words):
    login_as(role)
    page = client.get("/help").get_data(as_text=True)
    assert words in page
    for label in ("待初核", "退回修改", "已入库发布", "合作洽谈", "待回复", "已过期"):
        assert label in page
    assert 'id="help-contact"' in page


def test_the_station_contact_is_an_admin_setting_shown_where_users_are_sent_to_it(client, login_as):
    login_as("admin")
    bad = client.post("/admin/settings/contact", data={"name": "福建省医疗器械创新服务站", "email": "不是邮箱"})
    assert bad.status_code == 400 and "请输入有效的电子邮箱" in bad.get_data(as_text=True)
    client.post("/admin/settings/contact", data={"name": "福建省医疗器械创新服务站", "phone": "0591-87654321",
                                                 "email": "station@example.test", "address": "福州市鼓楼区",
                                                 "hours": "工作日 8:30–17:30"})
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "set_station_contact")) == 1
    client.post("/auth/logout")
    assert "0591-87654321" in client.get("/help").get_data(as_text=True)
    login_as("unverified")
    refused = client.get("/library/")
    assert refused.status_code == 403
    assert "请联系创新服务站" in refused.get_data(as_text=True) and "0591-87654321" in refused.get_data(as_text=True)


def test_only_admins_set_the_station_contact(client, login_as):
    login_as("staff")
    assert client.post("/admin/settings/contact", data={"name": "x"}).status_code == 403
