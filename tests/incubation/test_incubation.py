"""Incubation: assessment arithmetic, versions and permissions; milestones, overdue, launch."""
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage

from app.core.errors import PermissionDenied, ServiceError, TransitionError
from app.core.models import AuditEvent
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.incubation import operations as svc
from app.incubation.models import AssessmentStatus, MilestoneKind, MilestoneStatus
from app.projects.models import ProjectStatus

SCORES_A = {"technology": 80, "finalisation": 60, "clinical_potential": 90, "partner_capability": 70}
SCORES_B = {"technology": 70, "finalisation": 75, "clinical_potential": 85, "partner_capability": 90}


@pytest.fixture
def signed(make_project, make_user):
    project = make_project(status=ProjectStatus.SIGNED)
    company = make_user("enterprise")
    db.session.add(Interest(project=project, organisation_id=company.organisation_id, created_by=company,
                            status=InterestStatus.SIGNED, cooperation_modes=[]))
    db.session.flush()
    return project, company


def test_weighted_total_arithmetic():
    means = {"technology": Decimal(75), "finalisation": Decimal("67.5"), "clinical_potential": Decimal("87.5"),
             "partner_capability": Decimal(80)}
    weights = {"technology": 30, "finalisation": 20, "clinical_potential": 30, "partner_capability": 20}
    # 0.3*75 + 0.2*67.5 + 0.3*87.5 + 0.2*80 = 22.5 + 13.5 + 26.25 + 16 = 78.25
    assert svc.weighted_total(means, weights) == Decimal("78.25")


def test_assessment_with_two_assessors_side_by_side(signed, make_user, app):
    project, company = signed
    a, b = make_user("staff"), make_user("staff")
    assessment = svc.open_assessment(project, a)
    svc.record_scores(assessment, a, SCORES_A, {"technology": "国内领先"})
    svc.record_scores(assessment, b, SCORES_B, {})
    svc.record_scores(assessment, a, SCORES_A, {"technology": "国内领先，已有样机"})  # re-scoring replaces
    assert len(assessment.scores) == 2
    means = svc.indicator_means(assessment)
    assert means == {"technology": 75, "finalisation": Decimal("67.5"), "clinical_potential": Decimal("87.5"),
                     "partner_capability": 80}
    with app.test_request_context():
        svc.complete_assessment(assessment, a, ["pre_review", "innovation_special"], "每月走访一次", a,
                                date(2027, 3, 1))
    assert assessment.total_score == Decimal("78.25")
    assert assessment.weights == {"technology": 30, "finalisation": 20, "clinical_potential": 30,
                                  "partner_capability": 20}
    assert project.status is ProjectStatus.INCUBATING
    assert len(svc.ensure_milestones(project)) == len(MilestoneKind)


def test_weights_are_a_setting(signed, make_user, app):
    project, _ = signed
    admin, staff = make_user("admin"), make_user("staff")
    with pytest.raises(PermissionDenied):
        svc.set_assessment_weights({"technology": 25, "finalisation": 25, "clinical_potential": 25,
                                    "partner_capability": 25}, staff)
    with pytest.raises(ServiceError):
        svc.set_assessment_weights({"technology": 50, "finalisation": 50, "clinical_potential": 50,
                                    "partner_capability": 0}, admin)
    svc.set_assessment_weights({"technology": 25, "finalisation": 25, "clinical_potential": 25,
                                "partner_capability": 25}, admin)
    assessment = svc.open_assessment(project, staff)
    svc.record_scores(assessment, staff, SCORES_A, {})
    with app.test_request_context():
        svc.complete_assessment(assessment, staff, [], "方案", staff, None)
    assert assessment.total_score == Decimal("75.00")  # (80+60+90+70)/4


def test_reassessment_keeps_the_earlier_version(signed, make_user, app):
    project, _ = signed
    staff = make_user("staff")
    first = svc.open_assessment(project, staff)
    with pytest.raises(ServiceError):
        svc.open_assessment(project, staff)  # one open at a time
    svc.record_scores(first, staff, SCORES_A, {})
    with app.test_request_context():
        svc.complete_assessment(first, staff, ["key_support"], "方案一", staff, None)
    second = svc.open_assessment(project, staff)
    svc.record_scores(second, staff, SCORES_B, {})
    with app.test_request_context():
        svc.complete_assessment(second, staff, ["priority_approval"], "方案二", staff, None)
    assert [a.version for a in svc.assessments_of(project)] == [2, 1]
    assert first.total_score == Decimal("77.00") and first.support_plan == "方案一"  # 24+12+27+14
    assert second.total_score == Decimal("79.50")  # 21+15+25.5+18
    with pytest.raises(TransitionError):
        svc.record_scores(first, staff, SCORES_B, {})


