"""附件1 医疗机构临床研究成果转化项目需求表 field by field, its attachment upload, review decisions, saved searches."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf.file import FileField, FileRequired
from wtforms import Form as SubForm
from wtforms import (BooleanField, EmailField, FieldList, FormField, HiddenField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.projects.cities import OTHER, listed_city, province_cities
from app.projects.models import FIELDS_BY_NAME, PROJECT_FIELDS, DeviceClass, IpExists, ProjectType, Stage
from forms import options
from forms.base import Form, OnceForm, no_control_characters
from forms.validators import EmailAddress, MainlandPhone, RequiredToSubmit

LONG_TEXT = 4000


def _label(name):
    return FIELDS_BY_NAME[name].label


def _hint(name):
    return FIELDS_BY_NAME[name].hint


def _text(name, required=True, max_length=LONG_TEXT):
    validators = [RequiredToSubmit()] if required else []
    validators.append(Length(max=max_length, message=_l("不超过 %(max)d 字", max=max_length)))
    return TextAreaField(_label(name), validators=validators, description=_hint(name))


def _choice(name, enum_cls, message):
    # validate_choice is off so a draft may leave it empty; AnyOf-style check below.
    return RadioField(_label(name), choices=options(enum_cls.choices()), validate_choice=False,
                      validators=[RequiredToSubmit(message)])


class ProjectForm(OnceForm):
    """The project form; `for_submit` makes the required fields required."""

    name = StringField(_label("name"), validators=[RequiredToSubmit(_l("请填写项目名称")),
                                                   Length(max=200, message=_l("不超过 200 字"))])
    # 所在城市: one of the province's cities, or 其他 with the name typed in city_other (cities.py)
    city = SelectField(_label("city"), choices=[], validate_choice=False,
                       validators=[RequiredToSubmit(_l("请选择所在城市"))])
    city_other = StringField(_l("其他城市名称"), validators=[Length(max=50, message=_l("不超过 50 字"))],
                             description=_l("选择“其他”时填写，如：北京市、上海市"))
    lead_name = StringField(_label("lead_name"), validators=[RequiredToSubmit(_l("请填写项目负责人")),
                                                             Length(max=100)])
    department = StringField(_label("department"), validators=[RequiredToSubmit(_l("请填写所在部门（科室）")),
                                                               Length(max=100)])
    phone = StringField(_label("phone"), validators=[RequiredToSubmit(_l("请填写联系电话")), MainlandPhone()])
    email = EmailField(_label("email"), validators=[RequiredToSubmit(_l("请填写电子邮箱")),
                                                    EmailAddress(), Length(max=254)])
    project_type = _choice("project_type", ProjectType, _l("请选择项目类型"))
    device_class = _choice("device_class", DeviceClass, _l("请选择产品分类；不确定时请选“待确定”"))
    stage = _choice("stage", Stage, _l("请选择项目所处阶段"))
    stage_other = StringField(_label("stage_other"), validators=[Length(max=200)],
                              description=_l("选择“其他”时请说明"))
    structure = _text("structure")
    principle = _text("principle")
    intended_use = _text("intended_use")
    clinical_prospects = _text("clinical_prospects")
    market = _text("market", required=False)
    team = _text("team", required=False)
    ip_exists = _choice("ip_exists", IpExists, _l("请选择是否已有知识产权"))
    ip_status = _text("ip_status", required=False)
    funded_programs = _text("funded_programs", required=False)
    current_cooperation = _text("current_cooperation", required=False)
    partners_in_province = _text("partners_in_province", required=False, max_length=1000)
    partners_out_of_province = _text("partners_out_of_province", required=False, max_length=1000)
    other_notes = _text("other_notes", required=False)
    public_summary = _text("public_summary", max_length=500)
    commitment_agreed = BooleanField(_l("同意"),
                                     validators=[RequiredToSubmit(_l("须同意承诺书方可提交"))])
    publish_consent = RadioField(_label("publish_consent"), choices=options([("yes", _l("是")), ("no", _l("否"))]),
                                 validate_choice=False,
                                 validators=[RequiredToSubmit(_l("请选择是否愿意在平台发布"))])
    save_draft = SubmitField(_l("保存草稿"))
    submit = SubmitField(_l("提交初核"))

    for_submit = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province = current_app.config.get("PLATFORM_PROVINCE", "")
        self.city.choices = options([("", _l("请选择")), *province_cities(self.province), (OTHER, _l("其他"))])

    def validate_city(self, field):
        if field.data and field.data != OTHER and field.data not in {n for n, _ in province_cities(self.province)}:
            raise ValidationError(_l("请从列表中选择所在城市；不在列表中请选“其他”并填写城市名称"))

    def validate_city_other(self, field):
        if self.city.data == OTHER and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请填写城市名称"))

    def validate_stage_other(self, field):
        if self.for_submit and self.stage.data == Stage.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”阶段时请说明具体阶段"))

    def _check_choice(self, field, enum_cls):
        if field.data and field.data not in {m.value for m in enum_cls}:
            raise ValidationError(_l("请选择列表中的选项"))

    def validate_project_type(self, field):
        self._check_choice(field, ProjectType)

    def validate_device_class(self, field):
        self._check_choice(field, DeviceClass)

    def validate_stage(self, field):
        self._check_choice(field, Stage)

    def validate_ip_exists(self, field):
        self._check_choice(field, IpExists)

    def validate_publish_consent(self, field):
        if field.data and field.data not in ("yes", "no"):
            raise ValidationError(_l("请选择列表中的选项"))

    def values(self) -> dict:
        """The typed values in the model's terms."""
        values = {}
        for name in FIELDS_BY_NAME:
            field = getattr(self, name)
            values[name] = field.data
        values["city"] = (self.city_other.data or "").strip() if self.city.data == OTHER else (self.city.data or "")
        consent = self.publish_consent.data
        values["publish_consent"] = {"yes": True, "no": False}.get(consent)
        values["commitment_agreed"] = bool(self.commitment_agreed.data)
        return values

    def load(self, project) -> None:
        """Fill the form from a saved project (GET of the edit page)."""
        for name in FIELDS_BY_NAME:
            value = getattr(project, name)
            if hasattr(value, "value"):
                value = value.value
            getattr(self, name).data = value
        self.publish_consent.data = {True: "yes", False: "no"}.get(project.publish_consent)
        self._load_city(project.city)

    def _load_city(self, text: str) -> None:
        """A listed city as its choice; any other stored name (older data, imports) as 其他 with the name."""
        text = (text or "").strip()
        listed = text if text in {n for n, _ in province_cities(self.province)} else ""
        self.city.data = listed or (OTHER if text else "")
        self.city_other.data = "" if listed or not text else text

    def prefill(self, user, hospital=None) -> None:
        """A new project starts with what the account knows: 负责人, 科室, 电话, 邮箱 and the hospital's city."""
        self.lead_name.data = user.name or ""
        self.department.data = user.department or ""
        self.phone.data = user.phone or ""
        self.email.data = user.email or ""
        city = getattr(hospital, "city", "") or ""
        self._load_city(listed_city(self.province, city) or city)


