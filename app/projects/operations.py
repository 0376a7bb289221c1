"""Transitions of a project's life (DESIGN.md) and its attachments: one function each, audited, checked."""
from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.errors import TransitionError, require
from app.core.files import save_file, upload_root
from app.core.models import utcnow
from app.extensions import db
from app.projects import saved_searches
from app.projects.jobs import reindex_after_commit
from app.projects.models import (ENUM_FIELDS, PROJECT_FIELDS, PUBLIC_FIELDS, SUBMITTABLE_STATES, WITHDRAWABLE_STATES,
                                 Project, ProjectAttachment, ProjectStatus)
from app.suggestions.jobs import refresh_for_project

S = ProjectStatus


# action → (states it may start from, state it leads to); the only description of the life of a project.
TRANSITIONS: dict[str, tuple[frozenset, ProjectStatus]] = {
    "submit": (frozenset(SUBMITTABLE_STATES), S.SUBMITTED),
    "approve": (frozenset({S.SUBMITTED}), S.PUBLISHED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "withdraw": (frozenset(WITHDRAWABLE_STATES), S.WITHDRAWN),
    "resubmit_after_edit": (frozenset({S.PUBLISHED}), S.SUBMITTED),   # public fields edited
    "start_negotiation": (frozenset({S.PUBLISHED}), S.NEGOTIATING),    # an interest accepted
    "end_negotiation": (frozenset({S.NEGOTIATING}), S.PUBLISHED),      # all talks ended unsigned
    "sign": (frozenset({S.NEGOTIATING}), S.SIGNED),
    "start_incubation": (frozenset({S.SIGNED}), S.INCUBATING),
    "launch": (frozenset({S.SIGNED, S.INCUBATING}), S.LAUNCHED),     # 获批上市 reached
}


ALLOWED = {(source, target) for sources, target in TRANSITIONS.values() for source in sources}


EDITABLE_FIELDS = tuple(f.name for f in PROJECT_FIELDS)


def _move(project: Project, action: str, actor: User, comment: str = "", audit_action: str | None = None) -> None:
    """Check the transition table, set the state and timestamps, and add the audit row."""
    sources, to = TRANSITIONS[action]
    if project.status not in sources:
        raise TransitionError(_("当前状态（%(state)s）下不能执行此操作", state=project.status.label))
    from_state, was_listed = project.status, project.is_listed()
    project.status = to
    now = utcnow()
    project.status_changed_at = now
    if to is S.SUBMITTED:
        project.submitted_at = now
    if action == "approve":
        project.published_at = now
    if project.id is None:
        db.session.flush()
    audit.record(audit_action or action, actor=actor, project=project, from_state=from_state.value,
                 to_state=to.value, comment=comment)
    reindex_after_commit(project, was_listed)
    refresh_for_project(project, was_listed)


def create_project(owner: User, values: dict) -> Project:
    """Start a draft project for a clinician."""
    require(owner.is_clinician, _("只有医务人员可以提报项目"))
    project = Project(owner=owner, status=S.DRAFT)
    _assign(project, values)
    db.session.add(project)
    db.session.flush()
    audit.record("create", actor=owner, project=project, to_state=S.DRAFT.value)
    return project


def _assign(project: Project, values: dict) -> set[str]:
    """Copy form values onto the project; returns the names of fields that changed."""
    changed = set()
    for name in EDITABLE_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name in ENUM_FIELDS:
            value = ENUM_FIELDS[name].coerce(value)
        elif name in ("commitment_agreed", "publish_consent"):
            pass
        else:  # text columns are never NULL: a field absent from the request is empty
            value = (value or "").strip()
        if getattr(project, name) != value:
            setattr(project, name, value)
            changed.add(name)
    return changed


def update_project(project: Project, actor: User, values: dict) -> set[str]:
    """Save the owner's edits; editing a published project's public fields sends it back to review."""
    require(project.can_edit(actor), _("该项目当前不可编辑"))
    was_listed = project.is_listed()
    changed = _assign(project, values)
    if project.status is S.PUBLISHED and changed & set(PUBLIC_FIELDS):
        _move(project, "resubmit_after_edit", actor, comment=_("修改了公开信息，重新提交初核"))
    elif changed:
        audit.record("edit", actor=actor, project=project, comment=", ".join(sorted(changed)))
    if changed:
        reindex_after_commit(project, was_listed)
    refresh_for_project(project, was_listed, changed)
    return changed


def submit_project(project: Project, actor: User) -> None:
    """Send a draft or returned project to initial review (初核)."""
    require(project.can_submit(actor), _("只有项目负责人可以提交草稿或退回的项目"))
    require(project.commitment_agreed, _("提交前须同意承诺书"))
    _move(project, "submit", actor)


def submit_paper_form(project: Project, staff: User, comment: str = "") -> None:
    """Staff enter a paper 附件1 (bulk import) into review on the owner's behalf."""
    require(staff.is_staff, _("只有服务站工作人员可以代为提交纸质申报表"))
    require(project.commitment_agreed, _("提交前须同意承诺书"))
    _move(project, "submit", staff, comment, audit_action="submit_paper_form")


def approve_project(project: Project, reviewer: User, comment: str = "") -> None:
    """Publish a submitted project after initial review."""
    require(reviewer.is_staff, _("只有服务站工作人员可以初核"))
    _move(project, "approve", reviewer, comment)
    saved_searches.notify_matches(project)


def return_project(project: Project, reviewer: User, comment: str) -> None:
    """Send a submitted project back to its owner with what to revise."""
    require(reviewer.is_staff, _("只有服务站工作人员可以初核"))
    if not comment.strip():
        raise TransitionError(_("退回修改须说明修改意见"))
    _move(project, "return", reviewer, comment)


def reject_project(project: Project, reviewer: User, reason: str) -> None:
    """Refuse a submitted project, with the reason the owner will read."""
    require(reviewer.is_staff, _("只有服务站工作人员可以初核"))
    if not reason.strip():
        raise TransitionError(_("不予通过须说明理由"))
    _move(project, "reject", reviewer, reason)


def withdraw_project(project: Project, actor: User, comment: str = "") -> None:
    """The owner takes the project off the platform."""
    require(project.is_owner(actor), _("只有项目负责人可以撤回项目"))
    _move(project, "withdraw", actor, comment)


def start_negotiation(project: Project, owner: User) -> None:
    """The owner accepted a first interest: the project is in talks (合作洽谈)."""
    _move(project, "start_negotiation", owner)


def end_negotiation(project: Project, actor: User) -> None:
    """The last talks ended unsigned: back to the library as published."""
    _move(project, "end_negotiation", actor)


def sign_project(project: Project, actor: User, comment: str = "") -> None:
    """Both sides confirmed the cooperation (签约落地)."""
    _move(project, "sign", actor, comment)


def start_incubation(project: Project, staff: User, comment: str = "") -> None:
    """The station's assessment is done: the project is being incubated (产品培育)."""
    require(staff.is_staff, _("只有服务站工作人员可以开始项目培育"))
    _move(project, "start_incubation", staff, comment)


def launch_project(project: Project, actor: User, comment: str = "") -> None:
    """获批上市: the product is approved for the market."""
    _move(project, "launch", actor, comment)


def move_for_demo(project: Project, to: ProjectStatus, actor: User, comment: str) -> None:
    """Walk a project one allowed step to `to` without the deal that normally drives it (test factories)."""
    action = next((name for name, (sources, target) in TRANSITIONS.items()
                   if target is to and project.status in sources), None)
    if action is None:
        raise TransitionError(_("当前状态（%(state)s）下不能执行此操作", state=project.status.label))
    _move(project, action, actor, comment, audit_action="demo_" + action)


def latest_review_comment(project: Project) -> str:
    """The last comment staff left on return or reject, for the owner to read."""
    from app.core.models import AuditEvent
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.project_id == project.id,
                                    AuditEvent.action.in_(("return", "reject")))
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    return event.comment if event else ""


