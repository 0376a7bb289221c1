"""推进会议 (matchmaking meetings): events, invited participants, their selections, the schedule and its outcomes."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import LabeledEnum, StoredFile, UTCDateTime, enum_column, set_labels, utcnow
from app.core.templating import ACTION_STATES
from app.deals.models import DeclineReason, PassReason
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import Organisation, User
    from app.projects.models import Project


class EventStatus(LabeledEnum):
    DRAFT = "draft"
    OPEN = "open"            # invitations out, registration and selection under way
    SCHEDULED = "scheduled"  # the schedule is published: agendas and reminders
    HELD = "held"            # the day is over: outcomes are recorded
    CLOSED = "closed"
    CANCELLED = "cancelled"


set_labels(EventStatus, {EventStatus.DRAFT: _l("筹备中"), EventStatus.OPEN: _l("报名与选择中"),
                         EventStatus.SCHEDULED: _l("日程已发布"), EventStatus.HELD: _l("已举行"),
                         EventStatus.CLOSED: _l("已结束"), EventStatus.CANCELLED: _l("已取消")},
           {EventStatus.DRAFT: "secondary", EventStatus.OPEN: "info", EventStatus.SCHEDULED: "primary",
            EventStatus.HELD: "success", EventStatus.CLOSED: "dark", EventStatus.CANCELLED: "light"})


class Side(LabeledEnum):
    PROJECT = "project"
    ORGANISATION = "organisation"

    @property
    def reasons(self) -> type[LabeledEnum]:
        """The list this side gives its reasons from (DESIGN.md: each from the giver's side)."""
        return DeclineReason if self is Side.PROJECT else PassReason


set_labels(Side, {Side.PROJECT: _l("项目方"), Side.ORGANISATION: _l("企业/投资方")})


class ParticipantStatus(LabeledEnum):
    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


set_labels(ParticipantStatus, {ParticipantStatus.INVITED: _l("待回复"), ParticipantStatus.CONFIRMED: _l("确认参会"),
                               ParticipantStatus.DECLINED: _l("不参会"), ParticipantStatus.ATTENDED: _l("已签到"),
                               ParticipantStatus.NO_SHOW: _l("未到场")},
           {ParticipantStatus.INVITED: "warning", ParticipantStatus.CONFIRMED: "info",
            ParticipantStatus.DECLINED: "secondary", ParticipantStatus.ATTENDED: "success",
            ParticipantStatus.NO_SHOW: "danger"})

ATTENDING = (ParticipantStatus.CONFIRMED, ParticipantStatus.ATTENDED, ParticipantStatus.NO_SHOW)


class Mark(LabeledEnum):
    WANT = "want"
    OPEN = "open"
    NO = "no"


set_labels(Mark, {Mark.WANT: _l("想见"), Mark.OPEN: _l("可以"), Mark.NO: _l("不见")},
           {Mark.WANT: "success", Mark.OPEN: "info", Mark.NO: "secondary"})


class PairRule(LabeledEnum):
    ADD = "add"    # 服务站推荐: the pair is scheduled as if both sides wanted it
    VETO = "veto"  # never scheduled


set_labels(PairRule, {PairRule.ADD: _l("服务站推荐"), PairRule.VETO: _l("服务站否决")},
           {PairRule.ADD: "danger", PairRule.VETO: "dark"})


class MeetingKind(LabeledEnum):
    MUTUAL = "mutual"
    ONE_SIDED = "one_sided"
    STAFF = "staff"


set_labels(MeetingKind, {MeetingKind.MUTUAL: _l("双向想见"), MeetingKind.ONE_SIDED: _l("单向想见"),
                         MeetingKind.STAFF: _l("服务站安排")},
           {MeetingKind.MUTUAL: "success", MeetingKind.ONE_SIDED: "info", MeetingKind.STAFF: "danger"})


class AppointmentStatus(LabeledEnum):
    PLANNED = "planned"      # the solver's proposal: a re-run replaces it
    CONFIRMED = "confirmed"  # placed by staff or published: a re-run keeps it
    HELD = "held"
    MISSED = "missed"        # a side did not come
    REMOVED = "removed"


set_labels(AppointmentStatus, {AppointmentStatus.PLANNED: _l("拟安排"), AppointmentStatus.CONFIRMED: _l("已确认"),
                               AppointmentStatus.HELD: _l("已洽谈"), AppointmentStatus.MISSED: _l("未举行"),
                               AppointmentStatus.REMOVED: _l("已移除")},
           {AppointmentStatus.PLANNED: "warning", AppointmentStatus.CONFIRMED: "primary",
            AppointmentStatus.HELD: "success", AppointmentStatus.MISSED: "danger",
            AppointmentStatus.REMOVED: "light"})

ACTIVE_APPOINTMENTS = (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED, AppointmentStatus.HELD,
                       AppointmentStatus.MISSED)


class Outcome(LabeledEnum):
    CONTINUE = "continue"
    STOP = "stop"


set_labels(Outcome, {Outcome.CONTINUE: _l("继续洽谈"), Outcome.STOP: _l("暂不继续")},
           {Outcome.CONTINUE: "success", Outcome.STOP: "secondary"})
ACTION_STATES["appointment_outcome"] = Outcome  # the audit row records one side's outcome, not the appointment's state


class MeetingEvent(db.Model):
    """One 推进会议: when and where, its slots and tables, its deadlines."""

    __tablename__ = "meeting_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(db.String(200))
    organiser: Mapped[str] = mapped_column(db.String(200), default="")
    description: Mapped[str] = mapped_column(db.Text, default="")
    venue: Mapped[str] = mapped_column(db.String(300), default="")
    online_url: Mapped[str] = mapped_column(db.String(500), default="")
    table_label: Mapped[str] = mapped_column(db.String(20), default="")  # 洽谈桌 / 会议室
    tables: Mapped[int] = mapped_column(default=1)
    registration_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    selection_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT, index=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    schedule_report: Mapped[dict] = mapped_column(db.JSON, default=dict)   # the last build's report
    unscheduled: Mapped[list] = mapped_column(db.JSON, default=list)       # the last build's unplaced pairs

    slots: Mapped[list["MeetingSlot"]] = relationship(back_populates="event", order_by="MeetingSlot.starts_at",
                                                      cascade="all, delete-orphan")
    participants: Mapped[list["Participant"]] = relationship(back_populates="event", order_by="Participant.id")
    attachments: Mapped[list["EventAttachment"]] = relationship(back_populates="event", order_by="EventAttachment.id")

    @property
    def table_name(self) -> str:
        return self.table_label or str(_l("洽谈桌"))

    @property
    def starts_at(self) -> datetime | None:
        return self.slots[0].starts_at if self.slots else None

    @property
    def ends_at(self) -> datetime | None:
        return self.slots[-1].ends_at if self.slots else None


class MeetingSlot(db.Model):
    """One time slot of an event: every table holds one meeting in it."""

    __tablename__ = "meeting_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    event: Mapped[MeetingEvent] = relationship(back_populates="slots")


class EventAttachment(StoredFile, db.Model):
    """A file of the event for its participants (agenda, policy briefing)."""

    __tablename__ = "meeting_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)

    event: Mapped[MeetingEvent] = relationship(back_populates="attachments")


class Participant(db.Model):
    """An invited project (its owner answers) or organisation (its members answer) of one event."""

    __tablename__ = "meeting_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side))
    project_id: Mapped[int | None] = mapped_column(db.ForeignKey("project.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    status: Mapped[ParticipantStatus] = mapped_column(enum_column(ParticipantStatus),
                                                      default=ParticipantStatus.INVITED, index=True)
    attendees: Mapped[list] = mapped_column(db.JSON, default=list)     # [{name, title, phone}]
    cap: Mapped[int | None] = mapped_column()                          # the most meetings wanted
    unavailable: Mapped[list] = mapped_column(db.JSON, default=list)   # slot ids
    invited_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    selected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    day_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[MeetingEvent] = relationship(back_populates="participants")
    project: Mapped["Project | None"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation | None"] = relationship()  # noqa: F821

    # project_id / organisation_id first: the naming convention names a unique constraint after its first column
    __table_args__ = (db.UniqueConstraint("project_id", "event_id"), db.UniqueConstraint("organisation_id", "event_id"))

    @property
    def name(self) -> str:
        return self.project.display_name if self.side is Side.PROJECT else self.organisation.name

    @property
    def solver_id(self) -> str:
        return ("p" if self.side is Side.PROJECT else "o") + str(self.id)

    @property
    def is_attending(self) -> bool:
        return self.status in ATTENDING

    def users(self) -> list["User"]:  # noqa: F821
        """The accounts that act for this participant: the project's owner, or the organisation's members."""
        if self.side is Side.PROJECT:
            return [self.project.owner] if self.project.owner.active else []
        return [u for u in self.organisation.members if u.active]

    def is_acting_user(self, user) -> bool:
        if not (user and user.is_authenticated):
            return False
        if self.side is Side.PROJECT:
            return user.id == self.project.owner_id
        return user.organisation_id == self.organisation_id and user.is_verified


class Selection(db.Model):
    """One participant's mark on a counterpart of the other side (想见/可以/不见), with a rank among the wants."""

    __tablename__ = "meeting_selection"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)
    from_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"), index=True)
    to_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"), index=True)
    mark: Mapped[Mark] = mapped_column(enum_column(Mark))
    rank: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (db.UniqueConstraint("from_id", "to_id"),)


class StaffPair(db.Model):
    """A pair staff add (服务站推荐) or veto, whatever the two sides marked."""

    __tablename__ = "meeting_staff_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)
    project_participant_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"))
    organisation_participant_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"))
    rule: Mapped[PairRule] = mapped_column(enum_column(PairRule))
    decided_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (db.UniqueConstraint("project_participant_id", "organisation_participant_id"),)


class Appointment(db.Model):
    """One 1:1 meeting of the schedule: a project and an organisation at a table in a slot, and how it went."""

    __tablename__ = "meeting_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_event.id"), index=True)
    slot_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_slot.id"), index=True)
    table: Mapped[int] = mapped_column()  # 0 … tables−1
    project_participant_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"), index=True)
    organisation_participant_id: Mapped[int] = mapped_column(db.ForeignKey("meeting_participant.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    status: Mapped[AppointmentStatus] = mapped_column(enum_column(AppointmentStatus),
                                                      default=AppointmentStatus.PLANNED, index=True)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hour_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    project_outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    project_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    project_note: Mapped[str] = mapped_column(db.Text, default="")
    project_outcome_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    organisation_outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    organisation_reason: Mapped[PassReason | None] = mapped_column(enum_column(PassReason))
    organisation_note: Mapped[str] = mapped_column(db.Text, default="")
    organisation_outcome_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interest_id: Mapped[int | None] = mapped_column(db.ForeignKey("interest.id"))

    event: Mapped[MeetingEvent] = relationship()
    slot: Mapped[MeetingSlot] = relationship()
    project_participant: Mapped[Participant] = relationship(foreign_keys=[project_participant_id])
    organisation_participant: Mapped[Participant] = relationship(foreign_keys=[organisation_participant_id])

    @property
    def project(self):
        return self.project_participant.project

    @property
    def organisation(self):
        return self.organisation_participant.organisation

    def side_of(self, user) -> Side | None:
        """Which side of the meeting the user acts for, if either."""
        if self.project_participant.is_acting_user(user):
            return Side.PROJECT
        if self.organisation_participant.is_acting_user(user):
            return Side.ORGANISATION
        return None

    def outcome_of(self, side: Side):
        prefix = side.value
        return (getattr(self, f"{prefix}_outcome"), getattr(self, f"{prefix}_reason"), getattr(self, f"{prefix}_note"))
