"""A participant's agenda as a printable Word document and as an .ics calendar: public information only."""
from __future__ import annotations

from datetime import timezone

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from icalendar import Calendar, Event, vText

from app.core import docx as word
from app.core.links import absolute_url, path_for
from app.meetings.models import MeetingEvent, Side
from app.meetings.operations import BEIJING, AgendaItem, _aware

AGENDA_NAME = "推进会议日程-{}.docx"
ICS_MIMETYPE = "text/calendar; charset=utf-8"


def _when(item: AgendaItem) -> str:
    start = _aware(item.appointment.slot.starts_at).astimezone(BEIJING)
    end = _aware(item.appointment.slot.ends_at).astimezone(BEIJING)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def _table(event: MeetingEvent, item: AgendaItem) -> str:
    return f"{item.appointment.table + 1}号{event.table_name}"


def counterpart_lines(item: AgendaItem) -> list[tuple[str, str]]:
    """The counterpart's public information as (label, text) rows, the same in every output."""
    view = item.other_public
    if item.other.side is Side.PROJECT:
        rows = [("项目名称", view.display_name), ("所在城市", view.city), ("所在部门（科室）", view.department),
                ("项目类型", view.project_type.label if view.project_type else ""),
                ("产品分类", view.device_class.label if view.device_class else ""),
                ("项目所处阶段", view.stage_text), ("适用范围/预期用途", view.intended_use),
                ("公开摘要", view.public_summary)]
    else:
        rows = [("机构名称", view.name), ("机构类型", view.kind.label if view.kind else ""),
                ("所属领域", view.field), ("所在地区", view.region), ("机构概况", view.overview)]
    return [(label, str(text or "")) for label, text in rows]


def agenda_docx(event: MeetingEvent, items: list[AgendaItem], who: str) -> bytes:
    """The agenda laid out as a table per meeting, ready to print and bring to the venue."""
    document = word.new_document("推进会议", f"{event.title} 洽谈日程", subject=who, when=event.scheduled_at)
    where = event.venue or ""
    if event.online_url:
        where = f"{where} {event.online_url}".strip()
    word.after_table(document, f"参会方：{who}", space_before=Pt(0))
    word.after_table(document, f"主办单位：{event.organiser or '—'}　地点：{where or '—'}", space_before=Pt(0))
    if not items:
        word.after_table(document, "暂无洽谈安排。")
    for n, item in enumerate(items, 1):
        heading = document.add_paragraph()
        heading.paragraph_format.space_before = Pt(12)
        word.add_text(heading, f"第 {n} 场", east_asia=word.TITLE_FONT, bold=True)
        table = word.new_table(document)
        word.pair_row(table, "时间", _when(item), "洽谈桌", _table(event, item))
        for label, text in counterpart_lines(item):
            word.full_row(table, label, text)
    closing = word.after_table(document, "时间均为北京时间。请提前十分钟到场签到。")
    closing.alignment = WD_ALIGN_PARAGRAPH.LEFT
    return word.to_bytes(document)


def agenda_ics(event: MeetingEvent, items: list[AgendaItem], who: str) -> bytes:
    """One VEVENT per meeting, with time, table, counterpart and its public information; stable UIDs."""
    calendar = Calendar()
    calendar.add("prodid", "-//ClinBridge//推进会议//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{event.title} - {who}")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    link = absolute_url(path_for("meetings.agenda", event_id=event.id))
    for item in items:
        appointment = item.appointment
        entry = Event()
        entry.add("uid", f"meeting-{event.id}-appointment-{appointment.id}-{item.side.value}@clinbridge")
        entry.add("dtstamp", _aware(event.scheduled_at or appointment.created_at).astimezone(timezone.utc))
        entry.add("dtstart", _aware(appointment.slot.starts_at).astimezone(timezone.utc))
        entry.add("dtend", _aware(appointment.slot.ends_at).astimezone(timezone.utc))
        entry.add("summary", f"{event.title}：与 {item.other.name} 洽谈（{_table(event, item)}）")
        entry["location"] = vText(f"{event.venue or event.online_url} {_table(event, item)}".strip())
        entry.add("description", "\n".join(f"{label}：{text}" for label, text in counterpart_lines(item) if text)
                  + f"\n\n{link}")
        entry.add("url", link)
        calendar.add_component(entry)
    return calendar.to_ical()


__all__ = ["AGENDA_NAME", "ICS_MIMETYPE", "agenda_docx", "agenda_ics", "counterpart_lines"]
