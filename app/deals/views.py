"""Blueprints of the deals area: interests, threads, signing and 附件2 (deals), the demands list (demands), the organisation's intents (intents), 附件2 as Word (docking_documents)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts import operations as accounts
from app.accounts import rules as account_rules
from app.accounts.views import intent_labels, own_organisation
from app.core import audit, idempotency, templating, throttle
from app.core import files as attachments
from app.core.docx import DOCKING_FORM_NAME, download_name, send_docx
from app.core.errors import ServiceError, TransitionError, ValidationError
from app.core.permissions import member_required, staff_required, verified_required
from app.core.templating import value_label
from app.core.throttle import throttled
from app.deals import demands, operations
from app.deals.exports import docking_form_docx
from app.deals.models import (CooperationMode, DeclineReason, DockingForm, Intent, IntentStatus, Interest,
                              InterestStatus, NegotiationMessage, PassReason)
from app.extensions import db
from app.projects.models import DeviceClass, Project
from app.projects.views import render_detail
from forms.deals import (INTENT_ACTIONS, AgreementForm, DeclineForm, DisputeForm, DockingAcknowledgeForm,
                         DockingFormForm, DockingReturnForm, DockingScanForm, EndNegotiationForm, IntentForm,
                         IntentStatusForm, InterestForm, MessageForm, PassForm)
from forms.projects import ConfirmForm

STATUS_MESSAGES = {
    IntentStatus.PAUSED: (_l("已暂停该投资意向：暂不在“企业需求”中展示，可随时恢复"), "info"),
    IntentStatus.ACTIVE: (_l("已恢复该投资意向，重新在“企业需求”中展示"), "success"),
    IntentStatus.CLOSED: (_l("已关闭该投资意向：不再展示，也不能再修改"), "info"),
}

deals_bp = Blueprint("deals", __name__, url_prefix="/deals")

templating.ACTION_LABELS.update({
    "acknowledge_docking_form": _l("确认对接表"), "return_docking_form": _l("退回对接表"),
    "upload_docking_scan": _l("上传对接表盖章扫描件"),
})


@deals_bp.app_template_global()
def cooperation_label(value: str) -> str:
    """A stored cooperation mode (合作方式) in words."""
    return value_label(CooperationMode, value)


def _interest(interest_id: int) -> Interest:
    interest = db.get_or_404(Interest, interest_id)
    if not interest.can_view(current_user):
        abort(404)
    return interest


@deals_bp.route("/")
@verified_required
def mine():
    items = operations.interests_of_user(current_user)
    unread = operations.unread_counts(current_user, [i.id for i in items])
    counts = {s: sum(1 for i in items if i.status is s) for s in InterestStatus}
    return render_template("deals/mine.html", items=items, unread=unread, counts=counts)


@deals_bp.route("/projects/<int:project_id>/interest", methods=["POST"])
@verified_required
@throttled(throttle.interest_limits)
def express(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.is_listed():
        abort(404)
    form = InterestForm()
    if idempotency.done(form.submission_key.data, current_user):
        return redirect(idempotency.done(form.submission_key.data, current_user))
    if form.validate_on_submit():
        idempotency.remember(form.submission_key.data, current_user, url_for(".mine"))
        operations.express_interest(project, current_user, form.message.data, form.cooperation_modes.data,
                                   form.amount_wan.data, form.timeline.data or "")
        flash(_("意向已发送。项目负责人将在 %(days)d 天内回复，结果会通知您",
                days=current_app.config["INTEREST_EXPIRY_DAYS"]), "success")
        return redirect(url_for(".mine"))
    flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    return render_detail(project, interest_form=form), 400


@deals_bp.route("/projects/<int:project_id>/board")
@login_required
def board(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        abort(404)
    items = operations.interests_for_project(project)
    unread = operations.unread_counts(current_user, [i.id for i in items])
    counts = {s: sum(1 for i in items if i.status is s) for s in InterestStatus}
    return render_template("deals/board.html", project=project, items=items, unread=unread, counts=counts,
                           decline_form=DeclineForm(formdata=None), reasons=DeclineReason)


@deals_bp.route("/<int:interest_id>/accept", methods=["POST"])
@login_required
def accept(interest_id):
    interest = _interest(interest_id)
    operations.accept_interest(interest, current_user)
    flash(_("已接受 %(org)s 的意向。对方现在可以查看项目详细资料，请在洽谈页与对方沟通",
            org=interest.organisation.name), "success")
    return redirect(url_for(".thread", interest_id=interest.id))


@deals_bp.route("/<int:interest_id>/decline", methods=["POST"])
@login_required
def decline(interest_id):
    interest = _interest(interest_id)
    form = DeclineForm(prefix=f"decline{interest.id}")
    if form.validate_on_submit():
        operations.decline_interest(interest, current_user, DeclineReason(form.reason.data), form.note.data or "")
        flash(_("已婉拒该意向，对方将看到您选择的原因"), "info")
    else:
        for errors in form.errors.values():
            flash("；".join(map(str, errors)), "danger")
    return redirect(url_for(".board", project_id=interest.project_id))


@deals_bp.route("/<int:interest_id>/withdraw", methods=["POST"])
@verified_required
def withdraw(interest_id):
    interest = _interest(interest_id)
    operations.withdraw_interest(interest, current_user)
    flash(_("意向已撤回"), "info")
    return redirect(url_for(".mine"))


def _render_thread(interest, status=200, message_form=None, end_form=None):
    if current_user.is_staff and not interest.is_party(current_user):
        operations.record_staff_reading(interest, current_user)  # a record of reading: the one write a GET may make
    # A party's messages are marked read by the page itself (deals.read), not by this GET.
    return render_template("deals/thread.html", interest=interest, message_form=message_form or MessageForm(),
                           end_form=end_form or EndNegotiationForm(formdata=None,
                                                                   organisation_side=interest.is_member(current_user)),
                           mark_read=interest.is_party(current_user)), status


@deals_bp.route("/<int:interest_id>", methods=["GET", "POST"])
@login_required
def thread(interest_id):
    interest = _interest(interest_id)
    form = MessageForm()
    if form.is_submitted() and idempotency.done(form.submission_key.data, current_user):
        return redirect(idempotency.done(form.submission_key.data, current_user))
    if form.validate_on_submit():
        try:
            operations.post_message(interest, current_user, form.body.data, form.file.data)
        except ValidationError as error:  # e.g. a file of the wrong type: the typed message stays
            form.file.errors = [*form.file.errors, str(error)]
            return _render_thread(interest, 400, message_form=form)
        flash(_("消息已发送，对方会收到通知"), "success")
        target = url_for(".thread", interest_id=interest.id) + "#latest"
        idempotency.remember(form.submission_key.data, current_user, target)
        return redirect(target)
    return _render_thread(interest, 400 if form.errors else 200, message_form=form)


@deals_bp.route("/<int:interest_id>/read", methods=["POST"])
@login_required
def read(interest_id):
    """The thread was shown to a party: its messages are read (sent by the page, see app.js)."""
    interest = _interest(interest_id)
    if not interest.is_party(current_user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.mark_read(interest, current_user)
    return jsonify(ok=True)


def _message_with_file(interest_id: int, message_id: int) -> NegotiationMessage:
    interest = _interest(interest_id)
    message = db.get_or_404(NegotiationMessage, message_id)
    if message.interest_id != interest.id or not message.attachment_stored_name:
        abort(404)
    return message


@deals_bp.route("/<int:interest_id>/messages/<int:message_id>/attachment")
@login_required
def message_attachment(interest_id, message_id):
    message = _message_with_file(interest_id, message_id)
    return attachments.send_stored(message.attachment_stored_name, message.attachment_original_name)


@deals_bp.route("/<int:interest_id>/messages/<int:message_id>/attachment/preview")
@login_required
def message_attachment_preview(interest_id, message_id):
    """A PDF or picture sent in the thread, shown in the browser; other types have no preview (404)."""
    message = _message_with_file(interest_id, message_id)
    return attachments.send_stored(message.attachment_stored_name, message.attachment_original_name, inline=True)


@deals_bp.route("/<int:interest_id>/end", methods=["POST"])
@login_required
def end(interest_id):
    interest = _interest(interest_id)
    form = EndNegotiationForm(organisation_side=interest.is_member(current_user))
    if form.validate_on_submit():
        try:
            operations.end_negotiation(interest, current_user, form.reasons(form.reason.data), form.note.data or "")
        except ValidationError as error:
            getattr(form, error.field or "reason").errors.append(str(error))
        else:
            flash(_("洽谈已终止，对方会看到您选择的原因"), "info")
            return redirect(url_for(".thread", interest_id=interest.id))
    return _render_thread(interest, 400, end_form=form)


@deals_bp.route("/projects/<int:project_id>/pass", methods=["POST"])
@verified_required
def pass_on(project_id):
    """An organisation passes on a suggested or 服务站推荐 project, saying why (the owner reads it)."""
    project = db.get_or_404(Project, project_id)
    if not current_user.is_organisation_member:
        abort(403)
    form = PassForm(prefix=f"pass{project.id}")
    if form.validate_on_submit():
        operations.pass_on_project(project, current_user, PassReason(form.reason.data), form.note.data or "")
        flash(_("已反馈：暂不考虑该项目。项目负责人将看到您选择的原因，该项目不再向贵机构推荐"), "info")
        return redirect(_safe_back(url_for("matching.for_you")))
    flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return redirect(_safe_back(url_for("matching.for_you")) + f"#pass-{project.id}"), 303


def _safe_back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@deals_bp.route("/<int:interest_id>/signing", methods=["GET", "POST"], endpoint="signing")
@login_required
def signing_page(interest_id):
    interest = _interest(interest_id)
    form = AgreementForm()
    if form.is_submitted() and idempotency.done(form.submission_key.data, current_user):
        return redirect(idempotency.done(form.submission_key.data, current_user))
    if form.validate_on_submit():
        idempotency.remember(form.submission_key.data, current_user, url_for(".signing", interest_id=interest.id))
        try:
            operations.record_agreement(interest, current_user, form.cooperation_modes.data, form.amount_wan.data,
                                     form.signed_on.data, form.summary.data, form.contract.data)
        except ServiceError as error:  # next to the contract field; the 400 below rolls back
            form.contract.errors.append(str(error))
        else:
            flash(_("签约信息已登记，等待对方确认"), "success")
            return redirect(url_for(".signing", interest_id=interest.id))
    elif not form.is_submitted() and interest.agreement is not None:
        agreement = interest.agreement
        form.cooperation_modes.data = agreement.cooperation_modes
        form.amount_wan.data = agreement.amount_wan
        form.signed_on.data = agreement.signed_on
        form.summary.data = agreement.summary
    elif not form.is_submitted():
        form.cooperation_modes.data = interest.cooperation_modes
        form.amount_wan.data = interest.amount_wan
    return render_template("deals/signing.html", interest=interest, form=form,
                           dispute_form=DisputeForm(formdata=None)), 400 if form.errors else 200


@deals_bp.route("/<int:interest_id>/signing/confirm", methods=["POST"])
@login_required
def confirm(interest_id):
    interest = _interest(interest_id)
    if interest.agreement is None:
        abort(404)
    operations.confirm_agreement(interest.agreement, current_user)
    flash(_("签约已确认，项目进入“签约落地”。服务站已收到通知；签约企业请填报对接表"), "success")
    return redirect(url_for(".thread", interest_id=interest.id))


@deals_bp.route("/<int:interest_id>/signing/dispute", methods=["POST"])
@login_required
def dispute(interest_id):
    interest = _interest(interest_id)
    form = DisputeForm()
    if interest.agreement is None:
        abort(404)
    if form.validate_on_submit():
        operations.dispute_agreement(interest.agreement, current_user, form.note.data)
        flash(_("已告知对方需要更正的内容"), "info")
    else:
        flash(_("请说明哪里需要更正"), "danger")
    return redirect(url_for(".signing", interest_id=interest.id))


@deals_bp.route("/<int:interest_id>/contract")
@login_required
def contract(interest_id):
    interest = _interest(interest_id)
    if interest.agreement is None:
        abort(404)
    return send_file(attachments.stored_path(interest.agreement.contract_stored_name), as_attachment=True,
                     mimetype="application/pdf", download_name=interest.agreement.contract_original_name)


@deals_bp.route("/<int:interest_id>/docking", methods=["GET", "POST"])
@login_required
def docking(interest_id):
    interest = _interest(interest_id)
    docking_form = interest.docking_form
    if docking_form is None:  # not started: the GET shows it prefilled and unsaved, the first save creates it
        if not interest.can_file_docking_form(current_user):
            abort(404)
        docking_form = operations.prefilled_docking_form(interest, current_user)
    elif not docking_form.can_view(current_user):
        abort(404)
    if request.method == "POST" and docking_form.is_locked:
        raise TransitionError(str(operations.LOCKED))  # 409: acknowledged by the station, nobody edits it
    editable = interest.can_file_docking_form(current_user) if docking_form.id is None \
        else docking_form.can_edit(current_user)
    form = DockingFormForm()
    if form.is_submitted() and editable:
        form.for_submit = bool(form.file.data)
        if form.validate():
            if idempotency.done(form.submission_key.data, current_user):
                return redirect(idempotency.done(form.submission_key.data, current_user))
            idempotency.remember(form.submission_key.data, current_user, url_for(".docking", interest_id=interest.id))
            if docking_form.id is None:
                docking_form = operations.start_docking_form(interest, current_user)
            operations.save_docking_form(docking_form, current_user, form.values(), form.for_submit)
            flash(_("对接表已报送服务站") if form.for_submit else _("对接表已保存"), "success")
            return redirect(url_for(".docking", interest_id=interest.id))
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段", n=len(form.errors)), "danger")
    elif not form.is_submitted():
        form.load(docking_form)
    return _render_docking(interest, docking_form, form, editable, 400 if form.errors else 200)


def _render_docking(interest, docking_form, form, editable, status=200, **forms):
    forms.setdefault("acknowledge_form", DockingAcknowledgeForm(formdata=None, prefix="acknowledge"))
    forms.setdefault("return_form", DockingReturnForm(formdata=None, prefix="return"))
    forms.setdefault("scan_form", DockingScanForm(formdata=None, prefix="scan"))
    return render_template("deals/docking.html", interest=interest, docking=docking_form, form=form,
                           editable=editable, **forms), status


def _filed_docking(interest_id: int) -> DockingForm:
    """A started 附件2 the viewer may see (the signing organisation's members and staff); others get a 404."""
    interest = _interest(interest_id)
    docking_form = interest.docking_form
    if docking_form is None or not docking_form.can_view(current_user):
        abort(404)
    return docking_form


def _rerender_with(docking_form, **forms):
    """The 附件2 page again, with a refused form's message beside its field (400: nothing is kept)."""
    form = DockingFormForm(formdata=None)
    form.load(docking_form)
    return _render_docking(docking_form.interest, docking_form, form, docking_form.can_edit(current_user), 400,
                           **forms)


@deals_bp.route("/<int:interest_id>/docking/acknowledge", methods=["POST"])
@staff_required
def acknowledge_docking(interest_id):
    docking_form = _filed_docking(interest_id)
    decision = DockingAcknowledgeForm(prefix="acknowledge")
    if not decision.validate_on_submit():
        return _rerender_with(docking_form, acknowledge_form=decision)
    operations.acknowledge_docking_form(docking_form, current_user, decision.comment.data or "")
    flash(_("已确认对接表，对接表已锁定；签约企业和项目负责人会收到通知"), "success")
    return redirect(url_for(".docking", interest_id=docking_form.interest_id))


@deals_bp.route("/<int:interest_id>/docking/return", methods=["POST"])
@staff_required
def return_docking(interest_id):
    docking_form = _filed_docking(interest_id)
    decision = DockingReturnForm(prefix="return")
    if decision.validate_on_submit():
        try:
            operations.return_docking_form(docking_form, current_user, decision.comment.data or "")
        except ValidationError as error:  # the comment is required: say so beside it
            decision.comment.errors = [*decision.comment.errors, str(error)]
        else:
            flash(_("已退回对接表，签约企业会收到通知和您的意见"), "info")
            return redirect(url_for(".docking", interest_id=docking_form.interest_id))
    return _rerender_with(docking_form, return_form=decision)


@deals_bp.route("/<int:interest_id>/docking/scan", methods=["GET", "POST"])
@login_required
def docking_scan(interest_id):
    docking_form = _filed_docking(interest_id)
    if request.method == "GET":
        if not docking_form.scan_stored_name:
            abort(404)
        return attachments.send_stored(docking_form.scan_stored_name, docking_form.scan_original_name)
    if docking_form.is_locked:
        raise TransitionError(str(operations.LOCKED))
    if not docking_form.can_upload_scan(current_user):
        abort(403)
    upload = DockingScanForm(prefix="scan")
    if upload.validate_on_submit():
        try:
            operations.upload_docking_scan(docking_form, current_user, upload.scan.data)
        except ValidationError as error:  # wrong type, content not matching, too large
            upload.scan.errors = [*upload.scan.errors, str(error)]
        else:
            flash(_("盖章扫描件已上传"), "success")
            return redirect(url_for(".docking", interest_id=docking_form.interest_id))
    return _rerender_with(docking_form, scan_form=upload)


@deals_bp.route("/<int:interest_id>/docking/scan/preview")
@login_required
def docking_scan_preview(interest_id):
    docking_form = _filed_docking(interest_id)
    if not docking_form.scan_stored_name:
        abort(404)
    return attachments.send_stored(docking_form.scan_stored_name, docking_form.scan_original_name, inline=True)


@deals_bp.route("/docking-forms")
@staff_required
def docking_list():
    return render_template("deals/docking_list.html", items=operations.docking_forms())


demands_bp = Blueprint("demands", __name__, url_prefix="/demands")
demands_bp.context_processor(intent_labels)


@demands_bp.route("/")
@verified_required
def index():
    filters = demands.DemandFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = demands.active_intents(filters, page=page, per_page=current_app.config["PER_PAGE"], viewer=current_user)
    return render_template("demands/index.html", result=result, filters=filters,
                           field_options=list(accounts.field_labels().items()),
                           mode_options=CooperationMode.choices(), class_options=DeviceClass.choices())


@demands_bp.route("/<int:intent_id>")
@verified_required
def detail(intent_id):
    intent = db.get_or_404(Intent, intent_id)
    # Paused or closed intents stay visible to their own organisation and to staff only.
    if not demands.is_listed(intent) and not account_rules.can_view_full_profile(intent.organisation, current_user):
        abort(404)
    return render_template("demands/detail.html", intent=intent,
                           organisation=accounts.public_profile(intent.organisation),
                           listed=demands.is_listed(intent))


# --- the organisation's investment intents (投资意向), at /organisation/intents
intents_bp = Blueprint("intents", __name__, url_prefix="/organisation")
intents_bp.context_processor(intent_labels)


def _own_intent(intent_id: int) -> Intent:
    """An intent of the signed-in member's organisation; others' intents do not exist here."""
    intent = db.get_or_404(Intent, intent_id)
    if intent.organisation_id != current_user.organisation_id:
        abort(404)
    return intent


@intents_bp.route("/intents")
@member_required
@verified_required
def intents():
    organisation = own_organisation()
    return render_template("organisation/intents.html", organisation=organisation,
                           intents=operations.intents_of(organisation), counts=operations.intent_counts(organisation),
                           status_form=IntentStatusForm())


@intents_bp.route("/intents/new", methods=["GET", "POST"])
@member_required
@verified_required
def new_intent():
    organisation = own_organisation()
    form = IntentForm()
    if form.is_submitted() and idempotency.done(form.submission_key.data, current_user):
        return redirect(idempotency.done(form.submission_key.data, current_user))
    if form.validate_on_submit():
        idempotency.remember(form.submission_key.data, current_user, url_for(".intents"))
        try:
            operations.create_intent(organisation, current_user, form.values())
        except ServiceError as error:  # the form again, as typed (its 400 rolls back)
            flash(str(error), "danger")
        else:
            flash(_("投资意向已发布，认证用户可在“企业需求”中看到；项目推荐也会参考它"), "success")
            return redirect(url_for(".intents"))
    return _intent_form(form, None)


@intents_bp.route("/intents/<int:intent_id>/edit", methods=["GET", "POST"])
@member_required
@verified_required
def edit_intent(intent_id):
    intent = _own_intent(intent_id)
    if intent.status is IntentStatus.CLOSED:
        flash(_("该投资意向已关闭，不能再修改；如有新需求请发布新的意向"), "warning")
        return redirect(url_for(".intents"))
    form = IntentForm()
    if not form.is_submitted():
        form.load(intent)
    elif form.validate():
        try:
            operations.update_intent(intent, current_user, form.values())
        except ServiceError as error:  # the form again, as typed (its 400 rolls back)
            flash(str(error), "danger")
        else:
            flash(_("投资意向已更新") + (_("，并继续在“企业需求”中展示") if intent.status is IntentStatus.ACTIVE
                                       else _("；当前为暂停状态，恢复后才会展示")), "success")
            return redirect(url_for(".intents"))
    return _intent_form(form, intent)


def _intent_form(form: IntentForm, intent: Intent | None):
    if form.errors:
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    failed = form.is_submitted()  # reaching here after a POST means it was not saved
    return render_template("organisation/intent_form.html", form=form, intent=intent), 400 if failed else 200


@intents_bp.route("/intents/<int:intent_id>/status", methods=["POST"])
@member_required
@verified_required
def intent_status(intent_id):
    intent = _own_intent(intent_id)
    form = IntentStatusForm()
    if form.validate_on_submit():
        target = INTENT_ACTIONS[form.action.data]
        operations.set_intent_status(intent, current_user, target)
        message, category = STATUS_MESSAGES[target]
        flash(str(message), category)
    else:
        flash(_("未能变更状态，请刷新页面后重试"), "danger")
    return redirect(url_for(".intents"))


# --- 附件2 as Word
docking_documents_bp = Blueprint("docking_documents", __name__, url_prefix="/documents")


@docking_documents_bp.route("/docking/<int:form_id>/form.docx")
@login_required
def docking_form(form_id):
    form = db.get_or_404(DockingForm, form_id)
    if not form.can_view(current_user):
        abort(404)
    data = docking_form_docx(form)
    if current_user.is_staff:
        # Not tied to the project: the project's history is shown to its owner, who may not see 附件2.
        audit.record("export_docx", actor=current_user, subject=form, comment="附件2")
    return send_docx(data, download_name(DOCKING_FORM_NAME, form.company_name))


BLUEPRINTS = (deals_bp, demands_bp, intents_bp, docking_documents_bp,)
