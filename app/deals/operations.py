"""Operations of the deal flow: investment intents, interests (意向) and what they do to the project, negotiation, signing, the docking form (附件2)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Organisation, User
from app.accounts.operations import field_labels
from app.accounts.rules import may_manage_intents
from app.core import audit
from app.core.errors import ServiceError, TransitionError, ValidationError, require
from app.core.files import SCAN_TYPES, save_file
from app.core.links import path_for
from app.core.models import utcnow
from app.core.notifications import notice, tell, tell_staff
from app.core.states import SYSTEM, Transition, action_between, check, is_system, move
from app.deals import rules
from app.deals.models import (Agreement, AgreementStatus, CooperationMode, DeclineReason,
                              DockingForm, DockingStatus,
                              Intent, IntentStatus, Interest, InterestStatus, NegotiationMessage, PassReason, ProjectPass,
                              RegionPreference, Side, Specialised, ThreadRead)
from app.extensions import db
from app.projects import operations as project_service
from app.projects.models import DeviceClass, Project, ProjectStatus, Stage
from app.suggestions.jobs import refresh_for_intent

I = InterestStatus
_RESPONDERS = _l("只有项目负责人可以回复待处理的意向")

# An expression of interest (DESIGN.md): pending → accepted | declined | withdrawn | expired; accepted → signed | failed.
INTEREST = {
    "accept": Transition({I.PENDING}, I.ACCEPTED, rules.is_project_owner, audit="interest_accept",
                         stamps=("responded_at",), refusal=_RESPONDERS),
    "decline": Transition({I.PENDING}, I.DECLINED, rules.is_project_owner, audit="interest_decline",
                          stamps=("responded_at", "closed_at"), refusal=_RESPONDERS),
    "withdraw": Transition({I.PENDING}, I.WITHDRAWN, rules.is_interested_member, audit="interest_withdraw",
                           stamps=("closed_at",), refusal=_l("只有意向方可以撤回待回复的意向")),
    "expire": Transition({I.PENDING}, I.EXPIRED, is_system, audit="interest_expire", stamps=("closed_at",)),
    "sign": Transition({I.ACCEPTED}, I.SIGNED, rules.is_party, audit="interest_sign", stamps=("closed_at",),
                       refusal=_l("只有洽谈双方可以确认签约")),
    "fail": Transition({I.ACCEPTED}, I.FAILED, rules.is_party, audit="interest_fail", stamps=("closed_at",),
                       refusal=_l("只有洽谈双方可以终止洽谈"), reason=_l("请说明终止洽谈的原因")),
}

notice("new_interest", _l("新的合作意向：%(project)s"), _l("%(org)s 对您的项目表达了合作意向，请在 %(days)d 天内回复。"))
notice("interest_accepted", _l("意向已被接受：%(project)s"),
       _l("项目负责人接受了贵机构的合作意向，现在可以查看项目详细资料并开始合作洽谈。"))
notice("interest_declined", _l("意向未被接受：%(project)s"), _l("原因：%(reason)s"), _l("说明：%(note)s"),
       reason=DeclineReason)
notice("negotiation_ended", _l("洽谈已终止：%(project)s"), _l("%(org)s 终止了合作洽谈。"), _l("原因：%(reason)s"),
       _l("说明：%(note)s"), reason=PassReason)
notice("negotiation_ended_by_owner", _l("洽谈已终止：%(project)s"), _l("项目负责人终止了合作洽谈。"),
       _l("原因：%(reason)s"), _l("说明：%(note)s"), reason=DeclineReason)
notice("project_passed", _l("机构反馈：%(project)s"), _l("%(org)s 暂不考虑与贵项目合作。"), _l("原因：%(reason)s"),
       _l("说明：%(note)s"), reason=PassReason)
notice("interest_expired", _l("意向已过期：%(project)s"), _l("该意向在 %(days)d 天内未获回复，已自动过期。"))
notice("interest_expiring", _l("意向即将过期：%(project)s"), _l("%(org)s 的合作意向将于 %(date)s 过期，请尽快回复。"))
notice("new_message", _l("洽谈新消息：%(project)s"), _l("%(excerpt)s"))
notice("new_message_file", _l("洽谈新消息：%(project)s"), _l("对方发送了附件"))
notice("signing_awaiting", _l("请确认签约：%(project)s"), _l("对方已登记合作签约信息，请核对后确认。"))
notice("signed", _l("签约落地：%(project)s"), _l("%(org)s 与项目负责人已确认合作签约。"),
       _l("签约企业请填报《企业意向临床研究成果转化项目对接表》。"))
notice("signed_staff", _l("签约落地：%(project)s"), _l("%(org)s 与项目负责人已确认合作签约。"), group="staff")
notice("signing_disputed", _l("签约信息需更正：%(project)s"), _l("%(note)s"))
notice("docking_filed", _l("对接表已报送：%(project)s"), _l("%(org)s 已填报《企业意向临床研究成果转化项目对接表》。"),
       group="staff")
notice("docking_acknowledged", _l("对接表已确认：%(project)s"),
       _l("创新服务站已确认贵机构报送的《企业意向临床研究成果转化项目对接表》，对接表已锁定，不能再修改。"),
       _l("意见：%(comment)s"))
notice("docking_acknowledged_owner", _l("对接表已确认：%(project)s"),
       _l("%(org)s 报送的《企业意向临床研究成果转化项目对接表》已由创新服务站确认。"))
notice("docking_returned", _l("对接表被退回修改：%(project)s"),
       _l("创新服务站退回了贵机构报送的对接表，请按意见修改后重新报送。"), _l("意见：%(comment)s"))
notice("docking_scan_uploaded", _l("对接表盖章扫描件已上传：%(project)s"),
       _l("%(org)s 上传了对接表的盖章扫描件（%(name)s）。"), group="staff")
notice("docking_scan_uploaded_by_staff", _l("对接表盖章扫描件已上传：%(project)s"),
       _l("创新服务站为贵机构的对接表上传了盖章扫描件（%(name)s）。"))

A = AgreementStatus

# The recorded cooperation: one side records it (again, to correct it), the other side confirms or disputes.
SIGNING = {
    "record": Transition({A.AWAITING, A.DISPUTED}, A.AWAITING, rules.is_signatory, audit="record_agreement",
                         refusal=_l("只有洽谈中的双方可以登记签约")),
    "confirm": Transition({A.AWAITING}, A.CONFIRMED, rules.is_other_side, audit="confirm_agreement",
                          stamps=("confirmed_at",), refusal=_l("只有另一方可以确认签约")),
    "dispute": Transition({A.AWAITING}, A.DISPUTED, rules.is_other_side, audit="dispute_agreement",
                          refusal=_l("只有另一方可以对签约信息提出异议"), reason=_l("请说明哪里需要更正")),
}

D = DockingStatus

# 附件2: filed by the signing enterprise (a filed form may still be corrected and saved); the station returns it
# with a comment (the enterprise corrects it and files again) or acknowledges it, which locks it for everyone.
DOCKING = {
    "file": Transition({D.DRAFT, D.RETURNED}, D.FILED, rules.is_signer, audit="file_docking_form",
                       stamps=("filed_at",), refusal=_l("只有签约企业可以填报对接表")),
    "acknowledge": Transition({D.FILED}, D.ACKNOWLEDGED, rules.is_station_staff, audit="acknowledge_docking_form",
                              stamps=("acknowledged_at",), refusal=_l("只有创新服务站工作人员可以确认对接表")),
    "return": Transition({D.FILED}, D.RETURNED, rules.is_station_staff, audit="return_docking_form", stamps=("returned_at",),
                         refusal=_l("只有创新服务站工作人员可以退回对接表"), reason=_l("请填写退回意见，说明需要修改的地方")),
}

LOCKED = _l("对接表已由创新服务站确认并锁定，不能再修改")

N = IntentStatus

_INTENT_MANAGERS = _l("只有本机构已认证的成员可以变更投资意向状态")

# An investment intent: paused and resumed at will; closed is final.
INTENT = {
    "pause": Transition({N.ACTIVE}, N.PAUSED, rules.may_manage_intent, audit="intent_paused",
                        refusal=_INTENT_MANAGERS),
    "resume": Transition({N.PAUSED}, N.ACTIVE, rules.may_manage_intent, audit="intent_resumed",
                         refusal=_INTENT_MANAGERS),
    "close": Transition({N.ACTIVE, N.PAUSED}, N.CLOSED, rules.may_manage_intent, audit="intent_closed",
                        refusal=_INTENT_MANAGERS),
}


def _link(interest: Interest) -> str:
    return path_for("deals.thread", interest_id=interest.id)


def _board_link(project: Project) -> str:
    return path_for("deals.board", project_id=project.id)


def open_interest_of(project: Project, organisation_id: int) -> Interest | None:
    return db.session.scalar(db.select(Interest).where(
        Interest.project_id == project.id, Interest.organisation_id == organisation_id,
        Interest.status.in_((I.PENDING, I.ACCEPTED))))


def express_interest(project: Project, user: User, message: str, cooperation_modes: list[str],
                     amount_wan: Decimal | None = None, timeline: str = "", intent_id: int | None = None) -> Interest:
    """A verified organisation's member states interest in a listed project."""
    require(user.is_organisation_member and user.is_verified, _("只有经认证的企业或投资人可以表达合作意向"))
    if not project.is_listed():
        raise TransitionError(_("该项目当前不接受合作意向"))
    if open_interest_of(project, user.organisation_id) is not None:
        raise ServiceError(_("贵机构对该项目已有进行中的意向，请在“意向与洽谈”中查看"))
    days = current_app.config["INTEREST_EXPIRY_DAYS"]
    interest = Interest(project=project, organisation_id=user.organisation_id, created_by=user, intent_id=intent_id,
                        message=message.strip(), cooperation_modes=list(cooperation_modes), amount_wan=amount_wan,
                        timeline=timeline.strip(), status=I.PENDING, expires_at=utcnow() + timedelta(days=days))
    db.session.add(interest)
    db.session.flush()
    audit.record("interest_express", actor=user, project=project, subject=interest, to_state=I.PENDING.value,
                 comment=message[:200])
    tell(project.owner, "new_interest", _board_link(project), project=project.display_name,
         org=user.organisation.name, days=days)
    return interest


