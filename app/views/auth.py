"""Sign in and out, registration, passwords."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import db
from app.models import Role
from app.services import ServiceError
from app.services import accounts
from forms.auth import (ChangePasswordForm, ClinicianRegistrationForm, ForgotPasswordForm, LoginForm,
                        OrganisationRegistrationForm, ResetPasswordForm)
from forms.project import ConfirmForm

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except ServiceError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("欢迎，%(name)s", name=user.name), "success")
            return redirect(_safe_next(url_for("main.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        logout_user()
        flash(_("您已退出登录"), "info")
    return redirect(url_for("main.index"))


@bp.route("/register")
def register():
    return render_template("auth/register_choice.html")


@bp.route("/register/clinician", methods=["GET", "POST"])
def register_clinician():
    form = ClinicianRegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_clinician(form.email.data, form.password.data, form.name.data,
                                               form.phone.data, form.institution.data, form.department.data)
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            login_user(user)
            flash(_("注册成功。下一步：填写《医疗机构临床研究成果转化项目需求表》提报项目"), "success")
            return redirect(url_for("projects.mine"))
    return render_template("auth/register.html", form=form, kind="clinician"), 400 if form.errors else 200


@bp.route("/register/organisation", methods=["GET", "POST"])
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
            db.session.commit()
            login_user(user)
            if user.is_verified:
                flash(_("注册成功，您的机构已通过认证"), "success")
            else:
                flash(_("注册成功。创新服务站将审核您的机构信息，审核通过后即可浏览项目库"), "success")
            return redirect(url_for("library.index"))
    return render_template("auth/register.html", form=form, kind="organisation"), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            form.current.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("密码已修改"), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        sent = accounts.request_password_reset(form.email.data)
        db.session.commit()
        # Same answer whether or not the address exists, so the page cannot probe accounts.
        return render_template("auth/forgot_sent.html", mail_enabled=sent or accounts.mail.mail_configured())
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = accounts.user_for_reset_token(token)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("新密码已设置，请登录"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user), 400 if form.errors else 200