# The official form's parts, in order (the section navigation and its progress); the fields each holds.
SECTIONS = (
    ("section-basic", _l("基本信息"), ("name", "city", "city_other", "department", "lead_name", "phone", "email")),
    ("section-type", _l("项目类型与阶段"), ("project_type", "device_class", "stage", "stage_other")),
    ("section-product", _l("产品与技术"), ("structure", "principle", "intended_use", "clinical_prospects")),
    ("section-market", _l("市场、团队与知识产权"), ("market", "team", "ip_exists", "ip_status", "funded_programs",
                                                   "current_cooperation")),
    ("section-partners", _l("意向合作企业"), ("partners_in_province", "partners_out_of_province", "other_notes")),
    ("section-summary", _l("公开摘要"), ("public_summary",)),
    ("section-commitment", _l("承诺书"), ("commitment_agreed", "publish_consent")),
)


def _filled(form, name) -> bool:
    data = form[name].data
    if name == "city" and data == OTHER:
        return bool((form.city_other.data or "").strip())
    return not (data is None or data is False or (isinstance(data, str) and not data.strip()))


def section_progress(form) -> list[dict]:
    """Each section: its id, label, state (error / done / todo / optional) and how many required fields are filled."""
    sections = []
    for anchor, label, names in SECTIONS:
        required = [n for n in names if form[n].flags.required_to_submit]
        filled = sum(1 for n in required if _filled(form, n))
        if any(form[n].errors for n in names):
            state = "error"
        elif not required:
            state = "optional"
        else:
            state = "done" if filled == len(required) else "todo"
        sections.append({"id": anchor, "label": label, "state": state, "required": len(required), "filled": filled,
                         "fields": names, "required_names": required})
    return sections


def error_links(form) -> list[dict]:
    """The failed submit's summary: per field with an error, in the form's order, the control to focus and why."""
    links = []
    for anchor, _label, names in SECTIONS:
        for name in names:
            field = form[name]
            for message in field.errors:
                target = f"{field.id}-0" if field.type == "RadioField" else field.id
                label = FIELDS_BY_NAME[name].label if field.type == "BooleanField" else field.label.text  # 承诺书, not 同意
                links.append({"target": target, "label": label, "message": message, "section": anchor})
    return links


