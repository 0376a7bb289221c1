"""推进会议 operations: the event, invitations and attendance, two-way selection, the schedule, check-in and outcomes.

The schedule itself is computed by the pure solver in matching/schedule.py; this module turns the event's rows
into its instance, stores what it returns, and keeps every later hand-made change consistent and audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Organisation, OrgStatus, Role, User
from app.accounts.operations import public_profile
from app.core import audit
from app.core.errors import TransitionError, ValidationError, require
from app.core.files import save_file
from app.core.links import path_for
from app.core.models import LabeledEnum, utcnow
from app.core.notifications import notice, tell
from app.core.states import SYSTEM, Transition, is_system, move
from app.deals import operations as deals
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.meetings import rules
from app.meetings.models import (ACTIVE_APPOINTMENTS, ATTENDING, Appointment, AppointmentStatus, EventAttachment,
                                 EventStatus, Mark, MeetingEvent, MeetingKind, MeetingSlot, Outcome, PairRule,
                                 Participant, ParticipantStatus, Selection, Side, StaffPair)
from app.projects.listing import public_view
from app.projects.models import LIBRARY_STATES, Project
from app.suggestions.models import MatchSuggestion, SuggestionStatus
from forms.validators import is_mainland_phone, normalise_phone
from matching.schedule import solve

BEIJING = ZoneInfo("Asia/Shanghai")
E, P, A = EventStatus, ParticipantStatus, AppointmentStatus

_STAFF_ONLY = _l("只有服务站工作人员可以组织推进会议")

# The event: prepared, opened to invitations and selection, scheduled, held, closed (or cancelled).
EVENT = {
    "publish": Transition({E.DRAFT}, E.OPEN, rules.runs_event, audit="meeting_publish", stamps=("published_at",),
                          refusal=_STAFF_ONLY),
    "publish_schedule": Transition({E.OPEN, E.SCHEDULED}, E.SCHEDULED, rules.runs_event, audit="meeting_schedule",
                                   stamps=("scheduled_at",), refusal=_STAFF_ONLY),
    "finish": Transition({E.SCHEDULED}, E.HELD, rules.runs_event, audit="meeting_held", stamps=("held_at",),
                         refusal=_STAFF_ONLY),
    "close": Transition({E.HELD}, E.CLOSED, rules.runs_event, audit="meeting_close", stamps=("closed_at",),
                        refusal=_STAFF_ONLY),
    "cancel": Transition({E.DRAFT, E.OPEN, E.SCHEDULED}, E.CANCELLED, rules.runs_event, audit="meeting_cancel",
                         stamps=("closed_at",), refusal=_STAFF_ONLY, reason=_l("请说明取消会议的原因")),
}

_ANSWERERS = _l("只有受邀的项目负责人或机构成员可以回复参会邀请")
_CHECKERS = _l("只有服务站工作人员可以签到")

# An invited participant answers (and may change its answer until the registration deadline); staff check in.
PARTICIPANT = {
    "confirm": Transition({P.INVITED, P.DECLINED, P.CONFIRMED}, P.CONFIRMED, rules.acts_for, audit="meeting_confirm",
                          stamps=("responded_at",), refusal=_ANSWERERS),
    "decline": Transition({P.INVITED, P.CONFIRMED}, P.DECLINED, rules.acts_for, audit="meeting_decline",
                          stamps=("responded_at",), refusal=_ANSWERERS),
    "attend": Transition({P.CONFIRMED, P.NO_SHOW}, P.ATTENDED, rules.runs_event, audit="meeting_check_in",
                         stamps=("checked_in_at",), refusal=_CHECKERS),
    "no_show": Transition({P.CONFIRMED, P.ATTENDED}, P.NO_SHOW, rules.runs_event, audit="meeting_no_show",
                          refusal=_CHECKERS),
}

# A meeting of the schedule: proposed by the solver, confirmed (by staff or on publication), then held or missed.
APPOINTMENT = {
    "confirm": Transition({A.PLANNED}, A.CONFIRMED, rules.runs_event, audit="appointment_confirm",
                          stamps=("confirmed_at",), refusal=_STAFF_ONLY),
    "hold": Transition({A.CONFIRMED}, A.HELD, rules.runs_event, audit="appointment_held", refusal=_STAFF_ONLY),
    "miss": Transition({A.CONFIRMED}, A.MISSED, rules.runs_event, audit="appointment_missed", refusal=_STAFF_ONLY),
    "remove": Transition({A.PLANNED, A.CONFIRMED}, A.REMOVED, rules.runs_event, audit="appointment_remove",
                         refusal=_STAFF_ONLY),
}

MAX_SLOTS = 96
MAX_ATTENDEES = 5


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def at_beijing(day: date, clock: time) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=BEIJING).astimezone(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SlotPlan:
    """How the day is cut into meeting slots (Beijing time)."""

    first_day: date
    last_day: date
    day_start: time
    day_end: time
    length: int                 # minutes per meeting
    pause: int = 0              # minutes between meetings
    break_start: time | None = None
    break_end: time | None = None

    def slots(self) -> list[tuple[datetime, datetime]]:
        """Every (start, end) in UTC, in time order; a slot never overlaps the break."""
        if self.last_day < self.first_day:
            raise ValidationError(_("结束日期不能早于开始日期"), field="last_day")
        if self.length < 5:
            raise ValidationError(_("每场时长至少 5 分钟"), field="length")
        if (self.break_start is None) != (self.break_end is None) or (
                self.break_start and self.break_end <= self.break_start):
            raise ValidationError(_("请填写完整的休息时段（结束晚于开始）"), field="break_start")
        out = []
        day = self.first_day
        while day <= self.last_day:
            start = datetime.combine(day, self.day_start, tzinfo=BEIJING)
            end_of_day = datetime.combine(day, self.day_end, tzinfo=BEIJING)
            while start + timedelta(minutes=self.length) <= end_of_day:
                end = start + timedelta(minutes=self.length)
                if self.break_start:
                    pause_from = datetime.combine(day, self.break_start, tzinfo=BEIJING)
                    pause_to = datetime.combine(day, self.break_end, tzinfo=BEIJING)
                    if start < pause_to and end > pause_from:
                        start = pause_to
                        continue
                out.append((start.astimezone(timezone.utc), end.astimezone(timezone.utc)))
                start = end + timedelta(minutes=self.pause)
            day += timedelta(days=1)
        if not out:
            raise ValidationError(_("按所填时间无法排出任何洽谈时段，请检查开始、结束时间和每场时长"), field="day_end")
        if len(out) > MAX_SLOTS:
            raise ValidationError(_("时段过多（最多 %(n)d 个），请缩短会期或加长每场时长", n=MAX_SLOTS), field="length")
        return out


EVENT_FIELDS = ("title", "organiser", "description", "venue", "online_url", "table_label", "tables",
                "registration_deadline", "selection_deadline")


def _clean_event(values: dict, slots: list[tuple[datetime, datetime]]) -> dict:
    clean = {name: values.get(name) for name in EVENT_FIELDS}
    for name in ("title", "organiser", "description", "venue", "online_url", "table_label"):
        clean[name] = (clean[name] or "").strip()
    if not clean["title"]:
        raise ValidationError(_("请填写会议名称"), field="title")
    if not clean["venue"] and not clean["online_url"]:
        raise ValidationError(_("请填写会议地点或线上会议链接"), field="venue")
    if not clean["tables"] or int(clean["tables"]) < 1:
        raise ValidationError(_("洽谈桌（会议室）数量至少为 1"), field="tables")
    registration, selection = clean["registration_deadline"], clean["selection_deadline"]
    if registration is None or selection is None:
        raise ValidationError(_("请填写报名截止和选择截止时间"), field="registration_deadline")
    if selection < registration:
        raise ValidationError(_("选择截止时间不能早于报名截止时间"), field="selection_deadline")
    if selection > slots[0][0]:
        raise ValidationError(_("选择截止时间须早于第一场洽谈开始"), field="selection_deadline")
    return clean


def create_event(staff: User, values: dict, plan: SlotPlan) -> MeetingEvent:
    """Staff prepare a meeting (筹备中): nothing is sent until it is published."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    slots = plan.slots()
    event = MeetingEvent(created_by_id=staff.id, status=E.DRAFT, **_clean_event(values, slots))
    event.slots = [MeetingSlot(starts_at=s, ends_at=e) for s, e in slots]
    db.session.add(event)
    db.session.flush()
    audit.record("meeting_create", actor=staff, subject=event, to_state=E.DRAFT.value,
                 comment=f"{event.title}（{len(slots)} 个时段 × {event.tables}）")
    return event


