"""推进会议 forms: the event, invitations, attendance, two-way selection, pairs, the schedule by hand, outcomes."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (DateField, DateTimeLocalField, FieldList, FormField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField, TimeField)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.deals.models import DeclineReason
from app.meetings.models import Mark, Outcome, PairRule
from forms import options
from forms.base import Form
from forms.fields import MultiCheckField
from forms.validators import MainlandPhone

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(value: datetime | None) -> datetime | None:
    """A deadline typed on the Beijing clock, as an aware datetime."""
    return value.replace(tzinfo=BEIJING) if value is not None and value.tzinfo is None else value


class EventForm(Form):
    title = StringField(_l("会议名称"), validators=[DataRequired(_l("请填写会议名称")), Length(max=200)])
    organiser = StringField(_l("主办/承办单位"), validators=[DataRequired(_l("请填写主办单位")), Length(max=200)])
    description = TextAreaField(_l("会议说明"), validators=[Length(max=5000)],
                                description=_l("会议议程、政策宣讲安排等，受邀参会方可见"))
    venue = StringField(_l("会议地点"), validators=[Length(max=300)], description=_l("线下会议填写；线上会议可留空"))
    online_url = StringField(_l("线上会议链接"), validators=[Optional(), URL(message=_l("请填写以 http(s):// 开头的链接")),
                                                       Length(max=500)])
    first_day = DateField(_l("开始日期"), validators=[InputRequired(_l("请选择开始日期"))])
    last_day = DateField(_l("结束日期"), validators=[Optional()], description=_l("一天的会议可留空"))
    day_start = TimeField(_l("每日洽谈开始时间"), default=time(9, 0), validators=[InputRequired(_l("请填写开始时间"))])
    day_end = TimeField(_l("每日洽谈结束时间"), default=time(17, 0), validators=[InputRequired(_l("请填写结束时间"))])
    length = IntegerField(_l("每场时长（分钟）"), default=20,
                          validators=[InputRequired(_l("请填写每场时长")), NumberRange(min=5, max=240, message=_l("5–240 分钟"))])
    pause = IntegerField(_l("场间间隔（分钟）"), default=5,
                         validators=[Optional(), NumberRange(min=0, max=120, message=_l("0–120 分钟"))])
    break_start = TimeField(_l("午休开始"), validators=[Optional()])
    break_end = TimeField(_l("午休结束"), validators=[Optional()])
    table_label = StringField(_l("洽谈桌名称"), default="洽谈桌", validators=[Length(max=20)],
                              description=_l("如“洽谈桌”或“会议室”"))
    tables = IntegerField(_l("洽谈桌（会议室）数量"), default=4,
                          validators=[InputRequired(_l("请填写数量")), NumberRange(min=1, max=200, message=_l("1–200"))])
    registration_deadline = DateTimeLocalField(_l("报名截止时间"), format="%Y-%m-%dT%H:%M",
                                               validators=[InputRequired(_l("请填写报名截止时间"))])
    selection_deadline = DateTimeLocalField(_l("双向选择截止时间"), format="%Y-%m-%dT%H:%M",
                                            validators=[InputRequired(_l("请填写选择截止时间"))])

    def validate_day_end(self, field):
        if self.day_start.data and field.data and field.data <= self.day_start.data:
            raise ValidationError(_l("结束时间须晚于开始时间"))

    def validate_last_day(self, field):
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("结束日期不能早于开始日期"))

    def validate_break_end(self, field):
        if bool(field.data) != bool(self.break_start.data):
            raise ValidationError(_l("请同时填写午休开始和结束时间"))
        if field.data and field.data <= self.break_start.data:
            raise ValidationError(_l("午休结束须晚于开始"))

    def validate_venue(self, field):
        if not (field.data or "").strip() and not (self.online_url.data or "").strip():
            raise ValidationError(_l("请填写会议地点或线上会议链接"))

    def values(self) -> dict:
        return {"title": self.title.data, "organiser": self.organiser.data, "description": self.description.data,
                "venue": self.venue.data, "online_url": self.online_url.data, "table_label": self.table_label.data,
                "tables": self.tables.data, "registration_deadline": beijing(self.registration_deadline.data),
                "selection_deadline": beijing(self.selection_deadline.data)}

    def plan_values(self) -> dict:
        return {"first_day": self.first_day.data, "last_day": self.last_day.data or self.first_day.data,
                "day_start": self.day_start.data, "day_end": self.day_end.data, "length": self.length.data,
                "pause": self.pause.data or 0, "break_start": self.break_start.data, "break_end": self.break_end.data}


class AttendeeForm(Form):
    class Meta:
        csrf = False

    name = StringField(_l("姓名"), validators=[Length(max=50)])
    title = StringField(_l("职务/职称"), validators=[Length(max=50)])
    phone = StringField(_l("联系电话"), validators=[MainlandPhone()])

    def validate_name(self, field):
        if (self.phone.data or self.title.data) and not (field.data or "").strip():
            raise ValidationError(_l("请填写姓名"))

    def validate_phone(self, field):
        if (self.name.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("请填写联系电话"))


class ResponseForm(Form):
    attend = RadioField(_l("是否参会"), choices=options([("yes", _l("确认参会")), ("no", _l("不参会"))]),
                        validators=[InputRequired(_l("请选择是否参会"))])
    attendees = FieldList(FormField(AttendeeForm), min_entries=3, max_entries=5)

    def validate_attendees(self, field):
        if self.attend.data == "yes" and not any((row.form.name.data or "").strip() for row in field):
            raise ValidationError(_l("确认参会请至少填写一位参会人员"))

    def people(self) -> list[dict]:
        return [{"name": row.form.name.data, "title": row.form.title.data, "phone": row.form.phone.data}
                for row in self.attendees]


MARK_CHOICES = [("", _l("未标记")), *Mark.choices()]


def selection_form(counterpart_ids: list[int], slots: list[tuple[int, str]], formdata=None, **data):
    """A form with one mark and one rank per counterpart, the cap and the slots the participant cannot attend."""

    class SelectionForm(Form):
        cap = IntegerField(_l("最多洽谈场数（可选）"), validators=[Optional(), NumberRange(
            min=1, max=max(1, len(slots)), message=_l("须在 1 到时段数之间"))],
            description=_l("不填表示不限（以时段数为限）"))
        unavailable = MultiCheckField(_l("不便参加的时段"), choices=options(slots), coerce=int)

        def marks(self) -> dict[int, tuple[Mark | None, int | None]]:
            return {cid: (Mark.coerce(getattr(self, f"mark_{cid}").data),
                          getattr(self, f"rank_{cid}").data) for cid in counterpart_ids}

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            ranks = {}
            for cid in counterpart_ids:
                mark_field, rank_field = getattr(self, f"mark_{cid}"), getattr(self, f"rank_{cid}")
                if rank_field.data is not None and mark_field.data != Mark.WANT.value:
                    rank_field.errors.append(_l("只有“想见”可以排序"))
                    ok = False
                elif rank_field.data is not None:
                    if rank_field.data in ranks:
                        rank_field.errors.append(_l("排序不能重复"))
                        ok = False
                    ranks[rank_field.data] = cid
            return ok

    for cid in counterpart_ids:
        setattr(SelectionForm, f"mark_{cid}", RadioField(_l("标记"), choices=options(MARK_CHOICES), default="",
                                                         validators=[Optional()]))
        setattr(SelectionForm, f"rank_{cid}", IntegerField(_l("想见排序"), validators=[
            Optional(), NumberRange(min=1, max=99, message=_l("排序为 1–99"))]))
    if formdata is not None:
        return SelectionForm(formdata=formdata)
    return SelectionForm(formdata=None, data=data)


class InviteForm(Form):
    project_ids = MultiCheckField(_l("项目"), coerce=int, choices=[])
    organisation_ids = MultiCheckField(_l("企业/投资机构"), coerce=int, choices=[])


class AttachmentForm(Form):
    file = FileField(_l("会议资料（PDF、Word、JPG、PNG）"), validators=[FileRequired(_l("请选择文件"))])


class PairForm(Form):
    project_participant = IntegerField(validators=[InputRequired()])
    organisation_participant = IntegerField(validators=[InputRequired()])
    rule = SelectField(_l("服务站决定"), choices=options([("", _l("取消服务站决定")), *PairRule.choices()]),
                       validators=[Optional()])


class PlaceForm(Form):
    """Where a meeting goes: a slot and a table (1-based in the form)."""

    slot = SelectField(_l("时段"), coerce=int, choices=[], validators=[InputRequired(_l("请选择时段"))])
    table = SelectField(_l("洽谈桌"), coerce=int, choices=[], validators=[InputRequired(_l("请选择洽谈桌"))])


class AddMeetingForm(PlaceForm):
    project_participant = SelectField(_l("项目方"), coerce=int, choices=[], validators=[InputRequired(_l("请选择项目方"))])
    organisation_participant = SelectField(_l("企业/投资方"), coerce=int, choices=[],
                                           validators=[InputRequired(_l("请选择企业/投资方"))])


class OutcomeForm(Form):
    outcome = RadioField(_l("洽谈结果"), choices=options(Outcome.choices()), validators=[InputRequired(_l("请选择洽谈结果"))])
    reason = RadioField(_l("不继续的原因"), choices=[], validators=[Optional()])
    note = TextAreaField(_l("补充说明"), validators=[Length(max=1000)], description=_l("选择“其他”时必填，对方可见"))

    def __init__(self, *args, reasons=DeclineReason, **kwargs):
        """`reasons`: the giver's own list (the clinician's, or the organisation's PassReason)."""
        super().__init__(*args, **kwargs)
        self.reason.choices = options(reasons.choices())

    def validate_reason(self, field):
        if self.outcome.data == Outcome.STOP.value and not field.data:
            raise ValidationError(_l("请选择不继续的原因"))

    def validate_note(self, field):
        if self.outcome.data == Outcome.STOP.value and self.reason.data == "other" \
                and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请说明原因"))


class CancelForm(Form):
    comment = TextAreaField(_l("取消原因"), validators=[DataRequired(_l("请说明取消会议的原因")), Length(max=1000)])