def accept_interest(interest: Interest, owner: User) -> None:
    """The project owner accepts: the partner tier opens to that organisation and talks begin.

    Not while the project waits in review after an edit: what the organisation was interested in may change.
    """
    project = interest.project
    if project.status not in (ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING):
        raise TransitionError(_("项目正在重新初核（%(state)s），通过后才能接受意向", state=project.status.label))
    move(interest, INTEREST, "accept", owner)
    if project.status is ProjectStatus.PUBLISHED:
        project_service.start_negotiation(project, owner)
    tell(_members(interest), "interest_accepted", _link(interest), project=project.display_name)


def decline_interest(interest: Interest, owner: User, reason: DeclineReason, note: str = "") -> None:
    """The owner declines, with a reason code the organisation sees."""
    check(interest, INTEREST, "decline", owner)
    if reason is None:
        raise ValidationError(_("请选择婉拒原因"), field="reason")
    if not isinstance(reason, DeclineReason):
        raise ValidationError(_("请从列表中选择原因"), field="reason")
    if reason is DeclineReason.OTHER and not note.strip():
        raise ValidationError(_("选择“其他”时请说明原因"), field="note")
    move(interest, INTEREST, "decline", owner, comment=f"{reason.label} {note}".strip())
    interest.decline_reason = reason
    interest.decline_note = note.strip()
    tell(_members(interest), "interest_declined", _link(interest), project=interest.project.display_name,
         reason=reason, note=interest.decline_note)


