"""Demo 推进会议: one held with outcomes (and an interest carried on), one upcoming and open for selection."""
from __future__ import annotations

from app.demo import loader as demo
from app.demo import meetings as demo_meetings
from app.extensions import db
from app.meetings import operations as svc
from app.meetings.models import EventStatus, MeetingEvent


def test_demo_has_a_past_meeting_with_outcomes_and_an_upcoming_one_open_for_selection():
    demo.load_demo()
    db.session.commit()
    events = {e.title: e for e in db.session.scalars(db.select(MeetingEvent))}
    past, upcoming = events[demo_meetings.PAST_TITLE], events[demo_meetings.UPCOMING_TITLE]
    assert past.status is EventStatus.HELD and svc._aware(past.ends_at) < svc.utcnow()
    report = svc.event_report(past)
    assert report["held"] >= 3 and report["missed"] >= 1 and report["continue_both"] == 1
    assert any(a.interest_id for a in svc.appointments(past))
    assert upcoming.status is EventStatus.OPEN and svc.selection_open(upcoming)
    assert svc.event_report(upcoming)["selectors"] >= 1
    demo.load_demo()  # a second run adds nothing
    assert db.session.scalar(db.select(db.func.count()).select_from(MeetingEvent)) == 2
