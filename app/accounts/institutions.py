"""Hospitals (医疗机构) and the people tied to them: records kept by staff, officers created by staff, clinicians
confirmed by their hospital's officer (or by staff where the hospital has no officer yet), the 院内审核 setting.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts import operations as accounts
from app.accounts.models import (Affiliation, AffiliationStatus, Institution, InstitutionCodeKind, InstitutionLevel,
                                 Role, User)
from app.accounts.rules import is_officer_of, is_staff, officer_institution  # noqa: F401 (re-exported)
from app.core import audit
from app.core.errors import ServiceError, ValidationError, require
from app.core.links import path_for
from app.core.notifications import notice, tell, tell_staff
from app.core.states import Transition, any_of, move
from app.extensions import db

A = AffiliationStatus

INSTITUTION_FIELDS = ("name", "code_kind", "code", "city", "level")


def is_hospital_officer(user, affiliation: Affiliation) -> bool:
    """The officer of the hospital a clinician named (never the clinician's own tie)."""
    return affiliation.user_id != getattr(user, "id", None) and is_officer_of(user, affiliation.institution)


def is_staff_for_unrepresented(user, affiliation: Affiliation) -> bool:
    """Staff decide for a hospital that has no officer yet, or is not listed."""
    return is_staff(user) and (affiliation.institution is None or not affiliation.institution.officers)


may_decide = any_of(is_hospital_officer, is_staff_for_unrepresented)


def is_appointing_staff(user, affiliation: Affiliation) -> bool:
    """Staff, for an officer account's tie to its hospital."""
    return is_staff(user) and affiliation.user.role is Role.INSTITUTION

_DECIDERS = _l("只有该医疗机构的成果转化管理员可以确认（机构尚无管理员时由创新服务站确认）")

# A clinician's tie to a hospital (DESIGN.md: submits projects once their institution, or staff, confirm them).
AFFILIATION = {
    "confirm": Transition({A.PENDING}, A.CONFIRMED, may_decide, audit="confirm_affiliation",
                          stamps=("decided_at",), refusal=_DECIDERS),
    "reject": Transition({A.PENDING}, A.REJECTED, may_decide, audit="reject_affiliation", stamps=("decided_at",),
                         refusal=_DECIDERS, reason=_l("请填写不予确认的理由")),
    "revoke": Transition({A.CONFIRMED}, A.REJECTED, may_decide, audit="revoke_affiliation", stamps=("decided_at",),
                         refusal=_DECIDERS, reason=_l("请填写取消确认的理由（如已调离本院）")),
    "reopen": Transition({A.REJECTED}, A.PENDING, is_staff, audit="reopen_affiliation",
                         refusal=_l("只有创新服务站可以重新开启确认")),
    # an officer's own tie: staff create the account for the hospital and vouch for it
    "appoint": Transition({A.PENDING}, A.CONFIRMED, is_appointing_staff, audit="appoint_officer",
                          stamps=("decided_at",), refusal=_l("只有创新服务站可以任命医疗机构管理员")),
}


# Hospital records ---------------------------------------------------------------------------------------------

def _clean_institution_values(values: dict, institution: Institution | None) -> dict:
    clean = {}
    name = (values.get("name") or "").strip()
    if not name:
        raise ValidationError(_("请输入医疗机构名称"), field="name")
    clean["name"] = name
    try:
        clean["code_kind"] = InstitutionCodeKind.coerce(values.get("code_kind")) or InstitutionCodeKind.USCC
        clean["level"] = InstitutionLevel.coerce(values.get("level")) or InstitutionLevel.UNGRADED
    except ValueError:
        raise ValidationError(_("登记代码类型或医院等级的取值不正确"))
    code = (values.get("code") or "").strip().upper()
    if not code:
        raise ValidationError(_("请输入统一社会信用代码或执业许可证登记号"), field="code")
    clean["code"] = code
    clean["city"] = (values.get("city") or "").strip()
    others = db.select(Institution.id).where(Institution.id != (institution.id if institution else -1))
    if db.session.scalar(others.where(Institution.name == name)) is not None:
        raise ValidationError(_("已有同名医疗机构"), field="name")
    if db.session.scalar(others.where(Institution.code == code)) is not None:
        raise ValidationError(_("该代码已登记为其他医疗机构"), field="code")
    return clean


def create_institution(staff: User, values: dict) -> Institution:
    """Staff add a hospital record."""
    require(is_staff(staff), _("只有创新服务站可以登记医疗机构"))
    institution = Institution(**_clean_institution_values(values, None))
    db.session.add(institution)
    db.session.flush()
    audit.record("create_institution", actor=staff, subject=institution, comment=f"{institution.name} {institution.code}")
    return institution


def update_institution(institution: Institution, staff: User, values: dict) -> list[str]:
    """Staff correct a hospital record; returns the changed field names."""
    require(is_staff(staff), _("只有创新服务站可以修改医疗机构信息"))
    clean = _clean_institution_values(values, institution)
    changed = [name for name in INSTITUTION_FIELDS if getattr(institution, name) != clean[name]]
    for name in changed:
        setattr(institution, name, clean[name])
    if changed:
        audit.record("update_institution", actor=staff, subject=institution, comment=", ".join(changed))
    return changed


def set_internal_review(institution: Institution, officer: User, enabled: bool) -> None:
    """The officer's setting: submitted projects come to the hospital first (院内审核), or go straight to the station."""
    require(is_officer_of(officer, institution), _("只有本院成果转化管理员可以设置院内审核"))
    if institution.internal_review != bool(enabled):
        institution.internal_review = bool(enabled)
        audit.record("set_internal_review", actor=officer, subject=institution, to_state="on" if enabled else "off")


def institutions() -> list[Institution]:
    """Every hospital record, by city then name (the registration choice and the staff list)."""
    return db.session.scalars(db.select(Institution).order_by(Institution.city, Institution.name)).all()


# Officers ----------------------------------------------------------------------------------------------------

def create_officer(institution: Institution, staff: User, email: str, password: str, name: str,
                   phone: str = "") -> User:
    """Staff create an officer account (医疗机构成果转化管理员) for a hospital; one hospital may have several."""
    require(is_staff(staff), _("只有创新服务站可以创建医疗机构管理员账号"))
    if accounts.find_user(email) is not None:
        raise ValidationError(_("该邮箱已注册"), field="email")
    user = User(email=accounts.normalise_email(email), name=name.strip(), phone=(phone or "").strip(),
                role=Role.INSTITUTION, institution=institution.name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    affiliation = Affiliation(user=user, institution=institution, institution_name=institution.name, status=A.PENDING)
    db.session.add(affiliation)
    move(affiliation, AFFILIATION, "appoint", staff, institution.name)
    affiliation.decided_by_id = staff.id
    audit.record("create_officer", actor=staff, subject=user, to_state=Role.INSTITUTION.value,
                 comment=institution.name)
    # Clinicians waiting on staff for this hospital now wait on its officer.
    waiting = pending_of(institution)
    if waiting:
        tell(user, "affiliations_waiting", path_for("institution.dashboard"), n=len(waiting))
    return user


# Clinicians --------------------------------------------------------------------------------------------------

def register_clinician(email: str, password: str, name: str, phone: str, institution_id: int | None,
                       institution_name: str, department: str) -> User:
    """A clinician registers naming their hospital (a record, or free text when not listed); confirmation waits."""
    institution = db.session.get(Institution, institution_id) if institution_id else None
    if institution_id and institution is None:
        raise ValidationError(_("请选择所在医疗机构"), field="institution_id")
    typed = (institution_name or "").strip()
    if institution is None and not typed:
        raise ValidationError(_("未在列表中找到时，请填写医疗机构全称"), field="institution_name")
    user = accounts.register_clinician(email, password, name, phone, institution.name if institution else typed,
                                       department)
    affiliation = Affiliation(user=user, institution=institution, institution_name=institution.name if institution
                              else typed, status=A.PENDING)
    db.session.add(affiliation)
    db.session.flush()
    audit.record("request_affiliation", actor=user, subject=affiliation, to_state=A.PENDING.value,
                 comment=affiliation.hospital_name)
    _tell_deciders(affiliation)
    return user


def _tell_deciders(affiliation: Affiliation) -> None:
    """The hospital's officers, or staff where there is none (or the hospital is not listed), learn who waits."""
    user = affiliation.user
    officers = affiliation.institution.officers if affiliation.institution else []
    if officers:
        tell(officers, "affiliation_requested", path_for("institution.dashboard"), name=user.name,
             hospital=affiliation.hospital_name)
    else:
        tell_staff("affiliation_requested_staff", path_for("institutions.affiliations"), name=user.name,
                   hospital=affiliation.hospital_name)


def confirm_affiliation(affiliation: Affiliation, actor: User, comment: str = "") -> None:
    """The officer (or staff) confirm the clinician works at the hospital: they may now submit and read the library."""
    if affiliation.institution is None:
        raise ValidationError(_("请先为该医务人员选定医疗机构记录"), field="institution_id")
    move(affiliation, AFFILIATION, "confirm", actor, comment)
    affiliation.decided_by_id = actor.id
    affiliation.status_reason = ""
    tell(affiliation.user, "affiliation_confirmed", path_for("projects.mine"), hospital=affiliation.hospital_name)


def reject_affiliation(affiliation: Affiliation, actor: User, reason: str) -> None:
    """The clinician is not (or no longer) at this hospital; they read the reason."""
    action = "revoke" if affiliation.status is A.CONFIRMED else "reject"
    move(affiliation, AFFILIATION, action, actor, reason)
    affiliation.decided_by_id = actor.id
    affiliation.status_reason = (reason or "").strip()
    tell(affiliation.user, "affiliation_rejected", path_for("projects.mine"), hospital=affiliation.hospital_name,
         reason=affiliation.status_reason)


def resolve_affiliation(user: User, staff: User, institution: Institution) -> Affiliation:
    """Staff set the hospital record for a clinician whose hospital was not listed (or was chosen wrongly)."""
    require(is_staff(staff), _("只有创新服务站可以指定医疗机构"))
    require(user.is_clinician, _("只能为医务人员指定医疗机构"))
    affiliation = affiliation_for(user)
    if affiliation.status is A.CONFIRMED:
        raise ServiceError(_("已确认的医务人员不能更换医疗机构；请先取消确认"))
    previous = affiliation.hospital_name
    affiliation.institution = institution
    affiliation.institution_name = institution.name
    affiliation.user.institution = institution.name
    audit.record("resolve_affiliation", actor=staff, subject=affiliation, comment=f"{previous} → {institution.name}")
    if affiliation.status is A.REJECTED:
        move(affiliation, AFFILIATION, "reopen", staff, _("服务站指定医疗机构后重新确认"))
    _tell_deciders(affiliation)
    return affiliation


def affiliation_for(user: User) -> Affiliation:
    """The clinician's tie to a hospital, made pending (hospital unknown) for accounts that have none yet."""
    if user.affiliation is None:
        affiliation = Affiliation(user=user, institution_name=user.institution, status=A.PENDING)
        db.session.add(affiliation)
        db.session.flush()
    return user.affiliation


def pending_of(institution: Institution) -> list[Affiliation]:
    """Clinicians of the hospital waiting for confirmation, the longest-waiting first."""
    return db.session.scalars(
        db.select(Affiliation).join(User, Affiliation.user_id == User.id)
        .where(Affiliation.institution_id == institution.id, Affiliation.status == A.PENDING,
               User.role == Role.CLINICIAN)
        .order_by(Affiliation.created_at, Affiliation.id)).all()


def clinicians_of(institution: Institution) -> list[Affiliation]:
    """Every clinician who named the hospital: pending first, then confirmed, then rejected; by name within."""
    rank = {A.PENDING: 0, A.CONFIRMED: 1, A.REJECTED: 2}
    rows = db.session.scalars(
        db.select(Affiliation).join(User, Affiliation.user_id == User.id)
        .where(Affiliation.institution_id == institution.id, User.role == Role.CLINICIAN)).all()
    return sorted(rows, key=lambda a: (rank[a.status], a.created_at, a.id))


def staff_queue() -> list[tuple[User, Affiliation | None]]:
    """What waits on staff: pending clinicians of hospitals without an officer or not listed, and clinicians
    with no tie at all (accounts from before hospitals were records, or made by a bulk import)."""
    rows = db.session.execute(
        db.select(User, Affiliation).outerjoin(Affiliation, Affiliation.user_id == User.id)
        .where(User.role == Role.CLINICIAN, db.or_(Affiliation.id.is_(None), Affiliation.status == A.PENDING))
        .order_by(User.created_at, User.id)).all()
    return [(user, affiliation) for user, affiliation in rows
            if affiliation is None or affiliation.institution is None or not affiliation.institution.officers]


notice("affiliations_waiting", _l("有 %(n)d 名医务人员待确认"), _l("请在本院工作台确认他们是否为本院人员。"),
       group="organisation")
notice("affiliation_requested", _l("待确认的医务人员：%(name)s（%(hospital)s）"), _l("请确认其是否为本院人员。"),
       group="organisation")
notice("affiliation_requested_staff", _l("待确认的医务人员：%(name)s（%(hospital)s）"),
       _l("该医疗机构尚无成果转化管理员（或未在列表中），请创新服务站核实。"), group="staff")
notice("affiliation_confirmed", _l("%(hospital)s 已确认您的身份"), _l("现在可以提交项目、浏览入选项目库的项目详情。"),
       group="organisation")
notice("affiliation_rejected", _l("%(hospital)s 未确认您的身份"), _l("理由：%(reason)s"),
       _l("如有误，请联系本院科研处或创新服务站。"), group="organisation")