def save_project(owner: User, project: Project | None, values: dict, submit: bool) -> Project:
    """Create or update from 附件1, then submit for review when asked and the state allows it."""
    if project is None:
        project = create_project(owner, values)
    else:
        update_project(project, owner, values)
    if submit and project.status in SUBMITTABLE_STATES:
        submit_project(project, owner)
    return project


def projects_of(owner: User) -> list[Project]:
    """A clinician's projects, most recently changed first."""
    return db.session.scalars(db.select(Project).where(Project.owner_id == owner.id)
                              .order_by(Project.updated_at.desc(), Project.id.desc())).all()


def add_project_attachment(project: Project, actor: User, storage) -> ProjectAttachment:
    """Attach a file to a project the actor may edit."""
    require(project.is_owner(actor) and project.status.value not in ("rejected", "withdrawn"),
            _("只有项目负责人可以上传附件"))
    stored_name, original, content_type, size = save_file(storage, f"projects/{project.id}")
    attachment = ProjectAttachment(project=project, original_name=original, stored_name=stored_name,
                                   content_type=content_type, size=size, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    audit.record("attach", actor=actor, project=project, subject=attachment, comment=original)
    return attachment


def remove_project_attachment(attachment: ProjectAttachment, actor: User) -> None:
    """Delete an attachment (the owner, while the project is editable)."""
    require(attachment.project.can_edit(actor), _("只有项目负责人可以删除附件"))
    audit.record("detach", actor=actor, project=attachment.project, subject=attachment,
                 comment=attachment.original_name)
    path = upload_root() / attachment.stored_name
    db.session.delete(attachment)
    path.unlink(missing_ok=True)