def withdraw_interest(interest: Interest, member: User) -> None:
    """The organisation takes back a pending interest."""
    move(interest, INTEREST, "withdraw", member)


def _coded_reason(reasons, reason, note: str):
    """A reason from the giver's own list (a free text is 其他 with that text); 其他 needs words."""
    if isinstance(reason, str):
        reason, note = (reasons.OTHER if reason.strip() else None), reason
        if reason is None:
            return None, note.strip()
    if reason is None:
        raise ValidationError(_("请选择原因"), field="reason")
    if not isinstance(reason, reasons):
        raise ValidationError(_("请从列表中选择原因"), field="reason")
    if reason is reasons.OTHER and not (note or "").strip():
        raise ValidationError(_("选择“其他”时请说明原因"), field="note")
    return reason, (note or "").strip()


def end_negotiation(interest: Interest, actor: User, reason, note: str = "") -> None:
    """Either side ends the talks without signing, with a reason from its own list the other side reads.

    The project returns to the library if no talks remain.
    """
    side = Side.ORGANISATION if interest.is_member(actor) else Side.CLINICIAN
    reason, note = _coded_reason(PassReason if side is Side.ORGANISATION else DeclineReason, reason, note)
    move(interest, INTEREST, "fail", actor, comment=f"{reason.label} {note}".strip() if reason else note)
    interest.end_reason = note
    interest.end_reason_code = reason.value if reason else None
    interest.ended_by_side = side
    project = interest.project
    others = db.session.scalar(db.select(db.func.count()).select_from(Interest).where(
        Interest.project_id == project.id, Interest.status == I.ACCEPTED))
    if project.status is ProjectStatus.NEGOTIATING and not others:
        project_service.end_negotiation(project, actor)
    if side is Side.ORGANISATION:
        tell(project.owner, "negotiation_ended", _link(interest), project=project.display_name,
             org=interest.organisation.name, reason=reason, note=note)
    else:
        tell(_members(interest), "negotiation_ended_by_owner", _link(interest), project=project.display_name,
             reason=reason, note=note)


