"""Shared pages: home, language switch, health check, and the notification centre."""

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.core import notifications as notify
from app.core.models import Notification
from app.extensions import db
from app.projects.library import listed_project_count
from forms.projects import ConfirmForm

main_bp = Blueprint("main", __name__)


@main_bp.route("/")
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


@main_bp.route("/lang/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):  # only local redirects
        target = url_for("main.index")
    return redirect(target)


@main_bp.route("/healthz")
def health():
    return {"status": "ok"}


notifications_bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@notifications_bp.route("/", endpoint="index")
@login_required
def notifications_index():
    items = notify.notifications_of(current_user)
    return render_template("notifications/index.html", items=items, unread=notify.unread_count(current_user),
                           form=ConfirmForm())


@notifications_bp.route("/read", methods=["POST"])
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        notify.mark_read(current_user)
    return redirect(url_for(".index"))


@notifications_bp.route("/arrived", methods=["POST"])
@login_required
def arrived():
    """The page a notification points to was shown: its notifications are read (sent by the page, see app.js)."""
    form = ConfirmForm()
    path = request.form.get("path", "")
    if not form.validate_on_submit() or not path.startswith("/"):
        abort(400)
    notify.mark_read_on_arrival(current_user.id, path)
    return jsonify(unread=notify.unread_count(current_user))


@notifications_bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id):
    item = db.get_or_404(Notification, notification_id)
    if item.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        notify.mark_read(current_user, item.id)
    # Stored links are paths inside the application (core/links.py); the script root puts them under its mount.
    local = item.link.startswith("/") and not item.link.startswith("//")
    link = request.script_root + item.link if local else url_for(".index")
    return redirect(link)


BLUEPRINTS = (main_bp, notifications_bp,)
