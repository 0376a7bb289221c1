"""Blueprints of the projects area: my projects and 附件1 (projects), initial review (review), the library (library), saved searches (searches), 附件1 as Word (project_documents)."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from app.accounts.models import Role
from app.core import audit, idempotency, page_reads
from app.core import files as attachment_service
from app.core.caching import cached_fragment, render_shared
from app.core.docx import PROJECT_FORM_NAME, download_name, send_docx
from app.core.errors import ServiceError, ValidationError
from app.core.models import utcnow
from app.core.templating import beijing_time, shared_page
from app.core.permissions import role_required, staff_required, verified_required
from app.deals.operations import open_interest_of, passes_on
from app.extensions import db
from app.projects import operations as project_service
from app.projects import saved_searches, search, showcase
from app.projects.exports import project_form_docx
from app.projects.library import FACETS, LibraryFilters, library_page, partner_view, public_view, record_partner_view
from app.projects.listing import library_version, library_version_columns
from app.projects.models import (COMMITMENT_TEXT, FIELDS_BY_NAME, LIFE_STEPS, PARTNER_FIELDS, PROJECT_FIELDS,
                                 DeviceClass, Project, ProjectAttachment, ProjectStatus, ProjectType, Stage, Tier)
from app.projects.rules import may_print_form
from app.projects.review import QueueFilters, days_waiting, queue_counts, review_queue, status_counts
from app.suggestions.operations import suggestions_for_project
from forms.deals import InterestForm
from forms.projects import (ApproveForm, AttachmentForm, BulkApproveForm, ConfirmForm, DeleteSavedSearchForm,
                            ProjectForm, RejectForm, ReturnForm, SavedSearchForm, error_links, section_progress)

projects_bp = Blueprint("projects", __name__, url_prefix="/projects")


@projects_bp.record_once
def project_template_globals(state) -> None:
    """附件1's fields, options and life steps for every template (forms, pages, the library, the dashboard)."""
    state.app.jinja_env.globals.update(
        PROJECT_FIELDS=PROJECT_FIELDS, FIELDS_BY_NAME=FIELDS_BY_NAME, COMMITMENT_TEXT=COMMITMENT_TEXT,
        ProjectStatus=ProjectStatus, ProjectType=ProjectType, DeviceClass=DeviceClass, Stage=Stage,
        LIFE_STEPS=LIFE_STEPS)


def _own_project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        abort(404 if not project.can_view_public(current_user) else 403)
    return project


@projects_bp.route("/")
@role_required(Role.CLINICIAN)
def mine():
    projects = project_service.projects_of(current_user)
    return render_template("projects/mine.html", projects=projects, confirm_form=ConfirmForm())


def _hospital(user):
    """The hospital the account names: its confirmed (or pending) institution, else the name typed at sign-up."""
    affiliation = getattr(user, "affiliation", None)
    if affiliation is not None and affiliation.institution is not None:
        return affiliation.institution
    return None


def _hospital_name(user) -> str:
    institution = _hospital(user)
    if institution is not None:
        return institution.name
    affiliation = getattr(user, "affiliation", None)
    return (affiliation.institution_name if affiliation is not None else "") or user.institution or ""


EDIT_PATH = re.compile(r"^/projects/(\d+)/edit$")


def _draft_made_by(path: str) -> Project | None:
    """The project a used one-time key created, when it is still the user's editable draft (made by autosave or a
    first 保存草稿): a later post with the key saves onto it instead of creating another."""
    match = EDIT_PATH.match(path or "")
    project = db.session.get(Project, int(match.group(1))) if match else None
    return project if project is not None and project.can_edit(current_user) else None


