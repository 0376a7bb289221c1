"""Sign-in, registration, password and staff-account forms; the organisation profile (附件2 company block)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, EmailField, PasswordField, RadioField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts.models import Role
from app.accounts.operations import field_names
from app.core.notifications import MAIL_GROUPS
from app.core.templating import BEIJING
from app.deals.models import Specialised
from forms import options
from forms.base import Form
from forms.fields import MultiCheckField, WanField
from forms.validators import USCC, EmailAddress, MainlandPhone, StrongPassword

EMAIL_MESSAGE = _l("请输入有效的电子邮箱")


class LoginForm(Form):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])
    remember = BooleanField(_l("记住我"))
    submit = SubmitField(_l("登录"))


class _AccountFields(Form):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE),
                                                 Length(max=254)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请输入联系电话")), MainlandPhone()])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请设置密码")), StrongPassword()])
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码")),
                                                      EqualTo("password", _l("两次输入的密码不一致"))])


NOT_LISTED = 0  # the registration's "not listed" choice: the clinician types the hospital's name


class ClinicianRegistrationForm(_AccountFields):
    # choices: the hospital records (set by the view) and "not listed"; staff resolve a typed name later
    institution_id = SelectField(_l("所在医疗机构"), coerce=int, default=NOT_LISTED, choices=[], validate_choice=False)
    institution = StringField(_l("医疗机构全称（未在列表中时填写）"), validators=[Length(max=200)])
    department = StringField(_l("所在部门（科室）"), validators=[DataRequired(_l("请输入所在科室")),
                                                              Length(max=100)])
    submit = SubmitField(_l("注册"))

    def validate_institution_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            field.data = NOT_LISTED  # an unknown id is treated as "not listed"
        if field.data == NOT_LISTED and not (self.institution.data or "").strip():
            raise ValidationError(_l("请选择所在医疗机构；未在列表中时，请在下方填写医疗机构全称"))


class OrganisationRegistrationForm(_AccountFields):
    role = RadioField(_l("注册类型"), choices=options([(Role.ENTERPRISE.value, _l("医疗器械企业")),
                                              (Role.INVESTOR.value, _l("投资人/投资机构"))]),
                      default=Role.ENTERPRISE.value, validators=[DataRequired(_l("请选择注册类型"))])
    organisation_name = StringField(_l("机构名称"), validators=[DataRequired(_l("请输入企业或机构名称")),
                                                              Length(max=200)])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请输入统一社会信用代码")), USCC()])
    submit = SubmitField(_l("注册"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))])
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码")), StrongPassword()])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码")),
                                                        EqualTo("password", _l("两次输入的密码不一致"))])
    submit = SubmitField(_l("修改密码"))


class ForgotPasswordForm(Form):
    email = EmailField(_l("注册邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    submit = SubmitField(_l("发送重置链接"))


class ResetPasswordForm(Form):
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请设置新密码")), StrongPassword()])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码")),
                                                        EqualTo("password", _l("两次输入的密码不一致"))])
    submit = SubmitField(_l("设置新密码"))


class StaffAccountForm(Form):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=100)])
    role = SelectField(_l("角色"), choices=options([(Role.STAFF.value, _l("创新服务站")),
                                            (Role.ADMIN.value, _l("工作专班"))]))
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码")), StrongPassword()])
    submit = SubmitField(_l("创建账号"))


# 省级行政区 (the region of an organisation; 省内/省外 is judged against PLATFORM_PROVINCE).
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区", "台湾省",
)

KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_KEYWORDS = 20


def multi_check(label, choices, description=None):
    return MultiCheckField(label, choices=options(choices), description=description)


def text_field(label, max_length, required_message=None, description=None):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    validators.append(Length(max=max_length, message=_l("不超过 %(max)d 字", max=max_length)))
    return StringField(label, validators=validators, description=description)


class CompanyFacts:
    """Checks of the company facts the profile and 附件2 share: listed options, a registration date not in the future."""

    def validate_registered_on(self, field):
        if field.data and field.data > datetime.now(BEIJING).date():
            raise ValidationError(_l("注册时间不能晚于今天"))

    def validate_high_tech(self, field):
        if field.data and field.data not in ("yes", "no"):
            raise ValidationError(_l("请选择列表中的选项"))

    def validate_specialised(self, field):
        if field.data and field.data not in {m.value for m in Specialised}:
            raise ValidationError(_l("请选择列表中的选项"))


class ProfileForm(CompanyFacts, Form):
    """附件2 企业基本信息, kept on the profile and copied into each docking form."""

    name = text_field(_l("企业名称"), 200, _l("请填写企业名称"))
    address = text_field(_l("通讯地址"), 300)
    uscc = StringField(_l("统一社会信用代码"), description=_l("18位，认证通过后不可修改"))
    field = SelectField(_l("所属领域"), validators=[DataRequired(_l("请选择所属领域"))], description=_l("按国家药监局《医疗器械分类目录》一级类别选择"))
    legal_rep = text_field(_l("法人姓名"), 100)
    registered_capital_wan = WanField(_l("注册资金（万元）"))
    registered_on = DateField(_l("注册时间"), validators=[Optional()],
                              invalid_value_message=_l("请输入有效日期，如 2015-06-30"))
    high_tech = RadioField(_l("高新技术企业"), choices=options([("yes", _l("是")), ("no", _l("否"))]),
                           validators=[Optional()], validate_choice=False)
    specialised = RadioField(_l("专精特新企业"), choices=options(Specialised.choices()), validators=[Optional()],
                             validate_choice=False)
    contact_name = text_field(_l("联系人"), 100, _l("请填写联系人"))
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话")), MainlandPhone()],
                                description=_l("仅服务站及与您签约洽谈的合作方可见"))
    region = SelectField(_l("所在省份"), validators=[DataRequired(_l("请选择所在省份"))])
    overview = TextAreaField(_l("企业概况"), validators=[Optional(), Length(max=4000, message=_l("不超过 4000 字"))],
                             description=_l("主营产品、研发与生产能力、已有注册证等；认证用户可见"))
    save = SubmitField(_l("保存机构资料"))

    def __init__(self, *args, uscc_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.uscc_locked = uscc_locked
        self.field.choices = options([("", _l("请选择"))] + [(n, _l(n)) for n in field_names()])
        provinces = list(PROVINCES)
        if current_app.config["PLATFORM_PROVINCE"] not in provinces:  # a configured name we do not list
            provinces.insert(0, current_app.config["PLATFORM_PROVINCE"])
        self.region.choices = options([(p, _l(p)) for p in provinces])
        self.uscc.flags.required = not uscc_locked

    def validate_uscc(self, field):
        if self.uscc_locked:  # shown, never taken from the request: changing it would bypass verification
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("请输入统一社会信用代码"))
        USCC()(self, field)

    def load(self, organisation) -> None:
        """Fill the form from the saved profile (GET)."""
        for name in ("name", "address", "uscc", "field", "legal_rep", "registered_capital_wan", "registered_on",
                     "specialised", "contact_name", "contact_phone", "overview", "region"):
            getattr(self, name).data = getattr(organisation, name)
        self.high_tech.data = {True: "yes", False: "no"}.get(organisation.high_tech)
        self.region.data = organisation.region or current_app.config["PLATFORM_PROVINCE"]

    def values(self) -> dict:
        """The typed values in the model's terms (USCC only while it may still change)."""
        values = {name: (getattr(self, name).data or "").strip() for name in
                  ("name", "address", "field", "legal_rep", "contact_name", "contact_phone", "overview", "region")}
        values.update(registered_capital_wan=self.registered_capital_wan.data,
                      registered_on=self.registered_on.data,
                      high_tech={"yes": True, "no": False}.get(self.high_tech.data),
                      specialised=self.specialised.data or None)
        if not self.uscc_locked:
            values["uscc"] = (self.uscc.data or "").strip().upper()
        return values




