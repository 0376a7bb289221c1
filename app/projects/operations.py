"""Transitions of a project's life (DESIGN.md) and its attachments: one function each, audited, checked."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.rules import is_staff
from app.core import audit
from app.core.errors import PermissionDenied, ServiceError, TransitionError, ValidationError, require
from app.core.links import path_for
from app.core.files import save_file, upload_root
from app.core.models import AuditEvent, utcnow
from app.core.notifications import notice, tell
from app.core.states import Transition, check, move
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.projects import saved_searches
from app.projects.jobs import reindex_after_commit
from app.projects.models import (ENUM_FIELDS, FIELDS_BY_NAME, PROJECT_FIELDS, PUBLIC_FIELDS, SUBMITTABLE_STATES,
                                 WITHDRAWABLE_STATES, Project, ProjectAttachment, ProjectReturn,
                                 ProjectStatus, ProjectSubmission, field_comments_param, field_comments_text)
from app.projects.rules import (is_confirmed_owner, is_deal_party, is_owner, is_reviewing_officer, may_track,
                                owner_institution)
from app.suggestions.jobs import refresh_for_project

S = ProjectStatus

_REVIEWERS = _l("只有服务站工作人员可以初核")
_INSTITUTION_REVIEWERS = _l("只有本院成果转化管理员可以进行院内审核")

# The life of a project (DESIGN.md): action → Transition(from, to, who). The deal and incubation operations
# take the later steps: an accepted interest starts talks, a confirmed agreement signs, a completed
# assessment starts incubation, the 获批上市 milestone launches.
LIFE = {
    "submit": Transition(SUBMITTABLE_STATES, S.SUBMITTED, is_confirmed_owner, stamps=("submitted_at",),
                         refusal=_l("只有项目负责人可以提交草稿或退回的项目")),
    # 院内审核 (the hospital's setting): the officer sees the project first, approves it on to the station as
    # its 项目申请单位, or returns it to the owner as the station would
    "submit_to_institution": Transition(SUBMITTABLE_STATES, S.INSTITUTION_REVIEW, is_confirmed_owner,
                                        stamps=("submitted_at",),
                                        refusal=_l("只有项目负责人可以提交草稿或退回的项目")),
    "institution_approve": Transition({S.INSTITUTION_REVIEW}, S.SUBMITTED, is_reviewing_officer,
                                      stamps=("submitted_at",), refusal=_INSTITUTION_REVIEWERS),
    "institution_return": Transition({S.INSTITUTION_REVIEW}, S.RETURNED, is_reviewing_officer,
                                     refusal=_INSTITUTION_REVIEWERS, reason=_l("退回修改须说明修改意见")),
    "submit_paper_form": Transition(SUBMITTABLE_STATES, S.SUBMITTED, is_staff, stamps=("submitted_at",),
                                    refusal=_l("只有服务站工作人员可以代为提交纸质申报表")),
    "approve": Transition({S.SUBMITTED}, S.PUBLISHED, is_staff, stamps=("published_at",), refusal=_REVIEWERS),
    "return": Transition({S.SUBMITTED}, S.RETURNED, is_staff, refusal=_REVIEWERS, reason=_l("退回修改须说明修改意见")),
    "reject": Transition({S.SUBMITTED}, S.REJECTED, is_staff, refusal=_REVIEWERS, reason=_l("不予通过须说明理由")),
    "withdraw": Transition(WITHDRAWABLE_STATES, S.WITHDRAWN, is_owner, refusal=_l("只有项目负责人可以撤回项目")),
    "resubmit_after_edit": Transition({S.PUBLISHED}, S.SUBMITTED, is_owner, stamps=("submitted_at",)),
    "start_negotiation": Transition({S.PUBLISHED}, S.NEGOTIATING, is_owner,
                                    refusal=_l("只有项目负责人接受意向后项目才进入合作洽谈")),
    "end_negotiation": Transition({S.NEGOTIATING}, S.PUBLISHED, is_deal_party, refusal=_l("只有洽谈双方可以终止洽谈")),
    "sign": Transition({S.NEGOTIATING}, S.SIGNED, is_deal_party, refusal=_l("只有洽谈双方可以确认签约")),
    "start_incubation": Transition({S.SIGNED}, S.INCUBATING, is_staff,
                                   refusal=_l("只有服务站工作人员可以开始项目培育")),
    "launch": Transition({S.SIGNED, S.INCUBATING}, S.LAUNCHED, may_track,
                         refusal=_l("只有项目负责人、签约企业和服务站可以更新里程碑")),
}

EDITABLE_FIELDS = tuple(f.name for f in PROJECT_FIELDS)

notice("project_published", _l("项目已通过初核：%(project)s"),
       _l("您的项目已通过创新服务站初核，已在入选项目库发布。"), _l("审核意见：%(comment)s"), group="review")
notice("project_returned", _l("项目被退回修改：%(project)s"),
       _l("创新服务站退回了您的项目，请按修改意见修改后重新提交。"), _l("修改意见：%(comment)s"),
       _l("逐项意见：\n%(field_comments)s"), group="review", field_comments=field_comments_text)
notice("project_back_in_review", _l("您表达意向的项目正在重新初核：%(project)s"),
       _l("项目负责人修改了项目的公开信息，项目已重新提交创新服务站初核，期间暂不在项目库展示。"),
       _l("您的合作意向仍然保留；项目重新发布后，负责人才能接受意向。"))
notice("project_republished", _l("您表达意向的项目已重新发布：%(project)s"),
       _l("项目已重新通过初核并在项目库展示，您的合作意向等待项目负责人回复。"))
notice("institution_review", _l("院内审核：%(project)s"),
       _l("本院医务人员 %(name)s 提交了项目，请审核后报送创新服务站。"), group="review")
notice("institution_approved", _l("院内审核已通过：%(project)s"),
       _l("%(hospital)s 已作为项目申请单位通过院内审核，项目已报送创新服务站初核。"), _l("审核意见：%(comment)s"),
       group="review")
notice("institution_returned", _l("院内审核退回修改：%(project)s"), _l("修改意见：%(comment)s"), group="review")
notice("project_rejected", _l("项目未通过初核：%(project)s"),
       _l("很遗憾，您的项目未通过创新服务站初核。"), _l("理由：%(comment)s"), group="review")


def _move(project: Project, action: str, actor: User, comment: str = "") -> None:
    """Take one step of the project's life, then bring its search document and the suggestions up to date."""
    was_listed = project.is_listed()
    move(project, LIFE, action, actor, comment, project=project)
    if project.status is S.SUBMITTED:
        _close_open_return(project, _snapshot(project))
    reindex_after_commit(project, was_listed)
    refresh_for_project(project, was_listed)


