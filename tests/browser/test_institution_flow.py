"""A hospital in a real browser: a clinician registers choosing it, its officer confirms them, the clinician
submits, the officer approves the project in 院内审核 and it reaches the station as the hospital's."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.helpers import Screenshots, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD

pytestmark = pytest.mark.browser

HOSPITAL = "福建省肿瘤医院（浏览器测试）"


@pytest.fixture
def hospital(live_app):
    """A hospital that reviews its projects first, with an officer; created by station staff."""
    from app.accounts import institutions
    from app.accounts import operations as accounts
    from app.extensions import db
    from tests.uscc import make_uscc

    tag = os.getpid()
    emails = {"staff": f"inst-staff-{tag}@example.com", "officer": f"inst-officer-{tag}@example.com",
              "doctor": f"inst-doctor-{tag}@example.com"}
    with live_app.app_context():
        staff = accounts.create_staff(emails["staff"], PASSWORD, "服务站管理员")
        institution = institutions.create_institution(staff, {"name": HOSPITAL, "code": make_uscc(860000 + tag % 1000),
                                                              "city": "福州市", "level": "3a"})
        officer = institutions.create_officer(institution, staff, emails["officer"], PASSWORD, "科研处叶老师")
        institutions.set_internal_review(institution, officer, True)
        db.session.commit()
        emails["institution_id"] = str(institution.id)
    return emails


def test_officer_confirms_a_clinician_and_approves_in_hospital_review(new_page, live_app, hospital):
    check = expect()
    shot = Screenshots("institution")

    # 1. A clinician registers on a phone, choosing the hospital from the list.
    doctor = new_page(phone=True)
    doctor.goto("/auth/register/clinician")
    doctor.locator("#name").fill("陈医生")
    doctor.locator("#phone").fill("13912345670")
    doctor.locator("#institution_id").select_option(hospital["institution_id"])
    doctor.locator("#department").fill("肿瘤内科")
    doctor.locator("#email").fill(hospital["doctor"])
    doctor.locator("#password").fill(PASSWORD)
    doctor.locator("#confirm").fill(PASSWORD)
    doctor.get_by_role("button", name="注册", exact=True).click()
    check(doctor).to_have_url(re.compile(r"/projects/$"))
    check(doctor.locator(".unconfirmed-notice")).to_contain_text(f"您的身份待{HOSPITAL}确认")
    shot(doctor, "clinician-waits-phone")

    # 2. The officer signs in, lands on the hospital workbench, and confirms the clinician.
    officer = new_page()
    log_in(officer, hospital["officer"])
    check(officer).to_have_url(re.compile(r"/institution/$"))
    row = officer.locator("tr.affiliation-pending", has_text="陈医生")
    check(row).to_be_visible()
    shot(officer, "officer-workbench-pending")
    row.get_by_role("button", name="确认为本院人员").click()
    check(officer.locator(".alert-success")).to_contain_text("已确认 陈医生 为本院人员")
    check(officer.locator("tr.affiliation-confirmed", has_text="陈医生")).to_be_visible()

    # 3. The clinician is told, and submits a project: it goes to the hospital first.
    with live_app.app_context():
        from app.accounts.operations import find_user
        from app.extensions import db
        from app.projects import operations as projects
        project = projects.create_project(find_user(hospital["doctor"]), dict(FULL_PROJECT, name="浏览器院内审核项目"))
        db.session.commit()
        project_id = project.id
    doctor.goto("/notifications/")
    check(doctor.locator("body")).to_contain_text("已确认您的身份")
    doctor.goto(f"/projects/{project_id}")
    check(doctor.locator(".unconfirmed-notice")).to_have_count(0)
    doctor.get_by_role("button", name="提交初核").click()
    check(doctor.locator(".alert-success")).to_contain_text("已提交院内审核")
    check(doctor.locator(".step-indicator [aria-current=step]")).to_contain_text("院内审核")
    shot(doctor, "clinician-in-hospital-review-phone")

    # 4. The officer reviews the whole form and approves it as the 项目申请单位.
    officer.goto("/institution/")
    officer.locator("#waiting").get_by_role("link", name="浏览器院内审核项目").click()  # first on the workbench
    check(officer).to_have_url(re.compile(rf"/institution/projects/{project_id}$"))
    check(officer.locator(".form-table")).to_contain_text(FULL_PROJECT["structure"])
    shot(officer, "officer-review-page")
    officer.locator("#approve-comment").fill("同意以本院名义申报")
    officer.get_by_role("button", name="通过院内审核，报送服务站").click()
    check(officer.locator(".alert-success")).to_contain_text("本院作为项目申请单位")
    shot(officer, "officer-approved")

    # The officer's pages on a phone: the workbench and the project, now public tier only.
    officer_phone = new_page(phone=True)
    log_in(officer_phone, hospital["officer"])
    check(officer_phone.locator("#projects")).to_contain_text("待初核")
    shot(officer_phone, "officer-workbench-phone")
    officer_phone.goto(f"/institution/projects/{project_id}")
    check(officer_phone.locator("body")).not_to_contain_text(FULL_PROJECT["structure"])
    check(officer_phone.locator("body")).to_contain_text(HOSPITAL)
    shot(officer_phone, "officer-project-phone")

    # 5. The station sees it waiting for 初核, with the hospital as applicant on the Word form.
    with live_app.app_context():
        from app.extensions import db
        from app.projects.models import Project, ProjectStatus
        project = db.session.get(Project, project_id)
        assert project.status is ProjectStatus.SUBMITTED and project.applicant_institution.name == HOSPITAL
    doctor.goto(f"/projects/{project_id}")
    check(doctor.locator("h1")).to_contain_text("待初核")
