"""Hospitals (医疗机构): records, officers, confirming clinicians, 院内审核, the officer's workbench."""
import io
import re

import pytest
from docx import Document

from app.accounts import institutions as service
from app.accounts.models import Affiliation, AffiliationStatus, Institution, Role, User
from app.core.errors import PermissionDenied, ValidationError
from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import ProjectStatus as S
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.projects.test_projects_web import form_data
from tests.transitions import actors, assert_table, walk
from tests.uscc import make_uscc

A = AffiliationStatus


@pytest.fixture
def hospital():
    institution = Institution(name="福建省立医院", code=make_uscc(777), city="福州市")
    db.session.add(institution)
    db.session.flush()
    return institution


@pytest.fixture
def officer(make_user, hospital):
    return make_user("institution", institution=hospital)


def notifications_of(user, kind):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


def register(client, **overrides):
    data = {"email": "doctor@hospital.test", "name": "王医生", "phone": "13800138000", "password": "Harbour-lamp-2026",
            "confirm": "Harbour-lamp-2026", "department": "骨科"} | overrides
    return client.post("/auth/register/clinician", data=data)


# --- registration ---------------------------------------------------------------------------------------------

def test_registering_with_a_listed_hospital_waits_for_its_officer(client, hospital, officer):
    response = register(client, institution_id=str(hospital.id))
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "doctor@hospital.test"))
    assert user.affiliation.institution_id == hospital.id and user.affiliation.status is A.PENDING
    assert user.institution == "福建省立医院" and not user.is_verified
    assert notifications_of(officer, "affiliation_requested")
    page = client.get("/projects/").get_data(as_text=True)
    assert "不能提交项目或查看项目库详情" in page


def test_a_hospital_not_listed_goes_to_staff(client, staff):
    assert register(client, institution_id="0", institution="某县人民医院").status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "doctor@hospital.test"))
    assert user.affiliation.institution is None and user.affiliation.hospital_name == "某县人民医院"
    assert notifications_of(staff, "affiliation_requested_staff")   # the staff reading: the hospital has no officer
    assert [u.id for u, _a in service.staff_queue()] == [user.id]


def test_registration_form_lists_the_hospitals(client, hospital):
    html = client.get("/auth/register/clinician").get_data(as_text=True)
    assert "福州市 · 福建省立医院" in html and "未在列表中" in html


@pytest.mark.parametrize("data", [{"institution_id": "0"}, {"institution_id": "999", "institution": ""}])
def test_no_hospital_is_refused_next_to_the_field(client, data):
    response = register(client, **data)
    assert response.status_code == 400 and "请选择所在医疗机构" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


# --- what an unconfirmed clinician may do ---------------------------------------------------------------------

def test_an_unconfirmed_clinician_drafts_but_cannot_submit(client, login_as, make_user):
    user = login_as(make_user("clinician", confirmed=False))
    response = client.post("/projects/new", data=form_data(submit="1"))
    assert response.status_code == 302
    project = projects.projects_of(user)[0]
    assert project.status is S.DRAFT  # the draft is kept
    page = client.get(response.location).get_data(as_text=True)
    assert "尚未确认您的身份" in page
    response = client.post(f"/projects/{project.id}/submit", follow_redirects=True)
    assert "尚未确认您的身份" in response.get_data(as_text=True)
    db.session.refresh(project)
    assert project.status is S.DRAFT
    with pytest.raises(PermissionDenied):
        projects.submit_project(project, user)


def test_an_unconfirmed_clinician_cannot_read_library_detail(client, login_as, make_user, make_project):
    published = make_project(status=S.PUBLISHED)
    login_as(make_user("clinician", confirmed=False))
    response = client.get(f"/library/{published.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "您的身份尚待所在医疗机构确认" in html and "下一步" in html
    assert published.structure not in html


def test_confirmation_opens_submission_and_tells_the_clinician(client, login_as, make_user, officer, hospital):
    clinician = make_user("clinician", confirmed=False, institution=hospital)
    login_as(officer)
    response = client.post(f"/institution/affiliations/{clinician.affiliation.id}/confirm")
    assert response.status_code == 302
    db.session.refresh(clinician.affiliation)
    assert clinician.affiliation.status is A.CONFIRMED and clinician.affiliation.decided_by_id == officer.id
    assert clinician.is_verified
    assert notifications_of(clinician, "affiliation_confirmed")
    row = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "confirm_affiliation")).one()
    assert (row.actor_id, row.subject_type, row.from_state, row.to_state) == (
        officer.id, "affiliation", "pending", "confirmed")
    project = projects.create_project(clinician, FULL_PROJECT)
    projects.submit_project(project, clinician)
    assert project.status is S.SUBMITTED


