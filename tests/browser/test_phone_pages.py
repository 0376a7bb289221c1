"""Pages on a phone in a real browser: the project's steps, messages that must be seen without scrolling, refusals."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD, PATHS, take_step
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
shot = Screenshots("phone")


@pytest.fixture(scope="module")
def launched_and_submitted(live_app):
    """A clinician with a launched project, a submitted one and one in talks with a company, and a staff member."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.deals import operations as deals
    from app.extensions import db
    from app.projects import operations as project_service
    from app.projects.models import ProjectStatus

    tag = os.getpid()
    emails = {"doctor": f"phone-doctor-{tag}@example.com", "staff": f"phone-staff-{tag}@example.com",
              "company": f"phone-company-{tag}@example.com"}
    with live_app.app_context(), live_app.test_request_context("/"):
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "郑医生", "13912340002",
                                             "福州市第一医院", "心内科")
        staff = accounts.create_staff(emails["staff"], PASSWORD, "手机审核员")
        ids = {}
        for status in (ProjectStatus.LAUNCHED, ProjectStatus.SUBMITTED):
            project = project_service.create_project(doctor, dict(FULL_PROJECT, name=f"手机测试项目{status.value}"))
            for step in PATHS[status]:
                take_step(project, step, doctor, staff)
            db.session.flush()
            ids[status.value] = project.id
        talks = project_service.create_project(doctor, dict(FULL_PROJECT, name="手机测试洽谈项目"))
        for step in PATHS[ProjectStatus.PUBLISHED]:
            take_step(talks, step, doctor, staff)
        member = accounts.register_organisation_member(emails["company"], PASSWORD, "手机企业联系人", "13800138002",
                                                       Role.ENTERPRISE, "手机测试医疗器械有限公司", make_uscc(740001))
        accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
        interest = deals.express_interest(talks, member, "希望联合开发。", ["joint_development"])
        deals.accept_interest(interest, doctor)
        db.session.commit()
        ids["interest"] = interest.id
    return dict(emails, **ids)


def _inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_current_step_is_in_sight_on_a_phone(new_page, launched_and_submitted):
    check = expect()
    doctor = new_page(phone=True)
    log_in(doctor, launched_and_submitted["doctor"])
    doctor.goto(f"/projects/{launched_and_submitted['launched']}")
    current = doctor.locator(".step-indicator .step.current")
    check(current).to_contain_text("获批上市")
    assert _inside_viewport(doctor, current), "the last step (获批上市) is scrolled out of sight"
    assert doctor.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(doctor, "steps-launched")
    # In English the labels are longer: the indicator scrolls, and shows the current step.
    doctor.goto(f"/lang/en?next=/projects/{launched_and_submitted['launched']}")
    current = doctor.locator(".step-indicator .step.current")
    check(current).to_contain_text("Approved for market")
    doctor.wait_for_load_state("load")
    assert _inside_viewport(doctor, current), "the current step is scrolled out of sight in English"
    shot(doctor, "steps-launched-en")


def test_returning_without_a_comment_says_so_at_the_top_on_a_phone(new_page, launched_and_submitted):
    check = expect()
    staff = new_page(phone=True)
    log_in(staff, launched_and_submitted["staff"])
    staff.goto(f"/review/{launched_and_submitted['submitted']}")
    staff.locator("#return-comment").scroll_into_view_if_needed()
    staff.get_by_role("button", name="退回修改").click()
    check(staff).to_have_url(re.compile(r"/return$"))
    alert = staff.locator(".alert-danger")
    check(alert).to_contain_text("请写明需要修改的内容")
    assert alert.bounding_box()["y"] < staff.viewport_size["height"], "the message is below the fold"
    check(staff.locator("#field-return-comment .invalid-feedback")).to_have_text("请写明需要修改的内容")
    shot(staff, "return-without-comment")


def test_the_library_shows_results_first_on_a_phone(new_page, live_accounts):
    check = expect()
    company = new_page(phone=True)
    log_in(company, live_accounts("enterprise"))
    company.goto("/library/")
    filters = company.locator("#library-filters")
    check(filters).to_be_hidden()
    results = company.locator("section[aria-live]")
    assert results.bounding_box()["y"] < company.viewport_size["height"], "the results are below the fold"
    company.locator("button.filter-toggle").click()
    check(filters.locator("[data-facet=project_type]")).to_be_visible()
    shot(company, "library-filters-unfolded")


def test_a_refused_message_opens_at_its_reason_on_a_phone(new_page, launched_and_submitted, tmp_path):
    check = expect()
    company = new_page(phone=True)
    log_in(company, launched_and_submitted["company"])
    company.goto(f"/deals/{launched_and_submitted['interest']}")
    company.locator("#body").fill("请看附件")
    wrong = tmp_path / "程序.exe"
    wrong.write_bytes(b"MZ not a document")
    company.locator("#file").set_input_files(str(wrong))
    company.get_by_role("button", name="发送").click()
    check(company).to_have_url(re.compile(r"#message-form$"))
    reason = company.locator("#message-form .invalid-feedback")
    check(reason).to_contain_text("只接受 PDF、Word、JPG、PNG 文件")
    check(company.locator("#body")).to_have_value("请看附件")
    check(reason).to_be_in_viewport()
    shot(company, "message-refused")
