"""The whole database as plain rows, to tell whether a request changed anything."""
from __future__ import annotations

from app.core.models import AuditEvent
from app.extensions import db


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table with every column (counts, updated_at, status_changed_at, read_at …)."""
    return {table.name: [tuple(row) for row in db.session.execute(
                db.select(table).order_by(*table.primary_key.columns)).all()]
            for table in db.metadata.sorted_tables}


def changes(before: dict, after: dict, allowed_audit=()) -> list[str]:
    """What changed between two snapshots, one line per table; audit rows with an allowed action may be added."""
    lines = []
    for name, rows in before.items():
        if name == AuditEvent.__tablename__:
            old = set(rows)
            if not old <= set(after[name]):
                lines.append("audit_event: rows changed or removed")
            action = AuditEvent.__table__.columns.keys().index("action")
            added = sorted({row[action] for row in after[name] if row not in old} - set(allowed_audit))
            if added:
                lines.append(f"audit_event: added {added}")
        elif len(rows) != len(after[name]):
            lines.append(f"{name}: {len(rows)} → {len(after[name])} rows")
        elif rows != after[name]:
            lines.append(f"{name}: values changed")
    return lines
