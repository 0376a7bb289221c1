"""Saved library searches (保存的搜索)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length, Optional


class SavedSearchForm(FlaskForm):
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


class DeleteSavedSearchForm(FlaskForm):
    delete = SubmitField(_l("删除"))
