"""Blueprints of the accounts area: home and language (main), sign-in, registration and passwords (auth), the
notification centre (notifications), user and organisation administration (admin), the organisation's profile
(organisation)."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import operations as accounts
from app.accounts import rules as account_rules
from app.accounts.models import Organisation, OrgStatus, Role, User
from app.core import notifications as notify
from app.core.errors import ServiceError
from app.core.models import Notification
from app.core.permissions import member_required, role_required, staff_required
from app.deals import operations as deal_operations
from app.deals.models import CooperationMode, IntentStatus, InterestStatus, Specialised
from app.extensions import db
from app.incubation import operations as incubation
from app.projects.library import listed_project_count
from app.projects.models import DeviceClass, ProjectStatus, Stage
from forms.accounts import (ChangePasswordForm, ClinicianRegistrationForm, ForgotPasswordForm, LoginForm,
                            MailPreferencesForm, OrganisationRegistrationForm, ProfileForm, ResetPasswordForm,
                            StaffAccountForm, StationContactForm)
from forms.incubation import WeightsForm
from forms.projects import ConfirmForm, RejectOrganisationForm, VerifyOrganisationForm

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


@main_bp.app_template_global("station_contact")
def station_contact_global() -> dict:
    """The station's contact details, for the pages that ask users to contact it."""
    return accounts.station_contact()


@main_bp.route("/help")
def help_page():
    """帮助: how the programme works and what each state means, for the reader's role."""
    role = current_user.role.value if current_user.is_authenticated else request.args.get("role", "")
    if role == "admin":
        role = "staff"
    if role not in ("clinician", "enterprise", "investor", "staff", "institution"):
        role = ""
    return render_template("main/help.html", role=role, project_states=list(ProjectStatus),
                           interest_states=list(InterestStatus), contact=accounts.station_contact())


@main_bp.route("/healthz")
def health():
    return {"status": "ok"}


notifications_bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@notifications_bp.route("/", endpoint="index")
@login_required
def notifications_index():
    items = notify.rendered(notify.notifications_of(current_user))
    return render_template("notifications/index.html", items=items, unread=notify.unread_count(current_user),
                           form=ConfirmForm())


