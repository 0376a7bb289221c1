"""Writing the audit trail, and the guard that keeps it append-only.

The guard is installed when this module is imported (the app factory imports it): an AuditEvent changed or
deleted through the ORM raises, and so does an ORM UPDATE/DELETE statement aimed at the audit_event table.
"""
from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.core.models import AuditEvent
from app.extensions import db


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

# Records of reading: the only rows a GET request may add (see unit_of_work.py).
READING_ACTIONS = (*VIEW_ACTIONS, "report_download", "audit_export")


def project_history(project) -> list[AuditEvent]:
    """What was done to the project (not who viewed it), oldest first."""
    return db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action.not_in(VIEW_ACTIONS))
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()


class AuditImmutableError(RuntimeError):
    """Audit rows are only ever added."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    session = db.inspect(target).session
    if session is None or session.is_modified(target, include_collections=False):
        raise AuditImmutableError(f"audit_event {target.id} is append-only: it may not be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditImmutableError(f"audit_event {target.id} is append-only: it may not be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditImmutableError("audit_event is append-only: no UPDATE or DELETE statements")


# The same refusal in the database itself, for raw SQL that bypasses the ORM (psql, a script, a bad migration).
# The migration trust_0002 installs them; db.create_all (tests, a fresh instance without migrations) too.
APPEND_ONLY_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP; END $$",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        # TRUNCATE fires no row trigger; a statement trigger refuses it (TRUNCATE … CASCADE from a parent too).
        "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ),
}
DROP_APPEND_ONLY_TRIGGERS = {
    "sqlite": ("DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_append_only()"),
}


def install_append_only_triggers(connection) -> None:
    for statement in APPEND_ONLY_TRIGGERS.get(connection.dialect.name, ()):
        connection.execute(text(statement))  # text() escapes the % of RAISE for psycopg


def drop_append_only_triggers(connection) -> None:
    """Only for wiping a whole test or scratch database; the application never calls it."""
    for statement in DROP_APPEND_ONLY_TRIGGERS.get(connection.dialect.name, ()):
        connection.execute(text(statement))


@event.listens_for(AuditEvent.__table__, "after_create")
def _install_triggers_after_create(table, connection, **kw):
    install_append_only_triggers(connection)