def _stored(value):
    return value.value if hasattr(value, "value") else value


def _snapshot(project: Project) -> ProjectSubmission:
    snapshot = ProjectSubmission(project_id=project.id,
                                 values={name: _stored(getattr(project, name)) for name in EDITABLE_FIELDS})
    db.session.add(snapshot)
    return snapshot


def _changed_names(previous: dict, latest: dict) -> list[str]:
    return [field.name for field in PROJECT_FIELDS if previous.get(field.name) != latest.get(field.name)]


def open_return(project: Project) -> ProjectReturn | None:
    """The station's return the owner is still working on (not yet resubmitted), with its field comments."""
    return db.session.scalars(db.select(ProjectReturn).where(ProjectReturn.project_id == project.id,
                                                             ProjectReturn.resubmission_id.is_(None))
                              .order_by(ProjectReturn.id.desc()).limit(1)).first()


def last_return(project: Project) -> ProjectReturn | None:
    """The station's latest return of the project, open or resubmitted."""
    return db.session.scalars(db.select(ProjectReturn).where(ProjectReturn.project_id == project.id)
                              .order_by(ProjectReturn.id.desc()).limit(1)).first()


def returns_by_event(project: Project) -> dict[int, ProjectReturn]:
    """The project's returns by their audit row, for 办理记录."""
    rows = db.session.scalars(db.select(ProjectReturn).where(ProjectReturn.project_id == project.id)).all()
    return {row.audit_event_id: row for row in rows if row.audit_event_id}


def _close_open_return(project: Project, snapshot: ProjectSubmission) -> None:
    """The owner resubmitted: the return's comments become history, with the fields this submission changed."""
    pending = open_return(project)
    if pending is None:
        return
    # (no explicit flush: callers may date the new audit rows before they are written, as the trail is append-only)
    latest_two = db.session.scalars(db.select(ProjectSubmission).where(ProjectSubmission.project_id == project.id)
                                    .order_by(ProjectSubmission.id.desc()).limit(2)).all()
    previous = next((row for row in latest_two if row is not snapshot), None)
    pending.resubmission = snapshot
    pending.resubmitted_at = utcnow()
    pending.changed_fields = _changed_names(previous.values, snapshot.values) if previous else []


