"""Initial review (初核) by station staff."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.models import Project, ProjectStatus
from app.permissions import staff_required
from app.services import ServiceError
from app.services import audit
from app.services import projects as project_service
from app.services.review import review_queue, status_counts
from forms.review import ApproveForm, RejectForm, ReturnForm

bp = Blueprint("review", __name__)

ACTIONS = {
    "approve": (ApproveForm, project_service.approve_project, lambda: _("已通过初核并在项目库发布")),
    "return": (ReturnForm, project_service.return_project, lambda: _("已退回修改，项目负责人将看到您的意见")),
    "reject": (RejectForm, project_service.reject_project, lambda: _("已标记为不予通过，项目负责人将看到理由")),
}


@bp.route("/")
@staff_required
def queue():
    try:
        status = ProjectStatus(request.args.get("status", ProjectStatus.SUBMITTED.value))
    except ValueError:
        status = ProjectStatus.SUBMITTED
    return render_template("review/queue.html", projects=review_queue(status), status=status,
                           counts=status_counts())


def _render(project, status=200, **forms):
    for action, (form_cls, _operation, _message) in ACTIONS.items():
        forms.setdefault(f"{action}_form", form_cls(formdata=None, prefix=action))
    return render_template("review/project.html", project=project, history=audit.project_history(project),
                           tiers=project.visible_tiers(current_user),
                           review_comment=project_service.latest_review_comment(project), **forms), status


@bp.route("/<int:project_id>")
@staff_required
def project(project_id):
    return _render(db.get_or_404(Project, project_id))


@bp.route("/<int:project_id>/<action>", methods=["POST"])
@staff_required
def act(project_id, action):
    if action not in ACTIONS:
        abort(404)
    project = db.get_or_404(Project, project_id)
    form_cls, operation, message = ACTIONS[action]
    form = form_cls(prefix=action)  # three forms on one page: prefixes keep their ids apart
    if form.validate_on_submit():
        try:
            operation(project, current_user, form.comment.data or "")
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".project", project_id=project.id))
        db.session.commit()
        flash(message(), "success")
        return redirect(url_for(".queue"))
    return _render(project, 400, **{f"{action}_form": form})
