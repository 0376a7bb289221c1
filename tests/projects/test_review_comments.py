"""Per-field comments when returning a project (退回修改), bulk approve of clean resubmissions."""
from __future__ import annotations

from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.projects import operations as svc
from app.projects.models import ProjectReturn, ProjectStatus


def _return_with_fields(client, project, comments, overall="请按逐项意见修改"):
    data = {"return-comment": overall}
    for i, (name, text) in enumerate(comments):
        data[f"return-field_comments-{i}-name"] = name
        data[f"return-field_comments-{i}-text"] = text
    return client.post(f"/review/{project.id}/return", data=data)


def test_staff_return_with_field_comments_the_owner_sees_them_by_the_fields(client, login_as, make_project,
                                                                           smtp_server):
    project = make_project(status=ProjectStatus.SUBMITTED)
    owner = project.owner
    db.session.commit()
    login_as("staff")
    review_page = client.get(f"/review/{project.id}").get_data(as_text=True)
    assert 'name="return-field_comments-0-name"' in review_page and "行业及市场情况" in review_page
    response = _return_with_fields(client, project, [("market", "请补充国内市场规模QX1"),
                                                     ("team", "请说明工程师人数QX2")])
    assert response.status_code == 302
    stored = db.session.scalars(db.select(ProjectReturn).where(ProjectReturn.project_id == project.id)).one()
    assert stored.field_comments == {"market": "请补充国内市场规模QX1", "team": "请说明工程师人数QX2"}
    assert stored.comment == "请按逐项意见修改" and stored.resubmission_id is None
    assert db.session.get(AuditEvent, stored.audit_event_id).action == "return"

    # the notice and the e-mail carry each comment under the field's label
    (notice,) = db.session.scalars(db.select(Notification).where(Notification.user_id == owner.id,
                                                                 Notification.kind == "project_returned")).all()
    assert "行业及市场情况：请补充国内市场规模QX1" in notice.body
    (mail,) = smtp_server.wait_for(1)
    assert "行业及市场情况：请补充国内市场规模QX1" in mail.get_content()
    assert "研究团队情况：请说明工程师人数QX2" in mail.get_content()

    client.post("/auth/logout")
    login_as(owner)
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'id="review-summary"' in form and 'href="#review-note-market"' in form
    note = form.index('id="review-note-market"')
    assert "请补充国内市场规模QX1" in form[note:note + 300]
    assert form.index('id="review-note-market"') < form.index('id="market"')  # the note sits by its field
    assert 'id="review-note-name"' not in form                                   # no note where none was given
    detail = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "请说明工程师人数QX2" in detail and f"/projects/{project.id}/edit#review-note-team" in detail

    client.get("/lang/en")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Comments on fields:" in page and "Industry and market: 请补充国内市场规模QX1" in page
    assert "行业及市场情况" not in page
    client.get("/lang/zh")

    # resubmitted: the comments become history in 办理记录, with which commented fields changed
    svc.update_project(project, owner, {"market": "国内市场规模约二十亿元"})
    svc.submit_project(project, owner)
    db.session.commit()
    db.session.refresh(stored)
    assert stored.resubmission_id is not None and stored.changed_fields == ["market"]
    assert stored.addressed == {"market"}
    form = client.get(f"/projects/{project.id}").get_data(as_text=True)
    history = form[form.index("办理记录"):]
    assert "请补充国内市场规模QX1" in history and "已修改" in history and "未修改" in history
    assert svc.open_return(project) is None


def test_field_comment_rows_are_validated_next_to_the_field(client, login_as, make_project):
    project = make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as("staff")
    no_field = _return_with_fields(client, project, [("", "没有选字段的意见")])
    assert no_field.status_code == 400 and "请选择这条意见针对的字段" in no_field.get_data(as_text=True)
    no_text = _return_with_fields(client, project, [("market", "  ")])
    assert no_text.status_code == 400 and "请写明该项意见" in no_text.get_data(as_text=True)
    twice = _return_with_fields(client, project, [("market", "一"), ("market", "二")])
    assert twice.status_code == 400 and "同一字段只写一条意见" in twice.get_data(as_text=True)
    unknown = _return_with_fields(client, project, [("password_hash", "x")])
    assert unknown.status_code == 400
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED
    assert db.session.scalar(db.select(db.func.count()).select_from(ProjectReturn)) == 0