def clean_resubmission_reason(project: Project, latest_return: ProjectReturn | None = None,
                              latest_snapshot_id: int | None = None) -> str | None:
    """None when the project may be approved in bulk (可批量通过), else why not.

    Clean: it waits for 初核 as the resubmission of a station return with field comments, and that resubmission
    changed every commented field and nothing else.
    """
    if project.status is not S.SUBMITTED:
        return _("不在待初核状态")
    latest_return = latest_return if latest_return is not None else last_return(project)
    if latest_snapshot_id is None:
        latest_snapshot_id = db.session.scalar(db.select(db.func.max(ProjectSubmission.id))
                                               .where(ProjectSubmission.project_id == project.id))
    if latest_return is None or latest_return.resubmission_id is None or \
            latest_return.resubmission_id != latest_snapshot_id:
        return _("不是按逐项意见退回后的重新提交")
    commented = set(latest_return.field_comments or {})
    if not commented:
        return _("退回时没有逐项意见")
    changed = set(latest_return.changed_fields or [])
    if changed - commented:
        return _("修改了未提意见的字段：%(fields)s", fields=_labels(changed - commented))
    if commented - changed:
        return _("有意见的字段未修改：%(fields)s", fields=_labels(commented - changed))
    return None


def _labels(names: set[str]) -> str:
    return "、".join(str(field.label) for field in PROJECT_FIELDS if field.name in names)


def clean_resubmissions(projects) -> set[int]:
    """The ids among these projects that may be approved in bulk (two queries, whatever the number)."""
    ids = [p.id for p in projects if p.status is S.SUBMITTED]
    if not ids:
        return set()
    latest_returns = {}
    for row in db.session.scalars(db.select(ProjectReturn).where(ProjectReturn.project_id.in_(ids))
                                  .order_by(ProjectReturn.id)):
        latest_returns[row.project_id] = row
    snapshots = dict(db.session.execute(db.select(ProjectSubmission.project_id, db.func.max(ProjectSubmission.id))
                                        .where(ProjectSubmission.project_id.in_(ids))
                                        .group_by(ProjectSubmission.project_id)).all())
    return {p.id for p in projects if p.id in latest_returns and
            clean_resubmission_reason(p, latest_returns[p.id], snapshots.get(p.id)) is None}


def _shown(name: str, value) -> str:
    """A stored value as the reviewer reads it (an option's label, 是/否, the text)."""
    if value in (None, ""):
        return ""
    if name in ENUM_FIELDS:
        try:
            return ENUM_FIELDS[name](value).label
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def changes_since_last_submission(project: Project) -> list[tuple[str, str, str]] | None:
    """(field label, before, now) for each field changed between the last two submissions; None if first."""
    snapshots = db.session.scalars(db.select(ProjectSubmission).where(ProjectSubmission.project_id == project.id)
                                   .order_by(ProjectSubmission.id.desc()).limit(2)).all()
    if len(snapshots) < 2:
        return None
    latest, previous = snapshots[0].values, snapshots[1].values
    return [(str(field.label), _shown(field.name, previous.get(field.name)), _shown(field.name, latest.get(field.name)))
            for field in PROJECT_FIELDS if previous.get(field.name) != latest.get(field.name)]


def create_project(owner: User, values: dict) -> Project:
    """Start a draft project for a clinician."""
    require(owner.is_clinician, _("只有医务人员可以提报项目"))
    project = Project(owner=owner, status=S.DRAFT)
    _assign(project, values)
    db.session.add(project)
    db.session.flush()
    audit.record("create", actor=owner, project=project, to_state=S.DRAFT.value)
    return project


def _coerced(name: str, value):
    if name in ENUM_FIELDS:
        return ENUM_FIELDS[name].coerce(value)
    if name in ("commitment_agreed", "publish_consent"):
        return value
    return (value or "").strip()  # text columns are never NULL: a field absent from the request is empty


def public_changes(project: Project, values: dict) -> list[str]:
    """The labels of the public fields these values would change (nothing is written)."""
    return [FIELDS_BY_NAME[name].label for name in PUBLIC_FIELDS
            if name in values and name in FIELDS_BY_NAME and getattr(project, name) != _coerced(name, values[name])]


def needs_review_confirmation(project: Project, values: dict) -> bool:
    """Saving these values would send the published project back to 初核: the owner confirms first."""
    return project.status is S.PUBLISHED and bool(public_changes(project, values))


def waiting_interests(project: Project) -> list[Interest]:
    """Interests still waiting for the owner's answer."""
    return db.session.scalars(db.select(Interest).where(Interest.project_id == project.id,
                                                        Interest.status == InterestStatus.PENDING)
                              .order_by(Interest.id)).all()


def _interested_members(project: Project) -> list[User]:
    return [member for interest in waiting_interests(project) for member in interest.organisation.members
            if member.active]


