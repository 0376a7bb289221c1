"""Hospital records (医疗机构), officer accounts, confirming clinicians, 院内审核."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts.models import InstitutionCodeKind, InstitutionLevel
from forms import options
from forms.base import Form
from forms.validators import USCC, EmailAddress, MainlandPhone, StrongPassword

# 医疗机构执业许可证 登记号: letters and digits (22 on today's licences; older ones differ), no spaces.
LICENCE_NUMBER = re.compile(r"^[0-9A-Z]{8,40}$")


class InstitutionForm(Form):
    name = StringField(_l("医疗机构名称"), validators=[DataRequired(_l("请输入医疗机构名称")), Length(max=200)])
    code_kind = SelectField(_l("登记代码类型"), choices=options(InstitutionCodeKind.choices()),
                            default=InstitutionCodeKind.USCC.value)
    code = StringField(_l("统一社会信用代码或执业许可证登记号"),
                       validators=[DataRequired(_l("请输入统一社会信用代码或执业许可证登记号")), Length(max=40)])
    city = StringField(_l("所在城市"), validators=[DataRequired(_l("请输入所在城市")), Length(max=50)])
    level = SelectField(_l("医院等级"), choices=options(InstitutionLevel.choices()),
                        default=InstitutionLevel.GRADE_3A.value)
    submit = SubmitField(_l("保存"))

    def validate_code(self, field):
        code = (field.data or "").strip().upper()
        if self.code_kind.data == InstitutionCodeKind.USCC.value:
            USCC()(self, field)
        elif not LICENCE_NUMBER.match(code):
            raise ValidationError(_l("执业许可证登记号应为8–40位字母或数字"))
        else:
            field.data = code


class OfficerForm(Form):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=100)])
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱")),
                                                 EmailAddress(_l("请输入有效的电子邮箱")), Length(max=254)])
    phone = StringField(_l("联系电话"), validators=[Optional(), MainlandPhone()])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码")), StrongPassword()])
    submit = SubmitField(_l("创建管理员账号"))


class DecideAffiliationForm(Form):
    """Confirm (no reason needed) or reject (reason required, checked by the operation)."""

    comment = TextAreaField(_l("理由"), validators=[Length(max=1000)])
    submit = SubmitField(_l("确认"))


class ResolveAffiliationForm(Form):
    institution_id = SelectField(_l("医疗机构"), coerce=int, choices=[],
                                 validators=[DataRequired(_l("请选择医疗机构"))])
    submit = SubmitField(_l("指定"))


class InternalReviewForm(Form):
    internal_review = BooleanField(_l("开启院内审核：本院医务人员提交的项目先由本院审核，再报送创新服务站"))
    submit = SubmitField(_l("保存设置"))


class InstitutionApproveForm(Form):
    comment = TextAreaField(_l("院内审核意见（可选）"), validators=[Length(max=2000)])
    approve = SubmitField(_l("通过院内审核，报送服务站"))


class InstitutionReturnForm(Form):
    comment = TextAreaField(_l("修改意见"), validators=[DataRequired(_l("请写明需要修改的内容")), Length(max=2000)])
    send_back = SubmitField(_l("退回修改"))
