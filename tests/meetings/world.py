"""A published 推进会议 with one project and one organisation, scheduled (or held), for the route-walking tests."""
from __future__ import annotations

import io
from datetime import time, timedelta

from werkzeug.datastructures import FileStorage

from app.meetings import operations as svc
from app.meetings.models import Mark

PERSON = [{"name": "林医生", "title": "主任医师", "phone": "13912345678"}]


def build_meeting(staff, project, member, held: bool = False, title: str = "推进会议") -> dict:
    """Event → invitations → attendance → mutual wants → schedule published (→ held, both checked in)."""
    day = svc.beijing_now().date() + timedelta(days=5)
    plan = svc.SlotPlan(first_day=day, last_day=day, day_start=time(9, 0), day_end=time(10, 0), length=30)
    now = svc.utcnow()
    event = svc.create_event(staff, {"title": title, "organiser": "创新服务站", "description": "议程", "venue": "福州",
                                     "online_url": "", "table_label": "", "tables": 2,
                                     "registration_deadline": now + timedelta(days=2),
                                     "selection_deadline": now + timedelta(days=3)}, plan)
    attachment = svc.add_attachment(event, staff, FileStorage(io.BytesIO(b"%PDF-1.4\n% agenda\n"), filename="议程.pdf"))
    project_side, organisation_side = svc.invite(event, staff, [project.id], [member.organisation_id])
    svc.publish_event(event, staff)
    svc.respond(project_side, project.owner, True, PERSON)
    svc.respond(organisation_side, member, True, PERSON)
    svc.save_selection(project_side, project.owner, {organisation_side.id: (Mark.WANT, 1)}, None, [])
    svc.save_selection(organisation_side, member, {project_side.id: (Mark.WANT, 1)}, None, [])
    svc.build_schedule(event, staff)
    svc.publish_schedule(event, staff)
    if held:
        svc.check_in(project_side, staff, True)
        svc.check_in(organisation_side, staff, True)
        svc.finish_event(event, staff)
    appointment = svc.appointments(event)[0]
    return {"event": event, "attachment": attachment, "project_side": project_side,
            "organisation_side": organisation_side, "appointment": appointment}
