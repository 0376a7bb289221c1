"""Programme forms: articles and events, registrations, providers, service requests (one form per kind), outcomes."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from app.core.punctuation import fw
from app.programme.kinds import YES_NO, KindSpec, spec
from app.programme.models import ArticleCategory, ProviderKind, RequestKind, ReviewDecision, Validity
from app.projects.models import ProjectType
from forms import options
from forms.base import Form
from forms.fields import MultiCheckField, WanField
from forms.validators import MainlandPhone

BEIJING = ZoneInfo("Asia/Shanghai")


def to_utc(value: datetime | None) -> datetime | None:
    """A date and time typed in Beijing time, as UTC."""
    return value.replace(tzinfo=BEIJING).astimezone(timezone.utc) if value else None


def to_beijing(value: datetime | None) -> datetime | None:
    return value.astimezone(BEIJING).replace(tzinfo=None) if value else None


def _beijing_datetime(label, required=False, **kwargs):
    return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M",
                              validators=[DataRequired(_l("请选择时间")) if required else Optional()],
                              description=_l("北京时间"), **kwargs)


class ArticleForm(Form):
    category = SelectField(_l("栏目"), choices=options(ArticleCategory.choices()), validators=[DataRequired()])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=200)])
    summary = TextAreaField(_l("摘要"), validators=[Length(max=1000)], description=_l("一两句话，用我们自己的话概括"))
    body = TextAreaField(_l("正文（Markdown）"), validators=[Length(max=50000)],
                         description=_l("支持 Markdown：# 标题、- 列表、**加粗**、[链接](https://…)；不支持 HTML"))
    issuing_body = StringField(_l("发文机关"), validators=[Length(max=200)])
    document_number = StringField(_l("文号"), validators=[Length(max=100)])
    issued_on = DateField(_l("发布日期"), validators=[Optional()])
    source_url = StringField(_l("原文链接"), validators=[Optional(), URL(message=_l("请输入以 http(s):// 开头的网址")),
                                                     Length(max=500)])
    validity = SelectField(_l("效力状态"), choices=options(Validity.choices()), default=Validity.IN_FORCE.value)
    tags = StringField(_l("标签"), validators=[Length(max=300)], description=_l("多个标签用逗号分隔"))
    owner_unit = StringField(_l("政策责任单位"), validators=[Length(max=200)])
    owner_contact = StringField(_l("咨询联系人及电话"), validators=[Length(max=200)])
    publish_at = _beijing_datetime(_l("定时发布时间"))
    event_starts_at = _beijing_datetime(_l("活动时间"))
    event_place = StringField(_l("活动地点"), validators=[Length(max=200)])
    registration_open = BooleanField(_l("开放报名"))
    capacity = IntegerField(_l("名额"), validators=[Optional(), NumberRange(min=1, max=100000)])

    def validate_event_starts_at(self, field):
        if self.category.data == ArticleCategory.EVENT.value and not field.data:
            raise ValueError(_l("活动须填写举办时间"))

    def values(self) -> dict:
        data = {name: getattr(self, name).data for name in (
            "category", "title", "summary", "body", "issuing_body", "document_number", "issued_on", "source_url",
            "validity", "tags", "owner_unit", "owner_contact", "event_place", "registration_open", "capacity")}
        data["publish_at"] = to_utc(self.publish_at.data)
        data["event_starts_at"] = to_utc(self.event_starts_at.data)
        for name in ("summary", "body", "issuing_body", "document_number", "source_url", "owner_unit",
                     "owner_contact", "event_place"):
            data[name] = (data[name] or "").strip()
        return data

    def load(self, article) -> None:
        for name in ("title", "summary", "body", "issuing_body", "document_number", "issued_on", "source_url",
                     "owner_unit", "owner_contact", "event_place", "registration_open", "capacity"):
            getattr(self, name).data = getattr(article, name)
        self.category.data = article.category.value
        self.validity.data = article.validity.value
        self.tags.data = "，".join(article.tags or [])
        self.publish_at.data = to_beijing(article.publish_at)
        self.event_starts_at.data = to_beijing(article.event_starts_at)


class PublishForm(Form):
    publish_at = _beijing_datetime(_l("发布时间（留空则按文章设定，未设定则立即发布）"))


class AttachmentForm(Form):
    file = FileField(_l("附件（PDF 或 Word）"), validators=[FileRequired(_l("请选择文件"))])


class RegistrationForm(Form):
    attendee_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话")), MainlandPhone()])
    unit = StringField(_l("单位"), validators=[Length(max=200)])
    attendees = IntegerField(_l("参会人数"), default=1,
                             validators=[DataRequired(_l("请填写参会人数")),
                                         NumberRange(min=1, max=10, message=_l("参会人数须在 1–10 人之间"))])
    note = TextAreaField(_l("备注"), validators=[Length(max=500)])


class ProviderForm(Form):
    name = StringField(_l("机构名称"), validators=[DataRequired(_l("请填写机构名称")), Length(max=200)])
    kind = SelectField(_l("服务类别"), choices=options(ProviderKind.choices()), validators=[DataRequired()])
    services = TextAreaField(_l("服务内容"), validators=[Length(max=4000)])
    scope_types = MultiCheckField(_l("适用项目类型（检验范围）"), choices=options(ProjectType.choices()),
                                  description=_l("不选表示不限"))
    qualifications = TextAreaField(_l("资质（CMA/CNAS、GLP 等）"), validators=[Length(max=2000)])
    filing_number = StringField(_l("NMPA 临床试验机构备案号"), validators=[Length(max=100)])
    region = StringField(_l("所在地区"), validators=[Length(max=100)])
    contact_name = StringField(_l("联系人"), validators=[Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[Optional(), MainlandPhone()])
    email = StringField(_l("电子邮箱"), validators=[Length(max=200)])
    address = StringField(_l("地址"), validators=[Length(max=300)])
    website = StringField(_l("网址"), validators=[Optional(), URL(message=_l("请输入以 http(s):// 开头的网址")),
                                               Length(max=300)])
    turnaround = StringField(_l("典型周期"), validators=[Length(max=100)])
    price_range = StringField(_l("价格区间（如公开）"), validators=[Length(max=100)])
    active = BooleanField(_l("在目录中展示"), default=True)

    FIELDS = ("name", "kind", "services", "scope_types", "qualifications", "filing_number", "region", "contact_name",
              "phone", "email", "address", "website", "turnaround", "price_range", "active")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}

    def load(self, provider) -> None:
        for name in self.FIELDS:
            getattr(self, name).data = getattr(provider, name)
        self.kind.data = provider.kind.value


class NewRequestForm(Form):
    kind = SelectField(_l("申请事项"), choices=options(RequestKind.choices()), validators=[DataRequired()])


def _field(f):
    validators = [Optional()]
    if f.type == "textarea":
        return TextAreaField(f.label, validators=[*validators, Length(max=4000)], description=f.help)
    if f.type == "number":
        return DecimalField(f.label, validators=[*validators, NumberRange(min=0, message=_l("不能为负数"))],
                            description=f.help, render_kw={"inputmode": "decimal"},
                            invalid_value_message=_l("请输入数字"))
    if f.type == "choice":
        return SelectField(f.label, choices=options([("", _l("请选择")), *f.choices]), validators=validators,
                           description=f.help)
    if f.type == "yesno":
        return RadioField(f.label, choices=options(YES_NO), validators=validators, description=f.help)
    return StringField(f.label, validators=[*validators, Length(max=300)], description=f.help)


_REQUEST_FORMS: dict[RequestKind, type] = {}


def request_form_class(kind: RequestKind) -> type:
    """The form of one kind of request: its own fields (all optional here: the checklist says what is missing,
    so that a draft can be saved half done), the provider and, for 预约咨询, the time slot."""
    if kind not in _REQUEST_FORMS:
        kind_spec: KindSpec = spec(kind)
        attrs = {f"f_{f.name}": _field(f) for f in kind_spec.fields}
        attrs["provider_id"] = SelectField(_l("服务机构"), coerce=int, validators=[Optional()], validate_choice=True)
        if kind is RequestKind.CONSULTATION:
            attrs["slot_at"] = _beijing_datetime(_l("预约时段"))
        attrs["spec"] = kind_spec
        attrs["kind"] = kind

        def fields_data(self) -> dict:
            return {f.name: getattr(self, f"f_{f.name}").data for f in self.spec.fields}

        def load(self, request) -> None:
            for f in self.spec.fields:
                getattr(self, f"f_{f.name}").data = request.field(f.name, None)
            self.provider_id.data = request.provider_id or 0
            if hasattr(self, "slot_at"):
                self.slot_at.data = to_beijing(request.slot_at)

        def kind_fields(self):
            return [getattr(self, f"f_{f.name}") for f in self.spec.fields]

        attrs.update(fields_data=fields_data, load=load, kind_fields=kind_fields)
        _REQUEST_FORMS[kind] = type(f"RequestForm_{kind.value}", (Form,), attrs)
    return _REQUEST_FORMS[kind]


def request_form(kind: RequestKind, providers, **kwargs):
    form = request_form_class(kind)(**kwargs)
    form.provider_id.choices = options([(0, _l("（不指定）"))] + [(p.id, f"{p.name}{fw('（')}{p.kind.label}{fw('）')}") for p in providers])
    return form


class RequestDocumentForm(Form):
    requirement = SelectField(_l("材料"), validators=[Optional()])
    file = FileField(_l("文件（PDF、Word、JPG、PNG）"), validators=[FileRequired(_l("请选择文件"))])


class CommentForm(Form):
    body = TextAreaField(_l("留言"), validators=[DataRequired(_l("请填写留言内容")), Length(max=4000)])
    file = FileField(_l("附件（可选）"))


class HandleForm(Form):
    """Accept, start, return or refuse: a comment (the reason, where one is needed) and, to accept, an assignee."""

    comment = TextAreaField(_l("说明"), validators=[Length(max=2000)])
    assignee_id = SelectField(_l("经办人"), coerce=int, validators=[Optional()], validate_choice=False)


class AssignForm(Form):
    assignee_id = SelectField(_l("经办人"), coerce=int, validators=[Optional()])
    provider_id = SelectField(_l("服务机构"), coerce=int, validators=[Optional()])


class CloseForm(Form):
    note = TextAreaField(_l("办理结果说明"), validators=[Length(max=4000)])
    granted_wan = WanField(_l("获批金额（万元）"))
    patent_number = StringField(_l("专利申请号或专利号"), validators=[Length(max=50)])
    decision = SelectField(_l("审查结论"), choices=options([("", _l("请选择")), *ReviewDecision.choices()]),
                           validators=[Optional()])
    report = FileField(_l("检验报告或结果文件"))


class ImprovementsForm(Form):
    text = TextAreaField(_l("问题分析与改进建议"), validators=[DataRequired(_l("请填写内容")), Length(max=20000)])
