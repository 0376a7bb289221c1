"""Suggested pairings: 为您推荐 for organisations, the staff match board, and 参考分类 for 附件1."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Organisation, OrgStatus, Role
from app.core import page_reads
from app.core.permissions import role_required, staff_required, verified_required
from app.core.templating import shared_page
from app.deals.models import Intent, IntentStatus, PassReason
from app.deals.operations import passed_project_ids
from app.extensions import db
from app.projects.models import ProjectType
from app.suggestions import operations as service
from app.suggestions.jobs import fit_knowledge_base
from app.suggestions.models import MatchSuggestion, SuggestionStatus
from forms.projects import ConfirmForm

matching_bp = Blueprint("matching", __name__, url_prefix="/matching")


@matching_bp.route("/for-you")
@verified_required
def for_you():
    if not current_user.is_organisation_member:
        abort(403)
    organisation_id = current_user.organisation_id

    def render() -> str:
        intents = db.session.scalars(db.select(Intent).where(Intent.organisation_id == organisation_id,
                                                             Intent.status == IntentStatus.ACTIVE)
                                     .order_by(Intent.id)).all()
        passed = passed_project_ids(organisation_id)  # the organisation said why it does not want these

        def kept(rows):
            return [row for row in rows if row.project_id not in passed]
        suggestions, lists = service.for_you(organisation_id, [intent.id for intent in intents])
        return render_template("matching/for_you.html", suggestions=kept(suggestions),
                               per_intent=[(intent, kept(lists[intent.id])) for intent in intents],
                               pass_reasons=PassReason)
    # one copy for the organisation's members until its suggestions, intents, passes or any project change
    return shared_page(("for-you", organisation_id, *service.for_you_version(current_user.organisation)), render)


page_reads.ask("matching.for_you", service.for_you_version_columns)  # the version in the reader's own statement


BOARD_PAGE = 25
BOARD_SORTS = ("score", "project", "organisation", "newest")


def _threshold(raw: str | None) -> tuple[int | None, str]:
    """The board's minimum score on the one 0–100 scale; (None, message) when the input is not one."""
    if raw in (None, ""):
        return None, ""
    try:
        value = float(raw)
    except ValueError:
        return None, _("最低匹配度须为 0–100 之间的数字，已忽略")
    if not 0 <= value <= 100:
        return None, _("最低匹配度须为 0–100 之间的数字，已忽略")
    return int(round(value)), ""


@matching_bp.route("/board")
@staff_required
def board():
    threshold, threshold_error = _threshold(request.args.get("min_score"))
    filters = {"status": request.args.get("status", "open"),
               "organisation_id": request.args.get("organisation_id", type=int),
               "project_type": request.args.get("project_type") if request.args.get("project_type") in
               {t.value for t in ProjectType} else None,
               "min_score": threshold / 100 if threshold is not None else None}
    sort = request.args.get("sort") if request.args.get("sort") in BOARD_SORTS else "score"
    rows = service.board(filters, limit=2000)
    if sort == "project":
        rows.sort(key=lambda s: (s.project.display_name, -s.score))
    elif sort == "organisation":
        rows.sort(key=lambda s: (s.organisation.name, -s.score))
    elif sort == "newest":
        rows.sort(key=lambda s: (s.computed_at, s.id), reverse=True)
    total = len(rows)
    pages = max(1, -(-total // BOARD_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    organisations = db.session.scalars(db.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
                                       .order_by(Organisation.name)).all()
    args = {k: v for k, v in {"status": filters["status"], "organisation_id": filters["organisation_id"],
                              "project_type": filters["project_type"], "min_score": threshold,
                              "sort": sort}.items() if v not in (None, "")}
    return render_template("matching/board.html", rows=rows[(page - 1) * BOARD_PAGE:page * BOARD_PAGE],
                           total=total, page=page, pages=pages, args=args, sort=sort, threshold=threshold,
                           threshold_error=threshold_error, filters=filters, organisations=organisations,
                           counts=service.board_counts(), form=ConfirmForm(), statuses=list(SuggestionStatus),
                           min_score=service.min_score(), offered=service.offered)


def _back_to_board():
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for(".board"))


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
    else:
        flash(_("页面已过期，请刷新后重试"), "danger")
    return _back_to_board()


@matching_bp.route("/suggestions/bulk", methods=["POST"])
@staff_required
def decide_many():
    """Recommend or dismiss the ticked pairings at once; one message says how many."""
    decision = request.form.get("decision")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:200]
    if decision not in ("approve", "dismiss") or not ConfirmForm().validate_on_submit():
        flash(_("请选择要执行的操作"), "danger")
        return _back_to_board()
    rows = db.session.scalars(db.select(MatchSuggestion).where(MatchSuggestion.id.in_(ids),
                                                               MatchSuggestion.status == SuggestionStatus.SUGGESTED)
                              ).all() if ids else []
    if not rows:
        flash(_("请先勾选待处理的推荐配对"), "warning")
        return _back_to_board()
    rows = list({(r.project_id, r.organisation_id): r for r in rows}.values())  # a decision covers the pair
    for suggestion in rows:
        if decision == "approve":
            service.approve_suggestion(suggestion, current_user)
        else:
            service.dismiss_suggestion(suggestion, current_user)
    flash(_("已将 %(n)d 个配对作为服务站推荐发送给双方", n=len(rows)) if decision == "approve"
          else _("已忽略 %(n)d 个配对，不再推荐", n=len(rows)), "success")
    return _back_to_board()


@matching_bp.route("/classify", methods=["POST"])
@role_required(Role.CLINICIAN)
def classify():
    """参考分类 for the text typed so far on 附件1 (the clinician's own text, so nothing to hide)."""
    values = request.get_json(silent=True) or request.form
    if not hasattr(values, "get"):  # a JSON array, string or number
        return jsonify(error=_("请求格式不正确")), 400
    text = "".join(str(values.get(k) or "") for k in ("name", "structure", "principle", "intended_use"))
    if len(text.strip()) < 4:
        return jsonify(error=_("请先填写项目名称、结构组成或预期用途，再获取参考分类")), 400
    try:
        return jsonify(service.classification_for({k: str(v)[:4000] for k, v in values.items()}))
    except service.KnowledgeNotReady:  # fitted by a job, never in this worker; the panel asks again later
        fit_knowledge_base()
        return jsonify(error=_("参考分类暂时不可用，请稍后再试")), 503
    except Exception:  # the panel is advice: it reports a failure and the form goes on working
        current_app.logger.exception("classification failed")
        return jsonify(error=_("参考分类暂时不可用，请稍后再试")), 503


BLUEPRINTS = (matching_bp,)