@notifications_bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """The user's e-mail preferences: which notices, one by one or a daily digest, and the language."""
    user = current_user
    form = MailPreferencesForm(staff=user.is_staff)
    if request.method == "GET":
        form.groups.data = user.mail_groups if user.mail_groups is not None else [getattr(c, "value", None) or c[0] for c in form.groups.choices]
        form.frequency.data = "digest" if user.mail_digest else "instant"
        form.language.data = user.language or "zh"
    if form.validate_on_submit():
        notify.save_mail_preferences(user, form.groups.data or [], form.frequency.data == "digest",
                                     form.language.data)
        flash(_("邮件设置已保存"), "success")
        return redirect(url_for(".settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("notifications/settings.html", form=form), status


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


auth_bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except ServiceError as error:  # next to the field; a wrong password is still counted (see authenticate)
            form.password.errors.append(str(error))
        else:
            login_user(user, remember=form.remember.data)
            flash(_("欢迎，%(name)s", name=user.name), "success")
            return redirect(_safe_next(url_for("main.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@auth_bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        logout_user()
        flash(_("您已退出登录"), "info")
    return redirect(url_for("main.index"))


@auth_bp.route("/register")
def register():
    return render_template("auth/register_choice.html")


@auth_bp.route("/register/clinician", methods=["GET", "POST"])
def register_clinician():
    form = ClinicianRegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_clinician(form.email.data, form.password.data, form.name.data,
                                               form.phone.data, form.institution.data, form.department.data)
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            login_user(user)
            flash(_("注册成功。下一步：填写《医疗机构临床研究成果转化项目需求表》提报项目"), "success")
            return redirect(url_for("projects.mine"))
    return render_template("auth/register.html", form=form, kind="clinician"), 400 if form.errors else 200


@auth_bp.route("/register/organisation", methods=["GET", "POST"])
def register_organisation():
    form = OrganisationRegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_organisation_member(
                form.email.data, form.password.data, form.name.data, form.phone.data, Role(form.role.data),
                form.organisation_name.data, form.uscc.data)
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            login_user(user)
            if user.is_verified:
                flash(_("注册成功，您的机构已通过认证"), "success")
            else:
                flash(_("注册成功。创新服务站将审核您的机构信息，审核通过后即可浏览项目库"), "success")
            return redirect(url_for("library.index"))
    return render_template("auth/register.html", form=form, kind="organisation"), 400 if form.errors else 200


@auth_bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            form.current.errors.append(str(error))
        else:
            flash(_("密码已修改"), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200


@auth_bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        sent = accounts.request_password_reset(form.email.data)
        # Same answer whether or not the address exists, so the page cannot probe accounts.
        return render_template("auth/forgot_sent.html", mail_enabled=sent or accounts.mail.mail_configured())
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@auth_bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = accounts.user_for_reset_token(token)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        flash(_("新密码已设置，请登录"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user), 400 if form.errors else 200


admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.route("/organisations")
@staff_required
def organisations():
    try:
        status = OrgStatus(request.args.get("status", OrgStatus.PENDING.value))
    except ValueError:
        status = OrgStatus.PENDING
    rows = db.session.execute(db.select(Organisation.status, db.func.count()).group_by(Organisation.status)).all()
    counts = {s: 0 for s in OrgStatus} | dict(rows)
    items = db.session.scalars(db.select(Organisation).where(Organisation.status == status)
                               .order_by(Organisation.created_at.asc())).all()
    return render_template("admin/organisations.html", items=items, status=status, counts=counts,
                           verify_form=VerifyOrganisationForm(), reject_form=RejectOrganisationForm(formdata=None))


@admin_bp.route("/organisations/<int:organisation_id>/verify", methods=["POST"])
@staff_required
def verify_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if VerifyOrganisationForm().validate_on_submit():
        accounts.verify_organisation(organisation, current_user)
        flash(_("%(name)s 已认证，其成员现在可以浏览项目库并表达意向", name=organisation.name), "success")
    return redirect(url_for(".organisations"))


@admin_bp.route("/organisations/<int:organisation_id>/reject", methods=["POST"])
@staff_required
def reject_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = RejectOrganisationForm()
    if form.validate_on_submit():
        accounts.reject_organisation(organisation, current_user, form.comment.data)
        flash(_("已记录不予认证及理由，该机构成员登录后可看到"), "info")
    else:
        flash(_("请写明不通过的理由"), "danger")
    return redirect(url_for(".organisations"))


@admin_bp.route("/users")
@staff_required
def users():
    role = Role.coerce(request.args.get("role")) if request.args.get("role") in {r.value for r in Role} else None
    query = db.select(User).order_by(User.created_at.desc())
    if role:
        query = query.where(User.role == role)
    rows = db.session.execute(db.select(User.role, db.func.count()).group_by(User.role)).all()
    counts = {r: 0 for r in Role} | dict(rows)
    return render_template("admin/users.html", items=db.session.scalars(query).all(), role=role,
                           counts=counts, confirm_form=ConfirmForm())


@admin_bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@staff_required
def reset_link(user_id):
    user = db.get_or_404(User, user_id)
    link = None
    if ConfirmForm().validate_on_submit():
        link = accounts.issue_reset_link(user, current_user)
    return render_template("admin/reset_link.html", user=user, link=link)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_staff():
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            accounts.create_staff(form.email.data, form.password.data, form.name.data, Role(form.role.data),
                                  actor=current_user)
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("账号已创建，请将初始密码告知本人并提醒其登录后修改"), "success")
            return redirect(url_for(".users"))
    return render_template("admin/new_staff.html", form=form), 400 if form.errors else 200


@admin_bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings():
    form = WeightsForm(data=incubation.assessment_weights())
    if form.validate_on_submit():
        try:
            incubation.set_assessment_weights({name: form[name].data for name in incubation.DEFAULT_WEIGHT_KEYS},
                                              current_user)
        except ServiceError as error:
            form.technology.errors.append(str(error))
        else:
            flash(_("评估权重已更新，之后完成的评估按新权重计算；已完成的评估保持原权重"), "success")
            return redirect(url_for(".settings"))
    return render_template("admin/settings.html", form=form), 400 if form.errors else 200


@admin_bp.route("/settings/contact", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def station_contact():
    """The station's contact details (shown wherever a page says 请联系创新服务站)."""
    contact = accounts.station_contact()
    form = StationContactForm(data={key: contact[key] for key in accounts.STATION_CONTACT_FIELDS})
    if form.validate_on_submit():
        accounts.set_station_contact({key: form[key].data for key in accounts.STATION_CONTACT_FIELDS}, current_user)
        flash(_("服务站联系方式已保存"), "success")
        return redirect(url_for(".station_contact"))
    return render_template("admin/station_contact.html", form=form), 400 if form.errors else 200


organisation_bp = Blueprint("organisation", __name__, url_prefix="/organisation")

def intent_labels() -> dict:
    """Labels for an intent's stored codes, for the organisation, intents and demands pages."""
    fields = accounts.field_labels()

    def label_of(enum_cls):
        return lambda value: enum_cls.coerce(value).label if value in {m.value for m in enum_cls} else value

    return {"field_label": lambda code: fields.get(code, code), "device_class_label": label_of(DeviceClass),
            "stage_label": label_of(Stage), "mode_label": label_of(CooperationMode),
            "specialised_label": label_of(Specialised), "identity": lambda v: v}


organisation_bp.context_processor(intent_labels)


def own_organisation() -> Organisation:
    """The signed-in member's organisation (404 for an account without one)."""
    if current_user.organisation is None:
        abort(404)
    return current_user.organisation


@organisation_bp.route("/profile", methods=["GET", "POST"])
@member_required
def profile():
    organisation = own_organisation()
    form = ProfileForm(uscc_locked=organisation.is_verified)
    if not form.is_submitted():
        form.load(organisation)
    elif form.validate():
        try:
            accounts.update_profile(organisation, current_user, form.values())
        except accounts.UsccTaken as error:
            form.uscc.errors.append(str(error))
        except ServiceError as error:  # the form again, as typed (its 400 rolls back)
            flash(str(error), "danger")
        else:
            flash(_("机构资料已保存。") + (_("可以在“投资意向”中发布或更新意向") if organisation.is_verified
                                        else _("认证通过后即可发布投资意向")), "success")
            return redirect(url_for(".profile"))
    if form.errors:
        flash(_("还有 %(n)d 处需要修改，请查看标红的字段；已填写的内容都保留着", n=len(form.errors)), "danger")
    return render_template("organisation/profile_form.html", form=form, organisation=organisation), \
        400 if form.is_submitted() else 200


@organisation_bp.route("/<int:organisation_id>")
@login_required
def detail(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if account_rules.can_view_full_profile(organisation, current_user):
        return render_template("organisation/detail.html", organisation=organisation,
                               intents=deal_operations.intents_of(organisation),
                               is_member=accounts.is_member(organisation, current_user))
    if not current_user.is_verified:  # as verified_required: say why and what comes next
        return render_template("auth/unverified.html"), 403
    if not organisation.is_verified:
        abort(404)
    return render_template("organisation/public.html", organisation=accounts.public_profile(organisation),
                           intents=deal_operations.intents_of(organisation, IntentStatus.ACTIVE))


BLUEPRINTS = (main_bp, notifications_bp, auth_bp, admin_bp, organisation_bp,)
