"""Database models; import from here."""
from app.models.audit import AuditEvent
from app.models.base import LabeledEnum, utcnow
from app.models.deal import (Agreement, AgreementStatus, CooperationMode, DeclineReason, DockingForm,
                             DockingStatus, Intent, IntentStatus, Interest, InterestStatus, NegotiationMessage,
                             Notification, RegionPreference, SavedSearch, Specialised, ThreadRead)
from app.models.incubation import (DEFAULT_WEIGHTS, Assessment, AssessmentScore, AssessmentStatus, Indicator,
                                   Milestone, MilestoneEvidence, MilestoneKind, MilestoneStatus, Recommendation,
                                   ReportBatch, ReportBatchItem, Setting)
from app.models.matching import MatchSuggestion, SuggestionStatus
from app.models.project import (DeviceClass, IpExists, Project, ProjectAttachment, ProjectStatus,
                                ProjectType, Stage, Tier)
from app.models.user import Organisation, OrgStatus, Role, User

__all__ = ["MatchSuggestion", "SuggestionStatus", "DEFAULT_WEIGHTS", "Assessment", "AssessmentScore", "AssessmentStatus", "Indicator", "Milestone",
           "MilestoneEvidence", "MilestoneKind", "MilestoneStatus", "Recommendation", "ReportBatch",
           "ReportBatchItem", "Setting", "Agreement", "AgreementStatus", "CooperationMode", "DeclineReason", "DockingForm", "DockingStatus",
           "Intent", "IntentStatus", "Interest", "InterestStatus", "NegotiationMessage", "Notification",
           "RegionPreference", "SavedSearch", "Specialised", "ThreadRead", "AuditEvent", "DeviceClass", "IpExists", "LabeledEnum", "Organisation", "OrgStatus",
           "Project", "ProjectAttachment", "ProjectStatus", "ProjectType", "Role", "Stage", "Tier",
           "User", "utcnow"]
