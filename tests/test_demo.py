"""Demo data: accounts for every role, projects in every state with their audit history."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (AuditEvent, DeviceClass, IpExists, OrgStatus, Project, ProjectStatus, ProjectType, Role,
                        Stage, User)
from app.models.project import PUBLIC_FIELDS
from app.services import demo
from app.services.accounts import find_user
from forms.validators import is_mainland_phone, is_valid_uscc


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
    for member in ("enterprise@demo.test", "investor@demo.test", "enterprise2@demo.test"):
        assert is_valid_uscc(find_user(member).organisation.uscc)
    assert loaded["users"] == len(demo.DEMO_ACCOUNTS) and loaded["organisations"] == 3


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
        assert events[-1].to_state == project.status.value
        times = [e.created_at for e in events]
        assert times == sorted(times) and times[0] == project.created_at
        assert project.status_changed_at == times[-1] <= demo.utcnow()
        if project.status is ProjectStatus.RETURNED:
            assert events[-1].action == "return" and events[-1].comment
        if project.status is ProjectStatus.REJECTED:
            assert events[-1].action == "reject" and events[-1].comment
        if project.status is ProjectStatus.PUBLISHED:
            assert project.published_at is not None and project.submitted_at <= project.published_at
    created = [p.created_at for p in all_projects()]
    assert (max(created) - min(created)).days > 180


def test_second_load_adds_nothing(loaded):
    before = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    assert demo.load_demo() == {"users": 0, "organisations": 0, "projects": 0}
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == before


def test_demo_files_ship_with_the_package():
    records = demo.demo_projects()
    assert len(records) >= 30 and all(r["source"].startswith("NMPA") for r in records)
    from importlib import resources
    folder = resources.files("app.demo_data")
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
