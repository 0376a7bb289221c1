"""Reading the audit trail for the task force: filters, pages, export (the append-only guard is in app.core.audit)."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.people import role_change_text
from app.core.models import AuditEvent
from app.core.punctuation import fw
from app.core.spreadsheets import append_row, csv_cell
from app.core.templating import BEIJING, action_label, beijing_time, state_label
from app.extensions import db
from app.projects.models import FIELDS_BY_NAME, Project


# subject_type (a table name) in words, for the viewer and the export.
SUBJECT_LABELS = {
    "project": _l("项目"), "user": _l("用户"), "organisation": _l("机构"), "project_attachment": _l("项目附件"),
    "interest": _l("意向"), "intent": _l("投资意向"), "negotiation_message": _l("洽谈消息"), "agreement": _l("签约"),
    "docking_form": _l("对接表"), "notification": _l("通知"), "saved_search": _l("保存的搜索"), "assessment": _l("项目评估"),
    "assessment_score": _l("评估打分"), "milestone": _l("里程碑"), "milestone_evidence": _l("里程碑材料"),
    "report_batch": _l("报送批次"), "setting": _l("设置"),
    # notices (walk-through): tables the audit viewer showed by their raw names
    "membership": _l("机构成员"), "institution": _l("医疗机构"), "affiliation": _l("医务人员身份确认"),
    "project_pass": _l("机构反馈"), "match_suggestion": _l("推荐配对"), "meeting_event": _l("推进会议"),
    "meeting_participant": _l("参会单位"), "meeting_appointment": _l("洽谈安排"), "meeting_attachment": _l("会议资料"),
    "article": _l("政策与指南"), "provider": _l("服务资源"), "support_request": _l("服务申请"),
    "request_document": _l("申请材料"), "event_registration": _l("活动报名"),
}

# Field names some actions record in their comment (which fields changed), in words.
ORGANISATION_FIELD_LABELS = {
    "name": _l("机构名称"), "address": _l("通讯地址"), "uscc": _l("统一社会信用代码"), "field": _l("所属领域"),
    "legal_rep": _l("法人姓名"), "registered_capital_wan": _l("注册资金（万元）"), "registered_on": _l("注册时间"),
    "high_tech": _l("高新技术企业"), "specialised": _l("专精特新企业"), "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"), "overview": _l("企业概况"), "region": _l("所在地区"),
}
STATION_CONTACT_LABELS = {"name": _l("服务站名称"), "phone": _l("联系电话"), "email": _l("电子邮箱"),
                          "address": _l("办公地址"), "hours": _l("办公时间")}


def _named(names: str, labels: dict) -> str:
    return "、".join(str(labels[n]) if n in labels else n for n in names.split(", ") if n)


def comment_text(event: AuditEvent) -> str:
    """The comment in words: the changed-field lists some actions record are shown by their labels."""
    comment = event.comment or ""
    if not comment:
        return ""
    if event.action == "edit":
        return _named(comment, {name: f.label for name, f in FIELDS_BY_NAME.items()})
    if event.action == "update_profile":
        fields, _sep, notes = comment.partition("; ")
        return "；".join(part for part in (_named(fields, ORGANISATION_FIELD_LABELS), notes) if part)
    if event.action == "set_station_contact":
        return _named(comment, STATION_CONTACT_LABELS)
    if event.action == "change_role":
        return role_change_text(comment)
    return comment

EXPORT_HEADERS = ("时间（北京时间）", "操作人", "操作", "项目", "对象", "状态变化", "说明")


def _beijing_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING).astimezone(timezone.utc)


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


@dataclass
class AuditFilters:
    user: str = ""              # actor e-mail or name contains
    project: str = ""           # project id, or name contains
    action: str = ""            # exact action
    date_from: date | None = None  # Beijing dates, inclusive
    date_to: date | None = None
    invalid: list[str] = field(default_factory=list)  # fields whose value was ignored

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        filters = cls(user=(args.get("user") or "").strip()[:100], project=(args.get("project") or "").strip()[:100],
                      action=(args.get("action") or "").strip()[:50])
        for name in ("date_from", "date_to"):
            raw = (args.get(name) or "").strip()
            setattr(filters, name, _parse_date(raw))
            if raw and getattr(filters, name) is None:
                filters.invalid.append(name)
        return filters

    def as_args(self) -> dict[str, str]:
        values = {"user": self.user, "project": self.project, "action": self.action,
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in values.items() if v}

    def clauses(self) -> list:
        clauses = []
        if self.user:
            clauses.append(AuditEvent.actor_id.in_(db.select(User.id).where(db.or_(
                User.email.icontains(self.user, autoescape=True), User.name.icontains(self.user, autoescape=True)))))
        if self.project:
            names = db.select(Project.id).where(Project.name.icontains(self.project, autoescape=True))
            wanted = AuditEvent.project_id.in_(names)
            number = self.project.lstrip("#")
            if number.isdigit():
                wanted = db.or_(AuditEvent.project_id == int(number), wanted)
            clauses.append(wanted)
        if self.action:
            clauses.append(AuditEvent.action == self.action)
        if self.date_from:
            clauses.append(AuditEvent.created_at >= _beijing_day_start(self.date_from))
        if self.date_to:
            clauses.append(AuditEvent.created_at < _beijing_day_start(self.date_to + timedelta(days=1)))
        return clauses


@dataclass
class AuditPage:
    items: list[AuditEvent]
    total: int
    page: int
    pages: int
    per_page: int
    all_count: int   # rows in the trail without filters


def _query(filters: AuditFilters):
    return (db.select(AuditEvent).where(*filters.clauses())
            .options(db.joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))


def audit_page(filters: AuditFilters, page: int = 1, per_page: int = 50) -> AuditPage:
    """One page of audit rows, newest first, with the counts."""
    total = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(*filters.clauses())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(_query(filters).limit(per_page).offset((page - 1) * per_page)).unique().all()
    all_count = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) or 0
    return AuditPage(items, total, page, pages, per_page, all_count)


def action_choices() -> list[tuple[str, str]]:
    """The distinct actions of the trail as (action, label), by label."""
    actions = db.session.scalars(db.select(AuditEvent.action).distinct()).all()
    labels = {a: action_label(a) for a in actions}
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    # Actions that share a label (the demo walks) are told apart by their code.
    choices = [(a, f"{label}{fw('（')}{a}{fw('）')}" if label in shared else label) for a, label in labels.items()]
    return sorted(choices, key=lambda pair: (pair[1], pair[0]))


def project_names(events) -> dict[int, str]:
    ids = {e.project_id for e in events if e.project_id}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Project.id, Project.name).where(Project.id.in_(ids))).all())


def actor_text(event: AuditEvent) -> str:
    return f"{event.actor.name}（{event.actor.email}）" if event.actor else "系统"


def project_text(event: AuditEvent, names: dict[int, str]) -> str:
    if not event.project_id:
        return ""
    name = names.get(event.project_id) or ""
    return f"#{event.project_id} {name}".strip()


def subject_text(event: AuditEvent) -> str:
    label = SUBJECT_LABELS.get(event.subject_type, event.subject_type or "")
    return f"{label} #{event.subject_id}" if event.subject_id is not None else str(label)


def state_text(event: AuditEvent) -> str:
    if not (event.from_state or event.to_state):
        return ""
    return (f"{state_label(event.subject_type, event.from_state, event.action)} → "
            f"{state_label(event.subject_type, event.to_state, event.action)}")


def export_rows(filters: AuditFilters) -> list[list[str]]:
    """Every row under the filters (not only one page), newest first, as the export's text cells."""
    events = db.session.scalars(_query(filters)).unique().all()
    names = project_names(events)
    return [[beijing_time(e.created_at, "%Y-%m-%d %H:%M:%S"), actor_text(e), action_label(e.action),
             project_text(e, names), subject_text(e), state_text(e), comment_text(e)] for e in events]


def audit_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook  # openpyxl only where a workbook is written (memory)
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "审计日志"
    append_row(sheet, EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        for cell in append_row(sheet, row):
            cell.data_type = "s"  # a comment beginning with "=" stays text, never a formula
    for letter, width in zip("ABCDEFG", (20, 34, 22, 36, 18, 24, 60)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def audit_csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADERS)
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
