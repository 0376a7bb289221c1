"""Suggested pairings: 为您推荐 for organisations, the staff match board, and 参考分类 for 附件1."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Organisation, OrgStatus, Role
from app.core.permissions import role_required, staff_required, verified_required
from app.deals.models import Intent, IntentStatus, PassReason
from app.deals.operations import passed_project_ids
from app.extensions import db
from app.projects.models import ProjectType
from app.suggestions import operations as service
from app.suggestions.models import MatchSuggestion, SuggestionStatus
from forms.projects import ConfirmForm

matching_bp = Blueprint("matching", __name__, url_prefix="/matching")


@matching_bp.route("/for-you")
@verified_required
def for_you():
    if not current_user.is_organisation_member:
        abort(403)
    organisation_id = current_user.organisation_id
    intents = db.session.scalars(db.select(Intent).where(Intent.organisation_id == organisation_id,
                                                         Intent.status == IntentStatus.ACTIVE)
                                 .order_by(Intent.id)).all()
    passed = passed_project_ids(organisation_id)  # the organisation said why it does not want these

    def kept(rows):
        return [row for row in rows if row.project_id not in passed]
    per_intent = [(intent, kept(service.suggestions_for_organisation(organisation_id, intent.id, limit=5)))
                  for intent in intents]
    return render_template("matching/for_you.html",
                           suggestions=kept(service.suggestions_for_organisation(organisation_id)),
                           per_intent=per_intent, pass_reasons=PassReason)


@matching_bp.route("/board")
@staff_required
def board():
    filters = {"status": request.args.get("status", "open"),
               "organisation_id": request.args.get("organisation_id", type=int),
               "project_type": request.args.get("project_type") if request.args.get("project_type") in
               {t.value for t in ProjectType} else None,
               "min_score": request.args.get("min_score", type=float)}
    organisations = db.session.scalars(db.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
                                       .order_by(Organisation.name)).all()
    return render_template("matching/board.html", rows=service.board(filters), filters=filters,
                           organisations=organisations, counts=service.board_counts(), form=ConfirmForm(),
                           statuses=list(SuggestionStatus))


@matching_bp.route("/suggestions/<int:suggestion_id>/<decision>", methods=["POST"])
@staff_required
def decide(suggestion_id, decision):
    suggestion = db.get_or_404(MatchSuggestion, suggestion_id)
    if decision not in ("approve", "dismiss"):
        abort(404)
    if ConfirmForm().validate_on_submit():
        if decision == "approve":
            service.approve_suggestion(suggestion, current_user)
        else:
            service.dismiss_suggestion(suggestion, current_user)
        flash(_("已作为服务站推荐发送给双方") if decision == "approve" else _("已忽略，该配对不再推荐"), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for(".board"))


@matching_bp.route("/classify", methods=["POST"])
@role_required(Role.CLINICIAN)
def classify():
    """参考分类 for the text typed so far on 附件1 (the clinician's own text, so nothing to hide)."""
    values = request.get_json(silent=True) or request.form
    text = "".join(str(values.get(k) or "") for k in ("name", "structure", "principle", "intended_use"))
    if len(text.strip()) < 4:
        return jsonify(error=_("请先填写项目名称、结构组成或预期用途，再获取参考分类")), 400
    try:
        return jsonify(service.classification_for({k: str(v)[:4000] for k, v in values.items()}))
    except Exception:  # the panel is advice: it reports a failure and the form goes on working
        current_app.logger.exception("classification failed")
        return jsonify(error=_("参考分类暂时不可用，请稍后再试")), 503


BLUEPRINTS = (matching_bp,)
