"""Initial review through the web: queue with counts, approve, return with comment, reject with reason."""
import re

from app.extensions import db
from app.projects.models import ProjectStatus


def test_queue_shows_counts_and_oldest_first(client, login_as, make_project):
    projects = [make_project(status=ProjectStatus.SUBMITTED, name=f"待审项目{i}") for i in range(3)]
    make_project(status=ProjectStatus.PUBLISHED)
    db.session.commit()
    login_as("staff")
    html = client.get("/review/").get_data(as_text=True)
    assert html.index("待审项目0") < html.index("待审项目1") < html.index("待审项目2")
    assert "共 3 项" in html
    assert "已入库发布" in client.get("/review/?status=published").get_data(as_text=True)
    assert client.get("/review/?status=nonsense").status_code == 200


def test_return_needs_a_comment_shown_next_to_the_field(client, login_as, make_project):
    project = make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as("staff")
    response = client.post(f"/review/{project.id}/return", data={"return-comment": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'class="invalid-feedback">请写明需要修改的内容<', html)  # next to the field ...
    assert re.search(r'<div class="alert alert-danger[^>]*>\s*请写明需要修改的内容', html)  # ... and at the top
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED


def test_review_actions(client, login_as, make_project):
    to_return, to_reject, to_approve = (make_project(status=ProjectStatus.SUBMITTED) for _ in range(3))
    db.session.commit()
    login_as("staff")
    client.post(f"/review/{to_return.id}/return", data={"return-comment": "请补充样品检测报告"})
    client.post(f"/review/{to_reject.id}/reject", data={"reject-comment": "不属于医疗器械"})
    response = client.post(f"/review/{to_approve.id}/approve", data={"approve-comment": ""}, follow_redirects=True)
    assert "已通过初核并在项目库发布" in response.get_data(as_text=True)
    for project in (to_return, to_reject, to_approve):
        db.session.refresh(project)
    assert (to_return.status, to_reject.status, to_approve.status) == (
        ProjectStatus.RETURNED, ProjectStatus.REJECTED, ProjectStatus.PUBLISHED)
    again = client.post(f"/review/{to_approve.id}/approve", data={}, follow_redirects=True)
    assert "不能执行此操作" in again.get_data(as_text=True)


def test_review_page_has_unique_field_ids(client, login_as, make_project):
    project = make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as("staff")
    html = client.get(f"/review/{project.id}").get_data(as_text=True)
    for prefix in ("approve", "return", "reject"):
        assert html.count(f'id="{prefix}-comment"') == 1
