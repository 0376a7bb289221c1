"""Support and service requests (服务申请): opening, filling in, the checklist, working them through, outcomes."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import STAFF_ROLES, User
from app.accounts.rules import is_staff
from app.core import audit
from app.core.errors import PermissionDenied, ServiceError, TransitionError, ValidationError, require
from app.core.files import save_file
from app.core.links import path_for
from app.core.models import utcnow
from app.core.notifications import notice, tell, tell_staff
from app.core.states import allowed, move
from app.deals.models import PARTNER_ACCESS_STATES, Interest
from app.extensions import db
from app.incubation import operations as incubation
from app.incubation.models import Assessment, MilestoneKind, MilestoneStatus, Recommendation
from app.incubation.rules import TRACKED_STATES
from app.programme import rules
from app.programme.kinds import spec
from app.programme.models import (OPEN_REQUEST_STATES, Provider, RequestComment, RequestDocument, RequestKind,
                                  RequestStatus, ReviewDecision, SupportRequest)
from app.programme.operations import REQUEST
from app.projects.models import Project

R = RequestStatus
EDITABLE_STATES = (R.DRAFT, R.RETURNED)

# The assessment's recommendations that become requests with one click.
FROM_RECOMMENDATION = {
    Recommendation.PRE_REVIEW.value: RequestKind.PRE_REVIEW,
    Recommendation.INNOVATION_SPECIAL.value: RequestKind.SPECIAL_REVIEW,
    Recommendation.KEY_SUPPORT.value: RequestKind.KEY_SUPPORT,
    Recommendation.PRIORITY_APPROVAL.value: RequestKind.PRIORITY_APPROVAL,
}


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after start; public holidays are not known here."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _link(request: SupportRequest) -> str:
    return path_for("programme.request", request_id=request.id)


def _project_side(project: Project) -> list[User]:
    """The clinician and the members of the partner organisations."""
    people = [project.owner]
    interests = db.session.scalars(db.select(Interest).where(Interest.project_id == project.id,
                                                             Interest.status.in_(PARTNER_ACCESS_STATES))).all()
    for interest in interests:
        people += [u for u in interest.organisation.members if u.active]
    return people


def _clean_fields(kind: RequestKind, fields: dict) -> dict:
    names = {f.name: f for f in spec(kind).fields}
    clean = {}
    for name, value in (fields or {}).items():
        if name not in names:
            continue
        if isinstance(value, str):
            value = value.strip()
        if isinstance(value, (Decimal, float)):
            value = str(value)
        if isinstance(value, date):
            value = value.isoformat()
        f = names[name]
        if f.type in ("choice", "yesno") and value not in ("", None):
            options = dict(f.choices) if f.type == "choice" else {"yes": 1, "no": 1}
            if value not in options:
                raise ValidationError(_("“%(field)s”的选项无效", field=f.label), field=name)
        clean[name] = value
    return clean


def _check_provider(kind: RequestKind, provider: Provider | None) -> None:
    if provider is None:
        return
    kinds = spec(kind).provider_kinds
    if not provider.active or (kinds and provider.kind not in kinds):
        raise ValidationError(_("所选机构不提供此类服务"), field="provider_id")


def _check_slot(kind: RequestKind, slot_at: datetime | None) -> None:
    if kind is RequestKind.CONSULTATION and slot_at is not None and slot_at <= utcnow():
        raise ValidationError(_("预约时段须晚于现在"), field="slot_at")


def open_request(project: Project, actor: User, kind: RequestKind, fields: dict | None = None,
                 provider: Provider | None = None, slot_at: datetime | None = None,
                 assessment: Assessment | None = None) -> SupportRequest:
    """A new draft request on a project, by its clinician, a partner enterprise, or staff on their behalf."""
    require(rules.may_open_request(actor, project), _("只有项目负责人、合作企业或服务站可以为该项目提出服务申请"))
    _check_provider(kind, provider)
    _check_slot(kind, slot_at)
    request = SupportRequest(project=project, kind=kind, status=R.DRAFT, fields=_clean_fields(kind, fields or {}),
                             opened_by_id=actor.id, on_behalf=is_staff(actor) and not rules.is_project_side(actor, project),
                             provider=provider, slot_at=slot_at, assessment_id=assessment.id if assessment else None)
    db.session.add(request)
    db.session.flush()
    audit.record("open_request", actor=actor, project=project, subject=request, to_state=R.DRAFT.value,
                 comment=kind.label)
    return request


def update_request(request: SupportRequest, actor: User, fields: dict, provider: Provider | None = None,
                   slot_at: datetime | None = None) -> None:
    """Fill in or correct a draft (or a returned) request."""
    require(rules.is_applicant(actor, request), _("只有申请方或服务站可以修改服务申请"))
    if request.status not in EDITABLE_STATES:
        raise TransitionError(_("已提交的申请不能修改；如需补充请在沟通记录中留言"))
    _check_provider(request.kind, provider)
    _check_slot(request.kind, slot_at)
    request.fields = _clean_fields(request.kind, fields)
    request.provider = provider
    if request.kind is RequestKind.CONSULTATION:
        request.slot_at = slot_at
    audit.record("update_request", actor=actor, project=request.project, subject=request,
                 from_state=request.status.value, to_state=request.status.value, comment=request.kind.label)


def _store(request: SupportRequest, actor: User, upload, requirement: str = "",
           comment: RequestComment | None = None) -> RequestDocument:
    stored, original, content_type, size = save_file(upload, f"requests/{request.id}")
    document = RequestDocument(request=request, requirement=requirement, comment=comment, original_name=original,
                               stored_name=stored, content_type=content_type, size=size, uploaded_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    return document


def add_document(request: SupportRequest, actor: User, requirement: str, upload) -> RequestDocument:
    """Attach one of the kind's documents (or another file) to the request."""
    require(rules.is_applicant(actor, request), _("只有申请方或服务站可以上传申请材料"))
    if request.status in (R.CLOSED, R.REFUSED):
        raise TransitionError(_("申请已办结，不能再上传材料"))
    keys = {d.key for d in spec(request.kind).documents}
    if requirement and requirement not in keys:
        raise ValidationError(_("未知的材料类型"), field="requirement")
    document = _store(request, actor, upload, requirement)
    audit.record("request_document", actor=actor, project=request.project, subject=request,
                 comment=document.original_name)
    return document