def _edit(project: Project | None):
    form = ProjectForm()
    if project is not None and not form.is_submitted():
        form.load(project)
    if project is None and not form.is_submitted():
        form.prefill(current_user, _hospital(current_user))
    if form.is_submitted():
        form.for_submit = bool(form.submit.data)
        created_by_first_try = idempotency.done(form.submission_key.data, current_user) if project is None else None
        if created_by_first_try:  # a retry, or a post after autosave made the draft: onto that draft, not a new one
            project = _draft_made_by(created_by_first_try)
            if project is None:
                return redirect(created_by_first_try)
        if form.validate():
            confirmed = bool(request.form.get("confirm_public_edit"))
            if project is not None and not confirmed and \
                    project_service.needs_review_confirmation(project, form.values()):
                # Nothing is saved yet: the owner reads what will happen and confirms (the typed values stay).
                return _render_form(form, project, 200, confirm=_review_consequences(project, form.values()))
            is_new = project is None
            try:
                project = project_service.save_project(current_user, project, form.values(), form.for_submit)
            except ServiceError as error:  # the form stays as typed; its 400 rolls back what was written
                _field_or_flash(form, error)
                return _render_form(form, project, 400)
            if form.for_submit and not current_user.is_verified:
                flash(str(project_service.UNCONFIRMED), "warning")
                return redirect(url_for(".edit", project_id=project.id))
            flash(_message_after_save(project, form.for_submit), "success")
            if form.for_submit or project.status in (ProjectStatus.SUBMITTED, ProjectStatus.INSTITUTION_REVIEW):
                target = url_for(".detail", project_id=project.id)
            else:
                target = url_for(".edit", project_id=project.id)
            if is_new:
                idempotency.remember(form.submission_key.data, current_user, target)
            return redirect(target)
        # No flash: the error summary at the top of the form says it, with a link to each field.
    return _render_form(form, project, 400 if form.errors else 200)


def _review_consequences(project: Project, values: dict) -> dict:
    """What confirming a public edit of a published project does, for the confirmation step."""
    waiting = project_service.waiting_interests(project)
    return {"fields": project_service.public_changes(project, values), "waiting": len(waiting),
            "organisations": [i.organisation.name for i in waiting]}


def _render_form(form: ProjectForm, project: Project | None, status: int, confirm: dict | None = None):
    autosave = project is None or project.status in project_service.AUTOSAVE_STATES
    pending = project_service.open_return(project) if project is not None and \
        project.status is ProjectStatus.RETURNED else None
    g.field_comments = dict(pending.field_comments or {}) if pending else {}  # read by _macros.project_field
    return render_template("projects/form.html", form=form, project=project, confirm=confirm, open_return=pending,
                           attachment_form=AttachmentForm(), confirm_form=ConfirmForm(),
                           sections=section_progress(form), error_links=error_links(form),
                           hospital=_hospital_name(current_user if project is None else project.owner),
                           autosave_url=(url_for(".autosave_new") if project is None else
                                         url_for(".autosave", project_id=project.id)) if autosave else "",
                           review_comment=project_service.latest_review_comment(project) if project else ""), status


def _field_or_flash(form, error: ServiceError) -> None:
    """The refusal next to the field it is about, when the operation names one the form has; a flash otherwise."""
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, str(error)]  # in the error summary too
    else:
        flash(str(error), "danger")


def _message_after_save(project: Project, submitted: bool) -> str:
    if project.status is ProjectStatus.INSTITUTION_REVIEW:
        return _("已提交院内审核。本院成果转化管理员审核通过后，项目将报送创新服务站初核")
    if project.status is ProjectStatus.SUBMITTED and submitted:
        return _("已提交初核。创新服务站审核后会通知您，结果也会显示在“我的项目”中")
    if project.status is ProjectStatus.SUBMITTED:
        return _("已保存。由于修改了公开信息，项目已重新提交初核，通过后将再次在项目库展示")
    return _("草稿已保存。可以继续填写，或上传附件后提交初核")


@projects_bp.route("/new", methods=["GET", "POST"])
@role_required(Role.CLINICIAN)
def new():
    return _edit(None)


@projects_bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@role_required(Role.CLINICIAN)
def edit(project_id):
    project = _own_project(project_id)
    if not project.can_edit(current_user):
        flash(_("项目处于“%(state)s”状态，暂不能修改", state=project.status.label), "warning")
        return redirect(url_for(".detail", project_id=project.id))
    return _edit(project)


