"""推进会议 operations: slots, invitations, attendance, selection, the schedule and its hand edits, outcomes, reminders."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import AuditEvent, Notification
from app.deals import operations as deals
from app.deals.models import DeclineReason, Interest, InterestStatus, PassReason
from app.extensions import db
from app.meetings import operations as svc
from app.meetings.models import (Appointment, AppointmentStatus, EventStatus, Mark, MeetingKind, Outcome, PairRule,
                                 ParticipantStatus, Side)
from tests.meetings.conftest import SECRET, event_values, mark, plan


def test_slots_skip_the_break_and_follow_the_meeting_length():
    slots = plan().slots()
    local = [(s.astimezone(svc.BEIJING).strftime("%H:%M"), e.astimezone(svc.BEIJING).strftime("%H:%M")) for s, e in slots]
    assert local == [("09:00", "09:20"), ("09:20", "09:40"), ("09:40", "10:00"), ("10:20", "10:40")]


def test_slots_refuse_a_day_that_holds_no_meeting():
    bad = svc.SlotPlan(first_day=plan().first_day, last_day=plan().first_day, day_start=time(9, 0),
                       day_end=time(9, 10), length=20)
    with pytest.raises(ValidationError):
        bad.slots()


def test_staff_only_create_events(app, make_user):
    with app.test_request_context(), pytest.raises(PermissionDenied):
        svc.create_event(make_user("clinician"), event_values(), plan())


def test_selection_deadline_must_come_before_the_first_meeting(app, staff):
    late = event_values(selection_deadline=svc.utcnow() + timedelta(days=30))
    with app.test_request_context(), pytest.raises(ValidationError):
        svc.create_event(staff, late, plan())


def test_invitations_wait_for_publication_then_notify_both_sides(app, make_project, make_user, staff):
    from app.projects.models import ProjectStatus
    with app.test_request_context():
        project, member = make_project(ProjectStatus.PUBLISHED), make_user("enterprise")
        event = svc.create_event(staff, event_values(), plan())
        svc.invite(event, staff, [project.id], [member.organisation_id])
        kinds = lambda user: db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)).all()  # noqa: E731
        assert "meeting_invitation" not in kinds(project.owner)
        assert svc.publish_event(event, staff) == 2
        assert "meeting_invitation" in kinds(project.owner) and "meeting_invitation" in kinds(member)


def test_only_listed_projects_and_verified_organisations_are_invited(app, make_project, make_user, staff):
    from app.projects.models import ProjectStatus
    with app.test_request_context():
        event = svc.create_event(staff, event_values(), plan())
        with pytest.raises(ValidationError):
            svc.invite(event, staff, [make_project(ProjectStatus.SUBMITTED).id], [])
        with pytest.raises(ValidationError):
            svc.invite(event, staff, [], [make_user("enterprise", verified=False).organisation_id])


def test_attendance_names_people_with_a_mainland_phone(meeting):
    participant, user = meeting["pp"][0], meeting["projects"][0].owner
    with pytest.raises(ValidationError):
        svc.respond(participant, user, True, [{"name": "王", "title": "", "phone": "12345"}])
    with pytest.raises(ValidationError):
        svc.respond(participant, user, True, [])
    svc.respond(participant, user, True, [{"name": "王医生", "title": "副主任医师", "phone": "0591-87654321"}])
    assert participant.attendees == [{"name": "王医生", "title": "副主任医师", "phone": "0591-87654321"}]


def test_only_the_participant_answers_and_only_before_the_deadline(meeting, make_user):
    participant = meeting["pp"][0]
    with pytest.raises(PermissionDenied):
        svc.respond(participant, make_user("clinician"), False)
    with pytest.raises(TransitionError):
        svc.respond(participant, meeting["projects"][0].owner, False, now=svc.utcnow() + timedelta(days=8))


def test_counterparts_show_public_tier_and_suggestion_scores(meeting):
    from app.suggestions.models import MatchSuggestion
    organisation_side = meeting["op"][0]
    db.session.add(MatchSuggestion(project_id=meeting["projects"][0].id, organisation_id=organisation_side.organisation_id,
                                   score=0.81, public_reasons=["同属有源器械"], owner_reasons=["x"]))
    db.session.flush()
    items = svc.counterparts(organisation_side)
    assert [i.participant.id for i in items][:1] == [meeting["pp"][0].id]
    assert items[0].score == 0.81 and items[0].reasons == ["同属有源器械"]
    assert not hasattr(items[0].public, "structure") and not hasattr(items[0].public, "phone")


def test_marks_ranks_cap_and_unavailable_slots_are_saved(meeting):
    p1, (o1, o2) = meeting["pp"][0], meeting["op"]
    owner = meeting["projects"][0].owner
    slot = meeting["event"].slots[0].id
    mark(p1, owner, {o1: ("want", 1), o2: ("no", None)}, cap=2, unavailable=[slot])
    assert p1.cap == 2 and p1.unavailable == [slot]
    with pytest.raises(ValidationError):
        mark(p1, owner, {o1: ("want", 1), o2: ("want", 1)})
    with pytest.raises(PermissionDenied):
        mark(p1, meeting["members"][0], {o1: ("want", 1)})
    with pytest.raises(TransitionError):
        svc.save_selection(p1, owner, {}, None, [], now=svc.utcnow() + timedelta(days=20))


def _all_want(meeting):
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    owners, members = [p.owner for p in meeting["projects"]], meeting["members"]
    mark(p1, owners[0], {o1: ("want", 1), o2: ("want", 2)})
    mark(p2, owners[1], {o1: ("want", 1), o2: ("no", None)})
    mark(o1, members[0], {p1: ("want", 1), p2: ("want", 2)})
    mark(o2, members[1], {p1: ("open", None), p2: ("want", 1)})


def _pairs(event):
    return {(a.project_participant_id, a.organisation_participant_id): a for a in svc.appointments(event)}


def test_the_schedule_places_wants_and_never_a_no(app, meeting):
    _all_want(meeting)
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    with app.test_request_context():
        report = svc.build_schedule(meeting["event"], meeting["staff"])
    pairs = _pairs(meeting["event"])
    assert (p2.id, o2.id) not in pairs                      # p2 said no to o2
    assert {(p1.id, o1.id), (p2.id, o1.id), (p1.id, o2.id)} <= set(pairs)
    assert pairs[(p1.id, o1.id)].kind is MeetingKind.MUTUAL and pairs[(p1.id, o2.id)].kind is MeetingKind.ONE_SIDED
    assert report["mutual_scheduled"] == 2
    slots_of = {}
    for a in pairs.values():
        for side in (a.project_participant_id, a.organisation_participant_id):
            assert (side, a.slot_id) not in slots_of, "nobody is in two places at once"
            slots_of[(side, a.slot_id)] = a
    assert all(a.status is AppointmentStatus.PLANNED for a in pairs.values())
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "meeting_build")) is not None


def test_a_rerun_keeps_confirmed_meetings(app, meeting):
    _all_want(meeting)
    event, staff = meeting["event"], meeting["staff"]
    with app.test_request_context():
        svc.build_schedule(event, staff)
        first = _pairs(event)[(meeting["pp"][0].id, meeting["op"][0].id)]
        last_slot = event.slots[-1]
        svc.move_appointment(first, staff, last_slot, 1)
        assert first.status is AppointmentStatus.CONFIRMED
        svc.build_schedule(event, staff)
        again = _pairs(event)[(meeting["pp"][0].id, meeting["op"][0].id)]
    assert again.id == first.id and (again.slot_id, again.table) == (last_slot.id, 1)


def test_hand_edits_refuse_double_booking_a_full_table_and_a_no(app, meeting):
    _all_want(meeting)
    event, staff = meeting["event"], meeting["staff"]
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    slot0, slot1 = event.slots[0], event.slots[1]
    with app.test_request_context():
        svc.add_appointment(event, staff, p1, o1, slot0, 0)
        with pytest.raises(ValidationError, match="重复安排"):
            svc.add_appointment(event, staff, p1, o2, slot0, 1)        # p1 is already at table 0
        with pytest.raises(ValidationError, match="已有洽谈"):
            svc.add_appointment(event, staff, p2, o2, slot0, 0)        # table 0 is taken (and p2 said no)
        with pytest.raises(ValidationError, match="不见"):
            svc.add_appointment(event, staff, p2, o2, slot1, 1)
        with pytest.raises(ValidationError):
            svc.add_appointment(event, staff, p1, o2, slot1, 5)        # no such table
        with pytest.raises(ValidationError, match="不见"):
            svc.set_staff_pair(event, staff, p2, o2, PairRule.ADD)
        added = svc.add_appointment(event, staff, p2, o1, slot1, 1)
        with pytest.raises(ValidationError, match="重复安排"):
            svc.move_appointment(added, staff, slot0, 1)                # o1 meets p1 in slot 0
        svc.remove_appointment(added, staff)
    assert added.status is AppointmentStatus.REMOVED
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"appointment_add", "appointment_remove"} <= actions


def test_staff_add_and_veto_shape_the_instance(app, meeting):
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    event, staff = meeting["event"], meeting["staff"]
    with app.test_request_context():
        svc.set_staff_pair(event, staff, p1, o1, PairRule.ADD)
        svc.set_staff_pair(event, staff, p2, o2, PairRule.VETO)
        instance = svc.solver_instance(event)
        marks = {(m["from"], m["to"]): m["mark"] for m in instance["marks"]}
        assert marks[(p1.solver_id, o1.solver_id)] == marks[(o1.solver_id, p1.solver_id)] == "want"
        assert marks[(p2.solver_id, o2.solver_id)] == "no"
        svc.build_schedule(event, staff)
    pairs = _pairs(event)
    assert pairs[(p1.id, o1.id)].kind is MeetingKind.STAFF and (p2.id, o2.id) not in pairs
    assert {p["id"] for p in instance["participants"]} == {p.solver_id for p in meeting["pp"] + meeting["op"]}


def test_non_staff_cannot_build_or_edit(app, meeting):
    _all_want(meeting)
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            svc.build_schedule(meeting["event"], meeting["projects"][0].owner)
        with pytest.raises(PermissionDenied):
            svc.add_appointment(meeting["event"], meeting["members"][0], meeting["pp"][0], meeting["op"][0],
                                meeting["event"].slots[0], 0)


def _publish_and_hold(app, meeting):
    _all_want(meeting)
    event, staff = meeting["event"], meeting["staff"]
    with app.test_request_context():
        svc.build_schedule(event, staff)
        svc.publish_schedule(event, staff)
        for participant in meeting["pp"] + meeting["op"]:
            svc.check_in(participant, staff, participant is not meeting["op"][1])
        svc.finish_event(event, staff)
    return _pairs(event)


def test_publication_confirms_and_notifies_then_check_in_decides_held_or_missed(app, meeting):
    pairs = _publish_and_hold(app, meeting)
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    assert meeting["event"].status is EventStatus.HELD
    assert pairs[(p1.id, o1.id)].status is AppointmentStatus.HELD
    assert pairs[(p1.id, o2.id)].status is AppointmentStatus.MISSED   # o2 did not come
    assert o2.status is ParticipantStatus.NO_SHOW
    agenda = db.session.scalars(db.select(Notification).where(Notification.kind == "meeting_agenda",
                                                              Notification.user_id == meeting["members"][0].id)).all()
    assert len(agenda) == 1


def test_both_continue_creates_an_accepted_interest(app, meeting):
    pairs = _publish_and_hold(app, meeting)
    held = pairs[(meeting["pp"][0].id, meeting["op"][0].id)]
    owner, member = meeting["projects"][0].owner, meeting["members"][0]
    with app.test_request_context():
        assert svc.record_outcome(held, owner, Outcome.CONTINUE) is None
        interest = svc.record_outcome(held, member, Outcome.CONTINUE)
    assert interest is not None and interest.status is InterestStatus.ACCEPTED
    assert held.interest_id == interest.id and interest.organisation_id == member.organisation_id


def test_both_continue_advances_a_pending_interest(app, meeting):
    pairs = _publish_and_hold(app, meeting)
    held = pairs[(meeting["pp"][1].id, meeting["op"][0].id)]
    owner, member = meeting["projects"][1].owner, meeting["members"][0]
    with app.test_request_context():
        pending = deals.express_interest(meeting["projects"][1], member, "会前意向", [])
        svc.record_outcome(held, member, Outcome.CONTINUE)
        interest = svc.record_outcome(held, owner, Outcome.CONTINUE)
    assert interest.id == pending.id and pending.status is InterestStatus.ACCEPTED
    assert db.session.scalar(db.select(db.func.count()).select_from(Interest)) == 1


def test_stopping_needs_a_reason_and_tells_the_other_side(app, meeting):
    pairs = _publish_and_hold(app, meeting)
    held = pairs[(meeting["pp"][0].id, meeting["op"][0].id)]
    member = meeting["members"][0]
    with app.test_request_context():
        with pytest.raises(ValidationError):
            svc.record_outcome(held, member, Outcome.STOP)
        with pytest.raises(ValidationError):
            svc.record_outcome(held, member, Outcome.STOP, PassReason.OTHER, "")
        with pytest.raises(ValidationError):  # the clinician's list is not the organisation's
            svc.record_outcome(held, member, Outcome.STOP, DeclineReason.MODE)
        svc.record_outcome(held, member, Outcome.STOP, PassReason.TOO_EARLY)
        with pytest.raises(PermissionDenied):
            svc.record_outcome(held, meeting["members"][1], Outcome.CONTINUE)
    told = db.session.scalar(db.select(Notification).where(Notification.kind == "meeting_outcome",
                                                           Notification.user_id == meeting["projects"][0].owner_id))
    assert told is not None and "项目阶段过早" in told.body
    assert db.session.scalar(db.select(db.func.count()).select_from(Interest)) == 0


def test_outcomes_wait_for_the_event_to_be_held(app, meeting):
    _all_want(meeting)
    with app.test_request_context():
        svc.build_schedule(meeting["event"], meeting["staff"])
        svc.publish_schedule(meeting["event"], meeting["staff"])
    appointment = svc.appointments(meeting["event"])[0]
    with pytest.raises(TransitionError):
        svc.record_outcome(appointment, appointment.project.owner, Outcome.CONTINUE)


def test_reminders_the_day_before_and_an_hour_before(app, meeting):
    _all_want(meeting)
    event = meeting["event"]
    with app.test_request_context():
        svc.build_schedule(event, meeting["staff"])
        svc.publish_schedule(event, meeting["staff"])
        first = svc._aware(event.slots[0].starts_at)
        assert svc.send_reminders(first - timedelta(hours=30)) == (0, 0)
        day, hour = svc.send_reminders(first - timedelta(hours=20))
        assert day == 4 and hour == 0
        assert svc.send_reminders(first - timedelta(hours=19)) == (0, 0)   # once only
        day, hour = svc.send_reminders(first - timedelta(minutes=50))
        assert day == 0 and hour == sum(1 for a in svc.appointments(event) if a.slot_id == event.slots[0].id)
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == meeting["members"][0].id)).all()
    assert "meeting_reminder_day" in kinds


def test_the_reminder_job_runs_on_the_queue(queue, meeting, app):
    from app.meetings.jobs import send_meeting_reminders
    _all_want(meeting)
    with app.test_request_context():
        svc.build_schedule(meeting["event"], meeting["staff"])
        svc.publish_schedule(meeting["event"], meeting["staff"])
    db.session.commit()
    send_meeting_reminders()  # a periodic task called directly is queued like any other
    assert len(queue.waiting(send_meeting_reminders)) == 1
    queue.run_all()
    assert queue.waiting(send_meeting_reminders) == []


def test_agenda_exports_carry_public_information_only(app, meeting):
    from app.meetings import exports
    _all_want(meeting)
    event = meeting["event"]
    owner = meeting["projects"][0].owner
    member = meeting["members"][0]
    with app.test_request_context():
        svc.build_schedule(event, meeting["staff"])
        svc.publish_schedule(event, meeting["staff"])
        for user in (owner, member):
            items = svc.agenda_of(event, user)
            assert items
            ics = exports.agenda_ics(event, items, "x").decode()
            assert "BEGIN:VEVENT" in ics and SECRET not in ics and "13912345678" not in ics
            data = exports.agenda_docx(event, items, "x")
            import io
            import zipfile
            xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
            assert SECRET not in xml and "13912345678" not in xml
        member_ics = exports.agenda_ics(event, svc.agenda_of(event, member), "x").decode()
    assert "项目1" in member_ics


def test_event_report_counts_the_whole_life(app, meeting):
    pairs = _publish_and_hold(app, meeting)
    held = pairs[(meeting["pp"][0].id, meeting["op"][0].id)]
    with app.test_request_context():
        svc.record_outcome(held, meeting["projects"][0].owner, Outcome.CONTINUE)
        svc.record_outcome(held, meeting["members"][0], Outcome.CONTINUE)
    report = svc.event_report(meeting["event"])
    assert report["invited"] == {Side.PROJECT: 2, Side.ORGANISATION: 2}
    assert report["confirmed"][Side.ORGANISATION] == 2 and report["no_show"][Side.ORGANISATION] == 1
    assert report["selectors"] == 4 and report["marks"][Mark.NO] == 1 and report["mutual_wants"] == 2
    assert report["continue_both"] == 1 and len(report["interests"]) == 1
    figures = svc.programme_figures()
    assert figures["meetings_held"] == report["held"] and figures["interests"] == 1


def test_cancelling_needs_a_reason(app, meeting):
    with app.test_request_context():
        with pytest.raises(ValidationError):
            svc.cancel_event(meeting["event"], meeting["staff"], "")
        svc.cancel_event(meeting["event"], meeting["staff"], "场地调整")
    assert meeting["event"].status is EventStatus.CANCELLED


def test_invitations_are_mailed_to_both_sides(app, smtp_server, make_project, make_user, staff):
    """In-app and by e-mail: the mail job leaves after the commit, through a real SMTP server."""
    from app.projects.models import ProjectStatus
    with app.test_request_context():
        project, member = make_project(ProjectStatus.PUBLISHED), make_user("enterprise")
        event = svc.create_event(staff, event_values(), plan())
        svc.invite(event, staff, [project.id], [member.organisation_id])
        svc.publish_event(event, staff)
    db.session.commit()
    mails = [m for m in smtp_server.wait_for(2) if "推进会议邀请" in m["Subject"]]
    assert sorted(m["To"] for m in mails) == sorted([project.owner.email, member.email])
    assert all(f"/meetings/{event.id}" in m.get_content() for m in mails)


@pytest.mark.parametrize("utc, runs", [((2026, 12, 3, 1, 2), True), ((2026, 12, 3, 1, 7), True),
                                       ((2026, 12, 3, 1, 0), False), ((2026, 12, 3, 1, 5), False)])
def test_the_reminder_job_runs_every_five_minutes_off_the_hour(utc, runs):
    from datetime import datetime

    from app.core.jobs import huey
    due = [type(task).__name__ for task in huey.read_periodic(datetime(*utc))]
    assert ("send_meeting_reminders" in due) is runs
