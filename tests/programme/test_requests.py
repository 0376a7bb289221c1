"""Support requests: each kind's fields and checklist, transitions by role, SLA reminders, outcome → milestone."""
from datetime import date, timedelta

import pytest

from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import Notification
from app.core.states import allowed
from app.extensions import db
from app.incubation import operations as incubation
from app.incubation.models import MilestoneKind, MilestoneStatus
from app.programme import requests as svc
from app.programme import resources
from app.programme.kinds import SPECS
from app.programme.models import ProviderKind, RequestKind, RequestStatus, ReviewDecision
from app.programme.operations import REQUEST
from app.projects.models import ProjectStatus

COMPLETE = {
    RequestKind.PATENT: {"invention_title": "负压引流装置", "patent_type": "invention", "applicants": "协和医院",
                         "inventors": "林医生", "technical_points": "可调负压"},
    RequestKind.RD_SUBSIDY: {"applicant_unit": "某公司", "year": "2026", "rd_spend_wan": "120", "purpose": "研发"},
    RequestKind.INDUSTRIALISATION_AWARD: {"applicant_unit": "某公司", "certificate_number": "闽械注准20262140001"},
    RequestKind.MARKET_SUPPORT: {"product_name": "治疗仪", "support_needed": "入院"},
    RequestKind.PRE_REVIEW: {"product_name": "治疗仪", "questions": "分类界定"},
    RequestKind.STANDARD_GUIDANCE: {"product_name": "治疗仪", "questions": "技术要求"},
    RequestKind.TESTING: {"sample": "治疗仪 NPWT-1", "sample_count": "3", "standard": "YY 0505", "items": "电气安全",
                          "purpose": "registration"},
    RequestKind.SPECIAL_REVIEW: {"patent_state": "granted", "patent_number": "ZL202610000000.1",
                                 "core_technology": "可调负压控制", "design_finalised": "yes", "clinical_value": "国内首创"},
    RequestKind.PRIORITY_APPROVAL: {"ground": "elderly", "justification": "老年患者"},
    RequestKind.KEY_SUPPORT: {"current_stage": "注册检验", "support_needed": "检验排队"},
    RequestKind.GENETIC_RESOURCES: {"activity": "collection", "description": "血样"},
    RequestKind.CONSULTATION: {"topic": "注册路径", "mode": "video"},
}
assert set(COMPLETE) == set(RequestKind)


@pytest.fixture
def testing_lab(staff):
    return resources.create_provider(staff, {"name": "福建省医疗器械检验研究院（省药检院）", "kind": "testing",
                                             "scope_types": ["active", "passive"], "services": "注册检验 随送随检"})


def _complete(request, actor, pdf, lab=None):
    """Fill in everything the kind asks for."""
    slot = None
    if request.kind is RequestKind.CONSULTATION:
        from app.core.models import utcnow
        slot = utcnow() + timedelta(days=3)
    svc.update_request(request, actor, COMPLETE[request.kind], lab if SPECS[request.kind].needs_provider else None, slot)
    for doc in SPECS[request.kind].documents:
        if doc.required:
            svc.add_document(request, actor, doc.key, pdf(f"{doc.key}.pdf"))


@pytest.mark.parametrize("kind", list(RequestKind))
def test_each_kind_lists_what_is_missing_until_complete(app, make_project, pdf, testing_lab, kind):
    project = make_project(status=ProjectStatus.PUBLISHED)
    with app.test_request_context():
        request = svc.open_request(project, project.owner, kind)
        gaps = svc.checklist(request)
        required = [f for f in SPECS[kind].fields if f.required] + [d for d in SPECS[kind].documents if d.required]
        assert len(gaps) >= len(required) > 0
        with pytest.raises(ValidationError):
            svc.submit_request(request, project.owner)
        _complete(request, project.owner, pdf, testing_lab)
        assert svc.checklist(request) == []
        svc.submit_request(request, project.owner)
        assert request.status is RequestStatus.SUBMITTED and request.due_on is not None