def pass_on_project(project: Project, member: User, reason, note: str = "") -> ProjectPass:
    """An organisation passes on a suggested or 服务站推荐 project; the owner reads why, it is suggested no more."""
    require(member.is_organisation_member and member.is_verified, _("只有已认证机构的成员可以反馈"))
    require(project.is_listed(), _("该项目当前不在项目库中"))
    reason, note = _coded_reason(PassReason, reason, note)
    if reason is None:
        raise ValidationError(_("请选择原因"), field="reason")
    passed = db.session.scalar(db.select(ProjectPass).where(ProjectPass.project_id == project.id,
                                                            ProjectPass.organisation_id == member.organisation_id))
    if passed is None:
        passed = ProjectPass(project_id=project.id, organisation_id=member.organisation_id)
        db.session.add(passed)
    passed.passed_by_id, passed.reason, passed.note, passed.created_at = member.id, reason, note, utcnow()
    db.session.flush()
    audit.record("pass_project", actor=member, project=project, comment=f"{reason.label} {note}".strip())
    tell(project.owner, "project_passed", path_for("projects.detail", project_id=project.id),
         project=project.display_name, org=member.organisation.name, reason=reason, note=note)
    return passed


def passes_on(project: Project) -> list[ProjectPass]:
    """What organisations said when passing on the project, newest first (for its owner and staff)."""
    return db.session.scalars(db.select(ProjectPass).where(ProjectPass.project_id == project.id)
                              .order_by(ProjectPass.created_at.desc(), ProjectPass.id.desc())).all()


def passed_project_ids(organisation_id: int) -> set[int]:
    """The projects an organisation has passed on (not suggested to it again)."""
    return set(db.session.scalars(db.select(ProjectPass.project_id)
                                  .where(ProjectPass.organisation_id == organisation_id)))


def expire_interests(now: datetime | None = None) -> tuple[int, int]:
    """Expire pending interests past their date and remind owners halfway; returns (expired, reminded)."""
    now = now or utcnow()
    days = current_app.config["INTEREST_EXPIRY_DAYS"]
    pending = db.session.scalars(db.select(Interest).where(Interest.status == I.PENDING)).all()
    expired = reminded = 0
    for interest in pending:
        if interest.expires_at is None:
            continue
        project = interest.project
        if interest.expires_at <= now:
            move(interest, INTEREST, "expire", SYSTEM, comment=_("超过 %(days)d 天未回复", days=days))
            tell([project.owner, *_members(interest)], "interest_expired", _board_link(project),
                 project=project.display_name, days=days)
            expired += 1
        elif interest.reminded_at is None and interest.expires_at - now <= timedelta(days=days) / 2:
            interest.reminded_at = now
            tell(project.owner, "interest_expiring", _board_link(project), project=project.display_name,
                 org=interest.organisation.name, date=interest.expires_at.strftime("%Y-%m-%d"))
            reminded += 1
    return expired, reminded


def _members(interest: Interest) -> list[User]:
    return [u for u in interest.organisation.members if u.active]


