"""Who may act in the programme services, and what a request still lacks before it can be sent.

Predicates take (user, obj), as the state machine calls them.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.accounts.rules import is_staff
from app.projects.models import ProjectStatus
from app.projects.rules import has_partner_access, is_owner
from app.programme.kinds import spec
from app.programme.models import RequestKind

# A project that was turned down or withdrawn takes no more requests.
CLOSED_PROJECT_STATES = (ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN)


def is_project_side(user, project) -> bool:
    """The project's clinician, or a member of an organisation whose interest the clinician accepted."""
    return bool(user and user.is_authenticated) and (is_owner(user, project) or has_partner_access(project, user))


def may_open_request(user, project) -> bool:
    """The clinician, a partner enterprise, or staff on their behalf, on a project still alive."""
    return project.status not in CLOSED_PROJECT_STATES and (is_staff(user) or is_project_side(user, project))


def is_party(user, request) -> bool:
    """Who sees a request and its documents: the project's side, staff, and (later) its provider's members."""
    if not (user and user.is_authenticated):
        return False
    if is_staff(user) or is_project_side(user, request.project):
        return True
    provider = request.provider
    return bool(provider and provider.owner_organisation_id and user.organisation_id == provider.owner_organisation_id)


def is_applicant(user, request) -> bool:
    """The project's side, or staff acting for them: who fills in, submits and supplements."""
    return is_staff(user) or is_project_side(user, request.project)


def is_handler(user, request) -> bool:
    """Who works the request through: staff (a provider's own account later)."""
    return is_staff(user)


def not_yet_accepted(user, request) -> bool:
    """An applicant, on a request the station has not accepted yet (a resubmission goes back to the queue)."""
    return is_applicant(user, request) and request.accepted_at is None


def accepted_before(user, request) -> bool:
    """An applicant, on a request the station had accepted (a supplement goes back to its desk)."""
    return is_applicant(user, request) and request.accepted_at is not None


def missing(request) -> list[str]:
    """What the request still lacks before it can be sent (empty when complete), in words."""
    kind_spec = spec(request.kind)
    values = request.fields or {}
    gaps = []
    for f in kind_spec.fields:
        value = values.get(f.name)
        if f.required and (value is None or str(value).strip() == ""):
            gaps.append(_("填写“%(field)s”", field=f.label))
        elif f.type == "number" and value not in (None, ""):
            try:
                if Decimal(str(value)) < 0:
                    gaps.append(_("“%(field)s”不能为负数", field=f.label))
            except InvalidOperation:
                gaps.append(_("“%(field)s”须为数字", field=f.label))
    have = {d.requirement for d in request.documents}
    gaps += [_("上传“%(doc)s”", doc=d.label) for d in kind_spec.documents if d.required and d.key not in have]
    if kind_spec.needs_provider and request.provider_id is None:
        gaps.append(_("选择检验机构（省药检院或服务资源目录中的机构）"))
    if request.kind is RequestKind.CONSULTATION and request.slot_at is None:
        gaps.append(_("选择预约时段"))
    if request.kind is RequestKind.SPECIAL_REVIEW:
        if values.get("patent_state") in ("filed", "none"):
            gaps.append(_("特别审查要求核心技术已取得中国发明专利授权，或专利申请已公开"))
        if values.get("design_finalised") == "no":
            gaps.append(_("特别审查要求已具有基本定型产品"))
    return gaps