def test_rejection_needs_a_reason_and_is_told(client, login_as, make_user, officer, hospital):
    clinician = make_user("clinician", confirmed=False, institution=hospital)
    login_as(officer)
    response = client.post(f"/institution/affiliations/{clinician.affiliation.id}/reject", data={"comment": ""})
    assert response.status_code == 400 and "请填写不予确认的理由" in response.get_data(as_text=True)
    response = client.post(f"/institution/affiliations/{clinician.affiliation.id}/reject",
                           data={"comment": "查无此人"})
    assert response.status_code == 302
    db.session.refresh(clinician.affiliation)
    assert clinician.affiliation.status is A.REJECTED and clinician.affiliation.status_reason == "查无此人"
    assert "查无此人" in notifications_of(clinician, "affiliation_rejected")[0].body


def test_another_hospitals_officer_and_staff_may_not_decide_for_a_represented_hospital(
        client, login_as, make_user, officer, hospital, staff):
    clinician = make_user("clinician", confirmed=False, institution=hospital)
    for actor in (make_user("institution"), staff, make_user("clinician")):
        with pytest.raises(PermissionDenied):
            service.confirm_affiliation(clinician.affiliation, actor)
    login_as(make_user("institution"))
    assert client.post(f"/institution/affiliations/{clinician.affiliation.id}/confirm").status_code == 403
    assert clinician.affiliation.status is A.PENDING


def test_staff_confirm_where_the_hospital_has_no_officer(make_user, hospital, staff):
    clinician = make_user("clinician", confirmed=False, institution=hospital)
    service.confirm_affiliation(clinician.affiliation, staff)
    assert clinician.is_verified


def test_staff_resolve_a_hospital_not_listed_then_confirm(client, login_as, make_user, hospital, staff):
    clinician = make_user("clinician", confirmed=False)
    assert clinician.affiliation.institution is None
    with pytest.raises(ValidationError):
        service.confirm_affiliation(clinician.affiliation, staff)  # no record yet: resolve first
    login_as(staff)
    page = client.get("/admin/institutions/clinicians").get_data(as_text=True)
    assert clinician.name in page and "未在列表中" in page
    response = client.post(f"/admin/institutions/clinicians/{clinician.id}/resolve",
                           data={"institution_id": str(hospital.id)})
    assert response.status_code == 302
    db.session.refresh(clinician.affiliation)
    assert clinician.affiliation.institution_id == hospital.id
    assert client.post(f"/institution/affiliations/{clinician.affiliation.id}/confirm").status_code == 302
    db.session.refresh(clinician.affiliation)
    assert clinician.affiliation.status is A.CONFIRMED


def test_a_clinician_with_no_tie_yet_is_in_the_staff_queue_and_can_be_resolved(make_user, hospital, staff):
    user = User(email="imported@example.test", name="导入", role=Role.CLINICIAN, active=False)
    db.session.add(user)
    db.session.flush()
    assert (user, None) in service.staff_queue()
    service.resolve_affiliation(user, staff, hospital)
    assert user.affiliation.institution is hospital and user.affiliation.status is A.PENDING


# The tie's table, walked for everyone: the officer of the clinician's hospital decides; nobody else.
OFFICER = frozenset({"officer"})
EXPECTED = {
    "confirm": ({A.PENDING}, A.CONFIRMED, OFFICER),
    "reject": ({A.PENDING}, A.REJECTED, OFFICER),
    "revoke": ({A.CONFIRMED}, A.REJECTED, OFFICER),
    "reopen": ({A.REJECTED}, A.PENDING, frozenset({"staff", "admin"})),
    "appoint": ({A.PENDING}, A.CONFIRMED, frozenset()),  # officers' ties only (see the officer test)
}


