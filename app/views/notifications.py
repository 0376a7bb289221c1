"""The notification centre."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Notification
from app.services import notify
from forms.project import ConfirmForm

bp = Blueprint("notifications", __name__)


@bp.route("/")
@login_required
def index():
    items = notify.notifications_of(current_user)
    return render_template("notifications/index.html", items=items, unread=notify.unread_count(current_user),
                           form=ConfirmForm())


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        notify.mark_read(current_user)
        db.session.commit()
    return redirect(url_for(".index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id):
    item = db.get_or_404(Notification, notification_id)
    if item.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        notify.mark_read(current_user, item.id)
        db.session.commit()
    link = item.link if item.link.startswith("/") and not item.link.startswith("//") else url_for(".index")
    return redirect(link)