def interests_for_project(project: Project) -> list[Interest]:
    return db.session.scalars(db.select(Interest).where(Interest.project_id == project.id)
                              .order_by(Interest.created_at.desc())).all()


def interests_of_user(user: User) -> list[Interest]:
    """The interests a user takes part in: their organisation's, or those on their projects."""
    query = db.select(Interest).order_by(Interest.created_at.desc())
    if user.is_organisation_member:
        query = query.where(Interest.organisation_id == user.organisation_id)
    else:
        query = query.join(Project, Interest.project_id == Project.id).where(Project.owner_id == user.id)
    return db.session.scalars(query).all()


def post_message(interest: Interest, sender: User, body: str, upload=None) -> NegotiationMessage:
    """Add a message (and optionally one attachment) and tell the other side."""
    require(interest.can_message(sender), _("只有洽谈双方可以在洽谈中发言"))
    body = (body or "").strip()
    has_file = upload is not None and getattr(upload, "filename", "")
    if not body and not has_file:
        raise ServiceError(_("请输入内容或选择附件"))
    # The file is checked before the message exists: a refused file must leave no message in interest.messages.
    stored = save_file(upload, f"negotiations/{interest.id}") if has_file else None
    message = NegotiationMessage(interest=interest, sender_id=sender.id, body=body)
    if stored:
        (message.attachment_stored_name, message.attachment_original_name, message.attachment_content_type,
         message.attachment_size) = stored
    db.session.add(message)
    db.session.flush()
    mark_read(interest, sender)
    other_side = [interest.project.owner] if interest.is_member(sender) else \
        [u for u in interest.organisation.members if u.active]
    tell(other_side, "new_message" if body.strip() else "new_message_file", path_for("deals.thread", interest_id=interest.id),
         project=interest.project.display_name, excerpt=body[:100])
    return message


def mark_read(interest: Interest, user: User) -> None:
    """Remember the newest message the user has seen in this thread."""
    newest = db.session.scalar(db.select(db.func.max(NegotiationMessage.id))
                               .where(NegotiationMessage.interest_id == interest.id)) or 0
    mark = db.session.get(ThreadRead, (interest.id, user.id))
    if mark is None:
        db.session.add(ThreadRead(interest_id=interest.id, user_id=user.id, last_read_message_id=newest))
    elif mark.last_read_message_id < newest:
        mark.last_read_message_id = newest


def unread_counts(user: User, interest_ids) -> dict[int, int]:
    """Unread messages per thread for the user (messages of others after what the user last saw)."""
    interest_ids = list(interest_ids)
    if not interest_ids:
        return {}
    last_read = db.select(ThreadRead.interest_id, ThreadRead.last_read_message_id).where(
        ThreadRead.user_id == user.id).subquery()
    rows = db.session.execute(
        db.select(NegotiationMessage.interest_id, db.func.count())
        .outerjoin(last_read, last_read.c.interest_id == NegotiationMessage.interest_id)
        .where(NegotiationMessage.interest_id.in_(interest_ids), NegotiationMessage.sender_id != user.id,
               NegotiationMessage.id > db.func.coalesce(last_read.c.last_read_message_id, 0))
        .group_by(NegotiationMessage.interest_id)).all()
    return dict(rows)


def record_staff_reading(interest: Interest, staff: User) -> None:
    """Staff oversight reading of a thread is itself audited."""
    audit.record("view_negotiation", actor=staff, project=interest.project, subject=interest)


DOCKING_FIELDS = ("company_name", "address", "uscc", "field", "legal_rep", "registered_capital_wan",
                  "registered_on", "high_tech", "specialised", "contact_name", "contact_phone", "overview",
                  "project_name", "applicant", "progress_work", "progress_stage", "progress_investment",
                  "progress_equipment", "progress_production", "progress_other", "cooperation_modes")


def _other_side(interest: Interest, actor: User) -> list[User]:
    if interest.is_member(actor):
        return [interest.project.owner]
    return [u for u in interest.organisation.members if u.active]


