"""The request is the unit of work: one commit at the end, a rollback on a refusal, an error when storing fails."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import has_request_context, request
from flask_babel import force_locale, gettext
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app.core import jobs
from app.core.errors import ServiceError, TransitionError
from app.deals import operations as deals
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import Project, ProjectStatus
from tests.conftest import FULL_PROJECT
from tests.projects.test_projects_web import form_data
from tests.db_state import changes, snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pending(make_project, make_user):
    """A published project with one pending interest; the owner is signed in by the tests that need it."""
    project = make_project(status=ProjectStatus.PUBLISHED)
    interest = deals.express_interest(project, make_user("enterprise"), "意向", ["tech_transfer"])
    db.session.commit()
    return interest


@pytest.fixture
def commits():
    """The paths of the requests that committed, one entry per commit."""
    seen = []

    def count(session):
        if has_request_context() and not request.environ.get(jobs.JOB_ENVIRON):  # a job commits on its own
            seen.append(request.path)
    event.listen(Session, "after_commit", count, propagate=True)
    yield seen
    event.remove(Session, "after_commit", count)


def status_of(interest_id: int) -> InterestStatus:
    with db.engine.connect() as connection:  # another connection: only what was committed
        return InterestStatus(connection.execute(db.select(Interest.__table__.c.status)
                                                 .where(Interest.__table__.c.id == interest_id)).scalar())


def test_a_successful_post_commits_once_before_the_redirect(client, login_as, pending, commits):
    login_as(pending.project.owner)
    commits.clear()
    response = client.post(f"/deals/{pending.id}/accept")
    assert response.status_code == 302
    assert commits == [f"/deals/{pending.id}/accept"]
    assert status_of(pending.id) is InterestStatus.ACCEPTED  # stored by the time the redirect was answered


def test_views_and_operations_do_not_commit():
    """The commit lives in core/unit_of_work.py; jobs (core/jobs.py) and CLI commands are units of work of their own."""
    allowed = {"app/core/unit_of_work.py", "app/core/jobs.py", "app/cli.py"}  # a job and a command: units of their own
    pattern = re.compile(r"db\.session\.(commit|rollback)\(")
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "app").rglob("*.py"))
                 if pattern.search(path.read_text(encoding="utf-8"))
                 and str(path.relative_to(ROOT)) not in allowed]
    assert offenders == []


def test_a_refusal_after_writes_leaves_no_row(client, login_as, pending, monkeypatch, commits):
    real = deals.accept_interest

    def accept_then_refuse(interest, owner):
        real(interest, owner)  # interest accepted, project in talks, audit rows, notifications ...
        db.session.flush()     # ... sent to the database inside the request's transaction
        raise TransitionError("写入之后被拒绝")

    monkeypatch.setattr(deals, "accept_interest", accept_then_refuse)
    login_as(pending.project.owner)
    before = snapshot()
    commits.clear()
    response = client.post(f"/deals/{pending.id}/accept")
    assert response.status_code == 409 and "写入之后被拒绝" in response.get_data(as_text=True)
    assert commits == []
    db.session.expire_all()
    assert changes(before, snapshot()) == []
    assert status_of(pending.id) is InterestStatus.PENDING


def test_a_form_refusal_keeps_the_typing_and_rolls_back(client, login_as, monkeypatch):
    real = projects.save_project

    def save_then_refuse(owner, project, values, submit):
        real(owner, project, values, submit)
        db.session.flush()
        raise ServiceError("保存之后被拒绝")

    monkeypatch.setattr(projects, "save_project", save_then_refuse)
    login_as("clinician")
    response = client.post("/projects/new", data=form_data(name="只在表单里的项目名称", save_draft="1"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "保存之后被拒绝" in page and 'value="只在表单里的项目名称"' in page  # nothing typed is lost
    assert db.session.scalar(db.select(db.func.count()).select_from(Project)) == 0


def test_a_failing_commit_is_an_error_and_nothing_is_stored(client, login_as, pending):
    def refuse(session):
        if has_request_context() and request.method == "POST":
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    login_as(pending.project.owner)
    event.listen(Session, "before_commit", refuse, propagate=True)
    try:
        response = client.post(f"/deals/{pending.id}/accept")
    finally:
        event.remove(Session, "before_commit", refuse)
    assert response.status_code == 500
    assert "未能保存：您的操作没有生效，请稍后重试" in response.get_data(as_text=True)
    assert status_of(pending.id) is InterestStatus.PENDING
    client.get("/lang/en")
    event.listen(Session, "before_commit", refuse, propagate=True)
    try:
        response = client.post(f"/deals/{pending.id}/accept")
    finally:
        event.remove(Session, "before_commit", refuse)
    assert response.status_code == 500
    assert "Not saved: your action did not take effect" in response.get_data(as_text=True)


def test_a_refused_sign_in_is_still_counted(client, make_user):
    """The refusal rolls the request back; the failure count is stored on its own (accounts.authenticate)."""
    user = make_user("clinician")
    db.session.commit()
    assert client.post("/auth/login", data={"email": user.email, "password": "wrong-password1"}).status_code == 400
    db.session.refresh(user)
    assert user.failed_logins == 1


# --- the error handler: each refusal has its status and a flashed message, in Chinese and in English

def _staff_accepts(client, login_as, make_project, pending):
    """PermissionDenied: staff may read every interest, but only the project's owner answers one."""
    login_as("staff")
    return f"/deals/{pending.id}/accept", {}, ("只有项目负责人可以回复待处理的意向", {})