def test_the_affiliation_table_is_as_documented():
    assert_table(service.AFFILIATION, EXPECTED)


@pytest.mark.parametrize("action", EXPECTED)
def test_every_affiliation_transition_by_every_role(make_user, officer, hospital, action):
    clinician = make_user("clinician", confirmed=False, institution=hospital)
    people = {**actors(make_user, clinician, make_user("enterprise")), "officer": officer,
              "other_officer": make_user("institution")}
    walk(clinician.affiliation, service.AFFILIATION, EXPECTED, action, people)


# --- 院内审核 ----------------------------------------------------------------------------------------------------

@pytest.fixture
def reviewed(make_user, hospital, officer):
    """A confirmed clinician of a hospital that reviews its projects first."""
    hospital.internal_review = True
    return make_user("clinician", institution=hospital)


def test_without_internal_review_submission_goes_to_the_station(make_user, hospital, officer):
    owner = make_user("clinician", institution=hospital)
    project = projects.create_project(owner, FULL_PROJECT)
    projects.submit_project(project, owner)
    assert project.status is S.SUBMITTED


def test_internal_review_needs_an_officer(make_user, hospital):
    hospital.internal_review = True  # but nobody to do it: straight to the station
    owner = make_user("clinician", institution=hospital)
    project = projects.create_project(owner, FULL_PROJECT)
    projects.submit_project(project, owner)
    assert project.status is S.SUBMITTED


def test_officer_approves_as_the_applicant_and_the_docx_says_so(client, login_as, reviewed, officer, hospital):
    project = projects.create_project(reviewed, FULL_PROJECT)
    projects.submit_project(project, reviewed)
    assert project.status is S.INSTITUTION_REVIEW
    assert notifications_of(officer, "institution_review")
    login_as(officer)
    dashboard = client.get("/institution/").get_data(as_text=True)
    assert project.name in dashboard and "待您审核" in dashboard
    page = client.get(f"/institution/projects/{project.id}").get_data(as_text=True)
    assert project.structure in page  # 院内审核 needs the whole form
    docx = client.get(f"/documents/projects/{project.id}/form.docx")
    assert docx.status_code == 200
    response = client.post(f"/institution/projects/{project.id}/approve", data={"approve-comment": "同意申报"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status is S.SUBMITTED and project.applicant_institution_id == hospital.id
    assert notifications_of(reviewed, "institution_approved")
    row = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "institution_approve")).one()
    assert (row.actor_id, row.from_state, row.to_state, row.comment) == (
        officer.id, "institution_review", "submitted", "同意申报")
    text = "\n".join(p.text for p in Document(io.BytesIO(client.get(
        f"/documents/projects/{project.id}/form.docx").data)).paragraphs)
    assert "项目申请单位（公章）：福建省立医院" in text
    # after 院内审核 the officer keeps the public and progress view only
    page = client.get(f"/institution/projects/{project.id}").get_data(as_text=True)
    assert project.structure not in page and project.public_summary in page


def test_officer_returns_with_comments_the_owner_reads(client, login_as, reviewed, officer):
    project = projects.create_project(reviewed, FULL_PROJECT)
    projects.submit_project(project, reviewed)
    login_as(officer)
    response = client.post(f"/institution/projects/{project.id}/return", data={"return-comment": ""})
    assert response.status_code == 400 and "请写明需要修改的内容" in response.get_data(as_text=True)
    client.post(f"/institution/projects/{project.id}/return", data={"return-comment": "请补充伦理审查情况"})
    db.session.refresh(project)
    assert project.status is S.RETURNED and project.applicant_institution_id is None
    assert projects.latest_review_comment(project) == "请补充伦理审查情况"
    assert notifications_of(reviewed, "institution_returned")
    client.post("/auth/logout")
    login_as(reviewed)
    assert "请补充伦理审查情况" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    projects.submit_project(project, reviewed)  # revised and sent again: back to the hospital first
    assert project.status is S.INSTITUTION_REVIEW