def record_agreement(interest: Interest, actor: User, cooperation_modes: list[str], amount_wan: Decimal | None,
                     signed_on: date, summary: str, contract) -> Agreement:
    """Record the signed cooperation with its contract (PDF); the other side must confirm."""
    require(interest.can_record_signing(actor), _("只有洽谈中的双方可以登记签约"))
    if not cooperation_modes:
        raise ServiceError(_("请选择合作方式"))
    if contract is None or not getattr(contract, "filename", "").lower().endswith(".pdf"):
        raise ServiceError(_("请上传已签署合同的 PDF 文件"))
    agreement = interest.agreement
    if agreement is not None:
        check(agreement, SIGNING, "record", actor)
    stored, original, _content_type, _size = save_file(contract, f"contracts/{interest.id}")  # checks %PDF
    first = agreement is None
    if first:
        agreement = Agreement(interest=interest, status=AgreementStatus.AWAITING)
    agreement.recorded_by_id = actor.id
    agreement.cooperation_modes = list(cooperation_modes)
    agreement.amount_wan = amount_wan
    agreement.signed_on = signed_on
    agreement.summary = summary.strip()
    agreement.contract_stored_name = stored
    agreement.contract_original_name = original
    agreement.dispute_note = ""
    if first:
        db.session.add(agreement)
        db.session.flush()
        audit.record("record_agreement", actor=actor, project=interest.project, subject=agreement,
                     to_state=AgreementStatus.AWAITING.value, comment=summary[:200])
    else:  # recorded again: a correction (after a dispute, or of one's own record)
        move(agreement, SIGNING, "record", actor, comment=summary[:200])
    tell(_other_side(interest, actor), "signing_awaiting", path_for("deals.signing", interest_id=interest.id),
         project=interest.project.display_name)
    return agreement


def confirm_agreement(agreement: Agreement, actor: User) -> None:
    """The other side confirms: the interest and the project are signed, and staff are told."""
    interest = agreement.interest
    # One confirmation moves three things; each is checked before any of them moves.
    check(agreement, SIGNING, "confirm", actor)
    check(interest, INTEREST, "sign", actor)
    check(interest.project, project_service.LIFE, "sign", actor)
    move(agreement, SIGNING, "confirm", actor)
    agreement.confirmed_by_id = actor.id
    move(interest, INTEREST, "sign", actor)
    project_service.sign_project(interest.project, actor, comment=interest.organisation.name)
    link = path_for("deals.thread", interest_id=interest.id)
    names = {"project": interest.project.display_name, "org": interest.organisation.name}
    tell([interest.project.owner, *[u for u in interest.organisation.members if u.active]], "signed", link, **names)
    tell_staff("signed_staff", link, **names)


def dispute_agreement(agreement: Agreement, actor: User, note: str) -> None:
    """The other side does not confirm what was recorded; the recorder may correct and record again."""
    check(agreement, SIGNING, "dispute", actor)
    if agreement.interest.status is not I.ACCEPTED:
        raise TransitionError(_("当前状态（%(state)s）下不能执行此操作", state=agreement.interest.status.label))
    move(agreement, SIGNING, "dispute", actor, comment=note)
    agreement.dispute_note = note.strip()
    tell(_other_side(agreement.interest, actor), "signing_disputed",
         path_for("deals.signing", interest_id=agreement.interest.id), project=agreement.interest.project.display_name,
         note=note.strip())


def start_docking_form(interest: Interest, actor: User) -> DockingForm:
    """附件2 for a signed interest, prefilled from the organisation's profile and the agreement."""
    require(interest.can_file_docking_form(actor), _("只有签约企业可以填报对接表"))
    if interest.docking_form is not None:
        return interest.docking_form
    form = prefilled_docking_form(interest, actor)
    form.interest = interest
    db.session.add(form)
    db.session.flush()
    audit.record("start_docking_form", actor=actor, project=interest.project, subject=form)
    return form


def prefilled_docking_form(interest: Interest, actor: User) -> DockingForm:
    """An unsaved 附件2 filled from the organisation's profile and the agreement (what the form page shows first)."""
    organisation = interest.organisation
    project = interest.project
    return DockingForm(
        interest_id=interest.id, status=DockingStatus.DRAFT,
        company_name=organisation.name, address=organisation.address, uscc=organisation.uscc,
        field=organisation.field, legal_rep=organisation.legal_rep,
        registered_capital_wan=organisation.registered_capital_wan, registered_on=organisation.registered_on,
        high_tech=organisation.high_tech, specialised=Specialised.coerce(organisation.specialised),
        contact_name=organisation.contact_name or actor.name, contact_phone=organisation.contact_phone or actor.phone,
        overview=organisation.overview, project_name=project.name,
        applicant="　".join(filter(None, [project.owner.institution, project.department, project.lead_name])),
        cooperation_modes=list(interest.agreement.cooperation_modes if interest.agreement else []),
        progress_stage=project.stage_text)


