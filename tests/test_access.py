"""The access matrix: every route, for anonymous, each role and an unverified organisation member."""
import io

import pytest

from app.extensions import db
from app.models import ProjectStatus
from app.services import attachments

ROLES = ["anonymous", "clinician", "enterprise", "investor", "unverified", "staff", "admin"]

# endpoint → (method, url template, {role: status}); "*" is the default for roles not named.
# The clinician here is not the project's owner: owners are covered in test_projects_web.py.
MATRIX = {
    "main.index": ("GET", "/", {"anonymous": 200, "*": 302}),
    "main.set_language": ("GET", "/lang/en", {"*": 302}),
    "main.health": ("GET", "/healthz", {"*": 200}),
    "static": ("GET", "/static/css/app.css", {"*": 200}),
    "bootstrap.static": ("GET", "/bootstrap/static/css/bootstrap.min.css", {"*": 200}),
    "auth.login": ("GET", "/auth/login", {"anonymous": 200, "*": 302}),
    "auth.logout": ("POST", "/auth/logout", {"*": 302}),
    "auth.register": ("GET", "/auth/register", {"*": 200}),
    "auth.register_clinician": ("GET", "/auth/register/clinician", {"*": 200}),
    "auth.register_organisation": ("GET", "/auth/register/organisation", {"*": 200}),
    "auth.change_password": ("GET", "/auth/password", {"anonymous": 302, "*": 200}),
    "auth.forgot_password": ("GET", "/auth/forgot", {"*": 200}),
    "auth.reset_password": ("GET", "/auth/reset/not-a-token", {"*": 302}),
    "projects.mine": ("GET", "/projects/", {"anonymous": 302, "clinician": 200, "*": 403}),
    "projects.new": ("GET", "/projects/new", {"anonymous": 302, "clinician": 200, "*": 403}),
    "projects.edit": ("GET", "/projects/{pid}/edit", {"anonymous": 302, "clinician": 403, "*": 403}),
    "projects.detail": ("GET", "/projects/{pid}", {"anonymous": 302, "clinician": 302, "enterprise": 302,
                                                   "investor": 302, "unverified": 404, "staff": 200, "admin": 200, "*": 0}),
    "projects.submit": ("POST", "/projects/{pid}/submit", {"anonymous": 302, "clinician": 403, "*": 403}),
    "projects.withdraw": ("POST", "/projects/{pid}/withdraw", {"anonymous": 302, "clinician": 403, "*": 403}),
    "projects.upload": ("POST", "/projects/{pid}/attachments", {"anonymous": 302, "clinician": 403, "*": 403}),
    "projects.attachment": ("GET", "/projects/{pid}/attachments/{aid}",
                            {"anonymous": 302, "staff": 200, "admin": 200, "*": 404}),
    "projects.delete_attachment": ("POST", "/projects/{pid}/attachments/{aid}/delete",
                                   {"anonymous": 302, "*": 403}),
    "review.queue": ("GET", "/review/", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "review.project": ("GET", "/review/{pid}", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "review.act": ("POST", "/review/{pid}/approve", {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "library.index": ("GET", "/library/", {"anonymous": 302, "unverified": 403, "*": 200}),
    "library.detail": ("GET", "/library/{pid}", {"anonymous": 302, "unverified": 403, "*": 200}),
    "admin.organisations": ("GET", "/admin/organisations", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "admin.verify_organisation": ("POST", "/admin/organisations/{oid}/verify",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "admin.reject_organisation": ("POST", "/admin/organisations/{oid}/reject",
                                  {"anonymous": 302, "staff": 302, "admin": 302, "*": 403}),
    "admin.users": ("GET", "/admin/users", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "admin.reset_link": ("POST", "/admin/users/{uid}/reset-link", {"anonymous": 302, "staff": 200, "admin": 200, "*": 403}),
    "admin.new_staff": ("GET", "/admin/users/new", {"anonymous": 302, "admin": 200, "*": 403}),
}

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def world(make_project, make_user, app):
    project = make_project(status=ProjectStatus.PUBLISHED)
    with app.test_request_context():
        from werkzeug.datastructures import FileStorage
        attachment = attachments.add_project_attachment(
            project, project.owner, FileStorage(io.BytesIO(PDF), filename="附件.pdf"))
    pending = make_user("enterprise", verified=False)
    db.session.commit()
    return {"pid": project.id, "aid": attachment.id, "oid": pending.organisation.id, "uid": pending.id}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(MATRIX) == set(), "add new routes to the access matrix"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(client, login_as, world, endpoint, role):
    method, template, expected = MATRIX[endpoint]
    login_as(role)
    url = template.format(**world)
    response = client.open(url, method=method)
    assert response.status_code == expected.get(role, expected["*"]), f"{method} {url} as {role}"
