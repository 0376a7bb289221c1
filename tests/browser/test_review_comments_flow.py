"""Per-field return comments in a real browser on a phone (390×844): staff comment on fields, the clinician
finds each comment next to its field, resubmits, and staff approve the clean resubmission in bulk."""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import ARTIFACTS, Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD

pytestmark = pytest.mark.browser


def test_field_comments_on_return_and_bulk_approve_on_a_phone(new_page, live_app, live_accounts):
    from app.extensions import db
    from app.projects import operations as svc

    check = expect()
    shot = Screenshots("review-comments")
    staff_email = live_accounts("staff")
    doctor_email = "dr.review.comments@example.com"
    with live_app.app_context():
        owner = confirmed_clinician(doctor_email, PASSWORD, "陈医生", "13912345670", "福建省立医院", "骨科")
        project = svc.create_project(owner, dict(FULL_PROJECT, name="逐项意见测试：骨科导航定位器"))
        svc.submit_project(project, owner)
        db.session.commit()
        project_id = project.id

    # 1. Staff on a phone: the overall comment, two field comments, a third row added with 再加一项.
    reviewer = new_page(phone=True)
    log_in(reviewer, staff_email)
    reviewer.goto(f"/review/{project_id}")
    reviewer.locator("#return-comment").fill("请按逐项意见补充后重新提交。")
    reviewer.locator("#return-field_comments-0-name").select_option(label="行业及市场情况")
    reviewer.locator("#return-field_comments-0-text").fill("请补充国内市场规模和主要竞品。")
    reviewer.locator("#return-field_comments-1-name").select_option(label="研究团队情况")
    reviewer.locator("#return-field_comments-1-text").fill("请写明工程师的人数和分工。")
    reviewer.get_by_role("button", name="再加一项").click()
    check(reviewer.locator("#return-field_comments-3-name")).to_be_visible()
    shot(reviewer, "staff-return-form")
    reviewer.get_by_role("button", name="退回修改", exact=True).click()
    check(reviewer).to_have_url(re.compile(r"/review/$"))
    check(reviewer.locator(".alert-success")).to_contain_text("已退回修改")

    # 2. The clinician on a phone: the summary at the top links to the comment by its field.
    doctor = new_page(phone=True)
    log_in(doctor, doctor_email)
    doctor.goto(f"/projects/{project_id}/edit")
    summary = doctor.locator("#review-summary")
    check(summary).to_contain_text("另有 2 项逐项意见")
    summary.get_by_role("link", name="行业及市场情况").click()
    check(doctor).to_have_url(re.compile(r"#review-note-market$"))
    note = doctor.locator("#review-note-market")
    check(note).to_be_in_viewport()
    check(note).to_contain_text("请补充国内市场规模和主要竞品。")
    check(doctor.locator("#field-team").locator("xpath=..").locator(".review-note")).to_contain_text("工程师的人数")
    assert doctor.evaluate("document.documentElement.scrollWidth") <= 390   # nothing wider than the phone
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doctor.screenshot(path=str(ARTIFACTS / "review-comments-phone-note-in-view.png"))  # what the phone shows
    shot(doctor, "clinician-form-notes")

    # 3. The clinician changes exactly the commented fields and resubmits.
    doctor.locator("#market").fill("国内市场规模约二十亿元，主要竞品为两家进口品牌。")
    doctor.locator("#team").fill("工程师两名：一名负责结构，一名负责软件。")
    doctor.get_by_role("button", name="提交初核").click()
    check(doctor.locator(".alert-success")).to_contain_text("已提交初核")

    # 4. Staff see it marked 可批量通过, tick it and approve in one go.
    reviewer.goto("/review/")
    row = reviewer.locator("tr.clean-resubmission", has_text="逐项意见测试")
    check(row).to_contain_text("可批量通过")
    row.locator(f"#pick-{project_id}").check()
    shot(reviewer, "staff-queue-clean")
    reviewer.get_by_role("button", name="批量通过所选").click()
    check(reviewer.locator(".alert-success")).to_contain_text("已批量通过 1 个项目")
    shot(reviewer, "staff-bulk-approved")
    reviewer.goto(f"/projects/{project_id}")
    check(reviewer.locator(".return-field-comments")).to_contain_text("已修改")