def _refuse_if_locked(form: DockingForm) -> None:
    if form.is_locked:
        raise TransitionError(str(LOCKED))


def _docking_link(form: DockingForm) -> str:
    return path_for("deals.docking", interest_id=form.interest_id)


def _filers(form: DockingForm) -> list[User]:
    return [u for u in form.interest.organisation.members if u.active]


def save_docking_form(form: DockingForm, actor: User, values: dict, file: bool) -> None:
    """Save 附件2; filing it (first time, or again after a return) tells the station staff."""
    _refuse_if_locked(form)
    require(form.can_edit(actor), _("只有签约企业可以填报对接表"))
    for name in DOCKING_FIELDS:
        if name in values:
            setattr(form, name, values[name])
    if not (file and form.status in (D.DRAFT, D.RETURNED)):  # saved, or a filed form corrected
        audit.record("save_docking_form", actor=actor, project=form.project, subject=form,
                     to_state=form.status.value)
        return
    move(form, DOCKING, "file", actor)
    form.filed_by_id = actor.id
    tell_staff("docking_filed", _docking_link(form), project=form.project_name, org=form.company_name)


def acknowledge_docking_form(form: DockingForm, actor: User, comment: str = "") -> None:
    """Staff acknowledge a filed 附件2 (已确认): from now on it is locked; the filers and the project owner are told."""
    _refuse_if_locked(form)
    move(form, DOCKING, "acknowledge", actor, comment=(comment or "").strip())
    form.acknowledged_by_id = actor.id
    form.return_comment = ""
    names = {"project": form.project_name or form.project.display_name, "org": form.company_name}
    tell(_filers(form), "docking_acknowledged", _docking_link(form), comment=(comment or "").strip(), **names)
    tell(form.project.owner, "docking_acknowledged_owner", _link(form.interest), **names)


def return_docking_form(form: DockingForm, actor: User, comment: str) -> None:
    """Staff return a filed 附件2 for correction (退回修改) with a comment the filers read beside the form."""
    _refuse_if_locked(form)
    move(form, DOCKING, "return", actor, comment=comment)
    form.returned_by_id = actor.id
    form.return_comment = comment.strip()
    tell(_filers(form), "docking_returned", _docking_link(form), project=form.project_name or form.project.display_name,
         comment=comment.strip())


def upload_docking_scan(form: DockingForm, actor: User, storage) -> None:
    """Keep the signed and stamped scan (PDF or picture) with 附件2 (replacing an earlier one); the other side is told."""
    _refuse_if_locked(form)
    require(form.can_upload_scan(actor), _("只有签约企业和创新服务站可以上传盖章扫描件"))
    stored, original, content_type, size = save_file(storage, "docking", allowed=SCAN_TYPES)
    form.scan_stored_name, form.scan_original_name = stored, original
    form.scan_content_type, form.scan_size = content_type, size
    form.scan_uploaded_at, form.scan_uploaded_by_id = utcnow(), actor.id
    audit.record("upload_docking_scan", actor=actor, project=form.project, subject=form, to_state=form.status.value,
                 comment=original)
    names = {"project": form.project_name or form.project.display_name, "name": original}
    if form.interest.is_member(actor):
        tell_staff("docking_scan_uploaded", _docking_link(form), org=form.company_name, **names)
    else:
        tell(_filers(form), "docking_scan_uploaded_by_staff", _docking_link(form), **names)


def docking_forms() -> list[DockingForm]:
    """Every docking form for the staff list: those waiting for the station's answer first, then newest first."""
    waiting = db.case((DockingForm.status == D.FILED, 0), else_=1)
    return db.session.scalars(db.select(DockingForm).order_by(waiting, DockingForm.updated_at.desc())).all()


INTENT_FIELDS = ("title", "description", "keywords", "fields", "device_classes", "stages", "cooperation_modes",
                 "budget_min_wan", "budget_max_wan", "region_preference")

