"""Who may act on a signed project's incubation: staff assess; the parties and staff keep the milestones.

Predicates take (user, obj), as the state machine calls them.
"""
from __future__ import annotations

from app.projects import rules as project_rules
from app.projects.models import ProjectStatus

# Assessments and milestones belong to projects that were signed.
TRACKED_STATES = (ProjectStatus.SIGNED, ProjectStatus.INCUBATING, ProjectStatus.LAUNCHED)


def may_update_milestones(user, project) -> bool:
    """The clinician, the signing organisation's members and staff keep a signed project's timeline."""
    return project.status in TRACKED_STATES and project_rules.may_track(user, project)


def may_update_milestone(user, milestone) -> bool:
    """May update this milestone: one of the people who keep its project's timeline."""
    return may_update_milestones(user, milestone.project)