class InviteMemberForm(Form):
    """The organisation's admin member invites a colleague by e-mail."""

    email = EmailField(_l("被邀请人邮箱"), validators=[DataRequired(_l("请输入电子邮箱")), EmailAddress(EMAIL_MESSAGE),
                                                    Length(max=254)])
    submit = SubmitField(_l("发送邀请"))


class DeclineMembershipForm(Form):
    comment = TextAreaField(_l("理由（对方可见，可不填）"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("拒绝"))


class MemberRoleForm(Form):
    role = SelectField(_l("成员角色"), choices=options([("admin", _l("机构管理员")), ("member", _l("成员"))]),
                       validators=[DataRequired()])
    submit = SubmitField(_l("修改角色"))


class MailPreferencesForm(Form):
    """Which notices come by e-mail, how often, and in which language."""
    groups = MultiCheckField(_l("通过电子邮件接收以下消息"), choices=[], validate_choice=True)
    frequency = RadioField(_l("发送方式"), choices=options([("instant", _l("每条消息即时发送")),
                                                           ("digest", _l("每日摘要（每天早上 8 点汇总未读消息发送一封）"))]),
                           default="instant", validators=[DataRequired(_l("请选择发送方式"))])
    language = SelectField(_l("邮件语言"), choices=options([("zh", "中文"), ("en", "English")]), default="zh")
    submit = SubmitField(_l("保存邮件设置"))

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups.choices = options((key, label) for key, label in MAIL_GROUPS.items() if staff or key != "staff")


class StationContactForm(Form):
    """The station's contact details shown wherever a page asks users to contact it."""
    name = StringField(_l("服务站名称"), validators=[DataRequired(_l("请填写服务站名称")), Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)],
                        description=_l("可填写固定电话，如 0591-87654321"))
    email = EmailField(_l("电子邮箱"), validators=[Optional(), EmailAddress(EMAIL_MESSAGE)])
    address = StringField(_l("办公地址"), validators=[Optional(), Length(max=200)])
    hours = StringField(_l("办公时间"), validators=[Optional(), Length(max=100)],
                        description=_l("如：工作日 8:30–12:00，14:30–17:30"))
    submit = SubmitField(_l("保存联系方式"))

    def validate_phone(self, field):
        if field.data and not re.fullmatch(r"[0-9+\-（）() 转]{5,40}", field.data.strip()):
            raise ValidationError(_l("请输入有效的电话号码"))


class UserRoleForm(Form):
    """The task force moves a station account between 创新服务站 and 工作专班."""

    role = SelectField(_l("新角色"), choices=options([(Role.STAFF.value, _l("创新服务站")),
                                               (Role.ADMIN.value, _l("工作专班"))]))
    submit = SubmitField(_l("修改角色"))


class LicenceForm(Form):
    """The organisation's 营业执照: a PDF or a photo/scan (checked by content on the server)."""

    licence = FileField(_l("营业执照（PDF、JPG、PNG，10 MB 以内）"), validators=[FileRequired(_l("请选择营业执照文件"))])
    submit = SubmitField(_l("上传营业执照"))
