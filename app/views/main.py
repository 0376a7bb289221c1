"""Home page, language switch, health check."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.services.library import listed_project_count

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        if current_user.is_staff:
            return redirect(url_for("review.queue"))
        if current_user.is_clinician:
            return redirect(url_for("projects.mine"))
        if current_user.is_organisation_member and current_user.is_verified:
            return redirect(url_for("matching.for_you"))
        return redirect(url_for("library.index"))
    return render_template("main/index.html", listed=listed_project_count())


@bp.route("/lang/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):  # only local redirects
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def health():
    return {"status": "ok"}