def _assign(project: Project, values: dict) -> set[str]:
    """Copy form values onto the project; returns the names of fields that changed."""
    changed = set()
    for name in EDITABLE_FIELDS:
        if name not in values:
            continue
        value = _coerced(name, values[name])
        if getattr(project, name) != value:
            setattr(project, name, value)
            changed.add(name)
    return changed


def update_project(project: Project, actor: User, values: dict, confirmed: bool = True) -> set[str]:
    """Save the owner's edits; editing a published project's public fields sends it back to review.

    That needs the owner's confirmation (confirmed=False refuses); organisations waiting for an answer are told,
    and their interests wait: none can be accepted until the project is published again.
    """
    require(project.can_edit(actor), _("该项目当前不可编辑"))
    if not confirmed and needs_review_confirmation(project, values):
        raise ValidationError(_("修改公开信息需先确认重新提交初核"))
    was_listed = project.is_listed()
    changed = _assign(project, values)
    if project.status is S.PUBLISHED and changed & set(PUBLIC_FIELDS):
        _move(project, "resubmit_after_edit", actor, comment=_("修改了公开信息，重新提交初核"))
        tell(_interested_members(project), "project_back_in_review", path_for("deals.mine"),
             project=project.display_name)
    elif changed:
        audit.record("edit", actor=actor, project=project, comment=", ".join(sorted(changed)))
    if changed:
        reindex_after_commit(project, was_listed)
    refresh_for_project(project, was_listed, changed)
    return changed


UNCONFIRMED = _l("您的所在医疗机构尚未确认您的身份，暂不能提交项目。草稿已保存；确认后您会收到通知，即可提交。")


def submit_action(project: Project) -> str:
    """Where submitting leads: the hospital's 院内审核 when it has opted in (and has an officer), else the station."""
    institution = owner_institution(project)
    if institution is not None and institution.internal_review and institution.officers:
        return "submit_to_institution"
    return "submit"


def submit_project(project: Project, actor: User) -> None:
    """Send a draft or returned project to initial review (初核), through 院内审核 where the hospital wants it."""
    if project.is_owner(actor) and not actor.is_verified:
        raise PermissionDenied(str(UNCONFIRMED))
    action = submit_action(project)
    check(project, LIFE, action, actor)
    if not project.commitment_agreed:
        raise ValidationError(_("提交前须同意承诺书"), field="commitment_agreed")
    _move(project, action, actor)
    if action == "submit_to_institution":
        institution = owner_institution(project)
        tell(institution.officers, "institution_review", path_for("institution.review", project_id=project.id),
             project=project.display_name, name=project.owner.name)


def institution_approve_project(project: Project, officer: User, comment: str = "") -> None:
    """院内审核 passed: the hospital stands behind the project as its 项目申请单位; on to the station's 初核."""
    institution = owner_institution(project)
    _move(project, "institution_approve", officer, comment)
    project.applicant_institution = institution
    tell(project.owner, "institution_approved", path_for("projects.detail", project_id=project.id),
         project=project.display_name, hospital=institution.name, comment=comment.strip())


def institution_return_project(project: Project, officer: User, comment: str) -> None:
    """院内审核: back to the owner with what to revise, as a station return."""
    _move(project, "institution_return", officer, comment)
    tell(project.owner, "institution_returned", path_for("projects.detail", project_id=project.id),
         project=project.display_name, comment=comment.strip())


def submit_paper_form(project: Project, staff: User, comment: str = "") -> None:
    """Staff enter a paper 附件1 (bulk import) into review on the owner's behalf."""
    check(project, LIFE, "submit_paper_form", staff)
    if not project.commitment_agreed:
        raise ValidationError(_("提交前须同意承诺书"), field="commitment_agreed")
    _move(project, "submit_paper_form", staff, comment)


def approve_project(project: Project, reviewer: User, comment: str = "", saved_search_probe: bool = True) -> None:
    """Publish a submitted project after initial review.

    saved_search_probe=False leaves the saved-search notices to the caller, who probes a whole batch at once
    (saved_searches.notify_matches_many: the bulk import).
    """
    _move(project, "approve", reviewer, comment)
    tell(project.owner, "project_published", _own_link(project), project=project.display_name, comment=comment.strip())
    tell(_interested_members(project), "project_republished", path_for("deals.mine"), project=project.display_name)
    if saved_search_probe:
        saved_searches.notify_matches(project)


FIELD_COMMENT_MAX = 1000


