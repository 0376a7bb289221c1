"""DESIGN.md's data exchange contract for a project record: its keys in order and the record of one project.

The national report (app/reporting/exports.py), the matching edge (app/suggestions/) and the importer read it from here.
"""
from __future__ import annotations

from enum import Enum

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
        if key in OPTION_KEYS:  # an option of the form: its code
            value = value.value if isinstance(value, Enum) else (value or None)
        elif key in BOOLEAN_FIELDS:
            value = None if value is None else bool(value)
        elif key != "id":
            value = value or ""
        record[key] = value
    return record


# Keys whose values are one of the form's options (coded as in the contract), and the yes/no keys.
OPTION_KEYS = ("project_type", "device_class", "stage")
BOOLEAN_FIELDS = ("commitment_agreed", "publish_consent")
