"""Demo data: accounts for every role, projects in every state with their audit history."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import OrgStatus, Role, User
from app.accounts.operations import field_names, find_user
from app.core.files import stored_path
from app.core.models import AuditEvent, Notification
from app.deals.models import (Agreement, AgreementStatus, DeclineReason, DockingForm, DockingStatus, Intent,
                              IntentStatus, Interest, InterestStatus, NegotiationMessage)
from app.demo import loader as demo
from app.extensions import db
from app.incubation.models import Assessment, AssessmentStatus, Milestone, MilestoneKind, MilestoneStatus
from app.incubation.operations import beijing_today, overdue_milestones
from app.projects.models import (PUBLIC_FIELDS, DeviceClass, IpExists, Project, ProjectStatus, ProjectType, SavedSearch,
                                 Stage)
from app.reporting.dashboard import dashboard_figures
from forms.validators import is_mainland_phone, is_valid_uscc

VERIFIED_MEMBERS = ("enterprise@demo.test", "investor@demo.test", "enterprise3@demo.test", "enterprise4@demo.test")
DEAL_STATES = (ProjectStatus.SIGNED, ProjectStatus.INCUBATING, ProjectStatus.LAUNCHED)


@pytest.fixture
def loaded():
    summary = demo.load_demo()
    db.session.commit()
    return summary


def all_projects():
    return db.session.scalars(db.select(Project).order_by(Project.id)).all()


def test_accounts_have_their_roles_and_the_demo_password(loaded):
    expected = {"clinician@demo.test": Role.CLINICIAN, "clinician2@demo.test": Role.CLINICIAN,
                "enterprise@demo.test": Role.ENTERPRISE, "investor@demo.test": Role.INVESTOR,
                "enterprise2@demo.test": Role.ENTERPRISE, "staff@demo.test": Role.STAFF,
                "admin@demo.test": Role.ADMIN}
    assert demo.DEMO_ACCOUNTS[:2] == ("clinician@demo.test", "clinician2@demo.test")
    assert set(expected) <= set(demo.DEMO_ACCOUNTS)
    for email in demo.DEMO_ACCOUNTS:
        user = find_user(email)
        assert user is not None and user.active and user.check_password(demo.DEMO_PASSWORD), email
        if email in expected:
            assert user.role is expected[email]
    clinician = find_user("clinician@demo.test")
    assert clinician.institution and clinician.department
    assert find_user("enterprise@demo.test").organisation.status is OrgStatus.VERIFIED
    assert find_user("investor@demo.test").is_verified
    assert find_user("enterprise2@demo.test").organisation.status is OrgStatus.PENDING
    assert not find_user("enterprise2@demo.test").is_verified
    for member in demo.ORGANISATION_MEMBERS:
        assert is_valid_uscc(find_user(member.email).organisation.uscc)
        assert find_user(member.email).is_verified is member.verified
    assert set(VERIFIED_MEMBERS) <= set(demo.DEMO_ACCOUNTS)
    assert loaded["users"] == len(demo.DEMO_ACCOUNTS)
    assert loaded["organisations"] == len(demo.ORGANISATION_MEMBERS) == 5


def test_projects_cover_every_state_and_option(loaded):
    projects = all_projects()
    assert loaded["projects"] == len(projects) >= 30
    statuses = [p.status for p in projects]
    assert set(statuses) == set(ProjectStatus)
    assert statuses.count(ProjectStatus.PUBLISHED) == max(statuses.count(s) for s in ProjectStatus)
    assert {p.project_type for p in projects} == set(ProjectType)
    assert {p.device_class for p in projects} == set(DeviceClass)
    assert {p.stage for p in projects} == set(Stage)
    assert {p.ip_exists for p in projects} == set(IpExists)
    assert all(p.stage_other for p in projects if p.stage is Stage.OTHER)
    assert len({p.city for p in projects}) == 9
    owners = {p.owner.email for p in projects}
    assert {"clinician@demo.test", "clinician2@demo.test"} <= owners
    for email in ("clinician@demo.test", "clinician2@demo.test"):
        assert len({p.status for p in projects if p.owner.email == email}) >= 6
    assert sum(p.is_listed() for p in projects) >= 12
    cities = {c.email: c.city for c in demo.CLINICIANS}
    for project in projects:
        assert project.name and project.email == project.owner.email and is_mainland_phone(project.phone)
        assert project.city == cities[project.owner.email] and project.department == project.owner.department
        assert project.public_summary and project.structure and project.principle and project.intended_use
        assert project.structure not in project.public_summary and project.principle not in project.public_summary


def test_public_fields_are_filled_for_the_library(loaded):
    for project in all_projects():
        if project.is_listed():
            assert all(getattr(project, name) not in (None, "") for name in PUBLIC_FIELDS
                       if name != "stage_other"), project.name


def test_every_project_has_an_audit_history_in_order(loaded):
    for project in all_projects():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.project_id == project.id)
                                    .order_by(AuditEvent.id)).all()
        assert events and events[0].action == "create", project.name
        times = [e.created_at for e in events]
        assert times == sorted(times) and times[0] == project.created_at, project.name
        assert times[-1] <= demo.utcnow()
        moves = [e for e in events if e.subject_type == "project" and e.to_state]
        assert moves[-1].to_state == project.status.value, project.name
        assert project.status_changed_at == moves[-1].created_at
        assert not any(e.action.startswith("demo_") for e in events)  # real services only
        if project.status is ProjectStatus.RETURNED:
            assert moves[-1].action == "return" and moves[-1].comment
        if project.status is ProjectStatus.REJECTED:
            assert moves[-1].action == "reject" and moves[-1].comment
        if project.status is ProjectStatus.PUBLISHED:
            assert project.published_at is not None and project.submitted_at <= project.published_at
    created = [p.created_at for p in all_projects()]
    assert (max(created) - min(created)).days > 180


def test_second_load_adds_nothing(loaded):
    before = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    counts = {model: db.session.scalar(db.select(db.func.count()).select_from(model))
              for model in (Interest, Intent, NegotiationMessage, Notification, SavedSearch, Milestone)}
    assert demo.load_demo() == {"users": 0, "organisations": 0, "projects": 0, "interests": 0}
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == before
    assert counts == {model: db.session.scalar(db.select(db.func.count()).select_from(model)) for model in counts}


def test_demo_files_ship_with_the_package():
    records = demo.demo_projects()
    assert len(records) >= 30 and all(r["source"].startswith("NMPA") for r in records)
    deals = demo.demo_deals()
    in_deals = {r["id"] for r in records if r["status"] in ("negotiating", "signed", "incubating", "launched")}
    assert in_deals <= set(deals["deals"])
    from importlib import resources
    folder = resources.files("app.demo").joinpath("data")
    assert "CC BY 4.0" in folder.joinpath("README.md").read_text(encoding="utf-8")
    assert folder.joinpath("LICENSE-CC-BY-4.0.txt").is_file()


def test_cli_loads_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output and "clinician@demo.test" in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == len(demo.DEMO_ACCOUNTS)
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "already has data" in result.output
    result = runner.invoke(args=["demo", "load", "--force"])
    assert result.exit_code == 0 and "projects 0" in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == len(demo.DEMO_ACCOUNTS)


def test_demo_pdf_is_a_pdf():
    data = demo.demo_pdf("合同.pdf")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF") and b"/Type /Page" in data


def interests_of(project):
    return db.session.scalars(db.select(Interest).where(Interest.project_id == project.id)).all()


def test_organisations_have_profiles_and_intents(loaded):
    for email in VERIFIED_MEMBERS:
        organisation = find_user(email).organisation
        assert organisation.field in field_names() and organisation.region == "福建省", email
        assert "福建省" in organisation.address and organisation.legal_rep and organisation.overview
        assert organisation.registered_capital_wan > 0 and organisation.registered_on.year > 2000
        assert organisation.high_tech is True and organisation.specialised
        assert organisation.contact_name and is_mainland_phone(organisation.contact_phone)
        assert len(db.session.scalars(db.select(Intent).where(Intent.organisation_id == organisation.id)).all()) >= 2
    for email in ("enterprise@demo.test", "investor@demo.test"):
        assert find_user(email).organisation.specialised == "provincial"
    pending = find_user("enterprise2@demo.test").organisation
    assert pending.address and pending.field in field_names() and not pending.overview  # partly filled
    intents = db.session.scalars(db.select(Intent)).all()
    active = [i for i in intents if i.status is IntentStatus.ACTIVE]
    assert len(active) >= 4 and any(i.status is IntentStatus.PAUSED for i in intents)
    for intent in intents:
        assert intent.keywords and intent.fields and intent.device_classes and intent.stages
        assert intent.cooperation_modes and intent.budget_min_wan <= intent.budget_max_wan
        assert intent.organisation.is_verified
    saved = db.session.scalars(db.select(SavedSearch)).all()
    assert find_user("enterprise@demo.test").id in {s.user_id for s in saved}


def test_interests_cover_every_outcome(loaded):
    interests = db.session.scalars(db.select(Interest)).all()
    statuses = [i.status for i in interests]
    for status in (InterestStatus.PENDING, InterestStatus.ACCEPTED, InterestStatus.DECLINED, InterestStatus.SIGNED,
                   InterestStatus.WITHDRAWN, InterestStatus.EXPIRED, InterestStatus.FAILED):
        assert status in statuses, status
    assert statuses.count(InterestStatus.PENDING) >= 3 and statuses.count(InterestStatus.DECLINED) >= 2
    now = demo.utcnow()
    pending = [i for i in interests if i.status is InterestStatus.PENDING]
    assert all(now < i.expires_at <= now + timedelta(days=14) for i in pending)
    assert any(i.expires_at - now < timedelta(days=4) and i.reminded_at for i in pending)  # near expiry, reminded
    declined = [i for i in interests if i.status is InterestStatus.DECLINED]
    assert all(i.decline_reason and i.responded_at > i.created_at for i in declined)
    assert any(i.decline_reason is DeclineReason.OTHER and i.decline_note for i in declined)
    expired = next(i for i in interests if i.status is InterestStatus.EXPIRED)
    assert expired.expires_at <= expired.closed_at < now
    for interest in interests:
        assert interest.organisation.is_verified and interest.created_at < now
        assert interest.expires_at == interest.created_at + timedelta(days=14)


def test_every_deal_has_its_talks_signing_and_incubation(loaded):
    today = beijing_today()
    for project in all_projects():
        accepted = [i for i in interests_of(project)
                    if i.status in (InterestStatus.ACCEPTED, InterestStatus.SIGNED)]
        if project.status is ProjectStatus.NEGOTIATING:
            assert len(accepted) == 1 and accepted[0].status is InterestStatus.ACCEPTED, project.name
            messages = accepted[0].messages
            assert 3 <= len(messages) <= 5
            assert {m.sender_id for m in messages} == {project.owner_id, accepted[0].created_by_id}
            attached = [m for m in messages if m.attachment_stored_name]
            assert attached and stored_path(attached[0].attachment_stored_name).read_bytes().startswith(b"%PDF-1.4")
            assert all(accepted[0].responded_at < m.created_at < demo.utcnow() for m in messages)
        if project.status in DEAL_STATES:
            assert len(accepted) == 1 and accepted[0].status is InterestStatus.SIGNED, project.name
            agreement = accepted[0].agreement
            assert agreement.status is AgreementStatus.CONFIRMED and agreement.confirmed_at <= project.status_changed_at
            assert agreement.signed_on < today and agreement.cooperation_modes and agreement.summary
            assert stored_path(agreement.contract_stored_name).read_bytes().startswith(b"%PDF-1.4")
            form = accepted[0].docking_form
            assert form.status is DockingStatus.FILED and form.filed_at > agreement.confirmed_at
            assert form.company_name == accepted[0].organisation.name and form.address and form.field
            assert all(getattr(form, "progress_" + part) for part in
                       ("work", "stage", "investment", "equipment", "production", "other"))
        if project.status in (ProjectStatus.INCUBATING, ProjectStatus.LAUNCHED):
            assessment = db.session.scalar(db.select(Assessment).where(Assessment.project_id == project.id))
            assert assessment.status is AssessmentStatus.COMPLETED and assessment.total_score > 0
            assert {s.assessor.email for s in assessment.scores} == {"staff@demo.test", "admin@demo.test"}
            assert assessment.support_plan.startswith("一企一策") and assessment.next_review_on > today
            assert assessment.opened_at < assessment.completed_at <= project.status_changed_at
            milestones = db.session.scalars(db.select(Milestone).where(Milestone.project_id == project.id)).all()
            assert len(milestones) == 9 and all(m.planned_on or m.status is MilestoneStatus.NOT_APPLICABLE
                                                for m in milestones)
            assert all(m.actual_on <= today for m in milestones if m.actual_on)
            approved = next(m for m in milestones if m.kind is MilestoneKind.APPROVED)
            assert (approved.status is MilestoneStatus.DONE) is (project.status is ProjectStatus.LAUNCHED)
    overdue = overdue_milestones()
    assert 2 <= len(overdue) and all(m.project.status is ProjectStatus.INCUBATING for m in overdue)
    assert db.session.scalar(db.select(db.func.count()).select_from(Agreement)) == len(
        [p for p in all_projects() if p.status in DEAL_STATES])
    assert db.session.scalar(db.select(db.func.count()).select_from(DockingForm)) == len(
        [p for p in all_projects() if p.status in DEAL_STATES])
    open_assessments = db.session.scalars(db.select(Assessment).where(Assessment.status == AssessmentStatus.OPEN))
    assert all(a.project.status is ProjectStatus.SIGNED for a in open_assessments)


def test_dashboard_and_notifications_have_something_to_show(loaded):
    figures = dashboard_figures()
    assert figures.interests > 0 and figures.declined > 0
    for step in ("submitted", "published", "interest", "accepted", "signed", "incubating", "launched"):
        assert figures.step(step) > 0, step
    assert figures.overdue
    now = demo.utcnow()
    for clinician in demo.CLINICIANS:
        user = find_user(clinician.email)
        notes = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all()
        if any(p.status not in (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED,
                                ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)
               and interests_of(p) for p in all_projects() if p.owner_id == user.id):
            assert notes, clinician.email
    notes = db.session.scalars(db.select(Notification)).all()
    assert {n.kind for n in notes} >= {"new_interest", "interest_accepted", "interest_declined", "new_message",
                                       "signed", "docking_filed", "assessment_completed", "launched",
                                       "interest_expired", "interest_expiring", "saved_search_hit"}
    assert all(n.created_at < now for n in notes)
    assert any(n.read_at for n in notes) and any(n.read_at is None for n in notes)
    staff = find_user("staff@demo.test")
    assert any(n.user_id == staff.id and n.kind == "docking_filed" for n in notes)


def test_rows_are_written_in_the_order_they_happened(loaded):
    for model in (AuditEvent, Notification, Interest, NegotiationMessage, Project):
        times = db.session.scalars(db.select(model.created_at).order_by(model.id)).all()
        assert times == sorted(times), model.__name__
