"""One flash per action: the main actions, each followed to the page it lands on, say one thing (at most one
message of each kind), whatever was waiting in the session before."""
from __future__ import annotations

import re
from collections import Counter

from flask import flash as flask_flash
from flask import get_flashed_messages, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as SASession

from app.deals.models import Interest
from app.extensions import db
from app.projects.models import Project, ProjectStatus
from tests.conftest import PASSWORD
from tests.projects.test_projects_web import form_data

ALERT = re.compile(r'<div class="alert alert-(\w+) alert-dismissible[^>]*role="alert">\s*(.*?)\s*<button', re.S)


def flashes(response) -> list[tuple[str, str]]:
    """The flashed messages on the page an action landed on (category, text)."""
    return ALERT.findall(response.get_data(as_text=True))


def one_each(response) -> list[tuple[str, str]]:
    found = flashes(response)
    twice = {category: n for category, n in Counter(c for c, _t in found).items() if n > 1}
    assert not twice, found
    assert len(found) <= 1, f"more than one message for one action: {found} on {response.request.path} after {[r.request.path for r in response.history]}"
    return found


def sign_in(client, user):
    """Sign in and land on the page the login leads to (as a browser does): one welcome."""
    client.post("/auth/logout", follow_redirects=True)  # its message is read where it lands
    landed = client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=True)
    assert [c for c, _t in one_each(landed)] == ["success"]


def test_the_main_actions_each_say_one_thing(client, make_user, staff):
    doctor = make_user("clinician")
    company = make_user("enterprise")
    asked = client.get("/projects/", follow_redirects=True)  # 请先登录, on the login page
    assert [c for c, _t in one_each(asked)] == ["warning"]
    landed = client.post("/auth/login?next=/projects/", data={"email": doctor.email, "password": PASSWORD},
                         follow_redirects=True)
    assert [c for c, _t in one_each(landed)] == ["success"] and landed.request.path == "/projects/"
    one_each(client.post("/projects/new", data=form_data(save_draft="1"), follow_redirects=True))
    project = db.session.scalar(db.select(Project).where(Project.owner_id == doctor.id))
    one_each(client.post(f"/projects/{project.id}/edit", data=form_data(submit="1"), follow_redirects=True))
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED
    # editing a project in review is refused on the way: one warning, not the warning and something else
    one_each(client.get(f"/projects/{project.id}/edit", follow_redirects=True))

    sign_in(client, staff)
    one_each(client.post(f"/review/{project.id}/approve", data={"approve-comment": ""}, follow_redirects=True))

    sign_in(client, company)
    one_each(client.post(f"/deals/projects/{project.id}/interest",
                         data={"message": "我司有负压引流产品线", "cooperation_modes": ["joint_development"]},
                         follow_redirects=True))
    one_each(client.post("/searches/", data={"name": "负压", "query": "负压"}, follow_redirects=True))
    interest = db.session.scalar(db.select(Interest))

    sign_in(client, doctor)
    one_each(client.post(f"/deals/{interest.id}/accept", follow_redirects=True))
    one_each(client.post(f"/deals/{interest.id}", data={"body": "请发来样机照片"}, follow_redirects=True))
    one_each(client.post("/auth/password", data={"current": PASSWORD, "password": "N3w-passw0rd!x",
                                                  "confirm": "N3w-passw0rd!x"}, follow_redirects=True))
    logged_out = client.post("/auth/logout", follow_redirects=True)
    assert [c for c, _t in one_each(logged_out)] == ["info"]


def test_a_refused_attachment_says_so_once(client, make_user):
    doctor = make_user("clinician")
    sign_in(client, doctor)
    client.post("/projects/new", data=form_data(save_draft="1"), follow_redirects=True)
    project = db.session.scalar(db.select(Project).where(Project.owner_id == doctor.id))
    one_each(client.post(f"/projects/{project.id}/attachments", data={}, follow_redirects=True))


def test_a_success_that_could_not_be_stored_is_not_also_announced(client, make_user, staff, make_project):
    """The view flashed 已通过初核 and then the commit failed: the page says only that nothing was saved."""
    project = make_project(status=ProjectStatus.SUBMITTED)
    sign_in(client, staff)

    def fail_in_requests(_session):
        if has_request_context() and request.path.endswith("/approve"):
            raise OperationalError("COMMIT", {}, Exception("the database went away"))

    event.listen(SASession, "before_commit", fail_in_requests)
    try:
        response = client.post(f"/review/{project.id}/approve", data={"approve-comment": ""}, follow_redirects=True)
    finally:
        event.remove(SASession, "before_commit", fail_in_requests)
    assert response.status_code == 500
    assert "未能保存" in response.get_data(as_text=True)
    assert [c for c, _t in flashes(response)] == []  # not "已通过初核并发布" above "nothing was saved"
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED


def test_a_refusal_replaces_what_the_action_said_before_it(app, client, make_user):
    """An operation refused after the view had flashed: one message, the refusal."""
    from app.core.errors import TransitionError
    from app.core.unit_of_work import refused

    with app.test_request_context("/projects/1/withdraw", method="POST"):
        flask_flash("项目已撤回，不再在项目库展示", "info")
        refused(TransitionError("项目当前状态不能撤回"))
        assert get_flashed_messages(with_categories=True) == [("danger", "项目当前状态不能撤回")]
