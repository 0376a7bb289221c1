"""Sign-in, registration and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from forms import options
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.models import Role
from forms.validators import USCC, EmailAddress, MainlandPhone, StrongPassword

EMAIL_MESSAGE = _l("请输入有效的电子邮箱")


class LoginForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])
    remember = BooleanField(_l("记住我"))
    submit = SubmitField(_l("登录"))


class _AccountFields(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE),
                                                 Length(max=254)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请输入联系电话")), MainlandPhone()])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请设置密码")), StrongPassword()])
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码")),
                                                      EqualTo("password", _l("两次输入的密码不一致"))])


class ClinicianRegistrationForm(_AccountFields):
    institution = StringField(_l("所在医疗机构"), validators=[DataRequired(_l("请输入所在医疗机构")),
                                                            Length(max=200)])
    department = StringField(_l("所在部门（科室）"), validators=[DataRequired(_l("请输入所在科室")),
                                                              Length(max=100)])
    submit = SubmitField(_l("注册"))


class OrganisationRegistrationForm(_AccountFields):
    role = RadioField(_l("注册类型"), choices=options([(Role.ENTERPRISE.value, _l("医疗器械企业")),
                                              (Role.INVESTOR.value, _l("投资人/投资机构"))]),
                      default=Role.ENTERPRISE.value, validators=[DataRequired(_l("请选择注册类型"))])
    organisation_name = StringField(_l("机构名称"), validators=[DataRequired(_l("请输入企业或机构名称")),
                                                              Length(max=200)])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请输入统一社会信用代码")), USCC()])
    submit = SubmitField(_l("注册"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))])
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码")), StrongPassword()])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码")),
                                                        EqualTo("password", _l("两次输入的密码不一致"))])
    submit = SubmitField(_l("修改密码"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("注册邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    submit = SubmitField(_l("发送重置链接"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码")), StrongPassword()])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码")),
                                                        EqualTo("password", _l("两次输入的密码不一致"))])
    submit = SubmitField(_l("设置新密码"))


class StaffAccountForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=100)])
    role = SelectField(_l("角色"), choices=options([(Role.STAFF.value, _l("创新服务站")),
                                            (Role.ADMIN.value, _l("工作专班"))]))
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码")), StrongPassword()])
    submit = SubmitField(_l("创建账号"))