def test_station_cannot_approve_during_internal_review(reviewed, staff):
    project = projects.create_project(reviewed, FULL_PROJECT)
    projects.submit_project(project, reviewed)
    from app.core.errors import TransitionError
    with pytest.raises(TransitionError):
        projects.approve_project(project, staff)


def test_officer_turns_internal_review_on_and_off(client, login_as, officer, hospital):
    login_as(officer)
    client.post("/institution/settings", data={"internal_review": "y"})
    db.session.refresh(hospital)
    assert hospital.internal_review
    client.post("/institution/settings", data={})
    db.session.refresh(hospital)
    assert not hospital.internal_review
    assert [r.to_state for r in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "set_internal_review").order_by(AuditEvent.id))] == ["on", "off"]


def test_step_indicator_and_labels_know_internal_review(client, login_as, reviewed):
    project = projects.create_project(reviewed, FULL_PROJECT)
    projects.submit_project(project, reviewed)
    login_as(reviewed)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    current = html[html.index('aria-current="step"'):]
    assert current[:200].count("院内审核") == 1
    client.get("/lang/en")
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Hospital review" in html


# --- the officer's workbench and what it shows ------------------------------------------------------------------

def test_dashboard_lists_pending_clinicians_first_and_only_the_hospitals_projects(
        client, login_as, make_user, make_project, officer, hospital):
    confirmed = make_user("clinician", institution=hospital, name="已确认医生")
    make_user("clinician", confirmed=False, institution=hospital, name="待确认医生")
    make_user("clinician", confirmed=False, name="别院医生")
    mine = make_project(status=S.PUBLISHED, owner=confirmed, name="本院已发布项目")
    make_project(status=S.DRAFT, owner=confirmed, name="本院草稿项目")
    make_project(status=S.PUBLISHED, name="别院项目")
    login_as(officer)
    html = client.get("/institution/").get_data(as_text=True)
    clinicians = html[html.index('id="clinicians"'):]  # the projects (and their owners) come first
    assert clinicians.index("待确认医生") < clinicians.index("已确认医生")
    assert "别院医生" not in html and "别院项目" not in html and "本院草稿项目" not in html
    assert mine.name in html
    other = make_project(status=S.PUBLISHED)
    assert client.get(f"/institution/projects/{other.id}").status_code == 404
    draft = make_project(status=S.DRAFT, owner=confirmed)
    assert client.get(f"/institution/projects/{draft.id}").status_code == 404
    assert client.get(f"/documents/projects/{mine.id}/form.docx").status_code == 403  # not its applicant


def test_officer_history_hides_station_comments(client, login_as, make_user, make_project, officer, hospital):
    owner = make_user("clinician", institution=hospital)
    project = make_project(status=S.RETURNED, owner=owner)  # returned by the station with "请补充临床数据"
    login_as(officer)
    html = client.get(f"/institution/projects/{project.id}").get_data(as_text=True)
    assert "请补充临床数据" not in html and "退回修改" in html


# --- staff keep the records and create officers -----------------------------------------------------------------

def test_staff_create_a_hospital_and_its_officer(client, login_as, staff):
    login_as(staff)
    response = client.post("/admin/institutions/new", data={"name": "福州市第一医院", "code_kind": "uscc",
                                                             "code": "123", "city": "福州市", "level": "3a"})
    assert response.status_code == 400 and "统一社会信用代码应为18位" in response.get_data(as_text=True)
    response = client.post("/admin/institutions/new", data={"name": "福州市第一医院", "code_kind": "licence",
                                                             "code": "PDY00001335010211A1001", "city": "福州市",
                                                             "level": "3a"})
    assert response.status_code == 302
    institution = db.session.scalar(db.select(Institution))
    assert institution.code_kind.value == "licence" and institution.level.value == "3a"
    response = client.post(f"/admin/institutions/{institution.id}/officers",
                           data={"name": "科研处刘老师", "email": "kyc@hospital.test", "password": "Harbour-lamp-2026"})
    assert response.status_code == 302
    officer = db.session.scalar(db.select(User).where(User.email == "kyc@hospital.test"))
    assert officer.role is Role.INSTITUTION and officer.is_verified
    row = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "appoint_officer")).one()
    assert (row.actor_id, row.from_state, row.to_state) == (staff.id, "pending", "confirmed")
    assert service.officer_institution(officer).id == institution.id
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": "kyc@hospital.test", "password": "Harbour-lamp-2026"}).status_code == 302
    assert client.get("/").location.endswith("/institution/")
    assert "福州市第一医院" in client.get("/institution/").get_data(as_text=True)