def checklist(request: SupportRequest) -> list[str]:
    """What is still missing before the request can be sent."""
    return rules.missing(request)


def submit_request(request: SupportRequest, actor: User, comment: str = "") -> None:
    """Send a complete request to the station (or send a returned one back, supplemented)."""
    gaps = checklist(request)
    if gaps:
        raise ValidationError(_("申请材料尚不完整：%(gaps)s", gaps="；".join(gaps)))
    today = incubation.beijing_today()
    kind_spec = spec(request.kind)
    if request.status is R.DRAFT:
        action = "submit"
    else:
        action = "supplement" if request.accepted_at is not None else "resubmit"
    move(request, REQUEST, action, actor, comment)
    if action == "supplement":
        request.due_on = add_working_days(today, kind_spec.close_days)
        people = [request.assignee] if request.assignee else []
        if people:
            tell(people, "request_supplemented", _link(request), service=request.kind, project=request.project.display_name)
        else:
            tell_staff("request_supplemented", _link(request), service=request.kind, project=request.project.display_name)
    else:
        request.due_on = add_working_days(today, kind_spec.accept_days)
        tell_staff("request_submitted", _link(request), service=request.kind, project=request.project.display_name)


def _tell_applicants(request: SupportRequest, kind: str, **params) -> None:
    tell(_project_side(request.project), kind, _link(request), service=request.kind, **params)


def _staff_user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES or not user.active:
        raise ValidationError(_("经办人须为在岗的服务站工作人员"), field="assignee_id")
    return user


def accept_request(request: SupportRequest, staff: User, assignee_id: int | None = None, comment: str = "") -> None:
    """受理: the station takes the request on; the clock moves to its time to close."""
    move(request, REQUEST, "accept", staff, comment)
    request.assignee = _staff_user(assignee_id) or request.assignee or staff
    request.due_on = add_working_days(incubation.beijing_today(), spec(request.kind).close_days)
    _tell_applicants(request, "request_accepted", name=request.assignee.name)


