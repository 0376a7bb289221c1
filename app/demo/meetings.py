"""Demo 推进会议: one held a month ago with its outcomes, one upcoming and open for selection.

Both are walks of the demo replay (see loader.py): each step runs at its moment through the meetings
operations, the deadlines checked against that moment.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from app.accounts.models import Organisation, OrgStatus, User
from app.deals.models import PassReason
from app.extensions import db
from app.meetings import operations as meetings
from app.meetings.models import Mark, MeetingEvent, Outcome, Side
from app.projects.models import LIBRARY_STATES, Project
from forms.validators import is_mainland_phone

PAST_TITLE = "福建省医疗器械临床研究成果转化推进会议（第三期·福州）"
UPCOMING_TITLE = "福建省医疗器械临床研究成果转化推进会议（第四期·厦门）"
SIZE = 3  # projects and organisations per event


def _listed_projects(limit: int) -> list[Project]:
    rows = db.session.scalars(db.select(Project).where(Project.status.in_(LIBRARY_STATES),
                                                       Project.publish_consent.is_(True))
                              .order_by(Project.published_at, Project.id)).all()
    # the demo clinician's projects first, so that signing in as clinician@demo.test shows the meetings
    rows.sort(key=lambda p: (p.owner.email != "clinician@demo.test", p.id))
    return rows[:limit]


def _verified_organisations(limit: int) -> list[Organisation]:
    rows = db.session.scalars(db.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
                              .order_by(Organisation.id)).all()
    return [o for o in rows if any(m.active for m in o.members)][:limit]


def _attendee(user: User) -> list[dict]:
    return [{"name": user.name, "title": "项目负责人" if user.is_clinician else "业务负责人", "phone": user.phone
             if is_mainland_phone(user.phone or "") else "13800000000"}]


def _acting(participant) -> User:
    return participant.users()[0]


def _event(load, title: str, day, registration: datetime, selection: datetime, description: str) -> MeetingEvent:
    plan = meetings.SlotPlan(first_day=day, last_day=day, day_start=time(14, 0), day_end=time(16, 30), length=25,
                             pause=5)
    return meetings.create_event(load.staff, {
        "title": title, "organiser": "福建省药品监督管理局 · 医疗器械创新服务站", "description": description,
        "venue": "福州市鼓楼区五四路 福建省药监局创新服务站 二楼会议室" if "福州" in title else "厦门国际会议中心 B 厅",
        "online_url": "", "table_label": "洽谈桌", "tables": 3, "registration_deadline": registration,
        "selection_deadline": selection}, plan)


def _invite(load, event):
    projects, organisations = _listed_projects(SIZE), _verified_organisations(SIZE)
    if len(projects) < 2 or len(organisations) < 2:
        return None
    meetings.invite(event, load.staff, [p.id for p in projects], [o.id for o in organisations])
    meetings.publish_event(event, load.staff)
    return projects, organisations


def _mark_all(event, moment: datetime, pattern) -> None:
    """Every confirmed participant marks the other side: pattern(i, j) → (mark, rank) for project i, org j."""
    project_side = meetings.attending(event, Side.PROJECT)
    organisation_side = meetings.attending(event, Side.ORGANISATION)
    for i, p in enumerate(project_side):
        meetings.save_selection(p, _acting(p), _ranked({o.id: pattern(i, j, "p") for j, o in
                                                        enumerate(organisation_side)}), None, [], now=moment)
    for j, o in enumerate(organisation_side):
        meetings.save_selection(o, _acting(o), _ranked({p.id: pattern(i, j, "o") for i, p in
                                                        enumerate(project_side)}), None, [], now=moment)


def _ranked(marks: dict) -> dict:
    """Wants ranked 1, 2, … in the order given; the others unranked."""
    ranks = iter(range(1, len(marks) + 1))
    return {key: (mark, next(ranks) if mark is Mark.WANT else None) for key, mark in marks.items()}


def _pattern(i: int, j: int, side: str) -> Mark:
    if i == j:
        return Mark.WANT
    if (i + j) % 2 == 1:
        return Mark.WANT if side == "p" else Mark.OPEN
    return Mark.NO if (i, j, side) == (0, 2, "o") else Mark.OPEN


def past_walk(load):
    """Invited 40 days ago, held 28 days ago: selections, schedule, check-in, outcomes (one pair carries on)."""
    if db.session.scalar(db.select(MeetingEvent.id).where(MeetingEvent.title == PAST_TITLE)):
        return
    held_day = load.today - timedelta(days=28)
    yield load.ago(40, "meeting-past")
    event = _event(load, PAST_TITLE, held_day, load.ago(33, "reg"), load.ago(30, "sel"),
                   "议程：14:00 开幕及政策宣讲（创新医疗器械特别审查程序）；14:30 起一对一洽谈。")
    picked = _invite(load, event)
    if picked is None:
        return
    yield load.ago(36, "meeting-past-reply")
    moment = load.ago(36, "meeting-past-reply")
    for participant in event.participants:
        meetings.respond(participant, _acting(participant), True, _attendee(_acting(participant)), now=moment)
    yield load.ago(31, "meeting-past-select")
    _mark_all(event, load.ago(31, "meeting-past-select"), _pattern)
    yield load.ago(29.5, "meeting-past-build")
    meetings.build_schedule(event, load.staff)
    meetings.publish_schedule(event, load.staff)
    yield load.ago(28, "meeting-past-day")
    for n, participant in enumerate(meetings.attending(event)):
        meetings.check_in(participant, load.staff, n != len(event.participants) - 1)  # the last one did not come
    meetings.finish_event(event, load.staff)
    yield load.ago(26, "meeting-past-outcomes")
    held = [a for a in meetings.appointments(event) if a.status.value == "held"]
    for n, appointment in enumerate(held):
        project_user = _acting(appointment.project_participant)
        organisation_user = _acting(appointment.organisation_participant)
        if n == 0:
            meetings.record_outcome(appointment, organisation_user, Outcome.CONTINUE)
            meetings.record_outcome(appointment, project_user, Outcome.CONTINUE)
        elif n == 1:
            meetings.record_outcome(appointment, organisation_user, Outcome.STOP, PassReason.TOO_EARLY,
                                    "希望完成设计验证后再谈")
            meetings.record_outcome(appointment, project_user, Outcome.CONTINUE)
        else:
            meetings.record_outcome(appointment, project_user, Outcome.CONTINUE)


def upcoming_walk(load):
    """Published a week ago, held in 12 days: most invited have confirmed, some have marked, selection is open."""
    if db.session.scalar(db.select(MeetingEvent.id).where(MeetingEvent.title == UPCOMING_TITLE)):
        return
    yield load.ago(7, "meeting-next")
    event = _event(load, UPCOMING_TITLE, load.today + timedelta(days=12), load.now + timedelta(days=5),
                   load.now + timedelta(days=9),
                   "议程：14:00 开幕及医保、挂网政策解读；14:30 起一对一洽谈。请在选择截止前完成“想见/可以/不见”标记。")
    if _invite(load, event) is None:
        return
    yield load.ago(4, "meeting-next-reply")
    moment = load.ago(4, "meeting-next-reply")
    organisations = [p for p in event.participants if p.side is Side.ORGANISATION]
    for participant in event.participants:
        if participant is organisations[-1]:
            continue  # one organisation has not answered yet
        meetings.respond(participant, _acting(participant), True, _attendee(_acting(participant)), now=moment)
    yield load.ago(2, "meeting-next-select")
    moment = load.ago(2, "meeting-next-select")
    for participant in meetings.attending(event, Side.ORGANISATION):
        others = meetings.attending(event, Side.PROJECT)
        meetings.save_selection(participant, _acting(participant),
                                {p.id: (Mark.WANT, n + 1) if n < 2 else (Mark.OPEN, None)
                                 for n, p in enumerate(others)}, None, [], now=moment)
