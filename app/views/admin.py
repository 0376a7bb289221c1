"""Accounts and organisations, for station staff and the task force."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.models import Organisation, OrgStatus, Role, User
from app.permissions import role_required, staff_required
from app.services import ServiceError
from app.services import accounts
from forms.auth import StaffAccountForm
from forms.project import ConfirmForm
from forms.review import RejectOrganisationForm, VerifyOrganisationForm

bp = Blueprint("admin", __name__)


@bp.route("/organisations")
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


@bp.route("/organisations/<int:organisation_id>/verify", methods=["POST"])
@staff_required
def verify_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    if VerifyOrganisationForm().validate_on_submit():
        accounts.verify_organisation(organisation, current_user)
        db.session.commit()
        flash(_("%(name)s 已认证，其成员现在可以浏览项目库并表达意向", name=organisation.name), "success")
    return redirect(url_for(".organisations"))


@bp.route("/organisations/<int:organisation_id>/reject", methods=["POST"])
@staff_required
def reject_organisation(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = RejectOrganisationForm()
    if form.validate_on_submit():
        accounts.reject_organisation(organisation, current_user, form.comment.data)
        db.session.commit()
        flash(_("已记录不予认证及理由，该机构成员登录后可看到"), "info")
    else:
        flash(_("请写明不通过的理由"), "danger")
    return redirect(url_for(".organisations"))


@bp.route("/users")
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


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@staff_required
def reset_link(user_id):
    user = db.get_or_404(User, user_id)
    link = None
    if ConfirmForm().validate_on_submit():
        try:
            link = accounts.issue_reset_link(user, current_user)
        except ServiceError as error:
            flash(str(error), "danger")
            return redirect(url_for(".users"))
        db.session.commit()
    return render_template("admin/reset_link.html", user=user, link=link)


@bp.route("/users/new", methods=["GET", "POST"])
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
            db.session.commit()
            flash(_("账号已创建，请将初始密码告知本人并提醒其登录后修改"), "success")
            return redirect(url_for(".users"))
    return render_template("admin/new_staff.html", form=form), 400 if form.errors else 200


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings():
    from app.services import incubation
    from forms.incubation import WeightsForm
    form = WeightsForm(data=incubation.assessment_weights())
    if form.validate_on_submit():
        try:
            incubation.set_assessment_weights({name: form[name].data for name in incubation.DEFAULT_WEIGHT_KEYS},
                                              current_user)
        except ServiceError as error:
            form.technology.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("评估权重已更新，之后完成的评估按新权重计算；已完成的评估保持原权重"), "success")
            return redirect(url_for(".settings"))
    return render_template("admin/settings.html", form=form), 400 if form.errors else 200
