"""The clinician's side: 附件1, my projects with their history, attachments."""
from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Project, ProjectAttachment, ProjectStatus, Role
from app.permissions import role_required
from app.services import ServiceError
from app.services import attachments as attachment_service
from app.services import audit
from app.services import projects as project_service
from forms.project import AttachmentForm, ConfirmForm, ProjectForm

bp = Blueprint("projects", __name__)


def _own_project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        abort(404 if not project.can_view_public(current_user) else 403)
    return project


@bp.route("/")
@role_required(Role.CLINICIAN)
def mine():
    projects = project_service.projects_of(current_user)
    return render_template("projects/mine.html", projects=projects, confirm_form=ConfirmForm())


def _edit(project: Project | None):
    form = ProjectForm()
    if project is not None and not form.is_submitted():
        form.load(project)
    if form.is_submitted():
        form.for_submit = bool(form.submit.data)
        if form.validate():
            try:
                project = project_service.save_project(current_user, project, form.values(), form.for_submit)
            except ServiceError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                db.session.commit()
                flash(_message_after_save(project, form.for_submit), "success")
                if form.for_submit or project.status is ProjectStatus.SUBMITTED:
                    return redirect(url_for(".detail", project_id=project.id))
                return redirect(url_for(".edit", project_id=project.id))
        else:
            flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    status = 400 if form.errors else 200
    return render_template("projects/form.html", form=form, project=project,
                           attachment_form=AttachmentForm(), confirm_form=ConfirmForm(),
                           review_comment=project_service.latest_review_comment(project) if project else ""), status


def _message_after_save(project: Project, submitted: bool) -> str:
    if project.status is ProjectStatus.SUBMITTED and submitted:
        return _("已提交初核。创新服务站审核后会通知您，结果也会显示在“我的项目”中")
    if project.status is ProjectStatus.SUBMITTED:
        return _("已保存。由于修改了公开信息，项目已重新提交初核，通过后将再次在项目库展示")
    return _("草稿已保存。可以继续填写，或上传附件后提交初核")


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.CLINICIAN)
def new():
    return _edit(None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@role_required(Role.CLINICIAN)
def edit(project_id):
    project = _own_project(project_id)
    if not project.can_edit(current_user):
        flash(_("项目处于“%(state)s”状态，暂不能修改", state=project.status.label), "warning")
        return redirect(url_for(".detail", project_id=project.id))
    return _edit(project)


@bp.route("/<int:project_id>")
@login_required
def detail(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        if project.can_view_public(current_user):
            return redirect(url_for("library.detail", project_id=project.id))
        abort(404)
    from app.services.matching import suggestions_for_project
    return render_template("projects/detail.html", project=project, history=audit.project_history(project),
                           tiers=project.visible_tiers(current_user), confirm_form=ConfirmForm(),
                           review_comment=project_service.latest_review_comment(project),
                           suggestions=suggestions_for_project(project) if project.is_listed() else None)


@bp.route("/<int:project_id>/submit", methods=["POST"])
@role_required(Role.CLINICIAN)
def submit(project_id):
    project = _own_project(project_id)
    if ConfirmForm().validate_on_submit():
        try:
            project_service.submit_project(project, current_user)
        except ServiceError as error:
            flash(str(error) + _("，请在表单中补全后提交"), "danger")
            return redirect(url_for(".edit", project_id=project.id))
        db.session.commit()
        flash(_("已提交初核。创新服务站审核后会通知您"), "success")
    return redirect(url_for(".detail", project_id=project.id))


@bp.route("/<int:project_id>/withdraw", methods=["POST"])
@role_required(Role.CLINICIAN)
def withdraw(project_id):
    project = _own_project(project_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            project_service.withdraw_project(project, current_user, form.comment.data or "")
        except ServiceError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("项目已撤回，不再在项目库展示"), "info")
    return redirect(url_for(".detail", project_id=project.id))


@bp.route("/<int:project_id>/attachments", methods=["POST"])
@role_required(Role.CLINICIAN)
def upload(project_id):
    project = _own_project(project_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            attachment_service.add_project_attachment(project, current_user, form.file.data)
        except ServiceError as error:
            flash(_("附件未上传：%(reason)s", reason=str(error)), "danger")
        else:
            db.session.commit()
            flash(_("附件已上传"), "success")
    else:
        for errors in form.errors.values():
            flash(_("附件未上传：%(reason)s", reason="；".join(map(str, errors))), "danger")
    return redirect(url_for(".edit", project_id=project.id) if project.can_edit(current_user)
                    else url_for(".detail", project_id=project.id))


@bp.route("/<int:project_id>/attachments/<int:attachment_id>")
@login_required
def attachment(project_id, attachment_id):
    project = db.get_or_404(Project, project_id)
    item = db.get_or_404(ProjectAttachment, attachment_id)
    if item.project_id != project.id or not project.can_view_partner(current_user):
        abort(404)
    if not project.can_view_private(current_user):
        audit.record("view_partner_attachment", actor=current_user, project=project, subject=item)
        db.session.commit()
    return send_file(attachment_service.stored_path(item.stored_name), mimetype=item.content_type,
                     as_attachment=True, download_name=item.original_name)


@bp.route("/<int:project_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@role_required(Role.CLINICIAN)
def delete_attachment(project_id, attachment_id):
    project = _own_project(project_id)
    item = db.get_or_404(ProjectAttachment, attachment_id)
    if item.project_id != project.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            attachment_service.remove_project_attachment(item, current_user)
        except ServiceError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("附件已删除"), "info")
    return redirect(url_for(".edit", project_id=project.id))
