"""The organisation's side: its profile (附件2 company block) and its investment intents (投资意向)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.models import CooperationMode, DeviceClass, Intent, IntentStatus, Organisation, Role, Specialised, Stage
from app.permissions import role_required, verified_required
from app.services import ServiceError
from app.services import organisations as service
from forms.organisation import INTENT_ACTIONS, IntentForm, IntentStatusForm, ProfileForm

bp = Blueprint("organisation", __name__)

member_required = role_required(Role.ENTERPRISE, Role.INVESTOR)

STATUS_MESSAGES = {
    IntentStatus.PAUSED: (_l("已暂停该投资意向：暂不在“企业需求”中展示，可随时恢复"), "info"),
    IntentStatus.ACTIVE: (_l("已恢复该投资意向，重新在“企业需求”中展示"), "success"),
    IntentStatus.CLOSED: (_l("已关闭该投资意向：不再展示，也不能再修改"), "info"),
}


@bp.context_processor
def template_helpers() -> dict:
    """Labels for an intent's stored codes (also used by the demands pages)."""
    fields = service.field_labels()

    def label_of(enum_cls):
        return lambda value: enum_cls.coerce(value).label if value in {m.value for m in enum_cls} else value

    return {"field_label": lambda code: fields.get(code, code), "device_class_label": label_of(DeviceClass),
            "stage_label": label_of(Stage), "mode_label": label_of(CooperationMode),
            "specialised_label": label_of(Specialised), "identity": lambda v: v}


def _own_organisation() -> Organisation:
    if current_user.organisation is None:
        abort(404)
    return current_user.organisation


def _own_intent(intent_id: int) -> Intent:
    """An intent of the signed-in member's organisation; others' intents do not exist here."""
    intent = db.get_or_404(Intent, intent_id)
    if intent.organisation_id != current_user.organisation_id:
        abort(404)
    return intent


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def profile():
    organisation = _own_organisation()
    form = ProfileForm(uscc_locked=organisation.is_verified)
    if not form.is_submitted():
        form.load(organisation)
    elif form.validate():
        try:
            service.update_profile(organisation, current_user, form.values())
        except service.UsccTaken as error:
            db.session.rollback()
            form.uscc.errors.append(str(error))
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("机构资料已保存。") + (_("可以在“投资意向”中发布或更新意向") if organisation.is_verified
                                        else _("认证通过后即可发布投资意向")), "success")
            return redirect(url_for(".profile"))
    if form.errors:
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    return render_template("organisation/profile_form.html", form=form, organisation=organisation), \
        400 if form.is_submitted() else 200


@bp.route("/<int:organisation_id>")
@login_required
def detail(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if service.can_view_full_profile(organisation, current_user):
        return render_template("organisation/detail.html", organisation=organisation,
                               intents=service.intents_of(organisation),
                               is_member=service.is_member(organisation, current_user))
    if not current_user.is_verified:  # as verified_required: say why and what comes next
        return render_template("auth/unverified.html"), 403
    if not organisation.is_verified:
        abort(404)
    return render_template("organisation/public.html", organisation=service.public_profile(organisation),
                           intents=service.intents_of(organisation, IntentStatus.ACTIVE))


@bp.route("/intents")
@member_required
@verified_required
def intents():
    organisation = _own_organisation()
    return render_template("organisation/intents.html", organisation=organisation,
                           intents=service.intents_of(organisation), counts=service.intent_counts(organisation),
                           status_form=IntentStatusForm())


@bp.route("/intents/new", methods=["GET", "POST"])
@member_required
@verified_required
def new_intent():
    organisation = _own_organisation()
    form = IntentForm()
    if form.validate_on_submit():
        try:
            service.create_intent(organisation, current_user, form.values())
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("投资意向已发布，认证用户可在“企业需求”中看到；项目推荐也会参考它"), "success")
            return redirect(url_for(".intents"))
    return _intent_form(form, None)


@bp.route("/intents/<int:intent_id>/edit", methods=["GET", "POST"])
@member_required
@verified_required
def edit_intent(intent_id):
    intent = _own_intent(intent_id)
    if intent.status is IntentStatus.CLOSED:
        flash(_("该投资意向已关闭，不能再修改；如有新需求请发布新的意向"), "warning")
        return redirect(url_for(".intents"))
    form = IntentForm()
    if not form.is_submitted():
        form.load(intent)
    elif form.validate():
        try:
            service.update_intent(intent, current_user, form.values())
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("投资意向已更新") + (_("，并继续在“企业需求”中展示") if intent.status is IntentStatus.ACTIVE
                                       else _("；当前为暂停状态，恢复后才会展示")), "success")
            return redirect(url_for(".intents"))
    return _intent_form(form, intent)


def _intent_form(form: IntentForm, intent: Intent | None):
    if form.errors:
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    failed = form.is_submitted()  # reaching here after a POST means it was not saved
    return render_template("organisation/intent_form.html", form=form, intent=intent), 400 if failed else 200


@bp.route("/intents/<int:intent_id>/status", methods=["POST"])
@member_required
@verified_required
def intent_status(intent_id):
    intent = _own_intent(intent_id)
    form = IntentStatusForm()
    if form.validate_on_submit():
        target = INTENT_ACTIONS[form.action.data]
        try:
            service.set_intent_status(intent, current_user, target)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            message, category = STATUS_MESSAGES[target]
            flash(str(message), category)
    else:
        flash(_("未能变更状态，请刷新页面后重试"), "danger")
    return redirect(url_for(".intents"))
