"""推进会议 pages: staff run the event; invited projects and organisations answer, select, read their agenda."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.core import files as stored_files
from app.core.docx import download_name, send_docx
from app.core.errors import ServiceError, ValidationError
from app.core.permissions import staff_required
from app.extensions import db
from app.meetings import exports, rules
from app.meetings import operations as service
from app.meetings.models import (Appointment, AppointmentStatus, EventAttachment, EventStatus, Mark, MeetingEvent,
                                 MeetingKind, MeetingSlot, Outcome, PairRule, Participant, ParticipantStatus, Side)
from app.projects.models import DeviceClass, ProjectType, Stage
from forms import options
from forms.meetings import (AddMeetingForm, AttachmentForm, CancelForm, EventForm, InviteForm, OutcomeForm, PairForm,
                            PlaceForm, ResponseForm, selection_form)
from forms.projects import ConfirmForm

meetings_bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def _event(event_id: int) -> MeetingEvent:
    """The event, if the user may see it (staff, or one of its invited participants once it is published)."""
    event = db.get_or_404(MeetingEvent, event_id)
    if current_user.is_staff:
        return event
    if event.status is EventStatus.DRAFT or not rules.may_view_event(current_user, event):
        abort(404)
    return event


def _participant(participant_id: int) -> Participant:
    participant = db.get_or_404(Participant, participant_id)
    if participant.event.status is EventStatus.DRAFT or not (
            current_user.is_staff or participant.is_acting_user(current_user)):
        abort(404)
    return participant


def _slot_label(event: MeetingEvent, slot: MeetingSlot) -> str:
    return f"{service._beijing_text(slot.starts_at)}–{service._beijing_text(slot.ends_at, '%H:%M')}"


@meetings_bp.app_template_global()
def meeting_slot_label(slot: MeetingSlot) -> str:
    """A slot as 2026-12-03 09:00–09:20 (Beijing)."""
    return _slot_label(slot.event, slot)


@meetings_bp.route("/")
@login_required
def index():
    if current_user.is_staff:
        events = service.all_events()
    elif current_user.role in (Role.CLINICIAN, Role.ENTERPRISE, Role.INVESTOR) and current_user.is_verified:
        events = service.events_of(current_user)
    else:
        abort(403)
    counts = {s: sum(1 for e in events if e.status is s) for s in EventStatus}
    return render_template("meetings/index.html", events=events, counts=counts, statuses=list(EventStatus))


def _plan(form: EventForm) -> service.SlotPlan:
    return service.SlotPlan(**form.plan_values())


def _form_error(form, error: ServiceError) -> None:
    field = getattr(error, "field", None)
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, str(error)] if isinstance(target.errors, list) else [str(error)]
    else:
        flash(str(error), "danger")


@meetings_bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = service.create_event(current_user, form.values(), _plan(form))
        except ValidationError as error:
            _form_error(form, error)
        else:
            flash(_("推进会议已创建（筹备中）。请邀请参会方，然后发布会议。"), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return render_template("meetings/form.html", form=form, event=None), 400 if form.is_submitted() else 200


@meetings_bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(event_id):
    event = _event(event_id)
    if request.method == "GET":
        form = EventForm(obj=event, data=service.slot_plan_of(event))
        for name in ("registration_deadline", "selection_deadline"):
            getattr(form, name).data = service._aware(getattr(event, name)).astimezone(service.BEIJING).replace(
                tzinfo=None)
    else:
        form = EventForm()
    if form.validate_on_submit():
        try:
            service.update_event(event, current_user, form.values(), _plan(form))
        except ServiceError as error:
            _form_error(form, error)
        else:
            flash(_("会议设置已保存"), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return render_template("meetings/form.html", form=form, event=event), 400 if form.is_submitted() else 200


@meetings_bp.route("/<int:event_id>")
@login_required
def detail(event_id):
    event = _event(event_id)
    mine = service.participants_of(event, current_user)
    forms = {}
    for participant in mine:
        form = ResponseForm(formdata=None, prefix=f"r{participant.id}")
        if participant.attendees:
            form = ResponseForm(formdata=None, prefix=f"r{participant.id}",
                                data={"attend": "yes" if participant.is_attending else "no",
                                      "attendees": participant.attendees + [{}] * max(0, 3 - len(participant.attendees))})
        forms[participant.id] = form
    return _render_detail(event, mine, forms)


def _render_detail(event, mine, forms, status=200):
    report = service.event_report(event) if current_user.is_staff else None
    return render_template("meetings/detail.html", event=event, mine=mine, response_forms=forms, report=report,
                           selection_open=service.selection_open(event), now=service.utcnow(), aware=service._aware,
                           confirm_form=ConfirmForm(), cancel_form=CancelForm(formdata=None),
                           attachment_form=AttachmentForm(formdata=None), Side=Side, P=ParticipantStatus,
                           E=EventStatus), status


@meetings_bp.route("/<int:event_id>/publish", methods=["POST"])
@staff_required
def publish(event_id):
    event = _event(event_id)
    if ConfirmForm().validate_on_submit():
        sent = service.publish_event(event, current_user)
        flash(_("会议已发布，已向 %(n)d 个受邀参会方发送邀请", n=sent), "success")
    return redirect(url_for(".detail", event_id=event.id))


@meetings_bp.route("/<int:event_id>/cancel", methods=["POST"])
@staff_required
def cancel(event_id):
    event = _event(event_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in map(str, errors)), "danger")
        return _render_detail(event, [], {}, 400)
    service.cancel_event(event, current_user, form.comment.data)
    flash(_("会议已取消，受邀参会方已收到通知"), "success")
    return redirect(url_for(".detail", event_id=event.id))


@meetings_bp.route("/<int:event_id>/attachments", methods=["POST"])
@staff_required
def upload(event_id):
    event = _event(event_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        service.add_attachment(event, current_user, form.file.data)
        flash(_("会议资料已上传"), "success")
        return redirect(url_for(".detail", event_id=event.id) + "#attachments")
    flash(_("请选择文件"), "danger")
    return _render_detail(event, [], {}, 400)


@meetings_bp.route("/<int:event_id>/attachments/<int:attachment_id>")
@login_required
def attachment(event_id, attachment_id):
    event = _event(event_id)
    item = db.get_or_404(EventAttachment, attachment_id)
    if item.event_id != event.id:
        abort(404)
    return send_file(stored_files.stored_path(item.stored_name), as_attachment=True, mimetype=item.content_type,
                     download_name=item.original_name)


def _filters() -> service.InviteFilters:
    args = request.args
    return service.InviteFilters(**{name: (args.get(name) or "").strip()[:100]
                                    for name in service.InviteFilters.__dataclass_fields__})


@meetings_bp.route("/<int:event_id>/invite", methods=["GET", "POST"])
@staff_required
def invite(event_id):
    event = _event(event_id)
    filters = _filters()
    projects = service.project_candidates(event, filters)
    organisations = service.organisation_candidates(event, filters)
    form = InviteForm()
    form.project_ids.choices = options([(p.id, p.display_name) for p in projects])
    form.organisation_ids.choices = options([(o.id, o.name) for o in organisations])
    if form.validate_on_submit():
        added = service.invite(event, current_user, form.project_ids.data or [], form.organisation_ids.data or [])
        flash(_("已邀请 %(n)d 个参会方", n=len(added)) + (
            _("，邀请通知已发送") if event.status is EventStatus.OPEN else _("，会议发布时将发送邀请通知")), "success")
        return redirect(url_for(".detail", event_id=event.id) + "#participants")
    enums = {"project_type": ProjectType, "device_class": DeviceClass, "stage": Stage}
    return render_template("meetings/invite.html", event=event, form=form, filters=filters, projects=projects,
                           organisations=organisations, enums=enums), 400 if form.is_submitted() else 200


@meetings_bp.route("/participants/<int:participant_id>/respond", methods=["POST"])
@login_required
def respond(participant_id):
    participant = _participant(participant_id)
    form = ResponseForm(prefix=f"r{participant.id}")
    if form.validate_on_submit():
        try:
            service.respond(participant, current_user, form.attend.data == "yes", form.people())
        except ValidationError as error:
            form.attend.errors = [str(error)]
        else:
            flash(_("已确认参会，请在选择截止前进行双向选择") if form.attend.data == "yes" else _("已回复不参会"), "success")
            return redirect(url_for(".detail", event_id=participant.event_id))
    event = participant.event
    forms = {p.id: ResponseForm(formdata=None, prefix=f"r{p.id}") for p in service.participants_of(event, current_user)}
    forms[participant.id] = form
    return _render_detail(event, service.participants_of(event, current_user), forms, 400)


def _selection_form(participant, items, formdata=None):
    slots = [(s.id, _slot_label(participant.event, s)) for s in participant.event.slots]
    data = {"cap": participant.cap, "unavailable": list(participant.unavailable or [])}
    for item in items:
        data[f"mark_{item.participant.id}"] = item.mark.value if item.mark else ""
        data[f"rank_{item.participant.id}"] = item.rank
    return selection_form([i.participant.id for i in items], slots, formdata=formdata, **data)


@meetings_bp.route("/participants/<int:participant_id>/selection", methods=["GET", "POST"])
@login_required
def selection(participant_id):
    participant = _participant(participant_id)
    if not participant.is_acting_user(current_user) and not current_user.is_staff:
        abort(404)
    items = service.counterparts(participant)
    form = _selection_form(participant, items, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not participant.is_acting_user(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                service.save_selection(participant, current_user, form.marks(), form.cap.data,
                                       form.unavailable.data or [])
            except ValidationError as error:
                _form_error(form, error)
            else:
                flash(_("选择已保存，选择截止前可以随时修改"), "success")
                return redirect(url_for(".selection", participant_id=participant.id))
        status = 400
    return render_template("meetings/selection.html", participant=participant, event=participant.event, items=items,
                           form=form, editable=service.selection_open(participant.event) and participant.is_attending
                           and participant.is_acting_user(current_user), Side=Side, Mark=Mark), status


@meetings_bp.route("/<int:event_id>/selections")
@staff_required
def selections(event_id):
    event = _event(event_id)
    matrix = service.selection_matrix(event)
    return render_template("meetings/selections.html", event=event, projects=service.attending(event, Side.PROJECT),
                           organisations=service.attending(event, Side.ORGANISATION), marks=matrix["marks"],
                           pairs=matrix["pairs"], pair_form=PairForm(formdata=None), PairRule=PairRule, Mark=Mark)


@meetings_bp.route("/<int:event_id>/pairs", methods=["POST"])
@staff_required
def pair(event_id):
    event = _event(event_id)
    form = PairForm()
    if not form.validate_on_submit():
        raise ValidationError(_("请选择要调整的配对"))
    project_side = db.get_or_404(Participant, form.project_participant.data)
    organisation_side = db.get_or_404(Participant, form.organisation_participant.data)
    rule = PairRule.coerce(form.rule.data)
    service.set_staff_pair(event, current_user, project_side, organisation_side, rule)
    flash(_("已保存服务站决定：%(a)s × %(b)s", a=project_side.name, b=organisation_side.name), "success")
    return redirect(url_for(".selections", event_id=event.id) + f"#pair-{project_side.id}-{organisation_side.id}")


def _place_choices(form, event):
    form.slot.choices = options([(s.id, _slot_label(event, s)) for s in event.slots])
    form.table.choices = options([(t, _("%(n)d 号%(label)s", n=t + 1, label=event.table_name)) for t in range(event.tables)])
    return form


def _add_form(event, formdata=None):
    form = AddMeetingForm(formdata=formdata) if formdata is not None else AddMeetingForm()
    _place_choices(form, event)
    form.project_participant.choices = options([(p.id, p.name) for p in service.attending(event, Side.PROJECT)])
    form.organisation_participant.choices = options([(p.id, p.name)
                                                     for p in service.attending(event, Side.ORGANISATION)])
    return form


@meetings_bp.route("/<int:event_id>/schedule")
@staff_required
def schedule(event_id):
    event = _event(event_id)
    return _render_schedule(event)


def _render_schedule(event, status=200, add_form=None):
    grid = service.schedule_grid(event)
    return render_template("meetings/schedule.html", event=event, grid=grid,
                           appointments=service.appointments(event), add_form=add_form or _add_form(event, {}),
                           place_form=lambda a: _place_choices(PlaceForm(formdata=None, prefix=f"a{a.id}",
                                                                         data={"slot": a.slot_id, "table": a.table}),
                                                               event),
                           confirm_form=ConfirmForm(), report=event.schedule_report or {},
                           editable=event.status in (EventStatus.OPEN, EventStatus.SCHEDULED),
                           A=AppointmentStatus, K=MeetingKind), status


@meetings_bp.route("/<int:event_id>/schedule/build", methods=["POST"])
@staff_required
def build(event_id):
    event = _event(event_id)
    if ConfirmForm().validate_on_submit():
        report = service.build_schedule(event, current_user)
        flash(_("日程已排定：双向想见 %(m)s/%(p)s 场，单向想见 %(o)s 场，保留已确认 %(k)s 场，阻塞对 %(b)s。请检查后发布。",
                m=report.get("mutual_scheduled", 0), p=report.get("mutual_possible", 0),
                o=report.get("one_sided_scheduled", 0), k=report.get("kept", 0), b=report.get("blocking_pairs", 0)),
              "success")
    return redirect(url_for(".schedule", event_id=event.id))


@meetings_bp.route("/<int:event_id>/schedule/publish", methods=["POST"])
@staff_required
def publish_schedule(event_id):
    event = _event(event_id)
    if ConfirmForm().validate_on_submit():
        n = service.publish_schedule(event, current_user)
        flash(_("日程已发布（新确认 %(n)d 场），参会方已收到日程通知", n=n), "success")
    return redirect(url_for(".schedule", event_id=event.id))


@meetings_bp.route("/<int:event_id>/appointments", methods=["POST"])
@staff_required
def add_meeting(event_id):
    event = _event(event_id)
    form = _add_form(event)
    if form.validate_on_submit():
        try:
            service.add_appointment(event, current_user, db.get_or_404(Participant, form.project_participant.data),
                                    db.get_or_404(Participant, form.organisation_participant.data),
                                    db.session.get(MeetingSlot, form.slot.data), form.table.data)
        except ValidationError as error:
            flash(str(error), "danger")
        else:
            flash(_("已手动安排洽谈"), "success")
            return redirect(url_for(".schedule", event_id=event.id))
    return _render_schedule(event, 400, add_form=form)


@meetings_bp.route("/appointments/<int:appointment_id>/move", methods=["POST"])
@staff_required
def move_meeting(appointment_id):
    appointment = db.get_or_404(Appointment, appointment_id)
    event = appointment.event
    form = _place_choices(PlaceForm(prefix=f"a{appointment.id}"), event)
    if form.validate_on_submit():
        try:
            service.move_appointment(appointment, current_user, db.session.get(MeetingSlot, form.slot.data),
                                     form.table.data)
        except ValidationError as error:
            flash(str(error), "danger")
        else:
            flash(_("洽谈已调整"), "success")
            return redirect(url_for(".schedule", event_id=event.id))
    else:
        flash(_("请选择时段和洽谈桌"), "danger")
    return _render_schedule(event, 400)


@meetings_bp.route("/appointments/<int:appointment_id>/remove", methods=["POST"])
@staff_required
def remove_meeting(appointment_id):
    appointment = db.get_or_404(Appointment, appointment_id)
    if ConfirmForm().validate_on_submit():
        service.remove_appointment(appointment, current_user)
        flash(_("洽谈已移除"), "success")
    return redirect(url_for(".schedule", event_id=appointment.event_id))


def _agenda(event):
    """The signed-in participant's agenda; staff read one participant's with ?participant=<id> (to print)."""
    chosen = request.args.get("participant", type=int)
    if chosen is not None and current_user.is_staff:
        participant = db.get_or_404(Participant, chosen)
        if participant.event_id != event.id:
            abort(404)
        return service.agenda_of(event, current_user, participant), participant.name
    items = service.agenda_of(event, current_user)
    who = "、".join(p.name for p in service.participants_of(event, current_user)) or current_user.name
    return items, who


@meetings_bp.route("/<int:event_id>/agenda")
@login_required
def agenda(event_id):
    return _render_agenda(_event(event_id))


def _render_agenda(event, status=200, forms=None):
    forms = dict(forms or {})
    items, who = _agenda(event)
    for item in items:
        outcome_now, reason, note = item.appointment.outcome_of(item.side)
        forms.setdefault(item.appointment.id, OutcomeForm(
            formdata=None, prefix=f"o{item.appointment.id}", reasons=item.side.reasons,
            data={"outcome": outcome_now.value if outcome_now else None, "reason": reason.value if reason else None,
                  "note": note}))
    return render_template("meetings/agenda.html", event=event, items=items, who=who, outcome_forms=forms,
                           query={"participant": request.args["participant"]} if current_user.is_staff
                           and request.args.get("participant", type=int) else {},
                           lines=exports.counterpart_lines, A=AppointmentStatus, Side=Side, Outcome=Outcome,
                           E=EventStatus), status


@meetings_bp.route("/<int:event_id>/agenda.docx")
@login_required
def agenda_docx(event_id):
    event = _event(event_id)
    items, who = _agenda(event)
    return send_docx(exports.agenda_docx(event, items, who), download_name(exports.AGENDA_NAME, event.title))


@meetings_bp.route("/<int:event_id>/agenda.ics")
@login_required
def agenda_ics(event_id):
    event = _event(event_id)
    items, who = _agenda(event)
    response = Response(exports.agenda_ics(event, items, who), mimetype="text/calendar")
    response.headers["Content-Type"] = exports.ICS_MIMETYPE
    response.headers["Content-Disposition"] = f"attachment; filename=meeting-{event.id}.ics"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@meetings_bp.route("/<int:event_id>/checkin")
@staff_required
def checkin(event_id):
    event = _event(event_id)
    people = service.attending(event)
    return render_template("meetings/checkin.html", event=event, people=people, confirm_form=ConfirmForm(),
                           Side=Side, P=ParticipantStatus,
                           counts={s: sum(1 for p in people if p.status is s) for s in ParticipantStatus})


@meetings_bp.route("/participants/<int:participant_id>/checkin/<any(attend, no_show):action>", methods=["POST"])
@staff_required
def check_in(participant_id, action):
    participant = db.get_or_404(Participant, participant_id)
    if ConfirmForm().validate_on_submit():
        service.check_in(participant, current_user, action == "attend")
        flash(_("%(who)s：%(state)s", who=participant.name, state=participant.status.label), "success")
    return redirect(url_for(".checkin", event_id=participant.event_id) + f"#participant-{participant.id}")


@meetings_bp.route("/<int:event_id>/finish", methods=["POST"])
@staff_required
def finish(event_id):
    event = _event(event_id)
    if ConfirmForm().validate_on_submit():
        held, missed = service.finish_event(event, current_user)
        flash(_("会议已结束：举行 %(h)d 场，未举行 %(m)d 场。已请双方登记洽谈结果。", h=held, m=missed), "success")
    return redirect(url_for(".report", event_id=event.id))


@meetings_bp.route("/<int:event_id>/close", methods=["POST"])
@staff_required
def close(event_id):
    event = _event(event_id)
    if ConfirmForm().validate_on_submit():
        service.close_event(event, current_user)
        flash(_("会议已归档"), "success")
    return redirect(url_for(".report", event_id=event.id))


@meetings_bp.route("/appointments/<int:appointment_id>/outcome", methods=["POST"])
@login_required
def outcome(appointment_id):
    appointment = db.get_or_404(Appointment, appointment_id)
    if appointment.side_of(current_user) is None:
        abort(404)
    side = appointment.side_of(current_user)
    form = OutcomeForm(prefix=f"o{appointment.id}", reasons=side.reasons)
    if form.validate_on_submit():
        from_reason = form.reason.data or None
        interest = service.record_outcome(appointment, current_user, Outcome(form.outcome.data),
                                          side.reasons(from_reason) if from_reason else None, form.note.data)
        if interest is not None:
            flash(_("双方均愿继续洽谈，已转入“意向与洽谈”"), "success")
        else:
            flash(_("洽谈结果已登记"), "success")
        return redirect(url_for(".agenda", event_id=appointment.event_id) + f"#appointment-{appointment.id}")
    return _render_agenda(appointment.event, 400, {appointment.id: form})


@meetings_bp.route("/<int:event_id>/report")
@staff_required
def report(event_id):
    event = _event(event_id)
    return render_template("meetings/report.html", event=event, report=service.event_report(event), Side=Side,
                           Mark=Mark, K=MeetingKind, confirm_form=ConfirmForm(), E=EventStatus)


BLUEPRINTS = (meetings_bp,)