def start_request(request: SupportRequest, staff: User, comment: str = "") -> None:
    move(request, REQUEST, "start", staff, comment)


def assign_request(request: SupportRequest, staff: User, assignee_id: int | None,
                   provider: Provider | None = None) -> None:
    """Choose the staff member (and provider) who works the request through."""
    require(rules.is_handler(staff, request), _("只有服务站工作人员可以指派经办人"))
    if request.status in (R.CLOSED, R.REFUSED):
        raise TransitionError(_("申请已办结"))
    _check_provider(request.kind, provider)
    request.assignee = _staff_user(assignee_id)
    if provider is not None:
        request.provider = provider
    audit.record("assign_request", actor=staff, project=request.project, subject=request,
                 from_state=request.status.value, to_state=request.status.value,
                 comment=" / ".join(x for x in (request.assignee.name if request.assignee else "",
                                                 request.provider.name if request.provider else "") if x))
    if request.assignee and request.assignee.id != staff.id:
        tell(request.assignee, "request_assigned", _link(request), service=request.kind,
             project=request.project.display_name)


def return_request(request: SupportRequest, staff: User, reason: str) -> None:
    """退回补充: ask the applicant for a document or more information (the clock stops until they answer)."""
    move(request, REQUEST, "return", staff, reason)
    db.session.add(RequestComment(request=request, author_id=staff.id, body=_("退回补充：%(reason)s", reason=reason)))
    _tell_applicants(request, "request_returned", text=reason)


def refuse_request(request: SupportRequest, staff: User, reason: str) -> None:
    """不予受理 (or ended without result), with the reason the applicant sees."""
    move(request, REQUEST, "refuse", staff, reason)
    request.refusal_reason = reason.strip()
    _tell_applicants(request, "request_refused", text=reason)


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError(_("金额须为数字（万元）"), field="granted_wan") from None
    if amount < 0:
        raise ValidationError(_("金额不能为负数"), field="granted_wan")
    return amount


def close_request(request: SupportRequest, staff: User, *, note: str = "", granted_wan=None,
                  patent_number: str = "", decision: str | None = None, report=None) -> None:
    """已办结 with its outcome; the outcome feeds the project's milestones when the project is tracked."""
    wanted = spec(request.kind).outcome
    amount = _amount(granted_wan)
    decision_value = ReviewDecision.coerce(decision) if decision else None
    if "patent_number" in wanted and not (patent_number or "").strip():
        raise ValidationError(_("请填写专利申请号或专利号"), field="patent_number")
    if "decision" in wanted and decision_value is None:
        raise ValidationError(_("请选择审查结论"), field="decision")
    if "report" in wanted and report is None and not any(d.requirement == "outcome" for d in request.documents):
        raise ValidationError(_("请上传检验报告"), field="report")
    move(request, REQUEST, "close", staff, note)
    request.outcome_note = (note or "").strip()
    request.granted_wan = amount
    request.patent_number = (patent_number or "").strip()
    request.decision = decision_value
    if report is not None:
        _store(request, staff, report, "outcome")
    _feed_milestone(request, staff)
    _tell_applicants(request, "request_closed", amount=f"{amount:,.2f}" if amount is not None else "",
                     patent=request.patent_number, decision=decision_value,
                     report=any(d.requirement == "outcome" for d in request.documents), note=request.outcome_note)


def outcome_text(request: SupportRequest) -> str:
    """The outcome in one line."""
    parts = []
    if request.granted_wan is not None:
        parts.append(_("获批金额 %(amount)s 万元", amount=f"{request.granted_wan:,.2f}"))
    if request.patent_number:
        parts.append(_("专利号 %(number)s", number=request.patent_number))
    if request.decision is not None:
        parts.append(request.decision.label)
    if any(d.requirement == "outcome" for d in request.documents):
        parts.append(_("已出具检验报告"))
    if request.outcome_note:
        parts.append(request.outcome_note)
    return "；".join(parts)


