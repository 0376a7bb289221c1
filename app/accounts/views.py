"""Blueprints of the accounts area: home and language (main), sign-in, registration and passwords (auth), the
notification centre (notifications), user and organisation administration (admin), the organisation's profile
(organisation)."""

from types import SimpleNamespace

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import operations as accounts
from app.accounts import institutions as institution_service
from app.accounts import people
from app.accounts import rules as account_rules
from app.accounts.models import MemberRole, Membership, MembershipKind, Organisation, OrgStatus, Role, User
from app.core import notifications as notify
from app.core.errors import ServiceError, ValidationError
from app.core import throttle
from app.core.files import send_stored
from app.core.links import safe_next
from app.core.throttle import throttled
from app.core.models import Notification
from app.core.permissions import member_required, role_required, staff_required
from app.deals import operations as deal_operations
from app.deals.models import CooperationMode, IntentStatus, InterestStatus, Specialised
from app.extensions import db
from app.incubation import operations as incubation
from app.projects.library import listed_project_count
from app.projects.models import DeviceClass, Stage
from app.accounts.models import Affiliation, Institution
from app.core import audit
from app.projects import operations as project_service
from app.projects.models import Project, ProjectStatus, Tier
from app.projects.rules import is_hospital_officer
from forms.accounts import NOT_LISTED
from forms.institutions import (DecideAffiliationForm, InstitutionApproveForm, InstitutionForm, InstitutionReturnForm,
                                InternalReviewForm, OfficerForm, ResolveAffiliationForm)
from forms.accounts import (ChangePasswordForm, ClinicianRegistrationForm, DeclineMembershipForm, ForgotPasswordForm,
                            InviteMemberForm, LoginForm, MailPreferencesForm, MemberRoleForm, OrganisationRegistrationForm,
                            ProfileForm, ResetPasswordForm, StaffAccountForm, StationContactForm, LicenceForm,
                            UserRoleForm)
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
        if current_user.is_institution_officer:
            return redirect(url_for("institution.dashboard"))
        if current_user.is_organisation_member and current_user.is_verified:
            return redirect(url_for("matching.for_you"))
        return redirect(url_for("library.index"))
    return render_template("main/index.html", listed=listed_project_count())


