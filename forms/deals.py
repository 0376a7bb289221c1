"""Forms of the deal flow: interest, decline, negotiation message, ending talks, signing, 附件2, investment intents."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.accounts.operations import field_labels
from app.deals.models import CooperationMode, DeclineReason, IntentStatus, PassReason, RegionPreference, Specialised
from app.projects.models import DeviceClass, Stage
from forms import options
from forms.base import Form, OnceForm
from forms.accounts import KEYWORD_SEPARATORS, MAX_KEYWORDS, CompanyFacts, multi_check, text_field
from forms.fields import MultiCheckField, WanField
from forms.validators import USCC, MainlandPhone, RequiredToSubmit


def cooperation_modes_field(label=_l("合作方式"), required=False, required_to_submit=False):
    if required_to_submit:
        validators = [RequiredToSubmit(_l("请至少选择一种合作方式"))]
    else:
        validators = [DataRequired(_l("请至少选择一种合作方式"))] if required else [Optional()]
    return MultiCheckField(label, choices=options(CooperationMode.choices()), validators=validators)


def amount_field(label):
    return WanField(label)


class InterestForm(OnceForm):
    message = TextAreaField(_l("意向说明"), validators=[DataRequired(_l("请简要说明合作设想")), Length(max=2000)],
                            description=_l("介绍贵机构的相关产品线、合作设想等。项目负责人接受意向后可查看详细资料。"))
    cooperation_modes = cooperation_modes_field(_l("拟合作方式"), required=True)
    amount_wan = amount_field(_l("拟投入金额（万元，可选）"))
    timeline = StringField(_l("预期时间安排（可选）"), validators=[Length(max=200)])


class DeclineForm(Form):
    reason = RadioField(_l("婉拒原因"), choices=options(DeclineReason.choices()),
                        validators=[InputRequired(_l("请选择婉拒原因"))])
    note = TextAreaField(_l("补充说明"), validators=[Length(max=1000)], description=_l("选择“其他”时必填，对方可见"))

    def validate_note(self, field):
        if self.reason.data == DeclineReason.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请说明原因"))


class MessageForm(OnceForm):
    body = TextAreaField(_l("消息"), validators=[Length(max=5000)])
    file = FileField(_l("附件（PDF、Word、JPG、PNG）"))

    def validate_body(self, field):
        if not (field.data or "").strip() and not getattr(self.file.data, "filename", ""):
            raise ValidationError(_l("请输入内容或选择附件"))


class _ReasonForm(Form):
    """A reason from the giver's own list, and words when it is 其他."""
    reasons = PassReason
    reason = RadioField(_l("原因"), choices=[], validators=[InputRequired(_l("请选择原因"))])
    note = TextAreaField(_l("补充说明"), validators=[Length(max=1000)], description=_l("选择“其他”时必填，对方可见"))

    def validate_note(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请说明原因"))


class EndNegotiationForm(_ReasonForm):
    """Ending talks: the clinician picks from the clinician-side list, an organisation from its own."""
    reason = RadioField(_l("终止原因"), choices=[], validators=[InputRequired(_l("请选择终止洽谈的原因"))])

    def __init__(self, *args, organisation_side: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reasons = PassReason if organisation_side else DeclineReason
        self.reason.choices = options(self.reasons.choices())


class PassForm(_ReasonForm):
    """An organisation passes on a suggested or 服务站推荐 project."""
    reason = RadioField(_l("暂不考虑的原因"), choices=options(PassReason.choices()),
                        validators=[InputRequired(_l("请选择原因"))])


class AgreementForm(OnceForm):
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


class DisputeForm(Form):
    note = TextAreaField(_l("需更正的内容"), validators=[DataRequired(_l("请说明哪里需要更正")), Length(max=1000)])


def _required(message):
    return [RequiredToSubmit(message)]


class DockingFormForm(CompanyFacts, OnceForm):
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


def parse_keywords(text: str) -> list[str]:
    """Keywords typed with commas, spaces or 、 as a de-duplicated list, in the order typed."""
    seen = []
    for word in KEYWORD_SEPARATORS.split(text or ""):
        word = word.strip()
        if word and word not in seen:
            seen.append(word)
    return seen


class IntentForm(OnceForm):
    """投资意向: what projects the organisation is looking for."""

    title = text_field(_l("意向名称"), 200, _l("请填写意向名称"), _l("如：寻求心血管介入类Ⅲ类器械项目"))
    description = TextAreaField(_l("意向说明"), validators=[DataRequired(_l("请说明希望对接的项目方向")),
                                                           Length(max=4000, message=_l("不超过 4000 字"))],
                                description=_l("希望对接的技术方向、适应症、合作设想等；认证用户可见"))
    keywords = StringField(_l("关键词"), validators=[Length(max=500, message=_l("不超过 500 字"))],
                           description=_l("用逗号、空格或顿号分隔，如：支架、导管、介入"))
    fields = multi_check(_l("领域"), [], _l("不选表示不限"))
    device_classes = multi_check(_l("产品分类"), DeviceClass.choices(), _l("不选表示不限"))
    stages = multi_check(_l("项目所处阶段"), Stage.choices(), _l("不选表示不限"))
    cooperation_modes = multi_check(_l("合作方式"), CooperationMode.choices(), _l("不选表示均可"))
    budget_min_wan = WanField(_l("预算下限（万元）"))
    budget_max_wan = WanField(_l("预算上限（万元）"))
    region_preference = RadioField(_l("地域偏好"), choices=options(RegionPreference.choices()),
                                   default=RegionPreference.ANY.value,
                                   validators=[DataRequired(_l("请选择地域偏好"))])
    save = SubmitField(_l("保存投资意向"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.choices = options(field_labels().items())

    def validate_keywords(self, field):
        words = parse_keywords(field.data)
        if len(words) > MAX_KEYWORDS:
            raise ValidationError(_l("关键词最多 %(n)d 个", n=MAX_KEYWORDS))
        if any(len(w) > 30 for w in words):
            raise ValidationError(_l("单个关键词不超过 30 字"))

    def validate_budget_max_wan(self, field):
        low = self.budget_min_wan.data
        if field.data is not None and low is not None and not self.budget_min_wan.errors and low > field.data:
            raise ValidationError(_l("预算上限不能低于下限"))

    def load(self, intent) -> None:
        """Fill the form from a saved intent (GET of the edit page)."""
        for name in ("title", "description", "fields", "device_classes", "stages", "cooperation_modes",
                     "budget_min_wan", "budget_max_wan"):
            getattr(self, name).data = getattr(intent, name)
        self.keywords.data = "、".join(intent.keywords or [])
        self.region_preference.data = intent.region_preference.value

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(), "description": self.description.data.strip(),
            "keywords": parse_keywords(self.keywords.data), "fields": list(self.fields.data or []),
            "device_classes": list(self.device_classes.data or []), "stages": list(self.stages.data or []),
            "cooperation_modes": list(self.cooperation_modes.data or []),
            "budget_min_wan": self.budget_min_wan.data, "budget_max_wan": self.budget_max_wan.data,
            "region_preference": RegionPreference(self.region_preference.data),
        }


INTENT_ACTIONS = {"pause": IntentStatus.PAUSED, "resume": IntentStatus.ACTIVE, "close": IntentStatus.CLOSED}


class IntentStatusForm(Form):
    """Pause, resume or close an intent (a bare POST with CSRF and the action)."""

    action = SelectField(choices=options([(k, k) for k in INTENT_ACTIONS]),
                         validators=[DataRequired()])


class DockingAcknowledgeForm(Form):
    """The station acknowledges a filed 附件2 (a comment is optional)."""

    comment = TextAreaField(_l("确认意见（可选）"), validators=[Length(max=2000)])


class DockingReturnForm(Form):
    """The station returns a filed 附件2 for correction: the comment is required (the operation says so)."""

    comment = TextAreaField(_l("退回意见"), validators=[Length(max=2000)],
                            description=_l("必填：请写明需要修改的地方，签约企业会在对接表旁看到"))


class DockingScanForm(Form):
    """The signed and stamped 附件2, scanned: a PDF or a picture."""

    scan = FileField(_l("盖章扫描件（PDF、JPG、PNG）"), validators=[FileRequired(_l("请选择盖章扫描件"))])
