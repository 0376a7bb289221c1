"""The deal flow: interests and the clinician's board, negotiation threads, signing, the docking form."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import DeclineReason, Interest, InterestStatus, NegotiationMessage, Project
from app.permissions import staff_required, verified_required
from app.services import ServiceError
from app.services import attachments, interests, negotiation, signing
from forms.deal import AgreementForm, DeclineForm, DisputeForm, EndNegotiationForm, InterestForm, MessageForm
from forms.docking import DockingFormForm

bp = Blueprint("deals", __name__)


def _interest(interest_id: int) -> Interest:
    interest = db.get_or_404(Interest, interest_id)
    if not interest.can_view(current_user):
        abort(404)
    return interest


def _fail(error: ServiceError, target: str):
    db.session.rollback()
    flash(str(error), "danger")
    return redirect(target)


@bp.route("/")
@verified_required
def mine():
    items = interests.interests_of_user(current_user)
    unread = negotiation.unread_counts(current_user, [i.id for i in items])
    counts = {s: sum(1 for i in items if i.status is s) for s in InterestStatus}
    return render_template("deals/mine.html", items=items, unread=unread, counts=counts)


@bp.route("/projects/<int:project_id>/interest", methods=["POST"])
@verified_required
def express(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.is_listed():
        abort(404)
    form = InterestForm()
    if form.validate_on_submit():
        try:
            interests.express_interest(project, current_user, form.message.data, form.cooperation_modes.data,
                                       form.amount_wan.data, form.timeline.data or "")
        except ServiceError as error:
            return _fail(error, url_for("library.detail", project_id=project.id))
        db.session.commit()
        flash(_("意向已发送。项目负责人将在 %(days)d 天内回复，结果会通知您",
                days=current_app.config["INTEREST_EXPIRY_DAYS"]), "success")
        return redirect(url_for(".mine"))
    from app.views.library import render_detail
    return render_detail(project, interest_form=form), 400


@bp.route("/projects/<int:project_id>/board")
@login_required
def board(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        abort(404)
    items = interests.interests_for_project(project)
    unread = negotiation.unread_counts(current_user, [i.id for i in items])
    counts = {s: sum(1 for i in items if i.status is s) for s in InterestStatus}
    return render_template("deals/board.html", project=project, items=items, unread=unread, counts=counts,
                           decline_form=DeclineForm(formdata=None), reasons=DeclineReason)


@bp.route("/<int:interest_id>/accept", methods=["POST"])
@login_required
def accept(interest_id):
    interest = _interest(interest_id)
    try:
        interests.accept_interest(interest, current_user)
    except ServiceError as error:
        return _fail(error, url_for(".board", project_id=interest.project_id))
    db.session.commit()
    flash(_("已接受 %(org)s 的意向。对方现在可以查看项目详细资料，请在洽谈页与对方沟通",
            org=interest.organisation.name), "success")
    return redirect(url_for(".thread", interest_id=interest.id))


@bp.route("/<int:interest_id>/decline", methods=["POST"])
@login_required
def decline(interest_id):
    interest = _interest(interest_id)
    form = DeclineForm(prefix=f"decline{interest.id}")
    if form.validate_on_submit():
        try:
            interests.decline_interest(interest, current_user, DeclineReason(form.reason.data), form.note.data or "")
        except ServiceError as error:
            return _fail(error, url_for(".board", project_id=interest.project_id))
        db.session.commit()
        flash(_("已婉拒该意向，对方将看到您选择的原因"), "info")
    else:
        for errors in form.errors.values():
            flash("；".join(map(str, errors)), "danger")
    return redirect(url_for(".board", project_id=interest.project_id))


@bp.route("/<int:interest_id>/withdraw", methods=["POST"])
@verified_required
def withdraw(interest_id):
    interest = _interest(interest_id)
    try:
        interests.withdraw_interest(interest, current_user)
    except ServiceError as error:
        return _fail(error, url_for(".mine"))
    db.session.commit()
    flash(_("意向已撤回"), "info")
    return redirect(url_for(".mine"))


def _render_thread(interest, status=200, message_form=None, end_form=None):
    if current_user.is_staff and not interest.is_party(current_user):
        negotiation.record_staff_reading(interest, current_user)
    elif interest.is_party(current_user):
        negotiation.mark_read(interest, current_user)
    db.session.commit()
    return render_template("deals/thread.html", interest=interest, message_form=message_form or MessageForm(),
                           end_form=end_form or EndNegotiationForm(formdata=None)), status


@bp.route("/<int:interest_id>", methods=["GET", "POST"])
@login_required
def thread(interest_id):
    interest = _interest(interest_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            negotiation.post_message(interest, current_user, form.body.data, form.file.data)
        except ServiceError as error:
            return _fail(error, url_for(".thread", interest_id=interest.id))
        db.session.commit()
        flash(_("消息已发送，对方会收到通知"), "success")
        return redirect(url_for(".thread", interest_id=interest.id) + "#latest")
    return _render_thread(interest, 400 if form.errors else 200, message_form=form)


@bp.route("/<int:interest_id>/messages/<int:message_id>/attachment")
@login_required
def message_attachment(interest_id, message_id):
    interest = _interest(interest_id)
    message = db.get_or_404(NegotiationMessage, message_id)
    if message.interest_id != interest.id or not message.attachment_stored_name:
        abort(404)
    return send_file(attachments.stored_path(message.attachment_stored_name), as_attachment=True,
                     mimetype=message.attachment_content_type, download_name=message.attachment_original_name)


@bp.route("/<int:interest_id>/end", methods=["POST"])
@login_required
def end(interest_id):
    interest = _interest(interest_id)
    form = EndNegotiationForm()
    if form.validate_on_submit():
        try:
            interests.end_negotiation(interest, current_user, form.reason.data)
        except ServiceError as error:
            return _fail(error, url_for(".thread", interest_id=interest.id))
        db.session.commit()
        flash(_("洽谈已终止，对方会收到通知"), "info")
        return redirect(url_for(".thread", interest_id=interest.id))
    return _render_thread(interest, 400, end_form=form)


@bp.route("/<int:interest_id>/signing", methods=["GET", "POST"], endpoint="signing")
@login_required
def signing_page(interest_id):
    interest = _interest(interest_id)
    form = AgreementForm()
    if form.validate_on_submit():
        try:
            signing.record_agreement(interest, current_user, form.cooperation_modes.data, form.amount_wan.data,
                                     form.signed_on.data, form.summary.data, form.contract.data)
        except ServiceError as error:
            db.session.rollback()
            form.contract.errors.append(str(error))
        else:
            db.session.commit()
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


@bp.route("/<int:interest_id>/signing/confirm", methods=["POST"])
@login_required
def confirm(interest_id):
    interest = _interest(interest_id)
    if interest.agreement is None:
        abort(404)
    try:
        signing.confirm_agreement(interest.agreement, current_user)
    except ServiceError as error:
        return _fail(error, url_for(".signing", interest_id=interest.id))
    db.session.commit()
    flash(_("签约已确认，项目进入“签约落地”。服务站已收到通知；签约企业请填报对接表"), "success")
    return redirect(url_for(".thread", interest_id=interest.id))


@bp.route("/<int:interest_id>/signing/dispute", methods=["POST"])
@login_required
def dispute(interest_id):
    interest = _interest(interest_id)
    form = DisputeForm()
    if interest.agreement is None:
        abort(404)
    if form.validate_on_submit():
        try:
            signing.dispute_agreement(interest.agreement, current_user, form.note.data)
        except ServiceError as error:
            return _fail(error, url_for(".signing", interest_id=interest.id))
        db.session.commit()
        flash(_("已告知对方需要更正的内容"), "info")
    else:
        flash(_("请说明哪里需要更正"), "danger")
    return redirect(url_for(".signing", interest_id=interest.id))


@bp.route("/<int:interest_id>/contract")
@login_required
def contract(interest_id):
    interest = _interest(interest_id)
    if interest.agreement is None:
        abort(404)
    return send_file(attachments.stored_path(interest.agreement.contract_stored_name), as_attachment=True,
                     mimetype="application/pdf", download_name=interest.agreement.contract_original_name)


@bp.route("/<int:interest_id>/docking", methods=["GET", "POST"])
@login_required
def docking(interest_id):
    interest = _interest(interest_id)
    if interest.docking_form is None:
        if not interest.can_file_docking_form(current_user):
            abort(404)
        signing.start_docking_form(interest, current_user)
        db.session.commit()
    docking_form = interest.docking_form
    if not docking_form.can_view(current_user):
        abort(404)
    form = DockingFormForm()
    if form.is_submitted() and docking_form.can_edit(current_user):
        form.for_submit = bool(form.file.data)
        if form.validate():
            signing.save_docking_form(docking_form, current_user, form.values(), form.for_submit)
            db.session.commit()
            flash(_("对接表已报送服务站") if form.for_submit else _("对接表已保存"), "success")
            return redirect(url_for(".docking", interest_id=interest.id))
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段", n=len(form.errors)), "danger")
    elif not form.is_submitted():
        form.load(docking_form)
    return render_template("deals/docking.html", interest=interest, docking=docking_form, form=form,
                           editable=docking_form.can_edit(current_user)), 400 if form.errors else 200


@bp.route("/docking-forms")
@staff_required
def docking_list():
    return render_template("deals/docking_list.html", items=signing.docking_forms())