def _staff_approves_again(client, login_as, make_project, pending):
    """TransitionError: the project is already published."""
    login_as("staff")
    return (f"/review/{pending.project_id}/approve", {"approve-comment": ""},
            ("当前状态（%(state)s）下不能执行此操作", {"state": ProjectStatus.PUBLISHED}))


def _owner_attaches_a_fake_pdf(client, login_as, make_project, pending):
    """ValidationError: a .pdf whose content is not a PDF."""
    login_as(pending.project.owner)
    return (f"/projects/{pending.project_id}/attachments", {"file": (io.BytesIO(b"not a pdf"), "方案.pdf")},
            ("文件内容与扩展名不符", {}))


def _staff_open_a_second_assessment(client, login_as, make_project, pending):
    """A bare ServiceError (treated as bad input): an assessment is already open."""
    from app.incubation import operations as incubation
    staff = login_as("staff")
    signed = make_project(status=ProjectStatus.SIGNED)
    incubation.open_assessment(signed, staff)
    return f"/incubation/projects/{signed.id}/assessments", {}, ("该项目已有进行中的评估", {})


@pytest.mark.parametrize("refusal, status", [(_staff_accepts, 403), (_staff_approves_again, 409),
                                             (_owner_attaches_a_fake_pdf, 400), (_staff_open_a_second_assessment, 400)])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_refusals_have_their_status_and_a_message(client, login_as, make_project, pending, refusal, status, language):
    url, data, (message, values) = refusal(client, login_as, make_project, pending)
    client.get(f"/lang/{language}")
    with force_locale(language):
        expected = gettext(message, **{k: getattr(v, "label", v) for k, v in values.items()})
        heading = gettext("操作未完成")
    referrer = "http://localhost/deals/"
    response = client.post(url, data=data, headers={"Referer": referrer})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert expected in page and heading in page
    assert f'href="{referrer}"' in page  # back to where the user was
    assert expected not in client.get("/notifications/").get_data(as_text=True)  # flashed once, shown once


def test_a_refusal_answers_json_to_a_script(client, login_as, pending):
    login_as("staff")
    response = client.post(f"/deals/{pending.id}/accept", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "只有项目负责人可以回复待处理的意向"}


def test_a_refused_submit_shows_the_form_with_the_message_next_to_the_field(client, login_as, make_project):
    """A missing 承诺书 is bad input (400), not a permission: the form again, the message at the checkbox."""
    project = make_project(status=ProjectStatus.DRAFT, commitment_agreed=False)
    db.session.commit()
    login_as(project.owner)
    response = client.post(f"/projects/{project.id}/submit")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="commitment_agreed"[^>]*is-invalid|is-invalid[^>]*id="commitment_agreed"', page)
    assert "提交前须同意承诺书" in page and FULL_PROJECT["structure"] in page
    db.session.refresh(project)
    assert project.status is ProjectStatus.DRAFT