@pytest.mark.parametrize("role", ["clinician", "enterprise", "investor"])
def test_only_staff_assess(signed, make_user, role):
    project, _ = signed
    with pytest.raises(PermissionDenied):
        svc.open_assessment(project, make_user(role))


@pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING])
def test_only_signed_projects_are_assessed(make_project, make_user, status):
    with pytest.raises(TransitionError):
        svc.open_assessment(make_project(status=status), make_user("staff"))


@pytest.mark.parametrize("scores, message", [({**SCORES_A, "technology": 101}, "0–100"),
                                             ({**SCORES_A, "finalisation": -1}, "0–100")])
def test_scores_out_of_range(signed, make_user, scores, message):
    project, _ = signed
    staff = make_user("staff")
    with pytest.raises(ServiceError, match=message):
        svc.record_scores(svc.open_assessment(project, staff), staff, scores, {})


def test_completion_needs_scores_and_a_plan(signed, make_user, app):
    project, _ = signed
    staff = make_user("staff")
    assessment = svc.open_assessment(project, staff)
    with app.test_request_context():
        with pytest.raises(ServiceError):
            svc.complete_assessment(assessment, staff, [], "方案", staff, None)
        svc.record_scores(assessment, staff, SCORES_A, {})
        with pytest.raises(ServiceError):
            svc.complete_assessment(assessment, staff, [], "  ", staff, None)
    assert assessment.status is AssessmentStatus.OPEN and project.status is ProjectStatus.SIGNED


def test_overdue_milestones_with_a_controllable_clock(signed):
    project, _ = signed
    milestones = {m.kind: m for m in svc.ensure_milestones(project)}
    milestones[MilestoneKind.FINALISATION].planned_on = date(2026, 1, 10)
    milestones[MilestoneKind.REGISTRATION_TESTING].planned_on = date(2026, 3, 1)
    milestones[MilestoneKind.TRIAL_START].planned_on = date(2026, 2, 1)
    milestones[MilestoneKind.TRIAL_START].status = MilestoneStatus.DONE
    milestones[MilestoneKind.TRIAL_DONE].planned_on = date(2026, 2, 1)
    milestones[MilestoneKind.TRIAL_DONE].status = MilestoneStatus.NOT_APPLICABLE
    assert [m.kind for m in svc.overdue_milestones(date(2026, 1, 10))] == []
    assert [m.kind for m in svc.overdue_milestones(date(2026, 1, 11))] == [MilestoneKind.FINALISATION]
    assert [m.kind for m in svc.overdue_milestones(date(2026, 3, 2))] == [MilestoneKind.FINALISATION,
                                                                        MilestoneKind.REGISTRATION_TESTING]
    assert milestones[MilestoneKind.FINALISATION].is_overdue(date(2026, 1, 11))


def test_parties_update_milestones_and_approval_launches(signed, make_user, app):
    project, company = signed
    milestones = {m.kind: m for m in svc.ensure_milestones(project)}
    with app.test_request_context():
        svc.update_milestone(milestones[MilestoneKind.FINALISATION], company, MilestoneStatus.DONE,
                             date(2026, 5, 1), date(2026, 5, 3), "样机定型")
        svc.update_milestone(milestones[MilestoneKind.REGISTRATION_TESTING], project.owner,
                             MilestoneStatus.IN_PROGRESS, date(2026, 12, 1), None, "")
        with pytest.raises(PermissionDenied):
            svc.update_milestone(milestones[MilestoneKind.TRIAL_START], make_user("enterprise"),
                                 MilestoneStatus.IN_PROGRESS, None, None, "")
        with pytest.raises(ServiceError):
            svc.update_milestone(milestones[MilestoneKind.APPROVED], company, MilestoneStatus.DONE, None, None, "")
        svc.update_milestone(milestones[MilestoneKind.APPROVED], make_user("staff"), MilestoneStatus.DONE,
                             None, date(2026, 10, 1), "国械注准")
    assert project.status is ProjectStatus.LAUNCHED
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.project_id == project.id)).all()
    assert actions.count("update_milestone") == 3 and "launch" in actions


