"""附件2 企业意向临床研究成果转化项目对接表."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from app.models import Specialised
from forms import options
from forms.fields import WanField
from forms.deal import cooperation_modes_field
from forms.validators import USCC, MainlandPhone, RequiredToSubmit


def _required(message):
    return [RequiredToSubmit(message)]


class DockingFormForm(FlaskForm):
    company_name = StringField(_l("企业名称"), validators=_required(_l("请填写企业名称")) + [Length(max=200)])
    address = StringField(_l("通讯地址"), validators=_required(_l("请填写通讯地址")) + [Length(max=300)])
    uscc = StringField(_l("统一社会信用代码"), validators=_required(_l("请填写统一社会信用代码")) + [USCC()])
    field = StringField(_l("所属领域"), validators=_required(_l("请填写所属领域")) + [Length(max=100)])
    legal_rep = StringField(_l("法人姓名"), validators=_required(_l("请填写法人姓名")) + [Length(max=100)])
    registered_capital_wan = WanField(_l("注册资金（万元）"), validators=[RequiredToSubmit(_l("请填写注册资金"))])
    registered_on = DateField(_l("注册时间"), validators=[RequiredToSubmit(_l("请填写注册时间"))])
    high_tech = RadioField(_l("高新技术企业"), choices=options([("yes", _l("是")), ("no", _l("否"))]),
                           validate_choice=False, validators=[RequiredToSubmit(_l("请选择是否为高新技术企业"))])
    specialised = RadioField(_l("专精特新企业"), choices=options(Specialised.choices()), validate_choice=False,
                             validators=[RequiredToSubmit(_l("请选择专精特新企业级别"))])
    contact_name = StringField(_l("联系人"), validators=_required(_l("请填写联系人")) + [Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=_required(_l("请填写联系电话")) + [MainlandPhone()])
    overview = TextAreaField(_l("企业概况"), validators=_required(_l("请填写企业概况")) + [Length(max=4000)])
    project_name = StringField(_l("项目名称"), validators=_required(_l("请填写项目名称")) + [Length(max=200)])
    applicant = StringField(_l("项目申报机构/人"), validators=_required(_l("请填写项目申报机构/人")) + [Length(max=300)])
    progress_work = TextAreaField(_l("1. 已开展的工作"), validators=_required(_l("请填写已开展的工作")) + [Length(max=4000)])
    progress_stage = TextAreaField(_l("2. 所处阶段"), validators=_required(_l("请填写所处阶段")) + [Length(max=2000)])
    progress_investment = TextAreaField(_l("3. 投入资金和人力"), validators=[Optional(), Length(max=2000)])
    progress_equipment = TextAreaField(_l("4. 仪器和设备"), validators=[Optional(), Length(max=2000)])
    progress_production = TextAreaField(_l("5. 生产条件"), validators=[Optional(), Length(max=2000)])
    progress_other = TextAreaField(_l("6. 其他"), validators=[Optional(), Length(max=2000)])
    cooperation_modes = cooperation_modes_field(required_to_submit=True)
    save = SubmitField(_l("保存"))
    file = SubmitField(_l("报送对接表"))

    for_submit = False

    def validate_high_tech(self, field):
        if field.data and field.data not in ("yes", "no"):
            raise ValidationError(_l("请选择列表中的选项"))

    def validate_specialised(self, field):
        if field.data and field.data not in {m.value for m in Specialised}:
            raise ValidationError(_l("请选择列表中的选项"))

    def validate_registered_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("注册时间不能晚于今天"))

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in (
            "company_name", "address", "uscc", "field", "legal_rep", "registered_capital_wan", "registered_on",
            "contact_name", "contact_phone", "overview", "project_name", "applicant", "progress_work",
            "progress_stage", "progress_investment", "progress_equipment", "progress_production",
            "progress_other", "cooperation_modes")}
        values["high_tech"] = {"yes": True, "no": False}.get(self.high_tech.data)
        values["specialised"] = Specialised.coerce(self.specialised.data)
        for name, field in self._fields.items():
            if name in values and field.type in ("StringField", "TextAreaField"):
                values[name] = (values[name] or "").strip()
        return values

    def load(self, docking) -> None:
        for name in ("company_name", "address", "uscc", "field", "legal_rep", "registered_capital_wan",
                     "registered_on", "contact_name", "contact_phone", "overview", "project_name", "applicant",
                     "progress_work", "progress_stage", "progress_investment", "progress_equipment",
                     "progress_production", "progress_other", "cooperation_modes"):
            getattr(self, name).data = getattr(docking, name)
        self.high_tech.data = {True: "yes", False: "no"}.get(docking.high_tech)
        self.specialised.data = docking.specialised.value if docking.specialised else None
