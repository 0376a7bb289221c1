"""Blueprints of the programme area: the public 政策与指南 (policy), and programme services (programme):
article editing and event registrations, the service-resource directory, support requests."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.accounts.models import STAFF_ROLES, User
from app.core import files as stored_files
from app.core import templating
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.permissions import staff_required
from app.extensions import db
from app.incubation.models import Assessment
from app.incubation.operations import beijing_today
from app.programme import articles as article_service
from app.programme import exports
from app.programme import requests as request_service
from app.programme import resources as resource_service
from app.programme import rules
from app.programme.kinds import choice_label, spec
from app.programme.markdown import render as render_markdown
from app.programme.models import (Article, ArticleAttachment, ArticleCategory, Provider, ProviderKind, RequestDocument,
                                  RequestKind, RequestStatus, SupportRequest)
from app.projects.models import Project, ProjectType
from forms.programme import (ArticleForm, AssignForm, AttachmentForm, CloseForm, CommentForm, HandleForm,
                             NewRequestForm, ProviderForm, PublishForm, RegistrationForm, RequestDocumentForm,
                             request_form, to_utc)
from forms import options
from forms.projects import ConfirmForm

policy_bp = Blueprint("policy", __name__, url_prefix="/policy")
programme_bp = Blueprint("programme", __name__, url_prefix="/programme")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

templating.ACTION_LABELS.update({
    "create_article": _l("撰写政策与指南"), "update_article": _l("修改政策与指南"), "publish_article": _l("发布"),
    "unpublish_article": _l("撤回发布"), "article_attachment": _l("上传附件"), "event_registration": _l("活动报名"),
    "open_request": _l("新建服务申请"), "update_request": _l("修改服务申请"), "request_document": _l("上传申请材料"),
    "submit_request": _l("提交服务申请"), "resubmit_request": _l("补充后重新提交"), "supplement_request": _l("补充材料"),
    "accept_request": _l("受理"), "start_request": _l("开始办理"), "return_request": _l("退回补充"),
    "refuse_request": _l("不予受理"), "close_request": _l("办结"), "assign_request": _l("指派经办人"),
    "request_comment": _l("留言"), "create_provider": _l("新增服务机构"), "update_provider": _l("修改服务机构"),
})


def _markdown(text: str):
    return render_markdown(text)


policy_bp.add_app_template_filter(_markdown, "markdown")


@programme_bp.app_template_global()
def programme_panel(project):
    """What a project's page shows of the programme: its requests (to those allowed) and suggested providers."""
    if not isinstance(project, Project):  # the library shows a view of the project's visible fields
        project = db.get_or_404(Project, project.id)
    step, providers = resource_service.suggested_providers(project)
    return {"requests": request_service.requests_of_project(project, current_user), "step": step,
            "providers": providers, "can_open": rules.may_open_request(current_user, project),
            "today": beijing_today()}


@programme_bp.app_template_global()
def request_outcome(item) -> str:
    """A closed request's outcome in one line (for the project's page)."""
    return request_service.outcome_text(item)