def _autosave_payload():
    """The typed values of a JSON autosave as form data, or a refusal message (400)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("fields"), dict):
        return None, _("自动保存的数据格式无效：应为 JSON 对象，fields 为各字段的值")
    known = set(FIELDS_BY_NAME) | {"city_other"}
    fields = payload["fields"]
    unknown = sorted(set(fields) - known)
    if unknown:
        return None, _("自动保存的数据含有未知字段：%(names)s", names="、".join(unknown[:5]))
    data = MultiDict()
    for name, value in fields.items():
        if name == "commitment_agreed":
            if not isinstance(value, bool):
                return None, _("自动保存的数据格式无效：%(name)s 应为 true 或 false", name=name)
            if value:
                data.add(name, "y")
        elif value is None:
            continue
        elif not isinstance(value, str) or len(value) > 20000:
            return None, _("自动保存的数据格式无效：%(name)s 应为文字", name=name)
        else:
            data.add(name, value)
    key = payload.get("submission_key")
    return (data, set(fields), key if isinstance(key, str) else ""), None


def _autosave(project: Project | None):
    parsed, problem = _autosave_payload()
    if problem:
        return jsonify(ok=False, error=problem), 400
    data, given, key = parsed
    if project is None and key:  # a retry, or two saves crossing: onto the draft the key made
        first = idempotency.done(key, current_user)
        if first:
            project = _draft_made_by(first)
            if project is None:
                return jsonify(ok=False, error=str(project_service.NOT_A_DRAFT)), 409
    form = ProjectForm(formdata=data, meta={"csrf": False})
    form.validate()
    values = {name: value for name, value in form.values().items()
              if (name in given or (name == "city" and "city_other" in given))
              and not form[name].errors and not (name == "city" and form.city_other.errors)}
    try:
        is_new = project is None
        project = project_service.autosave_draft(current_user, project, values)
    except ServiceError as error:
        return jsonify(ok=False, error=str(error)), error.status
    edit_url = url_for(".edit", project_id=project.id)
    if is_new:
        idempotency.remember(key, current_user, edit_url)
    errors = {name: [str(e) for e in errors] for name, errors in form.errors.items() if name in given}
    saved_at = beijing_time(utcnow(), "%H:%M")
    message = _("已自动保存 %(time)s", time=saved_at)
    if errors:
        message = _("已自动保存 %(time)s；%(fields)s 有误，该项暂未保存", time=saved_at,
                    fields="、".join(str(form[name].label.text) for name in errors))
    return jsonify(ok=True, project_id=project.id, saved_at=saved_at, message=message, errors=errors,
                   edit_url=edit_url, autosave_url=url_for(".autosave", project_id=project.id))


@projects_bp.route("/autosave", methods=["POST"], endpoint="autosave_new")
@role_required(Role.CLINICIAN)
def autosave_new():
    """A new 附件1's first autosave: it becomes a draft (JSON in, JSON out)."""
    return _autosave(None)


@projects_bp.route("/<int:project_id>/autosave", methods=["POST"])
@role_required(Role.CLINICIAN)
def autosave(project_id):
    """Keep a draft's typing every few seconds (JSON); only the owner's draft or returned project, state unchanged."""
    project = db.session.get(Project, project_id)
    if project is None or not project.is_owner(current_user):  # another's draft is not there for this user
        return jsonify(ok=False, error=_("页面不存在或已删除")), 404
    return _autosave(project)