EDITABLE_INTENT_STATES = (IntentStatus.ACTIVE, IntentStatus.PAUSED)
INTENT_ENUM_LISTS = {"device_classes": DeviceClass, "stages": Stage, "cooperation_modes": CooperationMode}


def intents_of(organisation: Organisation, status: IntentStatus | None = None) -> list[Intent]:
    """The organisation's intents, newest first (optionally only those in one status)."""
    query = db.select(Intent).where(Intent.organisation_id == organisation.id)
    if status is not None:
        query = query.where(Intent.status == status)
    return list(db.session.scalars(query.order_by(Intent.created_at.desc(), Intent.id.desc())))


def intent_counts(organisation: Organisation) -> dict[IntentStatus, int]:
    """How many of the organisation's intents are in each status (zeros included)."""
    rows = db.session.execute(db.select(Intent.status, db.func.count()).where(
        Intent.organisation_id == organisation.id).group_by(Intent.status)).all()
    return {s: 0 for s in IntentStatus} | dict(rows)


def intent_changed(intent: Intent, previous_status: IntentStatus | None = None) -> None:
    """An intent's content or status changed: suggestions are refreshed after the commit if matching reads it."""
    refresh_for_intent(intent, previous_status)


def _clean_intent_values(values: dict) -> dict:
    """Keep known fields, known enum values; refuse a budget whose lower bound exceeds the upper."""
    clean = {name: values[name] for name in INTENT_FIELDS if name in values}
    known = {name: [m.value for m in enum_cls] for name, enum_cls in INTENT_ENUM_LISTS.items()}
    known["fields"] = list(field_labels())
    for name, members in known.items():
        if name in clean:
            unknown = set(clean[name] or []) - set(members)
            if unknown:
                raise ServiceError(_("未知的选项：%(values)s", values="、".join(sorted(unknown))))
            clean[name] = [v for v in members if v in clean[name]]  # catalog order, no duplicates
    if "keywords" in clean:
        clean["keywords"] = list(dict.fromkeys(k.strip() for k in clean["keywords"] or [] if k.strip()))
    if "region_preference" in clean:
        clean["region_preference"] = RegionPreference(clean["region_preference"])
    if "title" in clean and not (clean["title"] or "").strip():
        raise ServiceError(_("请填写意向名称"))
    low, high = clean.get("budget_min_wan"), clean.get("budget_max_wan")
    for amount in (low, high):
        if amount is not None and amount < 0:
            raise ServiceError(_("预算不能为负数"))
    if low is not None and high is not None and low > high:
        raise ServiceError(_("预算上限不能低于下限"))
    return clean


def create_intent(organisation: Organisation, actor, values: dict) -> Intent:
    """Post a new active intent for a verified organisation."""
    require(may_manage_intents(organisation, actor), _("只有已认证机构的成员可以发布投资意向"))
    intent = Intent(organisation=organisation, status=IntentStatus.ACTIVE, **_clean_intent_values(values))
    db.session.add(intent)
    db.session.flush()
    audit.record("create_intent", actor=actor, subject=intent, to_state=IntentStatus.ACTIVE.value,
                 comment=intent.title)
    intent_changed(intent)
    return intent


def update_intent(intent: Intent, actor, values: dict) -> Intent:
    """Change an intent that is not closed."""
    require(intent.can_edit(actor), _("只有本机构已认证的成员可以修改投资意向"))
    if intent.status not in EDITABLE_INTENT_STATES:
        raise TransitionError(_("已关闭的投资意向不能修改"))
    for name, value in _clean_intent_values(values).items():
        setattr(intent, name, value)
    audit.record("update_intent", actor=actor, subject=intent, comment=intent.title)
    intent_changed(intent)
    return intent


def set_intent_status(intent: Intent, actor, status: IntentStatus) -> Intent:
    """Pause, resume or close an intent; closed is final."""
    action = action_between(INTENT, intent.status, status)
    if action is None:
        raise TransitionError(_("投资意向当前为“%(state)s”，不能改为“%(target)s”",
                                state=intent.status.label, target=status.label))
    previous = intent.status
    move(intent, INTENT, action, actor)
    intent_changed(intent, previous)
    return intent
