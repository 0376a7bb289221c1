"""Writing the audit trail. Rows are only ever added: there is no update or delete here or elsewhere."""
from __future__ import annotations

from app.extensions import db
from app.models import AuditEvent


def record(action: str, actor=None, project=None, subject=None, from_state: str = "",
           to_state: str = "", comment: str = "") -> AuditEvent:
    """Add one audit row in the caller's transaction."""
    if hasattr(subject, "_get_current_object"):  # current_user is a proxy
        subject = subject._get_current_object()
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        project_id=getattr(project, "id", None),
        subject_type=type(subject).__tablename__ if subject is not None else "project",
        subject_id=getattr(subject, "id", None) if subject is not None else getattr(project, "id", None),
        from_state=from_state,
        to_state=to_state,
        comment=comment or "",
    )
    db.session.add(event)
    return event


# Reading is audited too, but a project's history shows what was done to it, not who looked.
VIEW_ACTIONS = ("view_partner", "view_partner_attachment", "view_negotiation", "export_docx")


def project_history(project) -> list[AuditEvent]:
    """What was done to the project (not who viewed it), oldest first."""
    return db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action.not_in(VIEW_ACTIONS))
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()
