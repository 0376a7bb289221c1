"""Suggestions in a real browser: an enterprise's 为您推荐 with public reasons only, the staff match board's
服务站推荐, the owner's 推荐对接企业, and the 参考分类 panel on the clinician's 附件1."""
from __future__ import annotations

import os
import re

import pytest

from app.deals import operations as deal_operations
from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser

MARKER = "翠羽锁扣阀"  # only in the catheter project's structure (partner tier): must never reach the enterprise
CATHETER = dict(
    FULL_PROJECT,
    name="一次性使用中心静脉导管",
    city="福州市",
    lead_name="陈医生",
    department="重症医学科",
    project_type="passive",
    device_class="III",
    structure=f"导管主体为聚氨酯双腔管，近端设{MARKER}防止血液回流。",
    principle="导管经皮穿刺置入中心静脉，建立长期输液通路。",
    intended_use="用于中心静脉置管输液",
    clinical_prospects="可降低导管相关血流感染，适合重症患者长期输液。",
    public_summary="一种降低导管相关感染的中心静脉导管。",
)
ULTRASOUND = dict(
    FULL_PROJECT,
    name="便携式超声诊断系统",
    city="福州市",
    lead_name="陈医生",
    department="超声科",
    project_type="active",
    device_class="II",
    structure="由掌上探头、主机和显示终端组成。",
    principle="压电换能器发射并接收超声回波，重建组织断层图像。",
    intended_use="用于床旁超声成像诊断",
    clinical_prospects="可用于急诊和基层医院的床旁快速诊断。",
    public_summary="一种掌上床旁超声成像设备。",
)
ORG = "闽江导管浏览器测试医疗器械有限公司"
INTENT = "寻找导管类项目"
shot = Screenshots("suggest")


@pytest.fixture
def market(live_app, live_server):
    """Two published projects, a verified catheter maker with profile and intent, suggestions computed."""
    from app.accounts import operations as accounts
    from app.accounts import operations as organisations
    from app.accounts.models import Role
    from app.extensions import db
    from app.projects import operations as project_service
    from app.suggestions import operations as matching

    # The set-up computes suggestions itself (the live app's SUGGESTIONS_REFRESH is off).
    tag = os.getpid()
    emails = {kind: f"suggest-{kind}-{tag}@example.com" for kind in ("doctor", "company", "staff")}
    with live_app.app_context(), live_app.test_request_context("/", base_url=live_server):
        staff = accounts.create_staff(emails["staff"], PASSWORD, "服务站匹配专员")
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "陈医生", "13912340002",
                                             "福建省立医院", "重症医学科")
        ids = {}
        for key, values in (("catheter", CATHETER), ("ultrasound", ULTRASOUND)):
            project = project_service.create_project(doctor, values)
            project_service.submit_project(project, doctor)
            project_service.approve_project(project, staff, "同意发布")
            ids[key] = project
        member = accounts.register_organisation_member(emails["company"], PASSWORD, "企业联系人", "13800138002",
                                                       Role.ENTERPRISE, ORG, make_uscc(720001))
        accounts.verify_organisation(member.organisation, staff)
        organisations.update_profile(member.organisation, member, {
            "field": "注输、护理和防护器械", "region": "福建省",
            "overview": "公司主要产品：中心静脉导管、留置针、输液器"})
        deal_operations.create_intent(member.organisation, member, {
            "title": INTENT, "description": "输注导管、血管通路器械", "device_classes": ["II", "III"],
            "cooperation_modes": ["joint_development"], "region_preference": "any"})
        db.session.commit()
        matching.recompute_all()
        db.session.commit()
        ids = {key: project.id for key, project in ids.items()}
    return dict(emails, **ids)


def test_enterprise_sees_suggestions_with_reasons(new_page, market):
    check = expect()
    catheter_id = market["catheter"]

    # 1. The enterprise signs in and lands on 为您推荐: the catheter first, with reasons, no partner-tier text.
    company = new_page()
    log_in(company, market["company"])
    check(company).to_have_url(re.compile(r"/matching/for-you$"))
    overall = company.locator("section", has=company.get_by_role("heading", name="综合推荐"))
    first = overall.locator("article.suggestion").first
    check(first.locator("a.fw-bold")).to_have_text(CATHETER["name"])
    check(first.locator(".reasons li").first).to_be_visible()
    assert first.locator(".reasons li").count() >= 1
    assert MARKER not in company.content()
    per_intent = company.locator("section", has=company.get_by_role("heading", name="按投资意向"))
    intent_card = per_intent.locator(".card", has_text=INTENT)
    check(intent_card).to_contain_text(CATHETER["name"])
    shot(company, "enterprise-for-you")

    # 2. Staff approve the pairing on the match board (推荐给双方).
    staff = new_page()
    log_in(staff, market["staff"])
    staff.goto("/matching/board")
    row = staff.locator("tr", has_text=CATHETER["name"]).filter(has_text=ORG)
    check(row).to_have_count(1)
    check(row.locator(".reasons li").first).to_be_visible()
    shot(staff, "staff-board")
    row.get_by_role("button", name="推荐给双方").click()
    check(staff.locator(".alert-success")).to_contain_text("已作为服务站推荐发送给双方")
    shot(staff, "staff-approved")

    # 3. The enterprise reloads: the catheter now carries the 服务站推荐 badge, still without the marker.
    company.reload()
    first = overall.locator("article.suggestion").first
    check(first.locator("a.fw-bold")).to_have_text(CATHETER["name"])
    check(first.locator(".badge", has_text="服务站推荐")).to_be_visible()
    check(intent_card.locator(".badge", has_text="服务站推荐")).to_be_visible()
    assert MARKER not in company.content()
    shot(company, "enterprise-recommended")

    # 4. The clinician sees 推荐对接企业 with the enterprise on the project page.
    doctor = new_page()
    log_in(doctor, market["doctor"])
    doctor.goto(f"/projects/{catheter_id}")
    partners = doctor.locator("#suggested-partners")
    check(partners).to_contain_text("推荐对接企业")
    check(partners).to_contain_text(ORG)
    check(partners.locator(".suggestion", has_text=ORG).locator(".badge", has_text="服务站推荐")).to_be_visible()
    shot(doctor, "owner-suggested-partners")

    # 5. 参考分类 on the 附件1 edit page (the first call loads the NMPA knowledge base).
    doctor.goto(f"/projects/{catheter_id}/edit")
    panel = doctor.locator("#classify-panel")
    check(panel).to_contain_text("参考分类")
    doctor.wait_for_load_state("load")  # classify.js (end of the page) has bound the button
    panel.get_by_role("button", name="根据已填写内容获取参考分类").click()
    result = panel.locator("#classify-result")
    check(result).to_contain_text("可能的管理类别", timeout=60_000)
    check(result).to_contain_text("可能的分类编码")
    check(result.locator("li").first).to_have_text(re.compile(r"^(\d{2}(-\d{2})?|6840) "))
    shot(doctor, "owner-classify-panel")