@programme_bp.app_template_global()
def overdue_service_requests():
    """Overdue requests for staff's home page."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return []
    return request_service.overdue_requests(beijing_today())


@programme_bp.app_template_global()
def recommendation_requests(assessment):
    return request_service.recommendation_requests(assessment)


@programme_bp.app_template_global()
def request_kind_of_recommendation(value):
    kind = request_service.FROM_RECOMMENDATION.get(value)
    return kind


# ---------------------------------------------------------------- public: 政策与指南

@policy_bp.route("/")
def index():
    category = ArticleCategory.coerce(request.args.get("category")) if request.args.get("category") in \
        {c.value for c in ArticleCategory} else None
    query = (request.args.get("q") or "").strip()[:100]
    rows = article_service.public_articles(category, query)
    return render_template("programme/policy_index.html", articles=rows, category=category, query=query,
                           categories=list(ArticleCategory))


@policy_bp.route("/handbook")
def handbook():
    return render_template("programme/handbook.html", policies=article_service.handbook(), category=None,
                           categories=list(ArticleCategory))


def _readable(article_id: int) -> Article:
    article = db.get_or_404(Article, article_id)
    if not article_service.can_read(article, current_user):
        abort(404)
    return article


def _render_article(article: Article, form=None, status: int = 200):
    registration = article_service.registration_of(article, current_user)
    if form is None and current_user.is_authenticated:
        form = RegistrationForm(formdata=None, attendee_name=current_user.name, phone=current_user.phone or "",
                                unit=getattr(current_user, "institution", "") or (
                                    current_user.organisation.name if getattr(current_user, "organisation", None) else ""))
    return render_template("programme/article.html", article=article, registration=registration, form=form,
                           closed_reason=article_service.registration_closed_reason(article) if article.is_event else "",
                           seats=article_service.seats_taken(article) if article.is_event else 0,
                           visible=article.is_visible(utcnow()), confirm_form=ConfirmForm()), status


@policy_bp.route("/<int:article_id>")
def article(article_id):
    return _render_article(_readable(article_id))


@policy_bp.route("/<int:article_id>/attachments/<int:attachment_id>")
def attachment(article_id, attachment_id):
    item = db.get_or_404(ArticleAttachment, attachment_id)
    if item.article_id != _readable(article_id).id:
        abort(404)
    return send_file(stored_files.stored_path(item.stored_name), mimetype=item.content_type, as_attachment=True,
                     download_name=item.original_name)


@policy_bp.route("/<int:article_id>/register", methods=["POST"])
@login_required
def register(article_id):
    article = _readable(article_id)
    form = RegistrationForm()
    if form.validate_on_submit():
        article_service.register_for_event(article, current_user, form.attendee_name.data, form.phone.data,
                                           form.unit.data, form.attendees.data, form.note.data)
        flash(_("报名成功"), "success")
        return redirect(url_for(".article", article_id=article.id))
    return _render_article(article, form, 400)


# ---------------------------------------------------------------- staff: articles

@programme_bp.route("/articles")
@staff_required
def articles():
    return render_template("programme/articles.html", articles=article_service.staff_articles(), now=utcnow(),
                           publish_form=PublishForm(formdata=None), confirm_form=ConfirmForm())


def _article_form_page(form, article=None, status=200):
    return render_template("programme/article_form.html", form=form, article=article,
                           attachment_form=AttachmentForm(formdata=None), confirm_form=ConfirmForm()), status


def _field_error(form, error: ValidationError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


@programme_bp.route("/articles/new", methods=["GET", "POST"])
@staff_required
def new_article():
    form = ArticleForm()
    if form.validate_on_submit():
        try:
            item = article_service.create_article(current_user, form.values())
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已保存为草稿"), "success")
            return redirect(url_for(".edit_article", article_id=item.id))
    return _article_form_page(form, status=400 if form.is_submitted() else 200)


@programme_bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_article(article_id):
    item = db.get_or_404(Article, article_id)
    form = ArticleForm()
    if form.validate_on_submit():
        try:
            article_service.update_article(item, current_user, form.values())
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".edit_article", article_id=item.id))
        return _article_form_page(form, item, 400)
    if form.is_submitted():
        return _article_form_page(form, item, 400)
    form.load(item)
    return _article_form_page(form, item)


@programme_bp.route("/articles/<int:article_id>/publish", methods=["POST"])
@staff_required
def publish_article(article_id):
    item = db.get_or_404(Article, article_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for(".articles")), 400
    article_service.publish_article(item, current_user, to_utc(form.publish_at.data))
    if item.is_visible(utcnow()):
        flash(_("已发布：%(title)s", title=item.title), "success")
    else:
        flash(_("已定时发布，将于设定时间对外展示"), "success")
    return redirect(url_for(".articles"))


@programme_bp.route("/articles/<int:article_id>/unpublish", methods=["POST"])
@staff_required
def unpublish_article(article_id):
    item = db.get_or_404(Article, article_id)
    if ConfirmForm().validate_on_submit():
        article_service.unpublish_article(item, current_user, ConfirmForm().comment.data or "")
        flash(_("已撤回为草稿"), "success")
    return redirect(url_for(".articles"))


@programme_bp.route("/articles/<int:article_id>/attachments", methods=["POST"])
@staff_required
def upload_attachment(article_id):
    item = db.get_or_404(Article, article_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        article_service.add_attachment(item, current_user, form.file.data)
        flash(_("附件已上传"), "success")
        return redirect(url_for(".edit_article", article_id=item.id))
    flash(_("请选择文件"), "danger")
    return redirect(url_for(".edit_article", article_id=item.id)), 400


@programme_bp.route("/articles/<int:article_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@staff_required
def delete_attachment(article_id, attachment_id):
    item = db.get_or_404(ArticleAttachment, attachment_id)
    if item.article_id != article_id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        article_service.remove_attachment(item, current_user)
        flash(_("附件已删除"), "success")
    return redirect(url_for(".edit_article", article_id=article_id))


@programme_bp.route("/articles/<int:article_id>/registrations")
@staff_required
def registrations(article_id):
    item = db.get_or_404(Article, article_id)
    return render_template("programme/registrations.html", article=item,
                           seats=article_service.seats_taken(item))


@programme_bp.route("/articles/<int:article_id>/registrations.<fmt>")
@staff_required
def export_registrations(article_id, fmt):
    item = db.get_or_404(Article, article_id)
    if fmt == "xlsx":
        data, mimetype = exports.registrations_xlsx(item), XLSX
    elif fmt == "csv":
        data, mimetype = exports.registrations_csv(item), "text/csv; charset=utf-8"
    else:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=f"报名名单-{item.id}.{fmt}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- service resources

@programme_bp.route("/resources/")
@login_required
def providers():
    kind_value = request.args.get("kind", "")
    kind = ProviderKind(kind_value) if kind_value in {k.value for k in ProviderKind} else None
    region = (request.args.get("region") or "")[:50]
    query = (request.args.get("q") or "")[:100]
    rows = resource_service.find_providers(kind, region, query, include_inactive=current_user.is_staff)
    return render_template("programme/providers.html", providers=rows, kind=kind, region=region, query=query,
                           kinds=list(ProviderKind), regions=resource_service.regions())


@programme_bp.route("/resources/<int:provider_id>")
@login_required
def provider(provider_id):
    item = db.get_or_404(Provider, provider_id)
    if not item.active and not current_user.is_staff:
        abort(404)
    return render_template("programme/provider.html", provider=item, type_labels={t.value: t.label for t in ProjectType})


def _provider_page(form, item=None, status=200):
    return render_template("programme/provider_form.html", form=form, provider=item), status


@programme_bp.route("/resources/new", methods=["GET", "POST"])
@staff_required
def new_provider():
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            item = resource_service.create_provider(current_user, form.values())
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已加入服务资源目录"), "success")
            return redirect(url_for(".provider", provider_id=item.id))
    return _provider_page(form, status=400 if form.is_submitted() else 200)


@programme_bp.route("/resources/<int:provider_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_provider(provider_id):
    item = db.get_or_404(Provider, provider_id)
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            resource_service.update_provider(item, current_user, form.values())
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".provider", provider_id=item.id))
        return _provider_page(form, item, 400)
    if form.is_submitted():
        return _provider_page(form, item, 400)
    form.load(item)
    return _provider_page(form, item)


# ---------------------------------------------------------------- support requests

@programme_bp.route("/requests/")
@login_required
def requests():
    if current_user.is_staff:
        status_value, kind_value = request.args.get("status", ""), request.args.get("kind", "")
        status = RequestStatus(status_value) if status_value in {s.value for s in RequestStatus} else None
        kind = RequestKind(kind_value) if kind_value in {k.value for k in RequestKind} else None
        mine = current_user if request.args.get("mine") else None
        rows = request_service.staff_queue(status, kind, mine)
    else:
        status = kind = None
        rows = request_service.requests_for(current_user)
    return render_template("programme/requests.html", requests=rows, status=status, kind=kind,
                           statuses=[s for s in RequestStatus if s is not RequestStatus.DRAFT],
                           kinds=list(RequestKind), today=beijing_today())


def _providers_for(kind: RequestKind):
    kinds = spec(kind).provider_kinds
    if not kinds:
        return []
    return db.session.scalars(db.select(Provider).where(Provider.active.is_(True), Provider.kind.in_(kinds))
                              .order_by(Provider.name)).all()


def _provider_choice(form) -> Provider | None:
    return db.session.get(Provider, form.provider_id.data) if form.provider_id.data else None


@programme_bp.route("/projects/<int:project_id>/requests/new", methods=["GET", "POST"])
@login_required
def new_request(project_id):
    project = db.get_or_404(Project, project_id)
    if not rules.may_open_request(current_user, project):
        abort(404)
    kind_value = request.values.get("kind", "")
    if kind_value not in {k.value for k in RequestKind}:
        return render_template("programme/request_kind.html", project=project, form=NewRequestForm(formdata=None),
                               kinds=list(RequestKind), specs={k: spec(k) for k in RequestKind}), \
            400 if request.method == "POST" else 200
    kind = RequestKind(kind_value)
    form = request_form(kind, _providers_for(kind))
    if request.method == "POST" and form.validate_on_submit():
        try:
            item = request_service.open_request(project, current_user, kind, form.fields_data(),
                                                _provider_choice(form), to_utc(getattr(form, "slot_at", None).data)
                                                if hasattr(form, "slot_at") else None)
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已保存为草稿。请上传所需材料，核对清单后提交"), "success")
            return redirect(url_for(".request", request_id=item.id))
    return render_template("programme/request_new.html", project=project, kind=kind, form=form), \
        400 if request.method == "POST" else 200


def _visible_request(request_id: int) -> SupportRequest:
    item = db.get_or_404(SupportRequest, request_id)
    if not request_service.can_view(item, current_user):
        abort(404)
    return item


def _staff_choices():
    staff = db.session.scalars(db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True))
                               .order_by(User.name)).all()
    return options([(0, _("（未指派）"))] + [(u.id, u.name) for u in staff])


def _render_request(item: SupportRequest, status: int = 200, **forms):
    providers = _providers_for(item.kind)
    if "edit_form" not in forms:
        forms["edit_form"] = request_form(item.kind, providers, formdata=None)
        forms["edit_form"].load(item)
    document_form = forms.setdefault("document_form", RequestDocumentForm(formdata=None))
    document_form.requirement.choices = options([(d.key, d.label) for d in spec(item.kind).documents]
                                                + [("", _("其他材料"))])
    handle_form = forms.setdefault("handle_form", HandleForm(formdata=None))
    handle_form.assignee_id.choices = _staff_choices()
    assign_form = forms.setdefault("assign_form", AssignForm(formdata=None, assignee_id=item.assignee_id or 0,
                                                             provider_id=item.provider_id or 0))
    assign_form.assignee_id.choices = _staff_choices()
    assign_form.provider_id.choices = options([(0, _("（不指定）"))] + [(p.id, p.name) for p in providers])
    forms.setdefault("comment_form", CommentForm(formdata=None))
    forms.setdefault("close_form", CloseForm(formdata=None))
    return render_template(
        "programme/request.html", item=item, spec=spec(item.kind), checklist=request_service.checklist(item),
        actions=request_service.actions_for(item, current_user), today=beijing_today(),
        editable=item.status in request_service.EDITABLE_STATES and rules.is_applicant(current_user, item),
        choice_label=choice_label, outcome=request_service.outcome_text(item), confirm_form=ConfirmForm(),
        **forms), status


@programme_bp.route("/requests/<int:request_id>", endpoint="request")
@login_required
def request_detail(request_id):
    return _render_request(_visible_request(request_id))


@programme_bp.route("/requests/<int:request_id>", methods=["POST"])
@login_required
def edit_request(request_id):
    item = _visible_request(request_id)
    form = request_form(item.kind, _providers_for(item.kind))
    if form.validate_on_submit():
        try:
            request_service.update_request(item, current_user, form.fields_data(), _provider_choice(form),
                                           to_utc(form.slot_at.data) if hasattr(form, "slot_at") else None)
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".request", request_id=item.id))
    return _render_request(item, 400, edit_form=form)


@programme_bp.route("/requests/<int:request_id>/documents", methods=["POST"])
@login_required
def upload_document(request_id):
    item = _visible_request(request_id)
    form = RequestDocumentForm()
    form.requirement.choices = options([(d.key, d.label) for d in spec(item.kind).documents] + [("", "")])
    if form.validate_on_submit():
        try:
            request_service.add_document(item, current_user, form.requirement.data or "", form.file.data)
        except ValidationError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            flash(_("材料已上传"), "success")
            return redirect(url_for(".request", request_id=item.id) + "#documents")
    return _render_request(item, 400, document_form=form)


@programme_bp.route("/requests/<int:request_id>/documents/<int:document_id>")
@login_required
def document(request_id, document_id):
    item = _visible_request(request_id)
    doc = db.get_or_404(RequestDocument, document_id)
    if doc.request_id != item.id:
        abort(404)
    return send_file(stored_files.stored_path(doc.stored_name), mimetype=doc.content_type, as_attachment=True,
                     download_name=doc.original_name)


@programme_bp.route("/requests/<int:request_id>/submit", methods=["POST"])
@login_required
def submit_request(request_id):
    item = _visible_request(request_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        request_service.submit_request(item, current_user, form.comment.data or "")
        flash(_("已提交，服务站受理后会通知您"), "success")
    return redirect(url_for(".request", request_id=item.id))


HANDLERS = {
    "accept": lambda item, form: request_service.accept_request(item, current_user, form.assignee_id.data or None,
                                                                form.comment.data or ""),
    "start": lambda item, form: request_service.start_request(item, current_user, form.comment.data or ""),
    "return": lambda item, form: request_service.return_request(item, current_user, form.comment.data or ""),
    "refuse": lambda item, form: request_service.refuse_request(item, current_user, form.comment.data or ""),
}
HANDLED = {"accept": _l("已受理"), "start": _l("已开始办理"), "return": _l("已退回申请方补充"), "refuse": _l("已作不予受理处理")}


@programme_bp.route("/requests/<int:request_id>/<any(accept, start, return, refuse):action>", methods=["POST"])
@staff_required
def handle_request(request_id, action):
    item = _visible_request(request_id)
    form = HandleForm()
    form.assignee_id.choices = _staff_choices()
    if form.validate_on_submit():
        try:
            HANDLERS[action](item, form)
        except ValidationError as error:
            form.comment.errors = [*form.comment.errors, str(error)]
        else:
            flash(str(HANDLED[action]), "success")
            return redirect(url_for(".request", request_id=item.id))
    return _render_request(item, 400, handle_form=form)


@programme_bp.route("/requests/<int:request_id>/assign", methods=["POST"])
@staff_required
def assign_request(request_id):
    item = _visible_request(request_id)
    form = AssignForm()
    form.assignee_id.choices = _staff_choices()
    form.provider_id.choices = options([(0, "")] + [(p.id, p.name) for p in _providers_for(item.kind)])
    if form.validate_on_submit():
        request_service.assign_request(item, current_user, form.assignee_id.data or None,
                                       db.session.get(Provider, form.provider_id.data) if form.provider_id.data else None)
        flash(_("已指派"), "success")
        return redirect(url_for(".request", request_id=item.id))
    return _render_request(item, 400, assign_form=form)


@programme_bp.route("/requests/<int:request_id>/close", methods=["POST"])
@staff_required
def close_request(request_id):
    item = _visible_request(request_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            request_service.close_request(item, current_user, note=form.note.data or "",
                                          granted_wan=form.granted_wan.data, patent_number=form.patent_number.data,
                                          decision=form.decision.data or None, report=form.report.data or None)
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("已办结"), "success")
            return redirect(url_for(".request", request_id=item.id))
    return _render_request(item, 400, close_form=form)


@programme_bp.route("/requests/<int:request_id>/comments", methods=["POST"])
@login_required
def comment(request_id):
    item = _visible_request(request_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            request_service.add_comment(item, current_user, form.body.data, form.file.data or None)
        except ValidationError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            flash(_("留言已发送"), "success")
            return redirect(url_for(".request", request_id=item.id) + "#comments")
    return _render_request(item, 400, comment_form=form)


@programme_bp.route("/assessments/<int:assessment_id>/requests/<recommendation>", methods=["POST"])
@staff_required
def from_recommendation(assessment_id, recommendation):
    assessment = db.get_or_404(Assessment, assessment_id)
    if ConfirmForm().validate_on_submit():
        item = request_service.from_recommendation(assessment, current_user, recommendation)
        flash(_("已据评估建议新建“%(kind)s”申请（草稿），请补全后代为提交", kind=item.kind.label), "success")
        return redirect(url_for(".request", request_id=item.id))
    return redirect(url_for("incubation.project", project_id=assessment.project_id))


BLUEPRINTS = (policy_bp, programme_bp)
