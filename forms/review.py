"""Initial review (初核) and organisation verification forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class ApproveForm(FlaskForm):
    comment = TextAreaField(_l("初核意见（可选）"), validators=[Length(max=2000)])
    approve = SubmitField(_l("通过初核并发布"))


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("修改意见"), validators=[DataRequired(_l("请写明需要修改的内容")),
                                                       Length(max=2000)])
    send_back = SubmitField(lazy_pgettext("button", "退回修改"))


class RejectForm(FlaskForm):
    comment = TextAreaField(_l("不予通过的理由"), validators=[DataRequired(_l("请写明不予通过的理由")),
                                                            Length(max=2000)])
    reject = SubmitField(_l("不予通过"))


class VerifyOrganisationForm(FlaskForm):
    verify = SubmitField(_l("认证通过"))


class RejectOrganisationForm(FlaskForm):
    comment = TextAreaField(_l("不通过理由"), validators=[DataRequired(_l("请写明不通过的理由")),
                                                         Length(max=1000)])
    reject = SubmitField(_l("不予认证"))
