"""Every outcome is told: review results and verification reach their people, in the reader's language, by mail."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.accounts import operations as accounts
from app.accounts.models import OrgStatus
from app.core.jobs import huey
from app.core.models import Notification
from app.core.notifications import notifications_of, render, send_digests, tell
from app.extensions import db
from app.projects.models import ProjectStatus

REVIEW = [("approve", "project_published", "项目已通过初核", "Project passed initial review"),
          ("return", "project_returned", "项目被退回修改", "Project returned for revision"),
          ("reject", "project_rejected", "项目未通过初核", "Project did not pass initial review")]


def _notices(user, kind=None):
    rows = notifications_of(user)
    return [n for n in rows if kind is None or n.kind == kind]


@pytest.mark.parametrize("action, kind, zh, en", REVIEW)
def test_review_outcomes_tell_the_owner_in_app_and_by_mail_with_the_comment(client, login_as, make_project,
                                                                         smtp_server, action, kind, zh, en):
    project = make_project(status=ProjectStatus.SUBMITTED)
    owner = project.owner
    db.session.commit()
    login_as("staff")
    response = client.post(f"/review/{project.id}/{action}", data={f"{action}-comment": "请补充动物实验数据"})
    assert response.status_code == 302

    (notification,) = _notices(owner, kind)
    assert notification.params["comment"] == "请补充动物实验数据"
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == owner.email
    assert zh in message["Subject"]
    assert "请补充动物实验数据" in message.get_content()
    assert f"/projects/{project.id}" in message.get_content()

    client.post("/auth/logout")
    login_as(owner)
    client.get("/lang/en")
    page = client.get("/notifications/").get_data(as_text=True)
    assert en in page and zh not in page          # the same row, read in English
    client.get("/lang/zh")
    assert zh in client.get("/notifications/").get_data(as_text=True)


def test_approval_without_a_comment_leaves_out_the_comment_line(make_project, staff):
    from app.projects.operations import approve_project
    project = make_project(status=ProjectStatus.SUBMITTED)
    approve_project(project, staff, "")
    (notification,) = _notices(project.owner, "project_published")
    title, body = render(notification)
    assert "审核意见" not in body and body


@pytest.mark.parametrize("outcome", ["verify", "reject"])
def test_organisation_verification_and_rejection_tell_every_member(make_user, staff, smtp_server, outcome):
    member = make_user("enterprise", verified=False)
    organisation = member.organisation
    colleague = make_user("enterprise", verified=False)
    colleague.organisation = organisation
    db.session.flush()
    if outcome == "verify":
        accounts.verify_organisation(organisation, staff)
    else:
        accounts.reject_organisation(organisation, staff, "营业执照照片不清晰")
    db.session.commit()
    kind = "organisation_verified" if outcome == "verify" else "organisation_rejected"
    for person in (member, colleague):
        assert len(_notices(person, kind)) == 1
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted([member.email, colleague.email])
    if outcome == "reject":
        assert organisation.status is OrgStatus.REJECTED
        assert all("营业执照照片不清晰" in m.get_content() for m in messages)


def test_old_rows_with_finished_sentences_stay_readable(client, login_as, make_user):
    user = login_as("clinician")
    db.session.add(Notification(user_id=user.id, kind="project_published", title="旧的通知标题", body="旧的正文"))
    db.session.commit()
    client.get("/lang/en")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "旧的通知标题" in page and "旧的正文" in page


def test_mail_goes_in_the_users_language(make_project, staff, smtp_server):
    from app.projects.operations import approve_project
    project = make_project(status=ProjectStatus.SUBMITTED)
    project.owner.language = "en"
    approve_project(project, staff, "Well prepared")
    db.session.commit()
    (message,) = smtp_server.wait_for(1)
    assert "Project passed initial review" in message["Subject"]


def test_a_user_who_turned_off_a_group_gets_no_mail_but_still_the_notice(client, login_as, make_project, staff,
                                                                        smtp_server):
    from app.projects.operations import return_project
    project = make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as(project.owner)
    response = client.post("/notifications/settings", data={"groups": ["deals"], "frequency": "instant",
                                                            "language": "zh"})
    assert response.status_code == 302
    db.session.refresh(project.owner)
    assert project.owner.mail_groups == ["deals"]
    return_project(project, staff, "请补充")
    db.session.commit()
    assert len(_notices(project.owner, "project_returned")) == 1
    assert smtp_server.wait_for(1, timeout=1) == []


def test_the_settings_form_refuses_unknown_choices(client, login_as):
    login_as("clinician")
    response = client.post("/notifications/settings", data={"groups": ["nonsense"], "frequency": "weekly",
                                                            "language": "zh"})
    assert response.status_code == 400


def test_the_daily_digest_sends_one_mail_with_the_days_notices(queue, app, make_project, staff, smtp_server):
    from app.projects.operations import approve_project
    first = make_project(status=ProjectStatus.SUBMITTED)
    owner = first.owner
    second = make_project(status=ProjectStatus.SUBMITTED, owner=owner, name="第二个项目")
    owner.mail_digest = True
    db.session.commit()
    approve_project(first, staff, "")
    approve_project(second, staff, "")
    db.session.commit()
    queue.run_all()
    assert smtp_server.wait_for(1, timeout=1) == []             # nothing one by one

    for task in huey.read_periodic(datetime(2025, 3, 3, 0, 5)):  # 08:05 Beijing time
        huey.enqueue(task)
    assert "mail_digests_daily" in queue.waiting()
    queue.run_all()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == owner.email and "每日消息摘要（2 条）" in message["Subject"]
    assert "第二个项目" in message.get_content()
    db.session.expire_all()
    assert send_digests() == 0                                  # each notice goes out once


def test_undeclared_kinds_are_refused(make_user):
    with pytest.raises(KeyError):
        tell(make_user("clinician"), "no_such_kind")


# Every declared kind reads whole in both languages (issue 15: codes and parameters, never finished sentences).
import enum as _enum  # noqa: E402
import re as _re  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

from flask_babel import force_locale  # noqa: E402

import app.accounts.institutions  # noqa: E402,F401  (each area declares its kinds at import)
import app.deals.operations  # noqa: E402,F401
import app.incubation.operations  # noqa: E402,F401
import app.meetings.operations  # noqa: E402,F401
import app.programme.requests  # noqa: E402,F401
import app.projects.operations  # noqa: E402,F401
import app.suggestions.operations  # noqa: E402,F401
from app.core import notifications as _notifications  # noqa: E402
from app.core.notifications import NOTICES  # noqa: E402

_CJK = _re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Parameters turned into text by a function of the stored value: a value of the shape that function reads.
_SHAPED = {"placements": [["Project A", "Company B", "2026-12-03 09:00", 2, ""]], "what": "moved",
           "reason": ["project", "other"], "step": "accept", "report": True, "where": ""}


def _sample_params(declared):
    names = set()
    for text in (declared.title, *declared.body):
        names.update(_re.findall(r"%\((\w+)\)", str(text)))
    params = {}
    for name in names:
        label = declared.labels.get(name)
        if isinstance(label, type) and issubclass(label, _enum.Enum):
            params[name] = next(iter(label)).value
        elif label is not None:
            params[name] = _SHAPED[name]
        else:
            params[name] = 3 if name in ("n", "days") else f"P{name}"
    return params


@pytest.mark.parametrize("kind", sorted(NOTICES))
def test_every_declared_kind_reads_whole_in_chinese_and_english(app, kind):
    declared = NOTICES[kind]
    params = _sample_params(declared)
    row = Notification(kind=kind, params=params, title="", body="")
    with force_locale("zh"):
        zh_title, zh_body = render(row)
    with force_locale("en"):
        en_title, en_body = render(row)
    for title, body in ((zh_title, zh_body), (en_title, en_body)):
        assert title and "%(" not in title + body
        assert len([line for line in body.split("\n") if line]) >= len(declared.body)   # no line lost
    assert _CJK.search(zh_title)                      # the Chinese reading is Chinese
    assert not _CJK.search(en_title + "\n" + en_body), (en_title, en_body)  # params here are ASCII


def test_a_notice_without_its_title_parameters_is_refused(make_user):
    with pytest.raises(KeyError):
        tell(make_user("clinician"), "project_published", "/projects/")


def test_no_module_calls_the_old_finished_sentence_api():
    for name in ("notify", "notify_many", "notify_staff"):
        assert not hasattr(_notifications, name)
    root = _Path(__file__).resolve().parents[2]
    old = _re.compile(r"\bnotify(_many|_staff)?\(")
    offenders = [f"{path.relative_to(root)}:{number}" for folder in ("app", "forms", "tests")
                 for path in (root / folder).rglob("*.py")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if old.search(line) and "old.search" not in line and "notify(_many" not in line]
    assert offenders == []


def test_an_english_reader_sees_the_institution_review_in_english(client, login_as, make_user):
    user = login_as("clinician")
    tell(user, "institution_returned", "/projects/", project="Cardiac stent", comment="Add the test data")
    tell(user, "affiliation_confirmed", "/projects/", hospital="Ruijin Hospital")
    tell(user, "request_closed", "/projects/", service="patent", amount="12.00", patent="", decision=None,
         report=True, note="")
    db.session.commit()
    client.get("/lang/en")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Add the test data" in page and "Ruijin Hospital" in page and "Cardiac stent" in page
    for zh in ("院内审核退回修改", "已确认您的身份", "服务申请已办结", "已出具检验报告", "获批金额"):
        assert zh not in page