@main_bp.route("/lang/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("main.index")))


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


@notifications_bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@login_required
def mail_settings():
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


@auth_bp.route("/login", methods=["GET", "POST"])
@throttled(throttle.login_limits)
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
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@auth_bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        accounts.sign_out(current_user)
        logout_user()
        flash(_("您已退出登录"), "info")
    return redirect(url_for("main.index"))


@auth_bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    if ConfirmForm().validate_on_submit():
        accounts.sign_out_everywhere(current_user)
        logout_user()
        flash(_("已在所有设备上退出登录，请重新登录"), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.change_password"))


@auth_bp.route("/register")
def register():
    return render_template("auth/register_choice.html")


def institution_choices() -> list[tuple[int, str]]:
    """The registration's hospital choice: the records by city, then "not listed"."""
    return [(NOT_LISTED, _("请选择")), *((i.id, f"{i.city} · {i.name}" if i.city else i.name)
                                      for i in institution_service.institutions()),
            (NOT_LISTED, _("未在列表中（请在下方填写）"))]


@auth_bp.route("/register/clinician", methods=["GET", "POST"])
@throttled(throttle.register_limits)
def register_clinician():
    form = ClinicianRegistrationForm()
    form.institution_id.choices = institution_choices()
    if form.validate_on_submit():
        try:
            user = institution_service.register_clinician(
                form.email.data, form.password.data, form.name.data, form.phone.data, form.institution_id.data,
                form.institution.data or "", form.department.data)
        except ServiceError as error:
            field = getattr(error, "field", None)
            (form[field].errors if field in form else form.email.errors).append(str(error))
        else:
            login_user(user)
            flash(_("注册成功。您的所在医疗机构确认您的身份前，可以先填写并保存项目草稿；确认后您会收到通知，即可提交项目"),
                  "success")
            return redirect(url_for("projects.mine"))
    return render_template("auth/register.html", form=form, kind="clinician"), 400 if form.errors else 200


@auth_bp.route("/register/organisation", methods=["GET", "POST"])
@throttled(throttle.register_limits)
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
            if accounts.pending_request_of(user) is not None:
                flash(_("注册成功。该统一社会信用代码已有机构注册：已向该机构管理员发送加入申请，批准后您才能以该机构身份使用平台"),
                      "info")
            elif user.is_verified:
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
            login_user(current_user._get_current_object())  # this browser stays signed in, with the new version
            flash(_("密码已修改"), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form, confirm_form=ConfirmForm(formdata=None)), \
        400 if form.errors else 200


@auth_bp.route("/forgot", methods=["GET", "POST"])
@throttled(throttle.reset_limits)
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
    form.account_words = (user.email, user.name, user.phone, user.institution)
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        flash(_("新密码已设置，请登录"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user), 400 if form.errors else 200


admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.route("/organisations")
@staff_required
def organisations():
    filters = people.OrganisationFilters.from_args(request.args)
    listing = people.organisation_page(filters, request.args.get("page", 1, type=int) or 1)
    return render_template("admin/organisations.html", listing=listing, items=listing.items, filters=filters,
                           status=filters.status, counts=listing.counts, gsxt_url=people.GSXT_URL,
                           reject_form=RejectOrganisationForm(formdata=None))


@admin_bp.route("/organisations/<int:organisation_id>/verify", methods=["POST"])
@staff_required
def verify_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if VerifyOrganisationForm().validate_on_submit():
        people.approve_verification(organisation, current_user)
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
    filters = people.UserFilters.from_args(request.args)
    listing = people.user_page(filters, request.args.get("page", 1, type=int) or 1)
    rows = db.session.execute(db.select(User.role, db.func.count()).group_by(User.role)).all()
    counts = {r: 0 for r in Role} | dict(rows)
    return render_template("admin/users.html", listing=listing, items=listing.items, role=filters.role,
                           filters=filters, counts=counts, states=people.USER_STATES, org_statuses=list(OrgStatus),
                           cities=people.user_cities(), roles=list(Role), role_form=UserRoleForm(formdata=None),
                           assignable=people.ASSIGNABLE_ROLES,
                           may_manage=lambda user: account_rules.can_manage_account(current_user, user),
                           may_reset=lambda user: account_rules.can_issue_reset_link(current_user, user))


def _back_to_users():
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url + "admin/users")
                    else url_for(".users"))


@admin_bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@staff_required
def reset_link(user_id):
    user = db.get_or_404(User, user_id)
    link = None
    if ConfirmForm().validate_on_submit():
        link = accounts.issue_reset_link(user, current_user)
    return render_template("admin/reset_link.html", user=user, link=link)


@admin_bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def deactivate(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        people.deactivate_user(user, current_user)
        flash(_("%(name)s 的账号已停用，其所有设备已退出登录", name=user.name), "info")
    return _back_to_users()


@admin_bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required(Role.ADMIN)
def reactivate(user_id):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        people.reactivate_user(user, current_user)
        flash(_("%(name)s 的账号已重新启用，本人需重新登录", name=user.name), "success")
    return _back_to_users()


@admin_bp.route("/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.ADMIN)
def change_role(user_id):
    user = db.get_or_404(User, user_id)
    form = UserRoleForm()
    if not form.validate_on_submit():
        flash(_("请选择新角色"), "danger")
        return _back_to_users(), 400
    old = user.role
    people.change_role(user, current_user, Role(form.role.data))
    flash(_("%(name)s 的角色已由“%(old)s”改为“%(new)s”，本人需重新登录", name=user.name, old=old.label,
            new=user.role.label), "success")
    return _back_to_users()


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
    return render_template("organisation/profile_form.html", form=form, organisation=organisation,
                           licence_form=LicenceForm(formdata=None)), 400 if form.is_submitted() else 200


@organisation_bp.route("/<int:organisation_id>/licence")
@login_required
def licence(organisation_id):
    """The organisation's 营业执照, for its members and staff (anyone else: not found)."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if not (organisation.has_licence and account_rules.can_view_licence(organisation, current_user)):
        abort(404)
    response = send_stored(organisation.licence_stored_name, organisation.licence_filename, inline=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@organisation_bp.route("/licence", methods=["POST"])
@member_required
def upload_licence():
    """A member files the organisation's 营业执照 for verification."""
    organisation = own_organisation()
    licence_form = LicenceForm()
    if licence_form.validate_on_submit():
        try:
            people.upload_licence(organisation, current_user, licence_form.licence.data)
        except ValidationError as error:
            licence_form.licence.errors.append(str(error))
        else:
            flash(_("营业执照已上传，创新服务站将据此审核机构认证") if not organisation.is_verified
                  else _("营业执照已更新"), "success")
            return redirect(url_for(".profile") + "#licence")
    form = ProfileForm(uscc_locked=organisation.is_verified)
    form.load(organisation)
    return render_template("organisation/profile_form.html", form=form, organisation=organisation,
                           licence_form=licence_form), 400


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


@main_bp.app_context_processor
def membership_context():
    """The signed-in person's join request waiting for approval (the unverified page says so)."""
    def pending_membership():
        if current_user.is_authenticated and current_user.is_organisation_member and current_user.organisation is None:
            return accounts.pending_request_of(current_user)
        return None
    return {"pending_membership": pending_membership}


# --- members of an organisation: join requests, invitations, removal, roles

@organisation_bp.route("/members")
@member_required
def members():
    organisation = own_organisation()
    return render_template("organisation/members.html", organisation=organisation,
                           manage=account_rules.can_manage_members(organisation, current_user),
                           requests=accounts.pending_requests(organisation),
                           invitations=accounts.open_invitations(organisation),
                           invite_form=InviteMemberForm(formdata=None), confirm_form=ConfirmForm(),
                           decline_form=DeclineMembershipForm(formdata=None), role_form=MemberRoleForm(formdata=None))


@organisation_bp.route("/members/invite", methods=["POST"])
@member_required
def invite():
    organisation = own_organisation()
    form = InviteMemberForm()
    if form.validate_on_submit():
        try:
            accounts.invite_member(organisation, current_user, form.email.data)
        except ValidationError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("邀请已发送至 %(email)s", email=form.email.data), "success")
            return redirect(url_for(".members"))
    return render_template("organisation/members.html", organisation=organisation,
                           manage=account_rules.can_manage_members(organisation, current_user),
                           requests=accounts.pending_requests(organisation),
                           invitations=accounts.open_invitations(organisation), invite_form=form,
                           confirm_form=ConfirmForm(), decline_form=DeclineMembershipForm(formdata=None),
                           role_form=MemberRoleForm(formdata=None)), 400


def _member_of(organisation: Organisation, user_id: int) -> User:
    member = db.get_or_404(User, user_id)
    if member.organisation_id != organisation.id:
        abort(404)
    return member


def _organisation_of(user_id: int) -> Organisation:
    """Staff act on any organisation; a member on their own."""
    if current_user.is_staff:
        member = db.get_or_404(User, user_id)
        if member.organisation is None:
            abort(404)
        return member.organisation
    return own_organisation()


def _back_to_members():
    return redirect(url_for("admin.memberships") if current_user.is_staff else url_for("organisation.members"))


@organisation_bp.route("/members/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_member(user_id):
    organisation = _organisation_of(user_id)
    member = _member_of(organisation, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.remove_member(organisation, current_user, member)
        flash(_("已将 %(name)s 移出本机构", name=member.name), "info")
    return _back_to_members()


@organisation_bp.route("/members/<int:user_id>/role", methods=["POST"])
@login_required
def member_role(user_id):
    organisation = _organisation_of(user_id)
    member = _member_of(organisation, user_id)
    form = MemberRoleForm()
    if form.validate_on_submit():
        accounts.set_member_role(organisation, current_user, member, MemberRole(form.role.data))
        flash(_("已修改 %(name)s 的角色", name=member.name), "success")
    else:
        flash(_("请选择角色"), "danger")
    return _back_to_members()


def _membership(membership_id: int, kind: MembershipKind) -> Membership:
    """A request or invitation of the signed-in member's organisation (any, for staff); 404 otherwise."""
    membership = db.get_or_404(Membership, membership_id)
    if membership.kind is not kind or not account_rules.can_manage_members(membership.organisation, current_user):
        abort(404)
    return membership


@organisation_bp.route("/requests/<int:membership_id>/approve", methods=["POST"])
@login_required
def approve_request(membership_id):
    membership = _membership(membership_id, MembershipKind.REQUEST)
    if ConfirmForm().validate_on_submit():
        accounts.approve_membership(membership, current_user)
        flash(_("已批准 %(name)s 加入", name=membership.user.name), "success")
    return _back_to_members()


@organisation_bp.route("/requests/<int:membership_id>/decline", methods=["POST"])
@login_required
def decline_request(membership_id):
    membership = _membership(membership_id, MembershipKind.REQUEST)
    form = DeclineMembershipForm()
    if form.validate_on_submit():
        accounts.decline_membership(membership, current_user, form.comment.data or "")
        flash(_("已拒绝该加入申请"), "info")
    return _back_to_members()


@organisation_bp.route("/invitations/<int:membership_id>/cancel", methods=["POST"])
@login_required
def cancel_invitation(membership_id):
    membership = _membership(membership_id, MembershipKind.INVITATION)
    if ConfirmForm().validate_on_submit():
        accounts.cancel_invitation(membership, current_user)
        flash(_("已撤销对 %(email)s 的邀请", email=membership.email), "info")
    return _back_to_members()


@organisation_bp.route("/join/<token>", methods=["GET", "POST"])
@login_required
def join(token):
    try:
        membership = accounts.invitation_for_token(token)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("main.index"))
    if not account_rules.is_invitee(current_user, membership):
        return render_template("organisation/join.html", membership=membership, allowed=False), 403
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        accounts.accept_invitation(membership, current_user)
        flash(_("您已加入 %(org)s", org=membership.organisation.name), "success")
        return redirect(url_for("main.index"))
    return render_template("organisation/join.html", membership=membership, allowed=True, confirm_form=ConfirmForm())


@admin_bp.route("/memberships")
@staff_required
def memberships():
    return render_template("admin/memberships.html", requests=accounts.pending_requests(),
                           confirm_form=ConfirmForm(), decline_form=DeclineMembershipForm(formdata=None))


BLUEPRINTS = (main_bp, notifications_bp, auth_bp, admin_bp, organisation_bp,)

# --- hospitals: the officer's workbench and 院内审核 (institution), hospital records and officer accounts kept by
# staff (institutions).
#
# What an officer sees of a project (DESIGN.md: "see the hospital's projects"): every project of the hospital's
# confirmed clinicians (or with the hospital as 项目申请单位) except drafts, with its state, dates and public
# fields; the whole 附件1 only while the project waits in the hospital's 院内审核, which needs it. Partner-tier
# text, attachments and the station's review comments stay with the owner, staff and partners otherwise.

institution_bp = Blueprint("institution", __name__, url_prefix="/institution")
institutions_bp = Blueprint("institutions", __name__, url_prefix="/admin/institutions")

officer_required = role_required(Role.INSTITUTION)


def _hospital() -> Institution:
    institution = institution_service.officer_institution(current_user)
    if institution is None:
        abort(403)
    return institution


def hospital_projects(institution: Institution) -> list[Project]:
    """The hospital's projects an officer may list: its confirmed clinicians' or its own as 项目申请单位; no drafts."""
    owners = db.select(Affiliation.user_id).where(Affiliation.institution_id == institution.id,
                                                  Affiliation.status == institution_service.A.CONFIRMED)
    return db.session.scalars(
        db.select(Project).where(db.or_(Project.owner_id.in_(owners), Project.applicant_institution_id == institution.id),
                                 Project.status != ProjectStatus.DRAFT)
        .order_by(Project.status_changed_at.desc(), Project.id.desc())).all()


@institution_bp.route("/", endpoint="dashboard")
@officer_required
def dashboard():
    return _render_dashboard()


def _render_dashboard(status: int = 200):
    institution = _hospital()
    projects = hospital_projects(institution)
    counts = {status: 0 for status in ProjectStatus if status is not ProjectStatus.DRAFT}
    for project in projects:
        counts[project.status] += 1
    return render_template("institution/dashboard.html", institution=institution,
                           clinicians=institution_service.clinicians_of(institution), projects=projects, counts=counts,
                           decide_form=DecideAffiliationForm(formdata=None),
                           settings_form=InternalReviewForm(formdata=None, internal_review=institution.internal_review)
                           ), status


@institution_bp.route("/settings", methods=["POST"], endpoint="settings")
@officer_required
def internal_review_setting():
    institution = _hospital()
    form = InternalReviewForm()
    if form.validate_on_submit():
        institution_service.set_internal_review(institution, current_user, form.internal_review.data)
        flash(_("已开启院内审核：本院提交的项目将先由您审核") if form.internal_review.data
              else _("已关闭院内审核：本院提交的项目直接报送创新服务站"), "success")
    return redirect(url_for(".dashboard"))


def _after_decision():
    return redirect(url_for("institutions.affiliations") if current_user.is_staff else url_for(".dashboard"))


def _refused_decision():
    """The page the decision was taken on, with the flashed message, as a 400."""
    return _render_affiliations(400) if current_user.is_staff else _render_dashboard(400)


@institution_bp.route("/affiliations/<int:affiliation_id>/confirm", methods=["POST"])
@role_required(Role.INSTITUTION, Role.STAFF)
def confirm(affiliation_id):
    affiliation = db.get_or_404(Affiliation, affiliation_id)
    if not institution_service.may_decide(current_user, affiliation):
        abort(403)
    if DecideAffiliationForm().validate_on_submit():
        try:
            institution_service.confirm_affiliation(affiliation, current_user)
        except ServiceError as error:
            flash(str(error), "danger")
            return _refused_decision()
        flash(_("已确认 %(name)s 为本院人员", name=affiliation.user.name), "success")
    return _after_decision()


@institution_bp.route("/affiliations/<int:affiliation_id>/reject", methods=["POST"])
@role_required(Role.INSTITUTION, Role.STAFF)
def reject(affiliation_id):
    affiliation = db.get_or_404(Affiliation, affiliation_id)
    if not institution_service.may_decide(current_user, affiliation):
        abort(403)
    form = DecideAffiliationForm()
    if form.validate_on_submit():
        try:
            institution_service.reject_affiliation(affiliation, current_user, form.comment.data or "")
        except ServiceError as error:
            flash(str(error), "danger")
            return _refused_decision()
        flash(_("已告知 %(name)s 未予确认及理由", name=affiliation.user.name), "success")
    return _after_decision()


def _hospital_project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if project.status is ProjectStatus.DRAFT or not is_hospital_officer(current_user, project):
        abort(404)
    return project


# The hospital's own decisions keep their comments in the history an officer reads; the station's review
# comments and the owner's notes are owner/staff tier (DESIGN.md), so other rows show without them.
OFFICER_COMMENTS = ("submit_to_institution", "institution_approve", "institution_return")


def officer_history(project: Project) -> list[SimpleNamespace]:
    """The project's history as an officer may read it (copies: audit rows are never changed)."""
    return [SimpleNamespace(created_at=e.created_at, actor=e.actor, action=e.action, subject_type=e.subject_type,
                            from_state=e.from_state, to_state=e.to_state,
                            comment=e.comment if e.action in OFFICER_COMMENTS else "")
            for e in audit.project_history(project)]


def _render_project(project: Project, status: int = 200, **forms):
    reviewing = project.status is ProjectStatus.INSTITUTION_REVIEW
    forms.setdefault("approve_form", InstitutionApproveForm(formdata=None, prefix="approve"))
    forms.setdefault("return_form", InstitutionReturnForm(formdata=None, prefix="return"))
    tiers = {Tier.PUBLIC, Tier.PARTNER, Tier.PRIVATE} if reviewing else {Tier.PUBLIC}
    return render_template("institution/project.html", project=project, tiers=tiers, reviewing=reviewing,
                           history=officer_history(project),
                           review_comment="", **forms), status


@institution_bp.route("/projects/<int:project_id>", endpoint="review")
@officer_required
def project_page(project_id):
    return _render_project(_hospital_project(project_id))


@institution_bp.route("/projects/<int:project_id>/approve", methods=["POST"])
@officer_required
def approve(project_id):
    project = _hospital_project(project_id)
    form = InstitutionApproveForm(prefix="approve")
    if form.validate_on_submit():
        project_service.institution_approve_project(project, current_user, form.comment.data or "")
        flash(_("已通过院内审核，本院作为项目申请单位报送创新服务站初核"), "success")
        return redirect(url_for(".dashboard"))
    return _render_project(project, 400, approve_form=form)


@institution_bp.route("/projects/<int:project_id>/return", methods=["POST"])
@officer_required
def send_back(project_id):
    project = _hospital_project(project_id)
    form = InstitutionReturnForm(prefix="return")
    if form.validate_on_submit():
        project_service.institution_return_project(project, current_user, form.comment.data)
        flash(_("已退回修改，项目负责人将看到您的意见"), "success")
        return redirect(url_for(".dashboard"))
    flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return _render_project(project, 400, return_form=form)


# --- staff: hospital records, officers, clinicians waiting on the station

@institutions_bp.route("/", endpoint="index")
@staff_required
def institutions_index():
    return render_template("institutions/index.html", institutions=institution_service.institutions(),
                           waiting=len(institution_service.staff_queue()))


def _form_values(form: InstitutionForm) -> dict:
    return {name: getattr(form, name).data for name in institution_service.INSTITUTION_FIELDS}


def _save_institution(form: InstitutionForm, institution: Institution | None):
    try:
        if institution is None:
            institution = institution_service.create_institution(current_user, _form_values(form))
        else:
            institution_service.update_institution(institution, current_user, _form_values(form))
    except ServiceError as error:
        field = getattr(error, "field", None)
        (form[field].errors if field in form else form.name.errors).append(str(error))
        return None
    return institution


@institutions_bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = InstitutionForm()
    if form.validate_on_submit():
        institution = _save_institution(form, None)
        if institution is not None:
            flash(_("已登记医疗机构 %(name)s", name=institution.name), "success")
            return redirect(url_for(".index"))
    return render_template("institutions/form.html", form=form, institution=None), 400 if form.errors else 200


@institutions_bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    form = InstitutionForm(obj=None if request.method == "POST" else institution,
                           data=None if request.method == "POST" else {
                               "code_kind": institution.code_kind.value, "level": institution.level.value})
    if form.validate_on_submit() and _save_institution(form, institution) is not None:
        flash(_("已保存 %(name)s", name=institution.name), "success")
        return redirect(url_for(".index"))
    return render_template("institutions/form.html", form=form, institution=institution,
                           officer_form=OfficerForm(formdata=None)), 400 if form.errors else 200


@institutions_bp.route("/<int:institution_id>/officers", methods=["POST"])
@staff_required
def new_officer(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    form = OfficerForm()
    if form.validate_on_submit():
        try:
            officer = institution_service.create_officer(institution, current_user, form.email.data, form.password.data,
                                             form.name.data, form.phone.data or "")
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("已为 %(hospital)s 创建管理员账号 %(email)s，请将初始密码告知本人并提醒其登录后修改",
                    hospital=institution.name, email=officer.email), "success")
            return redirect(url_for(".edit", institution_id=institution.id))
    return render_template("institutions/form.html", form=InstitutionForm(obj=institution), institution=institution,
                           officer_form=form), 400


@institutions_bp.route("/clinicians", endpoint="affiliations")
@staff_required
def affiliations():
    return _render_affiliations()


def _render_affiliations(status: int = 200):
    return render_template("institutions/affiliations.html", waiting=institution_service.staff_queue(),
                           choices=institution_service.institutions(), decide_form=DecideAffiliationForm(formdata=None)), status


@institutions_bp.route("/clinicians/<int:user_id>/resolve", methods=["POST"])
@staff_required
def resolve(user_id):
    user = db.get_or_404(User, user_id)
    if not user.is_clinician:
        abort(404)
    form = ResolveAffiliationForm()
    form.institution_id.choices = [(i.id, i.name) for i in institution_service.institutions()]
    if form.validate_on_submit():
        institution = db.get_or_404(Institution, form.institution_id.data)
        try:
            institution_service.resolve_affiliation(user, current_user, institution)
        except ServiceError as error:
            flash(str(error), "danger")
            return _render_affiliations(409)
        flash(_("已将 %(name)s 的医疗机构指定为 %(hospital)s", name=user.name, hospital=institution.name), "success")
        return redirect(url_for(".affiliations"))
    flash(_("请选择医疗机构"), "danger")
    return _render_affiliations(400)


INSTITUTION_BLUEPRINTS = (institution_bp, institutions_bp)
BLUEPRINTS += INSTITUTION_BLUEPRINTS
