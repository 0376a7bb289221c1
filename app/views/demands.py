"""企业需求: the active investment intents of verified organisations, for clinicians and every verified user."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from app.extensions import db
from app.models import CooperationMode, DeviceClass, Intent
from app.permissions import verified_required
from app.services import organisations as service
from app.views.organisation import template_helpers

bp = Blueprint("demands", __name__)
bp.context_processor(template_helpers)


@bp.route("/")
@verified_required
def index():
    filters = service.DemandFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = service.active_intents(filters, page=page, per_page=current_app.config["PER_PAGE"], viewer=current_user)
    return render_template("demands/index.html", result=result, filters=filters,
                           field_options=list(service.field_labels().items()),
                           mode_options=CooperationMode.choices(), class_options=DeviceClass.choices())


@bp.route("/<int:intent_id>")
@verified_required
def detail(intent_id):
    intent = db.get_or_404(Intent, intent_id)
    # Paused or closed intents stay visible to their own organisation and to staff only.
    if not service.is_listed(intent) and not service.can_view_full_profile(intent.organisation, current_user):
        abort(404)
    return render_template("demands/detail.html", intent=intent,
                           organisation=service.public_profile(intent.organisation),
                           listed=service.is_listed(intent))
