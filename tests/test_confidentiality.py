"""Partner- and owner-tier text of a published project never reaches an unrelated user."""
import io

import pytest
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.projects import operations as project_operations
from app.projects.models import PARTNER_FIELDS, PRIVATE_FIELDS, PUBLIC_FIELDS, ProjectStatus

TEXT_SECRETS = {name: f"机密{name.upper()}标记" for name in PARTNER_FIELDS + PRIVATE_FIELDS
                if name not in ("phone", "email", "commitment_agreed", "publish_consent")}
PHONE, EMAIL = "13955551234", "secret.owner@hospital.test"
ATTACHMENT_NAME = "机密附件标记.pdf"


@pytest.fixture
def secret_project(make_project, staff, app):
    project = make_project(status=ProjectStatus.PUBLISHED, phone=PHONE, email=EMAIL, **TEXT_SECRETS)
    with app.test_request_context():
        project_operations.add_project_attachment(project, project.owner,
                                           FileStorage(io.BytesIO(b"%PDF-1.4 secret"), filename=ATTACHMENT_NAME))
    db.session.commit()
    return project


def markers(project):
    owner = project.owner
    return list(TEXT_SECRETS.values()) + [PHONE, EMAIL, ATTACHMENT_NAME, owner.email]


def urls(project):
    pid = project.id
    yield "/library/"
    yield "/library/?project_type=active"
    yield "/library/?device_class=II&stage=sample"
    yield f"/library/?city={project.city}"
    yield f"/library/?department={project.department}"
    yield "/library/?page=2"
    yield "/library/?project_type=<script>&page=-1"
    yield f"/library/{pid}"
    yield f"/projects/{pid}"
    yield f"/projects/{pid}/edit"
    yield f"/projects/{pid}/attachments/1"
    yield f"/review/{pid}"
    yield f"/library/{pid + 999}"
    yield f"/documents/projects/{pid}/form.docx"
    yield f"/deals/projects/{pid}/board"
    yield "/deals/"
    yield "/notifications/"
    yield "/demands/"


@pytest.mark.parametrize("role", ["enterprise", "investor", "clinician", "unverified", "anonymous", "institution",
                                  "unconfirmed"])
def test_unrelated_users_never_receive_confidential_text(client, login_as, secret_project, role):
    login_as(role)
    for url in urls(secret_project):
        response = client.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        for marker in markers(secret_project):
            assert marker not in body, f"{marker} leaked at {url} to {role}"


def test_the_hospitals_officer_sees_no_partner_text_outside_hospital_review(client, login_as, make_user,
                                                                             make_project, app):
    """The officer of the owner's hospital: the public tier and the progress, once 院内审核 is behind it."""
    officer = make_user("institution")
    owner = make_user("clinician", institution=officer.affiliation.institution)
    project = make_project(status=ProjectStatus.PUBLISHED, owner=owner, phone=PHONE, email=EMAIL, **TEXT_SECRETS)
    with app.test_request_context():
        project_operations.add_project_attachment(project, owner,
                                                  FileStorage(io.BytesIO(b"%PDF-1.4 secret"), filename=ATTACHMENT_NAME))
    db.session.commit()
    login_as(officer)
    # the clinician's account e-mail is on the workbench's list of the hospital's people, to check who they are
    secrets = [m for m in markers(project) if m != owner.email]
    for url in [*urls(project), "/institution/", f"/institution/projects/{project.id}"]:
        body = client.get(url, follow_redirects=True).get_data(as_text=True)
        for marker in secrets:
            assert marker not in body, f"{marker} leaked at {url} to the hospital's officer"
    assert project.name in client.get(f"/institution/projects/{project.id}").get_data(as_text=True)


def test_public_fields_do_show_in_the_library(client, login_as, secret_project):
    login_as("enterprise")
    body = client.get(f"/library/{secret_project.id}").get_data(as_text=True)
    for name in ("name", "intended_use", "clinical_prospects", "public_summary", "city", "department"):
        assert getattr(secret_project, name) in body
    assert "lock-icon" in body and "合作方可见信息" in body  # the partner tier is visibly locked


def test_owner_and_staff_see_everything(client, login_as, secret_project, make_user):
    login_as(secret_project.owner)
    body = client.get(f"/projects/{secret_project.id}").get_data(as_text=True)
    assert all(m in body for m in TEXT_SECRETS.values())
    client.post("/auth/logout")
    login_as("staff")
    body = client.get(f"/review/{secret_project.id}").get_data(as_text=True)
    assert all(m in body for m in TEXT_SECRETS.values())


def test_tiers_cover_every_field_once():
    names = PUBLIC_FIELDS + PARTNER_FIELDS + PRIVATE_FIELDS
    assert len(names) == len(set(names))
    assert {"structure", "principle", "market", "team", "ip_status", "phone", "email"} <= set(PARTNER_FIELDS)
    assert {"partners_in_province", "partners_out_of_province", "commitment_agreed"} <= set(PRIVATE_FIELDS)


def test_unlisted_projects_are_not_in_the_library(client, login_as, make_project):
    hidden = [make_project(status=s, name=f"隐藏项目{s.value}") for s in ProjectStatus
              if s not in (ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING)]
    no_consent = make_project(status=ProjectStatus.PUBLISHED, name="不愿发布的项目", publish_consent=False)
    db.session.commit()
    login_as("enterprise")
    body = client.get("/library/").get_data(as_text=True)
    for project in hidden + [no_consent]:
        assert project.name not in body
        assert client.get(f"/library/{project.id}").status_code == 404


def test_meeting_pages_and_files_carry_the_public_tier_only(client, login_as, secret_project, make_user, app):
    """推进会议: an organisation that selects, meets and downloads its agenda sees the project's public tier only."""
    import zipfile

    from tests.meetings.world import build_meeting
    member = make_user("enterprise")
    with app.test_request_context():
        meeting = build_meeting(make_user("staff"), secret_project, member)
    db.session.commit()
    login_as(member)
    event_id, mine = meeting["event"].id, meeting["organisation_side"].id
    pages = {url: client.get(url) for url in (f"/meetings/{event_id}", f"/meetings/participants/{mine}/selection",
                                              f"/meetings/{event_id}/agenda", f"/meetings/{event_id}/agenda.ics",
                                              f"/meetings/{event_id}/agenda.docx", "/meetings/")}
    assert all(r.status_code == 200 for r in pages.values()), {u: r.status_code for u, r in pages.items()}
    docx = pages.pop(f"/meetings/{event_id}/agenda.docx").data
    bodies = {url: r.get_data(as_text=True) for url, r in pages.items()}
    bodies["agenda.docx"] = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    for url, body in bodies.items():
        for marker in markers(secret_project):
            assert marker not in body, f"{marker} leaked at {url}"
    assert secret_project.intended_use in bodies[f"/meetings/{event_id}/agenda"]
    assert secret_project.name in bodies[f"/meetings/participants/{mine}/selection"]
