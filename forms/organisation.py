"""The organisation profile (附件2 company block) and investment intents (投资意向)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, RadioField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.models import CooperationMode, DeviceClass, IntentStatus, RegionPreference, Specialised, Stage
from app.services.organisations import field_labels, field_names
from app.templating import BEIJING
from forms import options
from forms.fields import MultiCheckField, WanField
from forms.validators import USCC, MainlandPhone

# 省级行政区 (the region of an organisation; 省内/省外 is judged against PLATFORM_PROVINCE).
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区", "台湾省",
)
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_KEYWORDS = 20


def parse_keywords(text: str) -> list[str]:
    """Keywords typed with commas, spaces or 、 as a de-duplicated list, in the order typed."""
    seen = []
    for word in KEYWORD_SEPARATORS.split(text or ""):
        word = word.strip()
        if word and word not in seen:
            seen.append(word)
    return seen


def _multi_check(label, choices, description=None):
    return MultiCheckField(label, choices=options(choices), description=description)


def _text(label, max_length, required_message=None, description=None):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    validators.append(Length(max=max_length, message=_l("不超过 %(max)d 字", max=max_length)))
    return StringField(label, validators=validators, description=description)


class ProfileForm(FlaskForm):
    """附件2 企业基本信息, kept on the profile and copied into each docking form."""

    name = _text(_l("企业名称"), 200, _l("请填写企业名称"))
    address = _text(_l("通讯地址"), 300)
    uscc = StringField(_l("统一社会信用代码"), description=_l("18位，认证通过后不可修改"))
    field = SelectField(_l("所属领域"), validators=[DataRequired(_l("请选择所属领域"))], description=_l("按国家药监局《医疗器械分类目录》一级类别选择"))
    legal_rep = _text(_l("法人姓名"), 100)
    registered_capital_wan = WanField(_l("注册资金（万元）"))
    registered_on = DateField(_l("注册时间"), validators=[Optional()],
                              invalid_value_message=_l("请输入有效日期，如 2015-06-30"))
    high_tech = RadioField(_l("高新技术企业"), choices=options([("yes", _l("是")), ("no", _l("否"))]),
                           validators=[Optional()], validate_choice=False)
    specialised = RadioField(_l("专精特新企业"), choices=options(Specialised.choices()), validators=[Optional()],
                             validate_choice=False)
    contact_name = _text(_l("联系人"), 100, _l("请填写联系人"))
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话")), MainlandPhone()],
                                description=_l("仅服务站及与您签约洽谈的合作方可见"))
    region = SelectField(_l("所在省份"), validators=[DataRequired(_l("请选择所在省份"))])
    overview = TextAreaField(_l("企业概况"), validators=[Optional(), Length(max=4000, message=_l("不超过 4000 字"))],
                             description=_l("主营产品、研发与生产能力、已有注册证等；认证用户可见"))
    save = SubmitField(_l("保存机构资料"))

    def __init__(self, *args, uscc_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.uscc_locked = uscc_locked
        self.field.choices = options([("", _l("请选择"))] + [(n, n) for n in field_names()])
        provinces = list(PROVINCES)
        if current_app.config["PLATFORM_PROVINCE"] not in provinces:  # a configured name we do not list
            provinces.insert(0, current_app.config["PLATFORM_PROVINCE"])
        self.region.choices = options([(p, p) for p in provinces])
        self.uscc.flags.required = not uscc_locked

    def validate_uscc(self, field):
        if self.uscc_locked:  # shown, never taken from the request: changing it would bypass verification
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("请输入统一社会信用代码"))
        USCC()(self, field)

    def validate_registered_on(self, field):
        if field.data and field.data > datetime.now(BEIJING).date():
            raise ValidationError(_l("注册时间不能晚于今天"))

    def validate_high_tech(self, field):
        if field.data and field.data not in ("yes", "no"):
            raise ValidationError(_l("请选择列表中的选项"))

    def validate_specialised(self, field):
        if field.data and field.data not in {m.value for m in Specialised}:
            raise ValidationError(_l("请选择列表中的选项"))

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


class IntentForm(FlaskForm):
    """投资意向: what projects the organisation is looking for."""

    title = _text(_l("意向名称"), 200, _l("请填写意向名称"), _l("如：寻求心血管介入类Ⅲ类器械项目"))
    description = TextAreaField(_l("意向说明"), validators=[DataRequired(_l("请说明希望对接的项目方向")),
                                                           Length(max=4000, message=_l("不超过 4000 字"))],
                                description=_l("希望对接的技术方向、适应症、合作设想等；认证用户可见"))
    keywords = StringField(_l("关键词"), validators=[Length(max=500, message=_l("不超过 500 字"))],
                           description=_l("用逗号、空格或顿号分隔，如：支架、导管、介入"))
    fields = _multi_check(_l("领域"), [], _l("不选表示不限"))
    device_classes = _multi_check(_l("产品分类"), DeviceClass.choices(), _l("不选表示不限"))
    stages = _multi_check(_l("项目所处阶段"), Stage.choices(), _l("不选表示不限"))
    cooperation_modes = _multi_check(_l("合作方式"), CooperationMode.choices(), _l("不选表示均可"))
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


class IntentStatusForm(FlaskForm):
    """Pause, resume or close an intent (a bare POST with CSRF and the action)."""

    action = SelectField(choices=options([(k, k) for k in INTENT_ACTIONS]),
                         validators=[DataRequired()])