@projects_bp.route("/<int:project_id>")
@login_required
def detail(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        if project.can_view_public(current_user):
            return redirect(url_for("library.detail", project_id=project.id))
        abort(404)
    return render_template("projects/detail.html", project=project, history=audit.project_history(project),
                           returns=project_service.returns_by_event(project),
                           open_return=project_service.open_return(project)
                           if project.status is ProjectStatus.RETURNED else None,
                           tiers=project.visible_tiers(current_user), confirm_form=ConfirmForm(),
                           review_comment=project_service.latest_review_comment(project),
                           suggestions=suggestions_for_project(project) if project.is_listed() else None,
                           passes=passes_on(project))


@projects_bp.route("/<int:project_id>/submit", methods=["POST"])
@role_required(Role.CLINICIAN)
def submit(project_id):
    project = _own_project(project_id)
    if ConfirmForm().validate_on_submit():
        if project.is_owner(current_user) and not current_user.is_verified:
            flash(str(project_service.UNCONFIRMED), "warning")
            return redirect(url_for(".detail", project_id=project.id))
        try:
            project_service.submit_project(project, current_user)
        except ValidationError as error:  # e.g. 承诺书 not agreed: the form, with the message next to the field
            form = ProjectForm(formdata=None)
            form.load(project)
            _field_or_flash(form, error)
            return _render_form(form, project, 400)
        flash(_("已提交初核。创新服务站审核后会通知您") if project.status is ProjectStatus.SUBMITTED
              else _message_after_save(project, True), "success")
    return redirect(url_for(".detail", project_id=project.id))


@projects_bp.route("/<int:project_id>/withdraw", methods=["POST"])
@role_required(Role.CLINICIAN)
def withdraw(project_id):
    project = _own_project(project_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        project_service.withdraw_project(project, current_user, form.comment.data or "")
        flash(_("项目已撤回，不再在项目库展示"), "info")
    return redirect(url_for(".detail", project_id=project.id))


@projects_bp.route("/<int:project_id>/attachments", methods=["POST"])
@role_required(Role.CLINICIAN)
def upload(project_id):
    project = _own_project(project_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        project_service.add_project_attachment(project, current_user, form.file.data)
        flash(_("附件已上传"), "success")
    else:
        for errors in form.errors.values():
            flash(_("附件未上传：%(reason)s", reason="；".join(map(str, errors))), "danger")
    return redirect(url_for(".edit", project_id=project.id) if project.can_edit(current_user)
                    else url_for(".detail", project_id=project.id))


def _visible_attachment(project_id: int, attachment_id: int) -> ProjectAttachment:
    """An attachment of a project whose partner tier the viewer may read (reading recorded for partners); else 404."""
    project = db.get_or_404(Project, project_id)
    item = db.get_or_404(ProjectAttachment, attachment_id)
    if item.project_id != project.id or not project.can_view_partner(current_user):
        abort(404)
    if not project.can_view_private(current_user):
        audit.record("view_partner_attachment", actor=current_user, project=project, subject=item)
    return item


@projects_bp.route("/<int:project_id>/attachments/<int:attachment_id>")
@login_required
def attachment(project_id, attachment_id):
    item = _visible_attachment(project_id, attachment_id)
    return attachment_service.send_stored(item.stored_name, item.original_name)


@projects_bp.route("/<int:project_id>/attachments/<int:attachment_id>/preview")
@login_required
def attachment_preview(project_id, attachment_id):
    """A PDF or picture shown in the browser (inline); other types have no preview (404), only the download."""
    item = _visible_attachment(project_id, attachment_id)
    return attachment_service.send_stored(item.stored_name, item.original_name, inline=True)


@projects_bp.route("/<int:project_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@role_required(Role.CLINICIAN)
def delete_attachment(project_id, attachment_id):
    project = _own_project(project_id)
    item = db.get_or_404(ProjectAttachment, attachment_id)
    if item.project_id != project.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        project_service.remove_project_attachment(item, current_user)
        flash(_("附件已删除"), "info")
    return redirect(url_for(".edit", project_id=project.id))


review_bp = Blueprint("review", __name__, url_prefix="/review")


@review_bp.app_context_processor
def review_queue_counts() -> dict:
    """What waits for station staff, for the navigation badges (初核, 机构认证)."""
    staff = current_user.is_authenticated and current_user.is_staff
    return {"queue_counts": queue_counts() if staff else {}}

ACTIONS = {
    "approve": (ApproveForm, project_service.approve_project, lambda: _("已通过初核并在项目库发布")),
    "return": (ReturnForm, project_service.return_project, lambda: _("已退回修改，项目负责人将看到您的意见")),
    "reject": (RejectForm, project_service.reject_project, lambda: _("已标记为不予通过，项目负责人将看到理由")),
}


@review_bp.route("/")
@staff_required
def queue():
    try:
        status = ProjectStatus(request.args.get("status", ProjectStatus.SUBMITTED.value))
    except ValueError:
        status = ProjectStatus.SUBMITTED
    filters = QueueFilters.from_args(request.args)
    projects = review_queue(status, filters)
    return render_template("review/queue.html", projects=projects, status=status,
                           counts=status_counts(), filters=filters, days_waiting=days_waiting,
                           device_classes=list(DeviceClass), clean=project_service.clean_resubmissions(projects),
                           bulk_form=BulkApproveForm(formdata=None))


def _render(project, status=200, **forms):
    for action, (form_cls, _operation, _message) in ACTIONS.items():
        forms.setdefault(f"{action}_form", form_cls(formdata=None, prefix=action))
    return render_template("review/project.html", project=project, history=audit.project_history(project),
                           tiers=project.visible_tiers(current_user),
                           review_comment=project_service.latest_review_comment(project),
                           changes=project_service.changes_since_last_submission(project),
                           last_return=project_service.last_return(project),
                           clean_reason=project_service.clean_resubmission_reason(project),
                           returns=project_service.returns_by_event(project), **forms), status


@review_bp.route("/<int:project_id>")
@staff_required
def project(project_id):
    return _render(db.get_or_404(Project, project_id))


@review_bp.route("/<int:project_id>/<action>", methods=["POST"])
@staff_required
def act(project_id, action):
    if action not in ACTIONS:
        abort(404)
    project = db.get_or_404(Project, project_id)
    form_cls, operation, message = ACTIONS[action]
    form = form_cls(prefix=action)  # three forms on one page: prefixes keep their ids apart
    if form.validate_on_submit():
        if action == "return":
            operation(project, current_user, form.comment.data or "", form.comments())
        else:
            operation(project, current_user, form.comment.data or "")
        flash(message(), "success")
        return redirect(url_for(".queue"))
    messages = form.messages() if hasattr(form, "messages") else \
        [str(e) for errors in form.errors.values() for e in errors]
    flash("；".join(messages), "danger")  # on a phone the form is far below
    return _render(project, 400, **{f"{action}_form": form})


@review_bp.route("/bulk-approve", methods=["POST"])
@staff_required
def bulk_approve():
    """批量通过: each selected clean resubmission through approve_project; one message says what was skipped."""
    back = url_for(".queue", **{k: v for k, v in request.form.items() if k in QUEUE_ARGS and v})
    form = BulkApproveForm()
    if not form.validate_on_submit():
        flash("；".join(str(e) for errors in form.errors.values() for e in errors) or _("页面已过期，请重新提交"),
              "danger")
        return redirect(back)
    ids = request.form.getlist("project_ids")[:500]
    if not ids:
        flash(_("请先勾选要批量通过的项目"), "warning")
        return redirect(back)
    approved, skipped = project_service.bulk_approve(ids, current_user, form.comment.data or "")
    if approved:
        flash(_("已批量通过 %(n)d 个项目并在项目库发布", n=len(approved)) +
              (_("；跳过 %(m)d 个：%(why)s", m=len(skipped), why="；".join(
                  _("%(name)s（%(reason)s）", name=name, reason=reason) for name, reason in skipped)) if skipped else ""),
              "success")
    else:
        flash(_("没有项目被通过；跳过 %(m)d 个：%(why)s", m=len(skipped), why="；".join(
            _("%(name)s（%(reason)s）", name=name, reason=reason) for name, reason in skipped)), "warning")
    return redirect(back)


QUEUE_ARGS = ("status", "q", "city", "hospital", "device_class", "min_days", "sort")


library_bp = Blueprint("library", __name__, url_prefix="/library")


@library_bp.route("/", endpoint="index")
@verified_required
def library_index():
    filters = LibraryFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    query = search.normalise_query(request.args.get("q", ""))
    search_args = {"q": query} if query else {}
    version, rendered = library_version(), {}

    def render() -> str:
        rendered["body"] = body = _library_body(filters, page, query, search_args, version)
        save_form = SavedSearchForm(formdata=None, data=dict(filters.values, query=query)) if query or filters.values else None
        return render_template("library/index.html", body=body, filters=filters, save_form=save_form,
                               search_args=search_args)
    # the whole page once per kind of reader: the listing is public tier, the reader's parts are holes
    return shared_page(("library", version), render, keep=lambda: not rendered["body"]["unavailable"])


page_reads.ask("library.index", library_version_columns)  # the version in the reader's own statement


def _library_body(filters: LibraryFilters, page: int, query: str, search_args: dict, version: tuple) -> dict:
    """The listing and its counts, rendered once for every viewer until a project changes (the library's
    version is in the key): public tier only, and rendered without the viewer (no context processors), so
    nothing of one viewer can reach another. A failed search is not kept."""
    per_page = current_app.config["PER_PAGE"]

    def render() -> dict:
        result = library_page(filters, page=page, per_page=per_page, query=query)
        context = dict(result=result, filters=filters, search_args=search_args)
        return {"total": result.total, "query": result.query, "loosened": result.loosened,
                "unavailable": result.unavailable, "shown": bool(result.items),
                "facets": render_shared("library/_facets.html", **context),
                "results": render_shared("library/_results.html", **context)}
    key = ("library", version, query, page, per_page, tuple(sorted(filters.values.items())))
    return cached_fragment(key, render, keep=lambda body: not body["unavailable"])


def render_detail(project: Project, interest_form=None):
    """The library page of a project: public tier for all, partner tier once the owner accepted."""

    partner = project.can_view_partner(current_user) and not project.can_view_private(current_user)
    if partner:
        record_partner_view(project, current_user)  # a record of reading: the one write a GET may make
    interest = open_interest_of(project, current_user.organisation_id) if current_user.is_organisation_member else None
    can_express = current_user.is_organisation_member and interest is None and project.is_listed()
    return render_template(
        "library/detail.html", project=partner_view(project) if partner else public_view(project),
        locked=[FIELDS_BY_NAME[name] for name in PARTNER_FIELDS], partner=partner, tiers={Tier.PUBLIC, Tier.PARTNER},
        full_access=project.can_view_private(current_user), interest=interest,
        interest_form=(interest_form or InterestForm(formdata=None)) if can_express else None)


@library_bp.route("/<int:project_id>", endpoint="detail")
@verified_required
def library_detail(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.is_listed() and not project.can_view_partner(current_user):
        abort(404)
    return render_detail(project)


searches_bp = Blueprint("searches", __name__, url_prefix="/searches")


def _render_list(form=None, status=200):
    return render_template("searches/index.html", searches=saved_searches.with_counts(current_user),
                           library_args=saved_searches.library_args, form=form,
                           filter_labels=lambda saved: saved_searches.filters_of(saved).labels(),
                           delete_form=DeleteSavedSearchForm(formdata=None),
                           limit=saved_searches.MAX_PER_USER), status


@searches_bp.route("/", endpoint="index")
@verified_required
def searches_index():
    return _render_list()


@searches_bp.route("/", methods=["POST"])
@verified_required
def save():
    form = SavedSearchForm()
    if not form.validate_on_submit():
        return _render_list(form, 400)
    try:
        saved = saved_searches.save_search(current_user, form.name.data, form.query.data,
                                           {name: form[name].data for name in FACETS})
    except ServiceError as error:  # the list again, with the name as typed
        flash(str(error), "danger")
        return _render_list(form, 400)
    flash(_("已保存搜索“%(name)s”。有新入库项目符合条件时，我们会通知您。", name=saved.name), "success")
    return redirect(url_for(".index"))


@searches_bp.route("/<int:saved_search_id>/delete", methods=["POST"])
@verified_required
def delete(saved_search_id):
    saved = saved_searches.own_search(current_user, saved_search_id)
    if saved is None:
        abort(404)
    if DeleteSavedSearchForm().validate_on_submit():
        saved_searches.delete_search(current_user, saved)
        flash(_("已删除保存的搜索“%(name)s”", name=saved.name), "success")
    return redirect(url_for(".index"))


# --- 附件1 as Word
project_documents_bp = Blueprint("project_documents", __name__, url_prefix="/documents")


@project_documents_bp.route("/projects/<int:project_id>/form.docx")
@login_required
def project_form(project_id):
    project = db.get_or_404(Project, project_id)
    if not (project.can_view_private(current_user) or may_print_form(current_user, project)):
        abort(403 if project.can_view_public(current_user) else 404)
    data = project_form_docx(project)
    if current_user.is_staff or current_user.is_institution_officer:
        audit.record("export_docx", actor=current_user, project=project, comment="附件1")
    return send_docx(data, download_name(PROJECT_FORM_NAME, project.name))


showcase_bp = Blueprint("showcase", __name__, url_prefix="/showcase")


@showcase_bp.route("/", endpoint="index")
def showcase_index():
    """项目展示: published projects' names and a few facts for anyone, with an invitation to register."""
    page = request.args.get("page", 1, type=int) or 1
    items, total, pages = showcase.showcase_page(page)
    return render_template("showcase/index.html", items=items, total=total, page=min(max(page, 1), pages),
                           pages=pages)


BLUEPRINTS = (projects_bp, review_bp, library_bp, searches_bp, project_documents_bp, showcase_bp,)
