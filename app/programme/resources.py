"""Service resources (服务资源): the directory staff keep, its search, and providers suggested for a project."""
from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import User
from app.accounts.rules import is_staff
from app.core import audit
from app.core.errors import ValidationError, require
from app.core.models import utcnow
from app.extensions import db
from app.incubation.models import MilestoneKind, MilestoneStatus
from app.incubation.operations import milestones_of
from app.incubation.rules import TRACKED_STATES
from app.programme.models import Provider, ProviderKind
from app.projects.models import ProjectType, Stage

FIELDS = ("name", "kind", "services", "scope_types", "qualifications", "filing_number", "region", "contact_name",
          "phone", "email", "address", "website", "turnaround", "price_range", "active")

# The next step of a project, and the providers that help with it.
MILESTONE_PROVIDERS = {
    MilestoneKind.FINALISATION: (ProviderKind.ENGINEERING, ProviderKind.CMO),
    MilestoneKind.REGISTRATION_TESTING: (ProviderKind.TESTING,),
    MilestoneKind.TRIAL_START: (ProviderKind.CLINICAL_SITE,),
    MilestoneKind.TRIAL_DONE: (ProviderKind.CLINICAL_SITE,),
    MilestoneKind.REGISTRATION_FILED: (ProviderKind.REGULATORY,),
    MilestoneKind.APPROVED: (ProviderKind.REGULATORY,),
    MilestoneKind.PRODUCTION_LICENCE: (ProviderKind.CMO,),
    MilestoneKind.PRICING_INSURANCE: (ProviderKind.FINANCE,),
    MilestoneKind.HOSPITAL_USE: (ProviderKind.FINANCE,),
}
# Before signing, the project's stage (附件1 项目所处阶段) says what comes next.
STAGE_PROVIDERS = {
    Stage.CONCEPT: (ProviderKind.PROOF_OF_CONCEPT, ProviderKind.IP),
    Stage.SAMPLE: (ProviderKind.ENGINEERING, ProviderKind.ANIMAL),
    Stage.DESIGN_VERIFICATION: (ProviderKind.TESTING, ProviderKind.ANIMAL),
    Stage.PRODUCTION_VERIFICATION: (ProviderKind.CMO, ProviderKind.TESTING),
    Stage.REGISTRATION_TESTING: (ProviderKind.TESTING,),
    Stage.CLINICAL_TRIAL: (ProviderKind.CLINICAL_SITE, ProviderKind.REGULATORY),
    Stage.OTHER: (ProviderKind.REGULATORY,),
}


def _clean(data: dict) -> dict:
    values = {name: data[name] for name in FIELDS if name in data}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        raise ValidationError(_("请填写机构名称"), field="name")
    values["kind"] = ProviderKind.coerce(values.get("kind"))
    if values["kind"] is None:
        raise ValidationError(_("请选择服务类别"), field="kind")
    values["scope_types"] = [ProjectType(v).value for v in values.get("scope_types") or []]
    return values


def create_provider(staff: User, data: dict) -> Provider:
    """Add a provider to the directory."""
    require(is_staff(staff), _("只有服务站工作人员可以维护服务资源目录"))
    provider = Provider(updated_by_id=staff.id, **_clean(data))
    db.session.add(provider)
    db.session.flush()
    audit.record("create_provider", actor=staff, subject=provider, comment=provider.name)
    return provider


def update_provider(provider: Provider, staff: User, data: dict) -> None:
    require(is_staff(staff), _("只有服务站工作人员可以维护服务资源目录"))
    values = _clean(data)
    changed = [name for name, value in values.items() if getattr(provider, name) != value]
    for name in changed:
        setattr(provider, name, values[name])
    provider.updated_by_id, provider.updated_at = staff.id, utcnow()
    audit.record("update_provider", actor=staff, subject=provider, comment=", ".join(changed))


def find_providers(kind: ProviderKind | None = None, region: str = "", query: str = "",
                   include_inactive: bool = False) -> list[Provider]:
    """The directory, filtered by kind and region and searched by words in name, services, qualifications."""
    statement = db.select(Provider)
    if not include_inactive:
        statement = statement.where(Provider.active.is_(True))
    if kind is not None:
        statement = statement.where(Provider.kind == kind)
    if region.strip():
        statement = statement.where(Provider.region.contains(region.strip()))
    for word in query.split()[:8]:
        pattern = f"%{word}%"
        statement = statement.where(db.or_(Provider.name.ilike(pattern), Provider.services.ilike(pattern),
                                           Provider.qualifications.ilike(pattern), Provider.region.ilike(pattern)))
    return db.session.scalars(statement.order_by(Provider.kind, Provider.name)).all()


def regions() -> list[str]:
    return sorted({r for r in db.session.scalars(db.select(Provider.region).where(Provider.active.is_(True))) if r})


def next_step(project) -> tuple[str, tuple[ProviderKind, ...]]:
    """The project's next step in words and the provider kinds that serve it."""
    if project.status in TRACKED_STATES:
        for milestone in milestones_of(project):
            if milestone.status in (MilestoneStatus.NOT_STARTED, MilestoneStatus.IN_PROGRESS):
                return milestone.kind.label, MILESTONE_PROVIDERS[milestone.kind]
        return "", ()
    if project.stage is None:
        return "", (ProviderKind.PROOF_OF_CONCEPT,)
    return project.stage.label, STAGE_PROVIDERS.get(project.stage, ())


def suggested_providers(project, limit: int = 6) -> tuple[str, list[Provider]]:
    """Providers for the project's next milestone; testing ones only when their scope covers its type."""
    step, kinds = next_step(project)
    if not kinds:
        return step, []
    candidates = db.session.scalars(db.select(Provider).where(Provider.active.is_(True), Provider.kind.in_(kinds))
                                    .order_by(Provider.name)).all()
    kind_value = project.project_type.value if project.project_type else None

    def covers(provider: Provider) -> bool:
        return not provider.scope_types or kind_value is None or kind_value in provider.scope_types

    chosen = [p for p in candidates if covers(p)]
    chosen.sort(key=lambda p: (kinds.index(p.kind), not p.scope_types, p.name))
    return step, chosen[:limit]