def test_duplicate_hospital_is_refused_next_to_the_field(client, login_as, staff, hospital):
    login_as(staff)
    response = client.post("/admin/institutions/new", data={"name": hospital.name, "code_kind": "uscc",
                                                             "code": make_uscc(778), "city": "福州市", "level": "3a"})
    assert response.status_code == 400 and "已有同名医疗机构" in response.get_data(as_text=True)
    response = client.post(f"/admin/institutions/{hospital.id}/edit", data={
        "name": "福建省立医院（南院）", "code_kind": "uscc", "code": hospital.code, "city": "福州市", "level": "3a"})
    assert response.status_code == 302
    db.session.refresh(hospital)
    assert hospital.name == "福建省立医院（南院）"


def test_only_staff_create_hospitals_and_officers(make_user, hospital):
    for actor in (make_user("clinician"), make_user("institution"), make_user("enterprise")):
        with pytest.raises(PermissionDenied):
            service.create_institution(actor, {"name": "某医院", "code": make_uscc(5), "city": "福州市"})
        with pytest.raises(PermissionDenied):
            service.create_officer(hospital, actor, "x@example.test", PASSWORD, "某人")


def test_demo_has_hospitals_an_officer_and_confirmed_clinicians():
    from app.accounts.operations import find_user
    from app.demo import loader as demo
    from app.projects.models import Project
    demo.load_demo()
    officer = find_user("institution@demo.test")
    assert officer.role is Role.INSTITUTION and officer.check_password(demo.DEMO_PASSWORD)
    hospital = service.officer_institution(officer)
    assert hospital.name == "厦门大学附属中山医院" and hospital.internal_review
    assert db.session.scalar(db.select(db.func.count()).select_from(Institution)) == len(demo.HOSPITALS)
    for clinician in demo.CLINICIANS:
        assert find_user(clinician.email).is_verified, clinician.email
    waiting = db.session.scalar(db.select(Project).where(Project.import_key == demo.demo_key("demo-13")))
    assert waiting.status is S.INSTITUTION_REVIEW and waiting.owner.affiliation.institution is hospital
    assert db.session.scalar(db.select(db.func.count()).select_from(Affiliation).where(
        Affiliation.status != A.CONFIRMED)) == 0


def test_readme_documents_roles_demo_officer_and_backup():
    from pathlib import Path

    from app.demo import loader as demo
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "### Roles" in readme and "`institution` 医疗机构成果转化管理员" in readme
    assert f"`{demo.OFFICER[0]}`" in readme
    assert "backup create [--to DIR]" in readme and "backup restore ARCHIVE" in readme


def test_the_workbench_puts_the_projects_waiting_for_the_officer_before_the_clinicians(client, login_as, make_user,
                                                                                         make_project):
    waiting = make_project(status=S.INSTITUTION_REVIEW)
    hospital = waiting.owner.affiliation.institution
    make_user("clinician", institution=hospital, name="排在后面的医生")
    officer = db.session.scalars(db.select(User).where(User.role == Role.INSTITUTION)
                                 .join(Affiliation, Affiliation.user_id == User.id)
                                 .where(Affiliation.institution_id == hospital.id)).one()
    login_as(officer)
    html = client.get("/institution/").get_data(as_text=True)
    assert 'id="waiting"' in html, "no list of the projects waiting for 院内审核"
    section = html[html.index('id="waiting"'):html.index('id="clinicians"')]
    assert "待院内审核" in section and waiting.display_name in section
    assert re.search(r"待院内审核\s*<span class=\"badge[^\"]*\">1</span>", section), "the count of waiting projects"
    assert html.index('id="waiting"') < html.index('id="projects"') < html.index('id="clinicians"')
    assert html.index(waiting.display_name) < html.index("排在后面的医生")
