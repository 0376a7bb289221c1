"""Forms of the deal flow: interest, decline, negotiation message, ending talks, signing."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.models import CooperationMode, DeclineReason
from forms import options
from forms.fields import MultiCheckField, WanField
from forms.validators import RequiredToSubmit


def cooperation_modes_field(label=_l("合作方式"), required=False, required_to_submit=False):
    if required_to_submit:
        validators = [RequiredToSubmit(_l("请至少选择一种合作方式"))]
    else:
        validators = [DataRequired(_l("请至少选择一种合作方式"))] if required else [Optional()]
    return MultiCheckField(label, choices=options(CooperationMode.choices()), validators=validators)


def amount_field(label):
    return WanField(label)


class InterestForm(FlaskForm):
    message = TextAreaField(_l("意向说明"), validators=[DataRequired(_l("请简要说明合作设想")), Length(max=2000)],
                            description=_l("介绍贵机构的相关产品线、合作设想等。项目负责人接受意向后可查看详细资料。"))
    cooperation_modes = cooperation_modes_field(_l("拟合作方式"), required=True)
    amount_wan = amount_field(_l("拟投入金额（万元，可选）"))
    timeline = StringField(_l("预期时间安排（可选）"), validators=[Length(max=200)])


class DeclineForm(FlaskForm):
    reason = RadioField(_l("婉拒原因"), choices=options(DeclineReason.choices()),
                        validators=[InputRequired(_l("请选择婉拒原因"))])
    note = TextAreaField(_l("补充说明"), validators=[Length(max=1000)], description=_l("选择“其他”时必填，对方可见"))

    def validate_note(self, field):
        if self.reason.data == DeclineReason.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请说明原因"))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("消息"), validators=[Length(max=5000)])
    file = FileField(_l("附件（PDF、Word、JPG、PNG）"))

    def validate_body(self, field):
        if not (field.data or "").strip() and not getattr(self.file.data, "filename", ""):
            raise ValidationError(_l("请输入内容或选择附件"))


class EndNegotiationForm(FlaskForm):
    reason = TextAreaField(_l("终止原因"), validators=[DataRequired(_l("请说明终止洽谈的原因")), Length(max=1000)])


class AgreementForm(FlaskForm):
    cooperation_modes = cooperation_modes_field(required=True)
    amount_wan = amount_field(_l("合作金额（万元）"))
    signed_on = DateField(_l("签约日期"), validators=[InputRequired(_l("请填写签约日期"))])
    summary = TextAreaField(_l("合作内容摘要"), validators=[DataRequired(_l("请填写合作内容摘要")), Length(max=2000)])
    contract = FileField(_l("已签署的合同（PDF）"))

    def validate_signed_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("签约日期不能晚于今天"))

    def validate_contract(self, field):
        name = getattr(field.data, "filename", "") or ""
        if not name:
            raise ValidationError(_l("请上传已签署合同的 PDF 文件"))
        if not name.lower().endswith(".pdf"):
            raise ValidationError(_l("合同须为 PDF 文件"))


class DisputeForm(FlaskForm):
    note = TextAreaField(_l("需更正的内容"), validators=[DataRequired(_l("请说明哪里需要更正")), Length(max=1000)])