def _feed_milestone(request: SupportRequest, staff: User) -> None:
    """The outcome on the project's timeline: a test report completes 注册检验; decisions are noted on 注册申报."""
    target = spec(request.kind).milestone
    project = request.project
    if target is None or project.status not in TRACKED_STATES:
        return
    milestone = next(m for m in incubation.ensure_milestones(project) if m.kind is target)
    note = f"{request.kind.label}：{outcome_text(request)}".strip("：")
    notes = "\n".join(x for x in (milestone.notes, note) if x)
    today = incubation.beijing_today()
    if target is MilestoneKind.REGISTRATION_TESTING:
        incubation.update_milestone(milestone, staff, MilestoneStatus.DONE, milestone.planned_on, today, notes)
    else:
        status = milestone.status
        if status is MilestoneStatus.NOT_STARTED and request.decision is ReviewDecision.ACCEPTED:
            status = MilestoneStatus.IN_PROGRESS
        incubation.update_milestone(milestone, staff, status, milestone.planned_on, milestone.actual_on, notes)


def add_comment(request: SupportRequest, actor: User, body: str, upload=None) -> RequestComment:
    """A message on the request from either side, with a file if given; the other side is told."""
    require(rules.is_party(actor, request), _("只有申请双方可以留言"))
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("请填写留言内容"), field="body")
    comment = RequestComment(request=request, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    if upload is not None:
        _store(request, actor, upload, "", comment)
    audit.record("request_comment", actor=actor, project=request.project, subject=request, comment=body[:200])
    if is_staff(actor):
        _tell_applicants(request, "request_comment", text=body[:200])
    elif request.assignee:
        tell(request.assignee, "request_comment_staff", _link(request), service=request.kind, text=body[:200])
    else:
        tell_staff("request_comment_staff", _link(request), service=request.kind, text=body[:200])
    return comment


def from_recommendation(assessment: Assessment, staff: User, recommendation: str) -> SupportRequest:
    """One click: an assessment's recommendation (审评前置, 特别审查 …) becomes a draft request on its project."""
    require(is_staff(staff), _("只有服务站工作人员可以据评估建议发起申请"))
    kind = FROM_RECOMMENDATION.get(recommendation)
    if kind is None or recommendation not in (assessment.recommendations or []):
        raise ValidationError(_("该评估没有这项建议"))
    existing = db.session.scalar(db.select(SupportRequest).where(SupportRequest.assessment_id == assessment.id,
                                                                 SupportRequest.kind == kind))
    if existing is not None:
        raise ServiceError(_("已据此建议发起过申请"))
    request = open_request(assessment.project, staff, kind, assessment=assessment)
    return request


def recommendation_requests(assessment: Assessment) -> dict[str, SupportRequest]:
    """The requests already opened from an assessment's recommendations, by recommendation value."""
    rows = db.session.scalars(db.select(SupportRequest).where(SupportRequest.assessment_id == assessment.id)).all()
    by_kind = {r.kind: r for r in rows}
    return {rec: by_kind[kind] for rec, kind in FROM_RECOMMENDATION.items() if kind in by_kind}


def requests_of_project(project: Project, user) -> list[SupportRequest]:
    """A project's requests for those allowed to see them (its side and staff), newest first."""
    if not (rules.is_staff(user) or rules.is_project_side(user, project)):
        return []
    return db.session.scalars(db.select(SupportRequest).where(SupportRequest.project_id == project.id)
                              .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())).all()


def requests_for(user) -> list[SupportRequest]:
    """The requests on the user's projects (clinician) or partner projects (organisation member)."""
    if user.is_clinician:
        clause = SupportRequest.project_id.in_(db.select(Project.id).where(Project.owner_id == user.id))
    elif user.is_organisation_member and user.is_verified:
        clause = SupportRequest.project_id.in_(
            db.select(Interest.project_id).where(Interest.organisation_id == user.organisation_id,
                                                 Interest.status.in_(PARTNER_ACCESS_STATES)))
    else:
        return []
    return db.session.scalars(db.select(SupportRequest).where(clause)
                              .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())).all()