def _returned_and_resubmitted(make_project, staff, comments, changes):
    project = make_project(status=ProjectStatus.SUBMITTED)
    svc.return_project(project, staff, "请修改", comments)
    svc.update_project(project, project.owner, changes)
    svc.submit_project(project, project.owner)
    return project


def test_clean_resubmissions_are_marked_and_approved_in_bulk(client, login_as, make_project, staff, smtp_server):
    clean = _returned_and_resubmitted(make_project, staff, {"market": "补充市场"}, {"market": "新的市场分析"})
    clean_too = _returned_and_resubmitted(make_project, staff, {"team": "补充团队", "market": "补充市场"},
                                          {"team": "新的团队", "market": "新的市场"})
    more = _returned_and_resubmitted(make_project, staff, {"market": "补充市场"},
                                     {"market": "新的市场", "team": "也改了团队"})
    missed = _returned_and_resubmitted(make_project, staff, {"market": "补充市场", "team": "补充团队"},
                                       {"market": "只改了市场"})
    plain = _returned_and_resubmitted(make_project, staff, {}, {"market": "改了"})
    first = make_project(status=ProjectStatus.SUBMITTED)
    published = make_project(status=ProjectStatus.PUBLISHED)
    db.session.commit()
    assert svc.clean_resubmissions([clean, clean_too, more, missed, plain, first]) == {clean.id, clean_too.id}
    assert "研究团队情况" in svc.clean_resubmission_reason(more)
    assert "研究团队情况" in svc.clean_resubmission_reason(missed)

    login_as("staff")
    queue = client.get("/review/").get_data(as_text=True)
    assert f'name="project_ids" value="{clean.id}"' in queue and f'name="project_ids" value="{clean_too.id}"' in queue
    for other in (more, missed, plain, first):
        assert f'name="project_ids" value="{other.id}"' not in queue
    assert queue.count("可批量通过") >= 3   # two badges and the explanation
    page = client.get(f"/review/{clean.id}").get_data(as_text=True)
    assert 'id="last-return"' in page and "可批量通过" in page

    # the POST is checked again on the server: a non-clean, non-pending, unknown or junk id is skipped with why
    response = client.post("/review/bulk-approve", data={
        "project_ids": [str(clean.id), str(clean_too.id), str(more.id), str(published.id), "999999", "abc"],
        "comment": "逐项意见均已落实"}, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "已批量通过 2 个项目" in text and "跳过 4 个" in text
    assert more.display_name in text and "不在待初核状态" in text and "项目不存在" in text
    db.session.expire_all()
    assert clean.status is ProjectStatus.PUBLISHED and clean_too.status is ProjectStatus.PUBLISHED
    assert more.status is ProjectStatus.SUBMITTED
    for project in (clean, clean_too):
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.project_id == project.id,
                                                                AuditEvent.action == "approve")).all()
        assert len(events) == 1 and events[0].comment == "逐项意见均已落实"
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.user_id == project.owner_id, Notification.kind == "project_published")) == 1
    approved_to = {m["To"] for m in smtp_server.wait_for(3) if "项目已通过初核" in m["Subject"]}
    assert {clean.owner.email, clean_too.owner.email} <= approved_to   # (the third is `published`'s own)

    nothing = client.post("/review/bulk-approve", data={"project_ids": [str(clean.id)]}, follow_redirects=True)
    assert nothing.status_code == 200 and "没有项目被通过" in nothing.get_data(as_text=True)
    assert client.post("/review/bulk-approve", data={}, follow_redirects=True).status_code == 200


def test_the_returned_mail_is_in_the_owners_mail_language_with_field_labels(make_project, staff, smtp_server):
    project = make_project(status=ProjectStatus.SUBMITTED)
    project.owner.language = "en"
    svc.return_project(project, staff, "Please revise", {"team": "工程师人数EN1", "market": "市场规模EN2"})
    db.session.commit()
    (mail,) = smtp_server.wait_for(1)
    text = mail.get_content()
    assert "Comments on fields:" in text
    assert text.index("Industry and market: 市场规模EN2") < text.index("Research team: 工程师人数EN1")  # 附件1's order
    assert "研究团队情况" not in text
