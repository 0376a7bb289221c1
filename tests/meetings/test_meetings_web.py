"""推进会议 through the web: forms validate on the server with messages next to fields; the state tables by role."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.meetings import operations as svc
from app.meetings.models import (Appointment, AppointmentStatus, EventStatus, Mark, MeetingEvent, MeetingKind,
                                 Outcome, ParticipantStatus, Selection)
from tests.transitions import STAFF, actors, assert_table, walk

E, P, A = EventStatus, ParticipantStatus, AppointmentStatus


def _form(day, **extra):
    return dict({"title": "推进会议（福州站）", "organiser": "创新服务站", "description": "议程", "venue": "福州",
                 "online_url": "", "first_day": day.isoformat(), "last_day": "", "day_start": "09:00",
                 "day_end": "11:00", "length": "20", "pause": "5", "break_start": "", "break_end": "",
                 "table_label": "洽谈桌", "tables": "3",
                 "registration_deadline": (day - timedelta(days=3)).isoformat() + "T17:00",
                 "selection_deadline": (day - timedelta(days=1)).isoformat() + "T17:00"}, **extra)


def test_staff_create_an_event_through_the_form(client, login_as):
    login_as("staff")
    day = svc.beijing_now().date() + timedelta(days=14)
    response = client.post("/meetings/new", data=_form(day))
    assert response.status_code == 302
    event = db.session.scalar(db.select(MeetingEvent))
    assert event.status is E.DRAFT and event.tables == 3 and len(event.slots) == 5  # 09:00, 09:25, 09:50, 10:15, 10:40
    assert svc._aware(event.selection_deadline).astimezone(svc.BEIJING).hour == 17


def test_a_bad_event_form_is_refused_with_messages_next_to_the_fields(client, login_as):
    login_as("staff")
    day = svc.beijing_now().date() + timedelta(days=14)
    response = client.post("/meetings/new", data=_form(day, venue="", day_end="08:00", online_url="not a url",
                                                       selection_deadline=(day + timedelta(days=2)).isoformat() + "T09:00"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "结束时间须晚于开始时间" in body and "请填写以 http(s):// 开头的链接" in body
    assert db.session.scalar(db.select(db.func.count()).select_from(MeetingEvent)) == 0


def test_a_selection_deadline_after_the_first_meeting_is_refused(client, login_as):
    login_as("staff")
    day = svc.beijing_now().date() + timedelta(days=14)
    response = client.post("/meetings/new", data=_form(day, selection_deadline=(day + timedelta(days=2)).isoformat()
                                                       + "T09:00"))
    assert response.status_code == 400 and "选择截止时间须早于第一场洽谈开始" in response.get_data(as_text=True)


def test_attendance_with_a_bad_phone_is_refused_on_the_page(client, login_as, meeting):
    participant = meeting["pp"][0]
    login_as(meeting["projects"][0].owner)
    prefix = f"r{participant.id}-"
    response = client.post(f"/meetings/participants/{participant.id}/respond",
                           data={prefix + "attend": "yes", prefix + "attendees-0-name": "王医生",
                                 prefix + "attendees-0-phone": "12345"})
    assert response.status_code == 400 and "请输入有效的手机号" in response.get_data(as_text=True)
    response = client.post(f"/meetings/participants/{participant.id}/respond",
                           data={prefix + "attend": "yes", prefix + "attendees-0-name": "王医生",
                                 prefix + "attendees-0-title": "主任", prefix + "attendees-0-phone": "139 1234 5678"})
    assert response.status_code == 302
    db.session.refresh(participant)
    assert participant.attendees[0]["phone"] == "13912345678"


def test_selection_through_the_page(client, login_as, meeting):
    organisation_side, (p1, p2) = meeting["op"][0], meeting["pp"]
    login_as(meeting["members"][0])
    page = client.get(f"/meetings/participants/{organisation_side.id}/selection").get_data(as_text=True)
    assert "项目1" in page and "想见" in page
    url = f"/meetings/participants/{organisation_side.id}/selection"
    bad = client.post(url, data={f"mark_{p1.id}": "want", f"rank_{p1.id}": "1", f"mark_{p2.id}": "open",
                                 f"rank_{p2.id}": "2"})
    assert bad.status_code == 400 and "只有“想见”可以排序" in bad.get_data(as_text=True)
    ok = client.post(url, data={f"mark_{p1.id}": "want", f"rank_{p1.id}": "1", f"mark_{p2.id}": "no", "cap": "2",
                                "unavailable": str(meeting["event"].slots[0].id)})
    assert ok.status_code == 302
    marks = {s.to_id: s.mark for s in db.session.scalars(db.select(Selection))}
    assert marks == {p1.id: Mark.WANT, p2.id: Mark.NO}


def test_another_organisation_cannot_open_or_post_a_selection(client, login_as, meeting):
    login_as("enterprise")
    url = f"/meetings/participants/{meeting['op'][0].id}/selection"
    assert client.get(url).status_code == 404 and client.post(url, data={}).status_code == 404


def test_staff_build_publish_and_see_a_refused_hand_edit(client, login_as, meeting):
    from tests.meetings.test_meetings import _all_want
    _all_want(meeting)
    db.session.commit()
    login_as(meeting["staff"])
    event_id = meeting["event"].id
    assert client.post(f"/meetings/{event_id}/schedule/build").status_code == 302
    page = client.get(f"/meetings/{event_id}/schedule").get_data(as_text=True)
    assert "排程报告" in page and "阻塞对" in page
    taken = db.session.scalars(db.select(Appointment)).first()
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    response = client.post(f"/meetings/{event_id}/appointments", data={
        "project_participant": p2.id, "organisation_participant": o2.id, "slot": taken.slot_id,
        "table": taken.table})
    assert response.status_code == 400 and "不能安排" in response.get_data(as_text=True)
    assert client.post(f"/meetings/{event_id}/schedule/publish").status_code == 302
    db.session.refresh(meeting["event"])
    assert meeting["event"].status is E.SCHEDULED
    assert all(a.status is A.CONFIRMED for a in db.session.scalars(db.select(Appointment)))


# ---------------------------------------------------------------- the state tables by role

EVENT = {
    "publish": ({E.DRAFT}, E.OPEN, STAFF),
    "publish_schedule": ({E.OPEN, E.SCHEDULED}, E.SCHEDULED, STAFF),
    "finish": ({E.SCHEDULED}, E.HELD, STAFF),
    "close": ({E.HELD}, E.CLOSED, STAFF),
    "cancel": ({E.DRAFT, E.OPEN, E.SCHEDULED}, E.CANCELLED, STAFF),
}

PARTICIPANT = {
    "confirm": ({P.INVITED, P.DECLINED, P.CONFIRMED}, P.CONFIRMED, {"owner"}),
    "decline": ({P.INVITED, P.CONFIRMED}, P.DECLINED, {"owner"}),
    "attend": ({P.CONFIRMED, P.NO_SHOW}, P.ATTENDED, STAFF),
    "no_show": ({P.CONFIRMED, P.ATTENDED}, P.NO_SHOW, STAFF),
}

ORG_PARTICIPANT = {**PARTICIPANT, "confirm": ({P.INVITED, P.DECLINED, P.CONFIRMED}, P.CONFIRMED, {"member"}),
                   "decline": ({P.INVITED, P.CONFIRMED}, P.DECLINED, {"member"})}

APPOINTMENT = {
    "confirm": ({A.PLANNED}, A.CONFIRMED, STAFF),
    "hold": ({A.CONFIRMED}, A.HELD, STAFF),
    "miss": ({A.CONFIRMED}, A.MISSED, STAFF),
    "remove": ({A.PLANNED, A.CONFIRMED}, A.REMOVED, STAFF),
}


def test_the_tables_say_what_the_tests_say():
    assert_table(svc.EVENT, EVENT)
    assert_table(svc.PARTICIPANT, PARTICIPANT)
    assert_table(svc.APPOINTMENT, APPOINTMENT)


@pytest.fixture
def people(make_user, meeting):
    return actors(make_user, meeting["projects"][0].owner, meeting["members"][0])


@pytest.mark.parametrize("action", sorted(EVENT))
def test_event_transitions_by_role(meeting, people, action):
    walk(meeting["event"], svc.EVENT, EVENT, action, people)


@pytest.mark.parametrize("action", sorted(PARTICIPANT))
def test_project_participant_transitions_by_role(meeting, people, action):
    walk(meeting["pp"][0], svc.PARTICIPANT, PARTICIPANT, action, people)


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_organisation_participant_answers_by_its_members(meeting, people, action):
    walk(meeting["op"][0], svc.PARTICIPANT, ORG_PARTICIPANT, action, people)


@pytest.mark.parametrize("action", sorted(APPOINTMENT))
def test_appointment_transitions_by_role(meeting, people, action):
    appointment = Appointment(event_id=meeting["event"].id, slot_id=meeting["event"].slots[0].id, table=0,
                              project_participant_id=meeting["pp"][0].id,
                              organisation_participant_id=meeting["op"][0].id, kind=MeetingKind.MUTUAL)
    db.session.add(appointment)
    db.session.flush()
    walk(appointment, svc.APPOINTMENT, APPOINTMENT, action, people)



def test_the_dashboard_shows_the_meeting_figures(client, login_as, app, meeting):
    from tests.meetings.test_meetings import _publish_and_hold
    pairs = _publish_and_hold(app, meeting)
    held = pairs[(meeting["pp"][0].id, meeting["op"][0].id)]
    with app.test_request_context():
        svc.record_outcome(held, meeting["projects"][0].owner, Outcome.CONTINUE)
        svc.record_outcome(held, meeting["members"][0], Outcome.CONTINUE)
    db.session.commit()
    login_as("staff")
    html = client.get("/dashboard/").get_data(as_text=True)
    block = html[html.index('id="block-meetings"'):]
    block = block[:block.index("</section>")]
    assert "推进会议" in block and "双方愿继续" in block and "形成意向" in block
    assert svc.programme_figures() == {"events": 1, "held_events": 1, "meetings_held": 2, "continue_both": 1,
                                       "interests": 1, "signed": 0}


def test_staff_see_every_pair_with_counts_and_cannot_recommend_over_a_no(client, login_as, meeting):
    from tests.meetings.test_meetings import _all_want
    _all_want(meeting)
    db.session.commit()
    login_as(meeting["staff"])
    html = client.get(f"/meetings/{meeting['event'].id}/selections").get_data(as_text=True)
    assert 'id="mutual-count">2<' in html
    (p1, p2), (o1, o2) = meeting["pp"], meeting["op"]
    row = html[html.index(f'id="pair-{p2.id}-{o2.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'value="add"' not in row and 'value="veto"' in row
    response = client.post(f"/meetings/{meeting['event'].id}/pairs", data={
        "project_participant": p2.id, "organisation_participant": o2.id, "rule": "add"})
    assert response.status_code == 400


def test_staff_print_one_participants_agenda_others_only_their_own(client, login_as, app, meeting):
    from tests.meetings.test_meetings import _all_want
    _all_want(meeting)
    with app.test_request_context():
        svc.build_schedule(meeting["event"], meeting["staff"])
        svc.publish_schedule(meeting["event"], meeting["staff"])
    db.session.commit()
    event_id, p2 = meeting["event"].id, meeting["pp"][1]
    login_as(meeting["staff"])
    assert "项目2" in client.get(f"/meetings/{event_id}/checkin").get_data(as_text=True)
    page = client.get(f"/meetings/{event_id}/agenda?participant={p2.id}").get_data(as_text=True)
    assert "项目2" in page and "福建甲医疗器械有限公司" in page and "登记洽谈结果" not in page
    assert f"agenda.ics?participant={p2.id}" in page
    ics = client.get(f"/meetings/{event_id}/agenda.ics?participant={p2.id}").get_data(as_text=True)
    assert ics.count("BEGIN:VEVENT") == 1 and "乙创投" not in ics   # project 2 said 不见 to 乙创投
    client.post("/auth/logout")
    login_as(meeting["projects"][0].owner)  # a participant asking for another's agenda gets its own
    ics = client.get(f"/meetings/{event_id}/agenda.ics?participant={p2.id}").get_data(as_text=True)
    assert ics.count("BEGIN:VEVENT") == 2 and "乙创投" in ics