def update_event(event: MeetingEvent, staff: User, values: dict, plan: SlotPlan | None) -> MeetingEvent:
    """Correct the event; its slots change only while no meeting is scheduled in them."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    if event.status not in (E.DRAFT, E.OPEN):
        raise TransitionError(_("日程发布后不能再修改会议设置"))
    new_slots = plan.slots() if plan else [(s.starts_at, s.ends_at) for s in event.slots]
    clean = _clean_event(values, new_slots)
    if int(clean["tables"]) < event.tables and _active_appointments(event):
        raise ValidationError(_("已有排定的洽谈，不能减少洽谈桌数量；请先清空日程"), field="tables")
    for name, value in clean.items():
        setattr(event, name, value)
    if plan and new_slots != [(_aware(s.starts_at), _aware(s.ends_at)) for s in event.slots]:
        if _active_appointments(event):
            raise ValidationError(_("已有排定的洽谈，不能修改时段；请先清空日程"), field="day_start")
        for participant in event.participants:
            participant.unavailable = []
        event.slots = [MeetingSlot(starts_at=s, ends_at=e) for s, e in new_slots]
    db.session.flush()
    audit.record("meeting_update", actor=staff, subject=event, comment=event.title)
    return event


def slot_plan_of(event: MeetingEvent) -> dict:
    """Form defaults that reproduce the event's slots as closely as a plan can."""
    if not event.slots:
        return {}
    first, last = event.slots[0], event.slots[-1]
    start, end = _aware(first.starts_at).astimezone(BEIJING), _aware(last.ends_at).astimezone(BEIJING)
    length = int((_aware(first.ends_at) - _aware(first.starts_at)).total_seconds() // 60)
    pause = 0
    if len(event.slots) > 1 and event.slots[1].starts_at.date() == first.starts_at.date():
        pause = max(0, int((_aware(event.slots[1].starts_at) - _aware(first.ends_at)).total_seconds() // 60))
    return {"first_day": start.date(), "last_day": end.date(), "day_start": start.time(),
            "day_end": max(_aware(s.ends_at).astimezone(BEIJING).time() for s in event.slots),
            "length": length, "pause": pause}


def add_attachment(event: MeetingEvent, staff: User, upload) -> EventAttachment:
    """A document for the participants (会议议程, 政策宣讲材料)."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    stored, original, content_type, size = save_file(upload, f"meetings/{event.id}")
    item = EventAttachment(event=event, original_name=original, stored_name=stored, content_type=content_type,
                           size=size, uploaded_by_id=staff.id)
    db.session.add(item)
    db.session.flush()
    audit.record("meeting_attachment", actor=staff, subject=event, comment=original)
    if event.status is not E.DRAFT:
        tell(_users_of(invited(event)), "meeting_attachment", _event_link(event), title=event.title, name=original)
    return item


def publish_event(event: MeetingEvent, staff: User) -> int:
    """Open the event: invitations prepared so far go out; returns how many participants were notified."""
    move(event, EVENT, "publish", staff, comment=event.title)
    return _send_invitations(event)


def cancel_event(event: MeetingEvent, staff: User, reason: str) -> None:
    """Call the event off; everyone invited is told why."""
    was_draft = event.status is E.DRAFT
    move(event, EVENT, "cancel", staff, comment=reason)
    for appointment in _active_appointments(event):
        move(appointment, APPOINTMENT, "remove", staff, comment=_("会议取消"))
    if not was_draft:
        tell(_users_of(invited(event)), "meeting_cancelled", _event_link(event), title=event.title,
             reason=reason.strip())


# ---------------------------------------------------------------- invitations

@dataclass
class InviteFilters:
    """Which projects and organisations the invitation page offers."""

    project_type: str = ""
    device_class: str = ""
    stage: str = ""
    city: str = ""
    kind: str = ""
    field: str = ""
    region: str = ""
    q: str = ""


def project_candidates(event: MeetingEvent, filters: InviteFilters, limit: int = 200) -> list[Project]:
    """Listed projects not yet invited, narrowed by category, stage and city."""
    invited_ids = {p.project_id for p in event.participants if p.project_id}
    query = db.select(Project).where(Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True))
    for name in ("project_type", "device_class", "stage"):
        value = getattr(filters, name)
        if value:
            column = getattr(Project, name)
            try:
                query = query.where(column == column.type.enum_class(value))
            except ValueError:
                continue
    if filters.city:
        query = query.where(Project.city.contains(filters.city.strip()))
    if filters.q:
        query = query.where(Project.name.contains(filters.q.strip()))
    rows = db.session.scalars(query.order_by(Project.published_at.desc(), Project.id.desc()).limit(limit)).all()
    return [p for p in rows if p.id not in invited_ids]


def organisation_candidates(event: MeetingEvent, filters: InviteFilters, limit: int = 200) -> list[Organisation]:
    """Verified organisations not yet invited, narrowed by kind, field and region."""
    invited_ids = {p.organisation_id for p in event.participants if p.organisation_id}
    query = db.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
    if filters.kind in (Role.ENTERPRISE.value, Role.INVESTOR.value):
        query = query.where(Organisation.kind == Role(filters.kind))
    if filters.field:
        query = query.where(Organisation.field.contains(filters.field.strip()))
    if filters.region:
        query = query.where(Organisation.region.contains(filters.region.strip()))
    if filters.q:
        query = query.where(Organisation.name.contains(filters.q.strip()))
    rows = db.session.scalars(query.order_by(Organisation.name).limit(limit)).all()
    return [o for o in rows if o.id not in invited_ids]


def invite(event: MeetingEvent, staff: User, project_ids=(), organisation_ids=()) -> list[Participant]:
    """Invite listed projects and verified organisations; an open event tells them at once (in-app and mail)."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    if event.status not in (E.DRAFT, E.OPEN):
        raise TransitionError(_("日程发布后不能再邀请新的参会方"))
    if not project_ids and not organisation_ids:
        raise ValidationError(_("请至少选择一个项目或机构"))
    have_projects = {p.project_id for p in event.participants if p.project_id}
    have_orgs = {p.organisation_id for p in event.participants if p.organisation_id}
    added = []
    for project_id in dict.fromkeys(int(i) for i in project_ids):
        project = db.session.get(Project, project_id)
        if project is None or not project.is_listed():
            raise ValidationError(_("只能邀请已发布的入库项目"))
        if project_id not in have_projects:
            added.append(Participant(event=event, side=Side.PROJECT, project=project, invited_by_id=staff.id))
    for organisation_id in dict.fromkeys(int(i) for i in organisation_ids):
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None or not organisation.is_verified:
            raise ValidationError(_("只能邀请已认证的企业或投资机构"))
        if organisation_id not in have_orgs:
            added.append(Participant(event=event, side=Side.ORGANISATION, organisation=organisation,
                                     invited_by_id=staff.id))
    db.session.add_all(added)
    db.session.flush()
    for participant in added:
        audit.record("meeting_invite", actor=staff, project=participant.project, subject=participant,
                     to_state=P.INVITED.value, comment=f"{event.title}：{participant.name}")
    if event.status is E.OPEN:
        _send_invitations(event)
    return added


def _send_invitations(event: MeetingEvent) -> int:
    due = [p for p in event.participants if p.notified_at is None]
    deadline = _beijing_text(event.registration_deadline)
    for participant in due:
        participant.notified_at = utcnow()
        tell(participant.users(), "meeting_invitation", _event_link(event), who=participant.name, title=event.title,
             when=_beijing_text(event.starts_at, "%Y-%m-%d"), where=event.venue or "", deadline=deadline)
    return len(due)


def _beijing_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return _aware(value).astimezone(BEIJING).strftime(fmt) if value else ""


def invited(event: MeetingEvent) -> list[Participant]:
    return list(event.participants)


def attending(event: MeetingEvent, side: Side | None = None) -> list[Participant]:
    return [p for p in event.participants if p.status in ATTENDING and (side is None or p.side is side)]


def _users_of(participants) -> list[User]:
    return [u for p in participants for u in p.users()]


def participants_of(event: MeetingEvent, user) -> list[Participant]:
    """The participants the user acts for in this event (a clinician may have several projects)."""
    return [p for p in event.participants if p.is_acting_user(user)]


def events_of(user) -> list[MeetingEvent]:
    """Events (not drafts) the user was invited to, the next first."""
    if user.is_clinician:
        clause = Participant.project_id.in_(db.select(Project.id).where(Project.owner_id == user.id))
    elif user.is_organisation_member and user.is_verified:
        clause = Participant.organisation_id == user.organisation_id
    else:
        return []
    # A subquery rather than DISTINCT: PostgreSQL cannot compare the JSON columns DISTINCT would include.
    invited = db.select(Participant.event_id).where(clause)
    return db.session.scalars(db.select(MeetingEvent)
                              .where(MeetingEvent.id.in_(invited), MeetingEvent.status != E.DRAFT)
                              .order_by(MeetingEvent.selection_deadline.desc())).all()


def all_events() -> list[MeetingEvent]:
    return db.session.scalars(db.select(MeetingEvent).order_by(MeetingEvent.selection_deadline.desc())).all()


def clean_attendees(rows: list[dict]) -> list[dict]:
    """Attendees as named (name, title, mainland phone); blank rows dropped, a half-filled row refused."""
    out = []
    for n, row in enumerate(rows, 1):
        name, title = (row.get("name") or "").strip(), (row.get("title") or "").strip()
        phone = normalise_phone(row.get("phone") or "")
        if not (name or title or phone):
            continue
        if not name or not phone:
            raise ValidationError(_("第 %(n)d 位参会人员：请填写姓名和联系电话", n=n), field="attendees")
        if not is_mainland_phone(phone):
            raise ValidationError(_("第 %(n)d 位参会人员：请填写有效的手机号或座机号（如 13800138000 或 0591-87654321）",
                                    n=n), field="attendees")
        out.append({"name": name[:50], "title": title[:50], "phone": phone})
    if len(out) > MAX_ATTENDEES:
        raise ValidationError(_("每个参会方最多 %(n)d 位参会人员", n=MAX_ATTENDEES), field="attendees")
    return out


def respond(participant: Participant, user: User, attend: bool, attendees: list[dict] | None = None,
            now: datetime | None = None) -> None:
    """Confirm (naming who comes) or decline attendance, until the registration deadline."""
    event = participant.event
    if event.status is not E.OPEN:
        raise TransitionError(_("会议当前不接受报名"))
    if (now or utcnow()) > _aware(event.registration_deadline):
        raise TransitionError(_("报名已截止（%(deadline)s），如需变更请联系服务站",
                                deadline=_beijing_text(event.registration_deadline)))
    if attend:
        people = clean_attendees(attendees or [])
        if not people:
            raise ValidationError(_("确认参会请至少填写一位参会人员"), field="attendees")
        move(participant, PARTICIPANT, "confirm", user, comment="、".join(p["name"] for p in people))
        participant.attendees = people
    else:
        move(participant, PARTICIPANT, "decline", user)
        _drop_marks(participant)
    tell(_staff_of(event), "meeting_reply", path_for("meetings.detail", event_id=event.id), who=participant.name,
         answer=P.CONFIRMED if attend else P.DECLINED, title=event.title)


def _staff_of(event: MeetingEvent) -> list[User]:
    creator = db.session.get(User, event.created_by_id)
    return [creator] if creator and creator.active else []


def _drop_marks(participant: Participant) -> None:
    db.session.execute(db.delete(Selection).where(db.or_(Selection.from_id == participant.id,
                                                         Selection.to_id == participant.id)))


# ---------------------------------------------------------------- selection

@dataclass
class Counterpart:
    """A confirmed participant of the other side as a selecting participant sees it: public information only."""

    participant: Participant
    public: object          # the project's public tier, or the organisation's public profile
    score: float | None
    reasons: list
    recommended: bool
    mark: Mark | None
    rank: int | None


def selection_open(event: MeetingEvent, now: datetime | None = None) -> bool:
    return event.status is E.OPEN and (now or utcnow()) <= _aware(event.selection_deadline)


def counterparts(participant: Participant) -> list[Counterpart]:
    """The other side's confirmed participants with the suggestion engine's public-tier score and reasons."""
    event = participant.event
    others = attending(event, Side.ORGANISATION if participant.side is Side.PROJECT else Side.PROJECT)
    marks = {s.to_id: s for s in db.session.scalars(db.select(Selection).where(Selection.from_id == participant.id))}
    scores = _suggestion_scores(participant, others)
    out = []
    for other in others:
        project_id, organisation_id = _pair_ids(participant, other)
        row = scores.get((project_id, organisation_id))
        public = public_view(other.project) if other.side is Side.PROJECT else public_profile(other.organisation)
        mine = marks.get(other.id)
        out.append(Counterpart(other, public, row.score if row else None, list(row.public_reasons) if row else [],
                               bool(row and row.status is SuggestionStatus.APPROVED),
                               mine.mark if mine else None, mine.rank if mine else None))
    out.sort(key=lambda c: (c.mark is not Mark.WANT, c.rank or 999, -(c.score or 0), c.participant.id))
    return out


def _pair_ids(a: Participant, b: Participant) -> tuple[int, int]:
    project_side, organisation_side = (a, b) if a.side is Side.PROJECT else (b, a)
    return project_side.project_id, organisation_side.organisation_id


def _suggestion_scores(participant: Participant, others: list[Participant]) -> dict:
    if not others:
        return {}
    if participant.side is Side.PROJECT:
        clause = db.and_(MatchSuggestion.project_id == participant.project_id,
                         MatchSuggestion.organisation_id.in_([o.organisation_id for o in others]))
    else:
        clause = db.and_(MatchSuggestion.organisation_id == participant.organisation_id,
                         MatchSuggestion.project_id.in_([o.project_id for o in others]))
    best: dict = {}
    for row in db.session.scalars(db.select(MatchSuggestion).where(clause,
                                                                   MatchSuggestion.status != SuggestionStatus.DISMISSED)):
        key = (row.project_id, row.organisation_id)
        if key not in best or (row.status is SuggestionStatus.APPROVED, row.score) > (
                best[key].status is SuggestionStatus.APPROVED, best[key].score):
            best[key] = row
    return best


def save_selection(participant: Participant, user: User, marks: dict[int, tuple[Mark | None, int | None]],
                   cap: int | None, unavailable: list[int], now: datetime | None = None) -> None:
    """A participant's marks on the other side (想见/可以/不见, ranks among the wants), its cap and unavailable slots."""
    require(rules.acts_for(user, participant), _("只有参会方本人可以填写选择"))
    event = participant.event
    if participant.status not in ATTENDING:
        raise TransitionError(_("确认参会后才能进行双向选择"))
    if not selection_open(event, now):
        raise TransitionError(_("双向选择已截止（%(deadline)s）", deadline=_beijing_text(event.selection_deadline)))
    others = {p.id for p in attending(event, Side.ORGANISATION if participant.side is Side.PROJECT else Side.PROJECT)}
    slot_ids = {s.id for s in event.slots}
    if any(int(s) not in slot_ids for s in unavailable):
        raise ValidationError(_("请选择本次会议的时段"), field="unavailable")
    if len(set(map(int, unavailable))) >= len(slot_ids):
        raise ValidationError(_("至少保留一个可参加的时段"), field="unavailable")
    if cap is not None and not (1 <= cap <= len(slot_ids)):
        raise ValidationError(_("最多洽谈场数须在 1–%(n)d 之间", n=len(slot_ids)), field="cap")
    ranks = [rank for mark, rank in marks.values() if mark is Mark.WANT and rank is not None]
    if len(ranks) != len(set(ranks)) or any(r < 1 for r in ranks):
        raise ValidationError(_("“想见”的排序不能重复，须为 1、2、3……"), field="marks")
    existing = {s.to_id: s for s in db.session.scalars(db.select(Selection).where(Selection.from_id == participant.id))}
    for to_id, (mark, rank) in marks.items():
        if to_id not in others:
            raise ValidationError(_("只能选择已确认参会的对方"), field="marks")
        row = existing.get(to_id)
        if mark is None:
            if row is not None:
                db.session.delete(row)
            continue
        row = row or Selection(event_id=event.id, from_id=participant.id, to_id=to_id)
        row.mark, row.rank = mark, rank if mark is Mark.WANT else None
        db.session.add(row)
    participant.cap = cap
    participant.unavailable = sorted(set(map(int, unavailable)))
    participant.selected_at = utcnow()
    db.session.flush()
    counts = {m: sum(1 for mark, _r in marks.values() if mark is m) for m in Mark}
    audit.record("meeting_select", actor=user, project=participant.project, subject=participant,
                 comment="，".join(f"{m.label} {counts[m]}" for m in Mark) + (f"，上限 {cap}" if cap else ""))


def selection_matrix(event: MeetingEvent) -> dict:
    """Every mark both ways and every staff decision, keyed by (project participant id, organisation participant id)."""
    marks = {(s.from_id, s.to_id): s for s in db.session.scalars(db.select(Selection).where(Selection.event_id == event.id))}
    pairs = {(p.project_participant_id, p.organisation_participant_id): p
             for p in db.session.scalars(db.select(StaffPair).where(StaffPair.event_id == event.id))}
    return {"marks": marks, "pairs": pairs}


def set_staff_pair(event: MeetingEvent, staff: User, project_participant: Participant,
                   organisation_participant: Participant, rule: PairRule | None) -> None:
    """Staff add a pair (服务站推荐), veto it, or clear their decision; an add over a "no" is refused."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    if event.status not in (E.DRAFT, E.OPEN, E.SCHEDULED):
        raise TransitionError(_("会议已举行，不能再调整配对"))
    if project_participant.event_id != event.id or organisation_participant.event_id != event.id or \
            project_participant.side is not Side.PROJECT or organisation_participant.side is not Side.ORGANISATION:
        raise ValidationError(_("请选择本次会议的项目方和企业/投资方"))
    if rule is PairRule.ADD and _said_no(project_participant.id, organisation_participant.id):
        raise ValidationError(_("一方已选择“不见”，服务站不能强行安排"))
    row = db.session.scalar(db.select(StaffPair).where(
        StaffPair.project_participant_id == project_participant.id,
        StaffPair.organisation_participant_id == organisation_participant.id))
    if rule is None:
        if row is not None:
            db.session.delete(row)
    else:
        row = row or StaffPair(event_id=event.id, project_participant_id=project_participant.id,
                               organisation_participant_id=organisation_participant.id, decided_by_id=staff.id,
                               rule=rule)
        row.rule, row.decided_by_id, row.decided_at = rule, staff.id, utcnow()
        db.session.add(row)
    db.session.flush()
    audit.record("meeting_pair", actor=staff, project=project_participant.project, subject=event,
                 comment=f"{project_participant.name} × {organisation_participant.name}："
                         + (rule.label if rule else _("取消服务站决定")))


def _said_no(project_participant_id: int, organisation_participant_id: int) -> bool:
    return db.session.scalar(db.select(db.func.count()).select_from(Selection).where(
        Selection.mark == Mark.NO, db.or_(
            db.and_(Selection.from_id == project_participant_id, Selection.to_id == organisation_participant_id),
            db.and_(Selection.from_id == organisation_participant_id, Selection.to_id == project_participant_id)))) > 0


# ---------------------------------------------------------------- the schedule

def _active_appointments(event: MeetingEvent) -> list[Appointment]:
    return db.session.scalars(db.select(Appointment).where(Appointment.event_id == event.id,
                                                           Appointment.status.in_(ACTIVE_APPOINTMENTS))
                              .join(MeetingSlot).order_by(MeetingSlot.starts_at, Appointment.table)).all()


def appointments(event: MeetingEvent) -> list[Appointment]:
    """The schedule: every meeting not removed, in time and table order."""
    return _active_appointments(event)


def solver_instance(event: MeetingEvent) -> dict:
    """The event as the scheduler's INSTANCE: slots, tables, attending participants, marks, confirmed meetings."""
    people = attending(event)
    by_id = {p.id: p for p in people}
    slot_ids = {s.id for s in event.slots}
    marks = {}
    for row in db.session.scalars(db.select(Selection).where(Selection.event_id == event.id)):
        if row.from_id in by_id and row.to_id in by_id:
            marks[(row.from_id, row.to_id)] = {"from": by_id[row.from_id].solver_id, "to": by_id[row.to_id].solver_id,
                                               "mark": row.mark.value, "rank": row.rank}
    for pair in db.session.scalars(db.select(StaffPair).where(StaffPair.event_id == event.id)):
        if pair.project_participant_id not in by_id or pair.organisation_participant_id not in by_id:
            continue
        for a, b in ((pair.project_participant_id, pair.organisation_participant_id),
                     (pair.organisation_participant_id, pair.project_participant_id)):
            current = marks.get((a, b))
            if pair.rule is PairRule.VETO:
                marks[(a, b)] = {"from": by_id[a].solver_id, "to": by_id[b].solver_id, "mark": "no", "rank": None}
            elif not current or current["mark"] == "open":  # an add never overrides a participant's "no"
                marks[(a, b)] = {"from": by_id[a].solver_id, "to": by_id[b].solver_id, "mark": "want",
                                 "rank": None}
    fixed = [{"project": a.project_participant.solver_id, "organisation": a.organisation_participant.solver_id,
              "slot": str(a.slot_id), "table": a.table}
             for a in _active_appointments(event) if a.status is A.CONFIRMED]
    return {
        "slots": [{"id": str(s.id), "start": _aware(s.starts_at).isoformat(), "end": _aware(s.ends_at).isoformat()}
                  for s in event.slots],
        "tables": event.tables,
        "participants": [{"id": p.solver_id, "side": p.side.value, "cap": p.cap or len(event.slots),
                          "unavailable": [str(s) for s in p.unavailable or [] if s in slot_ids]} for p in people],
        "marks": sorted(marks.values(), key=lambda m: (m["from"], m["to"])),
        "fixed": fixed,
    }


def build_schedule(event: MeetingEvent, staff: User) -> dict:
    """Run the scheduler: proposals replace the earlier proposals, confirmed meetings stay where they are."""
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    if event.status not in (E.OPEN, E.SCHEDULED):
        raise TransitionError(_("会议发布后、举行前才能排定日程"))
    if not attending(event, Side.PROJECT) or not attending(event, Side.ORGANISATION):
        raise ValidationError(_("双方都有确认参会的参会方后才能排定日程"))
    instance = solver_instance(event)
    result = solve(instance)
    by_solver = {p.solver_id: p for p in attending(event)}
    added_by_staff = {(r.project_participant_id, r.organisation_participant_id)
                      for r in db.session.scalars(db.select(StaffPair).where(StaffPair.event_id == event.id,
                                                                             StaffPair.rule == PairRule.ADD))}
    db.session.execute(db.delete(Appointment).where(Appointment.event_id == event.id,
                                                    Appointment.status == A.PLANNED))
    kept = {(f["project"], f["organisation"]) for f in instance["fixed"]}
    added = 0
    for meeting in result["meetings"]:
        if (meeting["project"], meeting["organisation"]) in kept:
            continue
        project_side, organisation_side = by_solver[meeting["project"]], by_solver[meeting["organisation"]]
        kind = MeetingKind(meeting.get("kind") or "one_sided")
        if (project_side.id, organisation_side.id) in added_by_staff:
            kind = MeetingKind.STAFF
        db.session.add(Appointment(event_id=event.id, slot_id=int(meeting["slot"]), table=int(meeting["table"]),
                                   project_participant_id=project_side.id,
                                   organisation_participant_id=organisation_side.id, kind=kind,
                                   created_by_id=staff.id))
        added += 1
    names = {sid: p.name for sid, p in by_solver.items()}
    event.schedule_report = dict(result.get("report") or {}, kept=len(kept), proposed=added)
    event.unscheduled = [dict(u, project_name=names.get(u.get("project"), ""),
                              organisation_name=names.get(u.get("organisation"), ""))
                         for u in result.get("unscheduled", [])]
    db.session.flush()
    report = event.schedule_report
    audit.record("meeting_build", actor=staff, subject=event,
                 comment=_("保留已确认 %(kept)d 场，新排 %(added)d 场；双向想见 %(m)s/%(p)s，阻塞对 %(b)s",
                           kept=len(kept), added=added, m=report.get("mutual_scheduled", "?"),
                           p=report.get("mutual_possible", "?"), b=report.get("blocking_pairs", "?")))
    return event.schedule_report


def publish_schedule(event: MeetingEvent, staff: User) -> int:
    """Confirm the proposals and publish: everyone attending gets their agenda; returns the meetings confirmed."""
    planned = [a for a in _active_appointments(event) if a.status is A.PLANNED]
    if not planned and not any(a.status is A.CONFIRMED for a in _active_appointments(event)):
        raise ValidationError(_("日程为空，请先排定日程"))
    move(event, EVENT, "publish_schedule", staff, comment=_("确认 %(n)d 场", n=len(planned)))
    for appointment in planned:
        move(appointment, APPOINTMENT, "confirm", staff)
    tell(_users_of(attending(event)), "meeting_agenda", path_for("meetings.agenda", event_id=event.id),
         title=event.title)
    return len(planned)


def conflicts(event: MeetingEvent, slot: MeetingSlot | None, table: int | None, project_participant: Participant,
              organisation_participant: Participant, moving: Appointment | None = None) -> list[str]:
    """Why the meeting cannot be placed there: double booking, an over-full table, a "no", an unavailable slot."""
    problems = []
    if slot is None or slot.event_id != event.id:
        return [_("请选择本次会议的时段")]
    if table is None or not (0 <= table < event.tables):
        return [_("请选择 1–%(n)d 号%(label)s", n=event.tables, label=event.table_name)]
    for participant in (project_participant, organisation_participant):
        if participant.event_id != event.id or participant.status not in ATTENDING:
            problems.append(_("%(who)s 未确认参会", who=participant.name))
    for appointment in _active_appointments(event):
        if moving is not None and appointment.id == moving.id:
            continue
        if appointment.slot_id == slot.id and appointment.table == table:
            problems.append(_("该时段的 %(n)d 号%(label)s 已有洽谈（%(a)s × %(b)s）", n=table + 1,
                              label=event.table_name, a=appointment.project_participant.name,
                              b=appointment.organisation_participant.name))
        for participant, column in ((project_participant, "project_participant_id"),
                                    (organisation_participant, "organisation_participant_id")):
            if appointment.slot_id == slot.id and getattr(appointment, column) == participant.id:
                problems.append(_("%(who)s 在该时段已有洽谈（重复安排）", who=participant.name))
        if moving is None and appointment.project_participant_id == project_participant.id and \
                appointment.organisation_participant_id == organisation_participant.id:
            problems.append(_("双方已安排过洽谈"))
    if _said_no(project_participant.id, organisation_participant.id):
        problems.append(_("一方已选择“不见”"))
    vetoed = db.session.scalar(db.select(StaffPair.id).where(
        StaffPair.project_participant_id == project_participant.id,
        StaffPair.organisation_participant_id == organisation_participant.id, StaffPair.rule == PairRule.VETO))
    if vetoed:
        problems.append(_("服务站已否决该配对"))
    for participant in (project_participant, organisation_participant):
        if slot.id in (participant.unavailable or []):
            problems.append(_("%(who)s 该时段不便参加", who=participant.name))
        if participant.cap and moving is None and sum(
                1 for a in _active_appointments(event)
                if participant.id in (a.project_participant_id, a.organisation_participant_id)) >= participant.cap:
            problems.append(_("%(who)s 已达到其设定的洽谈场数上限", who=participant.name))
    return list(dict.fromkeys(problems))


def _refuse_conflicts(problems: list[str]) -> None:
    if problems:
        raise ValidationError(_("不能安排：%(why)s", why="；".join(map(str, problems))))


def _editable_schedule(event: MeetingEvent, staff: User) -> None:
    require(rules.runs_event(staff), str(_STAFF_ONLY))
    if event.status not in (E.OPEN, E.SCHEDULED):
        raise TransitionError(_("会议举行后不能再调整日程"))


def add_appointment(event: MeetingEvent, staff: User, project_participant: Participant,
                    organisation_participant: Participant, slot: MeetingSlot | None, table: int | None) -> Appointment:
    """Staff place a meeting by hand (confirmed at once: a re-run keeps it)."""
    _editable_schedule(event, staff)
    if project_participant.side is not Side.PROJECT or organisation_participant.side is not Side.ORGANISATION:
        raise ValidationError(_("请选择一个项目方和一个企业/投资方"))
    _refuse_conflicts(conflicts(event, slot, table, project_participant, organisation_participant))
    appointment = Appointment(event_id=event.id, slot_id=slot.id, table=table, kind=MeetingKind.STAFF,
                              project_participant_id=project_participant.id,
                              organisation_participant_id=organisation_participant.id, created_by_id=staff.id)
    db.session.add(appointment)
    db.session.flush()
    audit.record("appointment_add", actor=staff, project=project_participant.project, subject=appointment,
                 to_state=A.PLANNED.value, comment=_placement(event, appointment, slot, table))
    move(appointment, APPOINTMENT, "confirm", staff, comment=_("服务站手动安排"))
    if event.status is E.SCHEDULED:
        _tell_parties(appointment, "added")
    return appointment


def move_appointment(appointment: Appointment, staff: User, slot: MeetingSlot | None, table: int | None) -> None:
    """Staff move a meeting to another slot or table; the move confirms it."""
    event = appointment.event
    _editable_schedule(event, staff)
    if appointment.status not in (A.PLANNED, A.CONFIRMED):
        raise TransitionError(_("该洽谈已移除或已举行"))
    _refuse_conflicts(conflicts(event, slot, table, appointment.project_participant,
                                appointment.organisation_participant, moving=appointment))
    before = _placement(event, appointment, appointment.slot, appointment.table)
    appointment.slot_id, appointment.table = slot.id, table
    db.session.flush()
    db.session.refresh(appointment, ["slot"])
    if appointment.status is A.PLANNED:
        move(appointment, APPOINTMENT, "confirm", staff, comment=_("手动调整"))
    audit.record("appointment_move", actor=staff, project=appointment.project, subject=appointment,
                 from_state=appointment.status.value, to_state=appointment.status.value,
                 comment=f"{before} → {_placement(event, appointment, slot, table)}")
    if event.status is E.SCHEDULED:
        _tell_parties(appointment, "moved")


def remove_appointment(appointment: Appointment, staff: User) -> None:
    """Staff take a meeting out of the schedule (a re-run may propose the pair again unless vetoed)."""
    _editable_schedule(appointment.event, staff)
    was_published = appointment.status is A.CONFIRMED and appointment.event.status is E.SCHEDULED
    move(appointment, APPOINTMENT, "remove", staff,
         comment=_placement(appointment.event, appointment, appointment.slot, appointment.table))
    if was_published:
        _tell_parties(appointment, "removed")


def _placement(event: MeetingEvent, appointment: Appointment, slot: MeetingSlot, table: int) -> str:
    return (f"{appointment.project_participant.name} × {appointment.organisation_participant.name} "
            f"{_beijing_text(slot.starts_at)} {table + 1}号{event.table_name}")


def _tell_parties(appointment: Appointment, what: str) -> None:
    tell(_users_of([appointment.project_participant, appointment.organisation_participant]),
         "meeting_agenda_changed", path_for("meetings.agenda", event_id=appointment.event_id), what=what,
         title=appointment.event.title, placements=[_placement_params(appointment)])


def _placement_params(appointment: Appointment) -> list:
    """A meeting's place in the schedule as plain values, written out in the reader's language (_placements)."""
    return [appointment.project_participant.name, appointment.organisation_participant.name,
            _beijing_text(appointment.slot.starts_at), appointment.table + 1, appointment.event.table_label or ""]


def _placements(stored) -> str:
    return "\n".join(f"{a} × {b} {when} " + _("%(n)d 号%(label)s", n=n, label=label or _("洽谈桌"))
                     for a, b, when, n, label in stored or [])


def _changed(code) -> str:
    return str(_AGENDA_CHANGES[code])


def _other_side_reason(stored) -> str:
    side, reason = stored
    return Side(side).reasons(reason).label


def schedule_grid(event: MeetingEvent) -> list[tuple[MeetingSlot, list[Appointment | None]]]:
    """Rows of slots, a column per table, the meeting in each cell (or None)."""
    cells = {(a.slot_id, a.table): a for a in _active_appointments(event)}
    return [(slot, [cells.get((slot.id, t)) for t in range(event.tables)]) for slot in event.slots]


# ---------------------------------------------------------------- agenda

@dataclass
class AgendaItem:
    """One meeting on a participant's agenda: when, where, with whom (public information only)."""

    appointment: Appointment
    mine: Participant
    other: Participant
    other_public: object
    side: Side


def agenda_of(event: MeetingEvent, user, participant: Participant | None = None) -> list[AgendaItem]:
    """The user's published meetings in this event, in time order; staff may ask for one participant's (to print)."""
    if participant is not None:
        require(rules.runs_event(user), _("只有服务站工作人员可以查看其他参会方的日程"))
    items = []
    for appointment in _active_appointments(event):
        if appointment.status is A.PLANNED:
            continue
        for mine, other, side in ((appointment.project_participant, appointment.organisation_participant, Side.PROJECT),
                                  (appointment.organisation_participant, appointment.project_participant,
                                   Side.ORGANISATION)):
            if (mine.id == participant.id) if participant is not None else mine.is_acting_user(user):
                public = public_view(other.project) if other.side is Side.PROJECT else public_profile(other.organisation)
                items.append(AgendaItem(appointment, mine, other, public, side))
    return items


# ---------------------------------------------------------------- the day and after

def check_in(participant: Participant, staff: User, present: bool) -> None:
    """Staff at the venue mark a confirmed participant present or absent (no-show)."""
    if participant.event.status not in (E.SCHEDULED, E.HELD):
        raise TransitionError(_("日程发布后才能签到"))
    move(participant, PARTICIPANT, "attend" if present else "no_show", staff)


def finish_event(event: MeetingEvent, staff: User) -> tuple[int, int]:
    """The day is over: meetings with both sides present are held, the others missed; sides are asked for outcomes."""
    move(event, EVENT, "finish", staff)
    held = missed = 0
    for appointment in _active_appointments(event):
        if appointment.status is A.PLANNED:
            move(appointment, APPOINTMENT, "remove", staff, comment=_("未发布的拟安排"))
            continue
        absent = P.NO_SHOW in (appointment.project_participant.status, appointment.organisation_participant.status)
        move(appointment, APPOINTMENT, "miss" if absent else "hold", staff)
        if absent:
            missed += 1
        else:
            held += 1
            _tell_parties(appointment, "record_outcome")
    return held, missed


def close_event(event: MeetingEvent, staff: User) -> None:
    move(event, EVENT, "close", staff)


def record_outcome(appointment: Appointment, user: User, outcome: Outcome, reason: LabeledEnum | None = None,
                   note: str = "") -> Interest | None:
    """One side says whether it continues talks (or why not); both "continue" carry the pair into the deal flow."""
    side = appointment.side_of(user)
    require(side is not None, _("只有洽谈双方可以登记洽谈结果"))
    if appointment.status is not A.HELD:
        raise TransitionError(_("洽谈举行后才能登记结果"))
    if appointment.event.status not in (E.HELD, E.CLOSED):
        raise TransitionError(_("会议结束后才能登记洽谈结果"))
    if appointment.interest_id is not None:
        raise TransitionError(_("双方已转入“意向与洽谈”，请在洽谈中继续"))
    note = (note or "").strip()
    if outcome is Outcome.STOP:
        if reason is None:
            raise ValidationError(_("请选择不继续的原因"), field="reason")
        if not isinstance(reason, side.reasons):
            raise ValidationError(_("请从列表中选择不继续的原因"), field="reason")
        if reason.value == "other" and not note:
            raise ValidationError(_("选择“其他”时请说明原因"), field="note")
    else:
        reason = None
    previous = appointment.outcome_of(side)[0]
    setattr(appointment, f"{side.value}_outcome", outcome)
    setattr(appointment, f"{side.value}_reason", reason)
    setattr(appointment, f"{side.value}_note", note[:1000])
    setattr(appointment, f"{side.value}_outcome_by_id", user.id)
    appointment.outcome_at = utcnow()
    db.session.flush()
    audit.record("appointment_outcome", actor=user, project=appointment.project, subject=appointment,
                 from_state=previous.value if previous else "", to_state=outcome.value,
                 comment=f"{side.label}：{outcome.label}" + (f"（{reason.label}）" if reason else "") + (
                     f" {note}" if note else ""))
    other_side = appointment.organisation_participant if side is Side.PROJECT else appointment.project_participant
    if outcome is Outcome.STOP:
        tell(other_side.users(), "meeting_outcome", path_for("meetings.agenda", event_id=appointment.event_id),
             title=appointment.event.title, reason=[side.value, reason.value], note=note)
    if appointment.project_outcome is Outcome.CONTINUE and appointment.organisation_outcome is Outcome.CONTINUE:
        return _carry_on(appointment)
    return None


def _carry_on(appointment: Appointment) -> Interest | None:
    """Both continue: an expression of interest is created and accepted (or a pending one accepted)."""
    project, organisation = appointment.project, appointment.organisation
    owner = project.owner
    interest = deals.open_interest_of(project, organisation.id)
    if interest is None:
        member = db.session.get(User, appointment.organisation_outcome_by_id)
        if not project.is_listed() or member is None or not member.is_verified:
            return None
        interest = deals.express_interest(
            project, member, _("推进会议“%(title)s”洽谈后双方均愿继续洽谈", title=appointment.event.title), [])
    if interest.status is InterestStatus.PENDING:
        deals.accept_interest(interest, owner)
    appointment.interest_id = interest.id
    db.session.flush()
    return interest


def outcome_pending(appointment: Appointment, side: Side) -> bool:
    return appointment.status is A.HELD and appointment.outcome_of(side)[0] is None


# ---------------------------------------------------------------- reminders

def send_reminders(now: datetime | None = None) -> tuple[int, int]:
    """The day before (one message per participant, its meetings of the next day) and an hour before each meeting."""
    now = now or utcnow()
    day_sent = hour_sent = 0
    events = db.session.scalars(db.select(MeetingEvent).where(MeetingEvent.status == E.SCHEDULED)).all()
    for event in events:
        upcoming = [a for a in _active_appointments(event) if a.status is A.CONFIRMED and
                    _aware(a.slot.starts_at) > now]
        for participant in attending(event):
            if participant.day_reminded_at is not None:
                continue
            mine = [a for a in upcoming if participant.id in (a.project_participant_id, a.organisation_participant_id)]
            if mine and _aware(mine[0].slot.starts_at) - now <= timedelta(hours=24):
                participant.day_reminded_at = now
                tell(participant.users(), "meeting_reminder_day", path_for("meetings.agenda", event_id=event.id),
                     title=event.title, where=event.venue or event.online_url,
                     placements=[_placement_params(a) for a in mine])
                day_sent += 1
        for appointment in upcoming:
            if appointment.hour_reminded_at is None and _aware(appointment.slot.starts_at) - now <= timedelta(hours=1):
                appointment.hour_reminded_at = now
                _tell_parties(appointment, "in_an_hour")
                hour_sent += 1
    if day_sent or hour_sent:
        audit.record("meeting_reminders", actor=SYSTEM, comment=f"day {day_sent}, hour {hour_sent}")
    return day_sent, hour_sent


# ---------------------------------------------------------------- report

def event_report(event: MeetingEvent) -> dict:
    """The figures of one event: invited, confirmed, selections, scheduled, held, follow-ups, later deals."""
    people = list(event.participants)
    marks = db.session.scalars(db.select(Selection).where(Selection.event_id == event.id)).all()
    wants = {(s.from_id, s.to_id) for s in marks if s.mark is Mark.WANT}
    mutual = {tuple(sorted(pair)) for pair in wants if (pair[1], pair[0]) in wants}
    meetings = _active_appointments(event)
    held = [a for a in meetings if a.status is A.HELD]
    both = [a for a in held if a.project_outcome is Outcome.CONTINUE and a.organisation_outcome is Outcome.CONTINUE]
    start = event.starts_at
    later = []
    for appointment in meetings:
        rows = db.session.scalars(db.select(Interest).where(
            Interest.project_id == appointment.project_participant.project_id,
            Interest.organisation_id == appointment.organisation_participant.organisation_id,
            db.or_(Interest.id == appointment.interest_id,
                   Interest.created_at >= start if start else db.false()))).all()
        later.extend(rows)
    later = list({i.id: i for i in later}.values())
    signed = [i for i in later if i.status is InterestStatus.SIGNED]

    def count(side, states=None):
        return sum(1 for p in people if p.side is side and (states is None or p.status in states))

    return {
        "invited": {s: count(s) for s in Side},
        "confirmed": {s: count(s, ATTENDING) for s in Side},
        "declined": {s: count(s, (P.DECLINED,)) for s in Side},
        "unanswered": {s: count(s, (P.INVITED,)) for s in Side},
        "attended": {s: count(s, (P.ATTENDED,)) for s in Side},
        "no_show": {s: count(s, (P.NO_SHOW,)) for s in Side},
        "selectors": sum(1 for p in people if p.selected_at),
        "marks": {m: sum(1 for s in marks if s.mark is m) for m in Mark},
        "mutual_wants": len(mutual),
        "scheduled": len(meetings),
        "by_kind": {k: sum(1 for a in meetings if a.kind is k) for k in MeetingKind},
        "held": len(held),
        "missed": sum(1 for a in meetings if a.status is A.MISSED),
        "continue_both": len(both),
        "continue_one": sum(1 for a in held if (a.project_outcome is Outcome.CONTINUE) != (
            a.organisation_outcome is Outcome.CONTINUE)),
        "outcomes_pending": sum(1 for a in held if a.project_outcome is None or a.organisation_outcome is None),
        "interests": sorted(later, key=lambda i: i.created_at),
        "signed": signed,
        "schedule": event.schedule_report or {},
    }


def programme_figures() -> dict:
    """Meeting figures of the whole programme, for the dashboard."""
    events = db.session.scalars(db.select(MeetingEvent).where(MeetingEvent.status != E.CANCELLED)).all()
    held = db.session.scalar(db.select(db.func.count()).select_from(Appointment).where(
        Appointment.status == A.HELD)) or 0
    both = db.session.scalar(db.select(db.func.count()).select_from(Appointment).where(
        Appointment.status == A.HELD, Appointment.project_outcome == Outcome.CONTINUE,
        Appointment.organisation_outcome == Outcome.CONTINUE)) or 0
    interests = db.session.scalar(db.select(db.func.count(db.distinct(Appointment.interest_id))).where(
        Appointment.interest_id.is_not(None))) or 0
    signed = db.session.scalar(db.select(db.func.count(db.distinct(Interest.id))).select_from(Appointment).join(
        Interest, Appointment.interest_id == Interest.id).where(Interest.status == InterestStatus.SIGNED)) or 0
    return {"events": len(events), "held_events": sum(1 for e in events if e.status in (E.HELD, E.CLOSED)),
            "meetings_held": held, "continue_both": both, "interests": interests, "signed": signed}


def _event_link(event: MeetingEvent) -> str:
    return path_for("meetings.detail", event_id=event.id)


__all__ = ["APPOINTMENT", "EVENT", "PARTICIPANT", "SlotPlan", "is_system"]


# ---------------------------------------------------------------- notices (read in the reader's language)

def _venue(stored) -> str:
    return stored or str(_l("线上"))


_AGENDA_CHANGES = {"added": _l("新增洽谈安排"), "moved": _l("洽谈时间或地点已调整"), "removed": _l("洽谈已取消"),
                   "record_outcome": _l("请登记洽谈结果"), "in_an_hour": _l("一小时后开始洽谈")}

notice("meeting_invitation", _l("推进会议邀请：%(title)s"),
       _l("创新服务站邀请%(who)s参加推进会议“%(title)s”（%(when)s，%(where)s）。请在 %(deadline)s 前确认是否参会并填写参会人员。"),
       where=_venue)
notice("meeting_attachment", _l("推进会议资料已更新：%(title)s"), _l("服务站上传了会议资料“%(name)s”。"))
notice("meeting_cancelled", _l("推进会议已取消：%(title)s"), _l("原因：%(reason)s"))
notice("meeting_reply", _l("%(who)s %(answer)s：%(title)s"), group="staff", answer=ParticipantStatus)
notice("meeting_agenda", _l("推进会议日程已发布：%(title)s"),
       _l("您的洽谈日程（时间、洽谈桌、对方信息）已发布，可下载 Word 日程和日历文件。"))
notice("meeting_agenda_changed", _l("%(what)s：%(title)s"), "%(placements)s", what=_changed, placements=_placements)
notice("meeting_outcome", _l("对方暂不继续洽谈：%(title)s"), _l("原因：%(reason)s"), "%(note)s",
       reason=_other_side_reason)
notice("meeting_reminder_day", _l("明日推进会议提醒：%(title)s"), _l("地点：%(where)s"), "%(placements)s",
       placements=_placements)