def staff_queue(status: RequestStatus | None = None, kind: RequestKind | None = None,
                mine: User | None = None) -> list[SupportRequest]:
    """Requests sent to the station (drafts stay with their authors), oldest due first."""
    statement = db.select(SupportRequest).where(SupportRequest.status != R.DRAFT)
    if status is not None:
        statement = statement.where(SupportRequest.status == status)
    if kind is not None:
        statement = statement.where(SupportRequest.kind == kind)
    if mine is not None:
        statement = statement.where(SupportRequest.assignee_id == mine.id)
    return db.session.scalars(statement.order_by(SupportRequest.due_on.is_(None), SupportRequest.due_on,
                                                 SupportRequest.id)).all()


def overdue_requests(today: date | None = None) -> list[SupportRequest]:
    """Open requests past their service-level date, the longest overdue first."""
    today = today or incubation.beijing_today()
    return db.session.scalars(db.select(SupportRequest).where(SupportRequest.status.in_(OPEN_REQUEST_STATES),
                                                              SupportRequest.due_on < today)
                              .order_by(SupportRequest.due_on, SupportRequest.id)).all()


def remind_overdue(today: date | None = None) -> int:
    """Remind each overdue request's assignee (every staff member when none) once a day; how many were reminded."""
    today = today or incubation.beijing_today()
    count = 0
    for request in overdue_requests(today):
        if request.reminded_on == today:
            continue
        params = dict(service=request.kind, project=request.project.display_name, due=request.due_on.isoformat(),
                      step="accept" if request.status is R.SUBMITTED else "close")
        if request.assignee and request.assignee.active:
            tell(request.assignee, "request_overdue", _link(request), **params)
        else:
            tell_staff("request_overdue", _link(request), **params)
        request.reminded_on = today
        count += 1
    return count


def actions_for(request: SupportRequest, user) -> set[str]:
    """The REQUEST actions the user may take now (for buttons)."""
    return {name for name in REQUEST if allowed(request, REQUEST, name, user)}


def can_view(request: SupportRequest, user) -> bool:
    return rules.is_party(user, request)


def require_view(request: SupportRequest, user) -> None:
    if not can_view(request, user):
        raise PermissionDenied(_("您无权查看该服务申请"))


# Notices (read in the reader's language): the applicants' side in the incubation group, the station's in staff.
def _report(stored) -> str:
    return str(_l("已出具检验报告")) if stored else ""


def _step(stored) -> str:
    return str(_l("受理") if stored == "accept" else _l("办结"))


notice("request_submitted", _l("新的服务申请：%(service)s"), "%(project)s", group="staff", service=RequestKind)
notice("request_supplemented", _l("服务申请已补充：%(service)s"), "%(project)s", group="staff", service=RequestKind)
notice("request_assigned", _l("请办理服务申请：%(service)s"), "%(project)s", group="staff", service=RequestKind)
notice("request_comment_staff", _l("服务申请有新留言：%(service)s"), "%(text)s", group="staff", service=RequestKind)
notice("request_overdue", _l("服务申请已逾期：%(service)s"), _l("%(project)s，应于 %(due)s 前%(step)s"), group="staff",
       service=RequestKind, step=_step)
notice("request_accepted", _l("服务申请已受理：%(service)s"), _l("经办人：%(name)s"), group="incubation", service=RequestKind)
notice("request_returned", _l("服务申请需要补充：%(service)s"), "%(text)s", group="incubation", service=RequestKind)
notice("request_refused", _l("服务申请不予受理：%(service)s"), "%(text)s", group="incubation", service=RequestKind)
notice("request_comment", _l("服务申请有新留言：%(service)s"), "%(text)s", group="incubation", service=RequestKind)
notice("request_closed", _l("服务申请已办结：%(service)s"), _l("获批金额 %(amount)s 万元"), _l("专利号 %(patent)s"),
       "%(decision)s", "%(report)s", "%(note)s", group="incubation", service=RequestKind, decision=ReviewDecision,
       report=_report)
