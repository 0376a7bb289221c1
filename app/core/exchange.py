"""DESIGN.md's data exchange contract for a project record: its keys in order and the record of one project.

The national report (app/reporting/exports.py), the matching edge (app/suggestions/) and the importer read it from here.
"""
from __future__ import annotations

from app.projects.models import ENUM_FIELDS

# DESIGN.md "Data exchange contract", the project record, in its order.
EXCHANGE_KEYS = (
    "id", "name", "city", "lead_name", "department", "phone", "email", "project_type", "device_class", "stage",
    "stage_other", "structure", "principle", "intended_use", "clinical_prospects", "market", "team", "ip_status",
    "funded_programs", "current_cooperation", "partners_in_province", "partners_out_of_province", "other_notes",
    "commitment_agreed", "publish_consent", "public_summary",
)


def exchange_record(project) -> dict:
    """A project as DESIGN.md's exchange record: exactly its keys, options as codes."""
    record = {}
    for key in EXCHANGE_KEYS:
        value = getattr(project, key)
        if key in ENUM_FIELDS:
            value = value.value if value is not None else None
        elif key in BOOLEAN_FIELDS:
            value = None if value is None else bool(value)
        elif key != "id":
            value = value or ""
        record[key] = value
    return record


BOOLEAN_FIELDS = ("commitment_agreed", "publish_consent")