def test_evidence_upload(signed, app):
    project, company = signed
    milestone = svc.ensure_milestones(project)[0]
    with app.test_request_context():
        evidence = svc.add_evidence(milestone, company, FileStorage(io.BytesIO(b"%PDF-1.4 x"), filename="检验报告.pdf"))
    assert evidence.original_name == "检验报告.pdf" and milestone.evidence == [evidence]


def test_incubation_pages(client, login_as, signed, make_user):
    project, company = signed
    db.session.commit()
    staff = login_as("staff")
    assert "发起评估" in client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
    client.post(f"/incubation/projects/{project.id}/assessments")
    assessment = svc.assessments_of(project)[0]
    bad = client.post(f"/incubation/assessments/{assessment.id}/scores", data={**SCORES_A, "technology": "120"})
    assert bad.status_code == 400 and "分数须在 0–100 之间" in bad.get_data(as_text=True)
    client.post(f"/incubation/assessments/{assessment.id}/scores", data=SCORES_A)
    response = client.post(f"/incubation/assessments/{assessment.id}/complete",
                           data={"recommendations": ["pre_review"], "support_plan": "一企一策：每月跟踪",
                                 "responsible_id": str(staff.id), "next_review_on": "2027-01-01"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status is ProjectStatus.INCUBATING
    page = client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
    assert "审评前置" in page and "一企一策：每月跟踪" in page and "77.00" in page
    milestone = svc.ensure_milestones(project)[0]
    milestone.planned_on = date.today() - timedelta(days=30)
    db.session.commit()
    overview = client.get("/incubation/").get_data(as_text=True)
    assert "逾期里程碑" in overview and project.name in overview
    client.post("/auth/logout")
    login_as(project.owner)
    crumbs = client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
    assert f'<a href="/projects/{project.id}">{project.display_name}</a>' in crumbs  # a way back to the project
    client.post("/auth/logout")
    login_as(company)
    assert 'class="breadcrumb-item"><a href="/deals/">' in client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
    undated = client.post(f"/incubation/milestones/{milestone.id}",
                          data={f"m{milestone.id}-status": "done", f"m{milestone.id}-notes": "样机已定型，待补日期"})
    assert undated.status_code == 400  # the project's page again, not a refusal page
    html = undated.get_data(as_text=True)
    # next to the field, inside this milestone's section, which is open, with what was typed kept
    section = re.search(rf'id="milestone-{milestone.id}".*?</details>', html, re.S).group(0)
    assert re.search(r'<details class="mt-1" open>', section)
    assert re.search(rf'id="field-m{milestone.id}-status".*?invalid-feedback[^>]*>标记为已完成时请填写实际完成日期<',
                     section, re.S)
    assert "样机已定型，待补日期" in section and f'action="/incubation/milestones/{milestone.id}#milestone-' in section
    assert html.count('<details class="mt-1" open>') == 1  # the other milestones stay folded
    assert html.count("alert-danger") == 1
    db.session.refresh(milestone)
    assert milestone.status is not MilestoneStatus.DONE
    response = client.post(f"/incubation/milestones/{milestone.id}",
                           data={f"m{milestone.id}-status": "done", f"m{milestone.id}-actual_on": date.today().isoformat(),
                                 f"m{milestone.id}-planned_on": milestone.planned_on.isoformat()})
    assert response.status_code == 302
    db.session.refresh(milestone)
    assert milestone.status is MilestoneStatus.DONE


def test_admin_sets_weights_on_the_settings_page(client, login_as):
    login_as("admin")
    bad = client.post("/admin/settings", data={"technology": 50, "finalisation": 50, "clinical_potential": 50,
                                               "partner_capability": 50})
    assert bad.status_code == 400 and "合计为 100" in bad.get_data(as_text=True)
    client.post("/admin/settings", data={"technology": 40, "finalisation": 20, "clinical_potential": 20,
                                         "partner_capability": 20})
    assert svc.assessment_weights() == {"technology": 40, "finalisation": 20, "clinical_potential": 20,
                                        "partner_capability": 20}
