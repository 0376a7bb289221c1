"""Saved library searches (保存的搜索): list, save, delete; the library page runs them."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.permissions import verified_required
from app.services import ServiceError
from app.services import saved_searches
from app.services.library import FACETS
from forms.search import DeleteSavedSearchForm, SavedSearchForm

bp = Blueprint("searches", __name__)


def _render_list(form=None, status=200):
    return render_template("searches/index.html", searches=saved_searches.with_counts(current_user),
                           library_args=saved_searches.library_args, form=form,
                           filter_labels=lambda saved: saved_searches.filters_of(saved).labels(),
                           delete_form=DeleteSavedSearchForm(formdata=None),
                           limit=saved_searches.MAX_PER_USER), status


@bp.route("/")
@verified_required
def index():
    return _render_list()


@bp.route("/", methods=["POST"])
@verified_required
def save():
    form = SavedSearchForm()
    if not form.validate_on_submit():
        return _render_list(form, 400)
    try:
        saved = saved_searches.save_search(current_user, form.name.data, form.query.data,
                                           {name: form[name].data for name in FACETS})
    except ServiceError as error:
        flash(str(error), "danger")
        return _render_list(form, 400)
    db.session.commit()
    flash(_("已保存搜索“%(name)s”。有新入库项目符合条件时，我们会通知您。", name=saved.name), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:saved_search_id>/delete", methods=["POST"])
@verified_required
def delete(saved_search_id):
    saved = saved_searches.own_search(current_user, saved_search_id)
    if saved is None:
        abort(404)
    if DeleteSavedSearchForm().validate_on_submit():
        saved_searches.delete_search(current_user, saved)
        db.session.commit()
        flash(_("已删除保存的搜索“%(name)s”", name=saved.name), "success")
    return redirect(url_for(".index"))
