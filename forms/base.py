"""The base of every form: text fields refuse control characters (they break .docx and .xlsx, and hide text)."""
from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

# C0 controls except tab, newline and carriage return; DEL; C1 controls; the Unicode non-characters XML refuses.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def has_control_characters(text) -> bool:
    return isinstance(text, str) and CONTROL_CHARACTERS.search(text) is not None


def no_control_characters(form, field) -> None:
    """A validator: the typed text has no control characters."""
    if has_control_characters(field.data):
        raise ValidationError(_l("含有不可见的控制字符，请删除后重新输入（可能来自复制粘贴）"))


class Form(FlaskForm):
    """FlaskForm whose every text field (StringField and its kinds: text areas, e-mail, password…) is checked."""

    def validate(self, extra_validators=None):
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).append(no_control_characters)
        return super().validate(extra)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


class OnceForm(Form):
    """A form that creates something: its hidden one-time key makes a retried submission create nothing new."""

    submission_key = HiddenField(default=new_submission_key)