def test_special_review_needs_a_granted_or_published_patent_and_a_finalised_design(app, make_project, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    with app.test_request_context():
        request = svc.open_request(project, project.owner, RequestKind.SPECIAL_REVIEW)
        _complete(request, project.owner, pdf)
        svc.update_request(request, project.owner, dict(COMPLETE[RequestKind.SPECIAL_REVIEW], patent_state="filed",
                                                        design_finalised="no"))
        gaps = " ".join(svc.checklist(request))
        assert "发明专利" in gaps and "基本定型" in gaps
        svc.update_request(request, project.owner, dict(COMPLETE[RequestKind.SPECIAL_REVIEW], patent_state="published"))
        assert svc.checklist(request) == []


def test_testing_needs_a_testing_provider(app, make_project, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    cmo = resources.create_provider(staff, {"name": "某CDMO", "kind": "cmo"})
    with app.test_request_context():
        request = svc.open_request(project, project.owner, RequestKind.TESTING)
        with pytest.raises(ValidationError):
            svc.update_request(request, project.owner, COMPLETE[RequestKind.TESTING], cmo)
        assert any("检验机构" in g for g in svc.checklist(request))


def test_who_may_open_a_request(make_project, make_user, staff):
    project = make_project(status=ProjectStatus.PUBLISHED)
    for role in ("clinician", "enterprise", "investor"):
        with pytest.raises(PermissionDenied):
            svc.open_request(project, make_user(role), RequestKind.PATENT)
    assert svc.open_request(project, staff, RequestKind.PATENT).on_behalf is True
    assert svc.open_request(project, project.owner, RequestKind.PATENT).on_behalf is False


def test_a_partner_enterprise_may_open_one(app, make_project, make_user):
    from app.deals import operations as deals
    project = make_project(status=ProjectStatus.PUBLISHED)
    partner = make_user("enterprise")
    with app.test_request_context():
        interest = deals.express_interest(project, partner, "意向", ["joint_development"])
        with pytest.raises(PermissionDenied):
            svc.open_request(project, partner, RequestKind.TESTING)
        deals.accept_interest(interest, project.owner)
        assert svc.open_request(project, partner, RequestKind.TESTING).opened_by_id == partner.id


def _submitted(app, project, pdf, kind=RequestKind.PATENT, lab=None):
    with app.test_request_context():
        request = svc.open_request(project, project.owner, kind)
        _complete(request, project.owner, pdf, lab)
        svc.submit_request(request, project.owner)
    return request


@pytest.mark.parametrize("role", ["clinician", "enterprise", "investor"])
def test_only_staff_handle(app, make_project, make_user, pdf, role):
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    for actor in (make_user(role), project.owner):
        for action in ("accept", "return", "refuse"):
            assert not allowed(request, REQUEST, action, actor)
        with pytest.raises(PermissionDenied):
            svc.accept_request(request, actor)


def test_the_life_of_a_request(app, make_project, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    with app.test_request_context():
        with pytest.raises(TransitionError):
            svc.close_request(request, staff, patent_number="x")
        svc.accept_request(request, staff)
        assert request.status is RequestStatus.ACCEPTED and request.assignee_id == staff.id
        with pytest.raises(ValidationError):
            svc.return_request(request, staff, "")
        svc.return_request(request, staff, "请补充发明人身份证明")
        assert request.status is RequestStatus.RETURNED
        assert not allowed(request, REQUEST, "resubmit", project.owner)
        svc.add_document(request, project.owner, "", pdf("身份证明.pdf"))
        svc.submit_request(request, project.owner)
        assert request.status is RequestStatus.IN_PROGRESS  # back to the station's desk, not the queue
        with pytest.raises(ValidationError):
            svc.close_request(request, staff)                   # a patent request closes with its number
        svc.close_request(request, staff, patent_number="2026100000001", note="已提交国家知识产权局")
        assert request.status is RequestStatus.CLOSED and request.closed_at is not None
        assert "2026100000001" in svc.outcome_text(request)


def test_returned_before_acceptance_goes_back_to_the_queue(app, make_project, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    with app.test_request_context():
        svc.return_request(request, staff, "请补充")
        svc.submit_request(request, project.owner)
        assert request.status is RequestStatus.SUBMITTED
        svc.refuse_request(request, staff, "不属于服务范围")
        assert request.status is RequestStatus.REFUSED and request.refusal_reason == "不属于服务范围"
        with pytest.raises(TransitionError):
            svc.accept_request(request, staff)


def test_working_days_skip_weekends():
    friday = date(2026, 12, 4)
    assert svc.add_working_days(friday, 1) == date(2026, 12, 7)
    assert svc.add_working_days(friday, 5) == date(2026, 12, 11)


def test_overdue_requests_remind_the_assignee_once_a_day(app, make_project, make_user, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    other = make_user("staff")
    with app.test_request_context():
        svc.accept_request(request, staff, other.id)
        today = request.due_on + timedelta(days=1)
        assert svc.overdue_requests(request.due_on) == []
        assert svc.overdue_requests(today) == [request]
        assert svc.remind_overdue(today) == 1
        assert svc.remind_overdue(today) == 0
        assert svc.remind_overdue(today + timedelta(days=1)) == 1
    kinds = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "request_overdue")).all()
    assert kinds == [other.id, other.id]


def test_the_periodic_job_reminds(app, make_project, staff, pdf, queue, monkeypatch):
    from app.programme import jobs as programme_jobs
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    request.due_on = date(2020, 1, 1)
    db.session.commit()
    programme_jobs.remind_overdue_requests_daily.call_local()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.kind == "request_overdue")) >= 1


def test_staff_home_shows_overdue_requests(app, client, login_as, make_project, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    request = _submitted(app, project, pdf)
    request.due_on = date(2020, 1, 1)
    db.session.commit()
    login_as(staff)
    page = client.get("/review/").get_data(as_text=True)
    assert "逾期的服务申请" in page and f"/programme/requests/{request.id}" in page


def test_test_report_completes_registration_testing(app, make_project, staff, pdf, testing_lab):
    project = make_project(status=ProjectStatus.SIGNED)
    request = _submitted(app, project, pdf, RequestKind.TESTING, testing_lab)
    with app.test_request_context():
        svc.accept_request(request, staff)
        with pytest.raises(ValidationError):
            svc.close_request(request, staff)
        svc.close_request(request, staff, report=pdf("检验报告.pdf"), note="全部合格")
    milestone = next(m for m in incubation.milestones_of(project) if m.kind is MilestoneKind.REGISTRATION_TESTING)
    assert milestone.status is MilestoneStatus.DONE and milestone.actual_on == incubation.beijing_today()
    assert "检验报告" in milestone.notes


def test_special_review_decision_is_noted_on_the_registration_milestone(app, make_project, staff, pdf):
    project = make_project(status=ProjectStatus.SIGNED)
    request = _submitted(app, project, pdf, RequestKind.SPECIAL_REVIEW)
    with app.test_request_context():
        svc.accept_request(request, staff)
        svc.close_request(request, staff, decision="accepted")
    assert request.decision is ReviewDecision.ACCEPTED
    milestone = next(m for m in incubation.milestones_of(project) if m.kind is MilestoneKind.REGISTRATION_FILED)
    assert milestone.status is MilestoneStatus.IN_PROGRESS and "同意进入" in milestone.notes


def test_recommendations_become_requests_with_one_click(app, make_project, staff):
    project = make_project(status=ProjectStatus.SIGNED)
    with app.test_request_context():
        assessment = incubation.open_assessment(project, staff)
        incubation.record_scores(assessment, staff, {"technology": 80, "finalisation": 80, "clinical_potential": 80,
                                                     "partner_capability": 80}, {})
        incubation.complete_assessment(assessment, staff, ["pre_review", "innovation_special"], "方案", staff, None)
        request = svc.from_recommendation(assessment, staff, "innovation_special")
        assert request.kind is RequestKind.SPECIAL_REVIEW and request.status is RequestStatus.DRAFT
        assert request.on_behalf and svc.recommendation_requests(assessment) == {"innovation_special": request}
        with pytest.raises(Exception):
            svc.from_recommendation(assessment, staff, "innovation_special")
        with pytest.raises(ValidationError):
            svc.from_recommendation(assessment, staff, "key_support")


def test_suggested_providers_cover_the_projects_type(staff, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, stage="registration_testing", project_type="active")
    covers = resources.create_provider(staff, {"name": "有源检验所", "kind": "testing", "scope_types": ["active"]})
    resources.create_provider(staff, {"name": "体外诊断检验所", "kind": "testing", "scope_types": ["ivd"]})
    resources.create_provider(staff, {"name": "某CRO", "kind": "clinical_site"})
    step, providers = resources.suggested_providers(project)
    assert providers == [covers] and step
    signed = make_project(status=ProjectStatus.SIGNED, project_type="active")
    incubation.ensure_milestones(signed)
    first = incubation.ensure_milestones(signed)[0]
    first.status = MilestoneStatus.DONE  # 产品定型 done: next is 注册检验
    assert resources.suggested_providers(signed)[1] == [covers]


def test_provider_filters(staff):
    resources.create_provider(staff, {"name": "福建GLP动物实验中心", "kind": "animal", "qualifications": "GLP",
                                      "region": "福州市"})
    resources.create_provider(staff, {"name": "厦门CNAS实验室", "kind": "testing", "qualifications": "CMA CNAS",
                                      "region": "厦门市"})
    assert [p.name for p in resources.find_providers(ProviderKind.ANIMAL)] == ["福建GLP动物实验中心"]
    assert [p.name for p in resources.find_providers(region="厦门")] == ["厦门CNAS实验室"]
    assert [p.name for p in resources.find_providers(query="CNAS")] == ["厦门CNAS实验室"]
