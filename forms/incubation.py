"""Incubation forms: assessor scores, completing an assessment, milestones, evidence, weights."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.incubation.models import SCORE_MAX, SCORE_MIN, Indicator, MilestoneStatus, Recommendation
from forms import options
from forms.base import Form
from forms.fields import MultiCheckField

SCORE_RANGE = NumberRange(min=SCORE_MIN, max=SCORE_MAX, message=_l("分数须在 0–100 之间"))


def _label(indicator):
    """The indicator's label in the reader's language (a class attribute is built once, at import)."""
    return LazyString(lambda: indicator.label)


def _score(indicator):
    return IntegerField(_label(indicator), validators=[InputRequired(_l("请为该指标打分")), SCORE_RANGE],
                        description=_l("0–100 分"))


def _comment(indicator):
    return TextAreaField(_l("评语"), validators=[Length(max=2000)])


class ScoreForm(Form):
    technology = _score(Indicator.TECHNOLOGY)
    technology_comment = _comment(Indicator.TECHNOLOGY)
    finalisation = _score(Indicator.FINALISATION)
    finalisation_comment = _comment(Indicator.FINALISATION)
    clinical_potential = _score(Indicator.CLINICAL_POTENTIAL)
    clinical_potential_comment = _comment(Indicator.CLINICAL_POTENTIAL)
    partner_capability = _score(Indicator.PARTNER_CAPABILITY)
    partner_capability_comment = _comment(Indicator.PARTNER_CAPABILITY)

    def scores(self) -> dict[str, int]:
        return {i.value: getattr(self, i.value).data for i in Indicator}

    def comments(self) -> dict[str, str]:
        return {i.value: getattr(self, i.value + "_comment").data or "" for i in Indicator}


class CompleteAssessmentForm(Form):
    recommendations = MultiCheckField(_l("推荐事项"), choices=options(Recommendation.choices()),
                                         validators=[Optional()])
    support_plan = TextAreaField(_l("一企一策帮扶方案"), validators=[DataRequired(_l("请填写一企一策帮扶方案")),
                                                                  Length(max=4000)],
                                 description=_l("提前介入、一企一策、全程指导、研审联动"))
    responsible_id = SelectField(_l("责任人"), coerce=int, validators=[InputRequired(_l("请选择责任人"))])
    next_review_on = DateField(_l("下次复评日期"), validators=[Optional()])


class MilestoneForm(Form):
    status = SelectField(_l("状态"), choices=options(MilestoneStatus.choices()))
    planned_on = DateField(_l("计划日期"), validators=[Optional()])
    actual_on = DateField(_l("实际日期"), validators=[Optional()])
    notes = TextAreaField(_l("说明"), validators=[Length(max=2000)])

    def validate_status(self, field):
        # Checked here too, so that the page says it beside the milestone (the operation's refusal is a bare page).
        if field.data == MilestoneStatus.DONE.value and not (self.actual_on.raw_data or [""])[0]:
            raise ValidationError(_l("标记为已完成时请填写实际完成日期"))


class EvidenceForm(Form):
    file = FileField(_l("佐证材料（PDF、Word、JPG、PNG）"), validators=[FileRequired(_l("请选择文件"))])


class WeightsForm(Form):
    technology = IntegerField(_label(Indicator.TECHNOLOGY), validators=[InputRequired(), NumberRange(0, 100)])
    finalisation = IntegerField(_label(Indicator.FINALISATION), validators=[InputRequired(), NumberRange(0, 100)])
    clinical_potential = IntegerField(_label(Indicator.CLINICAL_POTENTIAL),
                                      validators=[InputRequired(), NumberRange(0, 100)])
    partner_capability = IntegerField(_label(Indicator.PARTNER_CAPABILITY),
                                      validators=[InputRequired(), NumberRange(0, 100)])