class FileChosen(FileRequired):
    """A file must be chosen to upload one, but attachments are optional (此表可另附纸): no required mark."""

    def __init__(self, message=None):
        super().__init__(message)
        self.field_flags = {}


class AttachmentForm(Form):
    file = FileField(_l("附件（PDF、Word、JPG、PNG）"), validators=[FileChosen(_l("请选择要上传的文件"))])
    upload = SubmitField(_l("上传附件"))


class ConfirmForm(Form):
    """A bare POST with CSRF, for buttons such as withdraw or delete."""

    comment = TextAreaField(_l("说明（可选）"), validators=[Length(max=1000)])
    confirm = SubmitField(_l("确认"))


class ApproveForm(Form):
    comment = TextAreaField(_l("初核意见（可选）"), validators=[Length(max=2000)])
    approve = SubmitField(_l("通过初核并发布"))


FIELD_COMMENT_ROWS = 3    # rows the return form shows; "再加一项" adds more (up to FIELD_COMMENT_MAX_ROWS)
FIELD_COMMENT_MAX_ROWS = len(PROJECT_FIELDS)


def _field_choices():
    return [("", _l("选择附件1字段"))] + [(f.name, f.label) for f in PROJECT_FIELDS]


class FieldCommentForm(SubForm):
    """One comment on one 附件1 field, chosen by its official label."""

    name = SelectField(_l("字段"), choices=_field_choices, validate_choice=True, default="")
    text = TextAreaField(_l("该项意见"), validators=[Length(max=1000, message=_l("不超过 %(max)d 字", max=1000)),
                                                   no_control_characters])

    def validate_name(self, field):
        if self.text.data and self.text.data.strip() and not field.data:
            raise ValidationError(_l("请选择这条意见针对的字段"))

    def validate_text(self, field):
        if self.name.data and not (field.data or "").strip():
            raise ValidationError(_l("请写明该项意见，或清空所选字段"))


class ReturnForm(Form):
    comment = TextAreaField(_l("修改意见"), validators=[DataRequired(_l("请写明需要修改的内容")),
                                                       Length(max=2000)])
    field_comments = FieldList(FormField(FieldCommentForm), label=_l("逐项意见（可选）"),
                               min_entries=FIELD_COMMENT_ROWS, max_entries=FIELD_COMMENT_MAX_ROWS)
    send_back = SubmitField(lazy_pgettext("button", "退回修改"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        seen = set()
        for entry in self.field_comments.entries:
            name = entry.form.name.data
            if name and name in seen:
                entry.form.name.errors = [*entry.form.name.errors, _l("同一字段只写一条意见")]
                valid = False
            seen.add(name)
        return valid

    def messages(self) -> list[str]:
        """Every error, the field comments' too, for the one flash."""
        found = [str(e) for name, errors in self.errors.items() if name != "field_comments" for e in errors]
        for entry in self.field_comments.entries:
            found += [str(e) for field in entry.form for e in field.errors]
        return found

    def comments(self) -> dict[str, str]:
        """{field name: comment} of the filled rows."""
        return {entry.form.name.data: entry.form.text.data.strip() for entry in self.field_comments.entries
                if entry.form.name.data and (entry.form.text.data or "").strip()}


class BulkApproveForm(Form):
    """批量通过 the ticked clean resubmissions (the ids travel as project_ids checkboxes, checked by the operation)."""

    comment = TextAreaField(_l("初核意见（可选，对所选项目相同）"), validators=[Length(max=2000)])
    approve_selected = SubmitField(_l("批量通过所选"))


class RejectForm(Form):
    comment = TextAreaField(_l("不予通过的理由"), validators=[DataRequired(_l("请写明不予通过的理由")),
                                                            Length(max=2000)])
    reject = SubmitField(_l("不予通过"))


class VerifyOrganisationForm(Form):
    verify = SubmitField(_l("认证通过"))


class RejectOrganisationForm(Form):
    comment = TextAreaField(_l("不通过理由"), validators=[DataRequired(_l("请写明不通过的理由")),
                                                         Length(max=1000)])
    reject = SubmitField(_l("不予认证"))


class SavedSearchForm(Form):
    """Save the library's current words and filters; the filters travel as hidden fields."""

    name = StringField(_l("搜索名称"), validators=[Optional(), Length(max=100)],
                       description=_l("留空则以关键词命名"))
    query = HiddenField(validators=[Length(max=500)])
    project_type = HiddenField(validators=[Length(max=100)])
    device_class = HiddenField(validators=[Length(max=100)])
    stage = HiddenField(validators=[Length(max=100)])
    city = HiddenField(validators=[Length(max=100)])
    department = HiddenField(validators=[Length(max=100)])
    save = SubmitField(_l("保存此搜索"))


class DeleteSavedSearchForm(Form):
    delete = SubmitField(_l("删除"))
