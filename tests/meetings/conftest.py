"""A small 推进会议: two published projects, two verified organisations, slots of 20 minutes, two tables."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app.extensions import db
from app.meetings import operations as svc
from app.meetings.models import Mark, Side
from app.projects.models import ProjectStatus

SECRET = "绝密结构组成：钛合金双腔微泵"  # a partner-tier value that must never reach a selection page or agenda


def plan(days_ahead: int = 10, tables_day=time(9, 0)) -> svc.SlotPlan:
    day = svc.beijing_now().date() + timedelta(days=days_ahead)
    return svc.SlotPlan(first_day=day, last_day=day, day_start=tables_day, day_end=time(10, 40), length=20, pause=0,
                        break_start=time(10, 0), break_end=time(10, 20))


def event_values(days_ahead: int = 10, **extra) -> dict:
    now = svc.utcnow()
    return dict({"title": "2026年第四季度临床研究成果转化推进会议", "organiser": "省药监局创新服务站", "description": "议程",
                 "venue": "福州市海峡国际会展中心 3 号厅", "online_url": "", "table_label": "洽谈桌", "tables": 2,
                 "registration_deadline": now + timedelta(days=days_ahead - 3),
                 "selection_deadline": now + timedelta(days=days_ahead - 1)}, **extra)


@pytest.fixture
def meeting(app, make_user, make_project, staff):
    """An open event with two confirmed projects and two confirmed organisations (no marks yet)."""
    with app.test_request_context():
        projects = [make_project(ProjectStatus.PUBLISHED, name=f"项目{n}", structure=SECRET) for n in (1, 2)]
        members = [make_user("enterprise", org_name="福建甲医疗器械有限公司"), make_user("investor", org_name="乙创投")]
        event = svc.create_event(staff, event_values(), plan())
        participants = svc.invite(event, staff, [p.id for p in projects], [m.organisation_id for m in members])
        svc.publish_event(event, staff)
        by_project = {p.project_id: p for p in participants if p.side is Side.PROJECT}
        by_org = {p.organisation_id: p for p in participants if p.side is Side.ORGANISATION}
        pp = [by_project[p.id] for p in projects]
        op = [by_org[m.organisation_id] for m in members]
        for participant, user in zip(pp + op, [p.owner for p in projects] + members):
            svc.respond(participant, user, True, [{"name": "林医生", "title": "主任", "phone": "13912345678"}])
        db.session.flush()
    return {"event": event, "projects": projects, "members": members, "pp": pp, "op": op, "staff": staff}


def mark(participant, user, marks: dict, cap=None, unavailable=()):
    svc.save_selection(participant, user, {other.id: (Mark(m) if m else None, rank) for other, (m, rank) in marks.items()},
                       cap, list(unavailable))
