"""Signing (签约落地): one side records the cooperation, the other confirms; then the docking form (附件2)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models import Agreement, AgreementStatus, DockingForm, DockingStatus, Interest, Specialised, User, utcnow
from app.services import ServiceError, require
from app.services import audit
from app.services import projects as project_service
from app.services.attachments import save_file
from app.services.interests import move_interest
from app.services.notify import notify_many, notify_staff

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
    stored, original, _content_type, _size = save_file(contract, f"contracts/{interest.id}")  # checks %PDF
    agreement = interest.agreement or Agreement(interest=interest)
    agreement.recorded_by_id = actor.id
    agreement.cooperation_modes = list(cooperation_modes)
    agreement.amount_wan = amount_wan
    agreement.signed_on = signed_on
    agreement.summary = summary.strip()
    agreement.contract_stored_name = stored
    agreement.contract_original_name = original
    agreement.status = AgreementStatus.AWAITING
    agreement.dispute_note = ""
    db.session.add(agreement)
    db.session.flush()
    audit.record("record_agreement", actor=actor, project=interest.project, subject=agreement,
                 to_state=AgreementStatus.AWAITING.value, comment=summary[:200])
    notify_many(_other_side(interest, actor), "signing_awaiting",
                _("请确认签约：%(project)s", project=interest.project.display_name),
                _("对方已登记合作签约信息，请核对后确认。"), url_for("deals.signing", interest_id=interest.id))
    return agreement


def confirm_agreement(agreement: Agreement, actor: User) -> None:
    """The other side confirms: the interest and the project are signed, and staff are told."""
    require(agreement.can_confirm(actor), _("只有另一方可以确认签约"))
    interest = agreement.interest
    agreement.status = AgreementStatus.CONFIRMED
    agreement.confirmed_by_id = actor.id
    agreement.confirmed_at = utcnow()
    audit.record("confirm_agreement", actor=actor, project=interest.project, subject=agreement,
                 from_state=AgreementStatus.AWAITING.value, to_state=AgreementStatus.CONFIRMED.value)
    move_interest(interest, "sign", actor)
    project_service.sign_project(interest.project, actor, comment=interest.organisation.name)
    title = _("签约落地：%(project)s", project=interest.project.display_name)
    body = _("%(org)s 与项目负责人已确认合作签约。", org=interest.organisation.name)
    link = url_for("deals.thread", interest_id=interest.id)
    notify_many([interest.project.owner, *[u for u in interest.organisation.members if u.active]],
                "signed", title, body + _("签约企业请填报《企业意向临床研究成果转化项目对接表》。"), link)
    notify_staff("signed", title, body, link)


def dispute_agreement(agreement: Agreement, actor: User, note: str) -> None:
    """The other side does not confirm what was recorded; the recorder may correct and record again."""
    require(agreement.can_confirm(actor), _("只有另一方可以对签约信息提出异议"))
    if not note.strip():
        raise ServiceError(_("请说明哪里需要更正"))
    agreement.status = AgreementStatus.DISPUTED
    agreement.dispute_note = note.strip()
    audit.record("dispute_agreement", actor=actor, project=agreement.interest.project, subject=agreement,
                 from_state=AgreementStatus.AWAITING.value, to_state=AgreementStatus.DISPUTED.value, comment=note)
    notify_many(_other_side(agreement.interest, actor), "signing_disputed",
                _("签约信息需更正：%(project)s", project=agreement.interest.project.display_name), note,
                url_for("deals.signing", interest_id=agreement.interest.id))


def start_docking_form(interest: Interest, actor: User) -> DockingForm:
    """附件2 for a signed interest, prefilled from the organisation's profile and the agreement."""
    require(interest.can_file_docking_form(actor), _("只有签约企业可以填报对接表"))
    if interest.docking_form is not None:
        return interest.docking_form
    organisation = interest.organisation
    project = interest.project
    form = DockingForm(
        interest=interest, company_name=organisation.name, address=organisation.address, uscc=organisation.uscc,
        field=organisation.field, legal_rep=organisation.legal_rep,
        registered_capital_wan=organisation.registered_capital_wan, registered_on=organisation.registered_on,
        high_tech=organisation.high_tech, specialised=Specialised.coerce(organisation.specialised),
        contact_name=organisation.contact_name or actor.name, contact_phone=organisation.contact_phone or actor.phone,
        overview=organisation.overview, project_name=project.name,
        applicant="　".join(filter(None, [project.owner.institution, project.department, project.lead_name])),
        cooperation_modes=list(interest.agreement.cooperation_modes if interest.agreement else []),
        progress_stage=project.stage_text)
    db.session.add(form)
    db.session.flush()
    audit.record("start_docking_form", actor=actor, project=project, subject=form)
    return form


def save_docking_form(form: DockingForm, actor: User, values: dict, file: bool) -> None:
    """Save 附件2; filing it tells the station staff."""
    require(form.can_edit(actor), _("只有签约企业可以填报对接表"))
    for name in DOCKING_FIELDS:
        if name in values:
            setattr(form, name, values[name])
    was_filed = form.status is DockingStatus.FILED
    if file:
        form.status = DockingStatus.FILED
        form.filed_by_id = actor.id
        form.filed_at = form.filed_at or utcnow()
    audit.record("file_docking_form" if file else "save_docking_form", actor=actor, project=form.interest.project,
                 subject=form, to_state=form.status.value)
    if file and not was_filed:
        notify_staff("docking_filed", _("对接表已报送：%(project)s", project=form.project_name),
                     _("%(org)s 已填报《企业意向临床研究成果转化项目对接表》。", org=form.company_name),
                     url_for("deals.docking", interest_id=form.interest_id))


def docking_forms() -> list[DockingForm]:
    """Every docking form, newest first (staff list)."""
    return db.session.scalars(db.select(DockingForm).order_by(DockingForm.updated_at.desc())).all()