def return_project(project: Project, reviewer: User, comment: str, field_comments: dict | None = None) -> None:
    """Send a submitted project back to its owner with what to revise, overall and field by field."""
    comments = {}
    for name, text in (field_comments or {}).items():
        if name not in FIELDS_BY_NAME:
            raise ValidationError(_("没有这个字段：%(name)s", name=name), field="field_comments")
        text = (text or "").strip()
        if len(text) > FIELD_COMMENT_MAX:
            raise ValidationError(_("每项意见不超过 %(max)d 字", max=FIELD_COMMENT_MAX), field="field_comments")
        if text:
            comments[name] = text
    _move(project, "return", reviewer, comment)
    event = next((row for row in db.session.new if isinstance(row, AuditEvent) and row.action == "return"
                  and row.project_id == project.id), None)
    if event is None:  # already written (an autoflush): the latest return row of the project
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.project_id == project.id,
                                                               AuditEvent.action == "return")
                                   .order_by(AuditEvent.id.desc()).limit(1)).first()
    db.session.add(ProjectReturn(project_id=project.id, audit_event=event, reviewer_id=reviewer.id,
                                 comment=comment.strip(), field_comments=comments))
    tell(project.owner, "project_returned", _own_link(project), project=project.display_name, comment=comment.strip(),
         field_comments=field_comments_param(comments))


def bulk_approve(project_ids, reviewer: User, comment: str = "") -> tuple[list[Project], list[tuple[str, str]]]:
    """Approve each clean resubmission (可批量通过) through approve_project; the others are skipped with why.

    Returns (approved projects, [(project name or id, reason skipped)]). Each approval is audited and told as one.
    """
    approved, skipped, seen = [], [], set()
    for raw in project_ids:
        try:
            project_id = int(raw)
        except (TypeError, ValueError):
            skipped.append((str(raw)[:20], _("不是有效的项目编号")))
            continue
        if project_id in seen:
            continue
        seen.add(project_id)
        project = db.session.get(Project, project_id)
        if project is None:
            skipped.append((f"#{project_id}", _("项目不存在")))
            continue
        reason = clean_resubmission_reason(project)
        if reason:
            skipped.append((project.display_name, reason))
            continue
        try:
            with db.session.begin_nested():
                approve_project(project, reviewer, comment)
        except ServiceError as error:
            skipped.append((project.display_name, str(error)))
            continue
        approved.append(project)
    return approved, skipped


def reject_project(project: Project, reviewer: User, reason: str) -> None:
    """Refuse a submitted project, with the reason the owner will read."""
    _move(project, "reject", reviewer, reason)
    tell(project.owner, "project_rejected", _own_link(project), project=project.display_name, comment=reason.strip())


def _own_link(project: Project) -> str:
    return path_for("projects.detail", project_id=project.id)


def withdraw_project(project: Project, actor: User, comment: str = "") -> None:
    """The owner takes the project off the platform."""
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
    _move(project, "start_incubation", staff, comment)


def launch_project(project: Project, actor: User, comment: str = "") -> None:
    """获批上市: the product is approved for the market."""
    _move(project, "launch", actor, comment)


def latest_review_comment(project: Project) -> str:
    """The last comment staff left on return or reject, for the owner to read."""
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.project_id == project.id,
                                    AuditEvent.action.in_(("return", "reject", "institution_return")))
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    return event.comment if event else ""


def save_project(owner: User, project: Project | None, values: dict, submit: bool,
                 confirmed: bool = True) -> Project:
    """Create or update from 附件1, then submit for review when asked and the state allows it."""
    if project is None:
        project = create_project(owner, values)
    else:
        update_project(project, owner, values, confirmed)
    # An unconfirmed clinician's draft is saved; the page says why it was not submitted (UNCONFIRMED).
    if submit and project.status in SUBMITTABLE_STATES and owner.is_verified:
        submit_project(project, owner)
    return project


AUTOSAVE_STATES = SUBMITTABLE_STATES  # a draft, or a returned project being revised: saving never moves it
NOT_A_DRAFT = _l("该项目已不是草稿，自动保存已停止；请使用页面下方的按钮保存")


def autosave_draft(owner: User, project: Project | None, values: dict) -> Project:
    """Keep what the clinician typed on a draft (or a returned project) without moving its state.

    Only the fields given change. A new project becomes a draft here. No audit row per save: the draft is the
    owner's working copy, written every few seconds while typing (creating it is audited).
    """
    if project is None:
        return create_project(owner, values)
    require(project.is_owner(owner), _("只有项目负责人可以保存草稿"))
    if project.status not in AUTOSAVE_STATES:
        raise TransitionError(str(NOT_A_DRAFT))
    _assign(project, values)
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
