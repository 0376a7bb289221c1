"""Fields shared by the platform's forms: amounts in 万元 and multiple-choice check boxes."""
from __future__ import annotations

import decimal

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectMultipleField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

MAX_WAN = decimal.Decimal("999999999999.99")  # Numeric(14, 2)


class WanField(DecimalField):
    """An amount in 万元: not negative, at most two decimals; thousands separators are accepted.

    Empty is allowed unless `validators` starts with a required check (which then replaces Optional).
    """

    def __init__(self, label=None, validators=None, **kwargs):
        validators = [*(validators or [Optional()]), NumberRange(min=0, message=_l("金额不能为负数")),
                      NumberRange(max=MAX_WAN, message=_l("金额过大，请核对单位是否为万元"))]
        kwargs.setdefault("description", _l("单位：万元"))
        super().__init__(label, validators, places=None, render_kw={"inputmode": "decimal"},
                         invalid_value_message=_l("请输入数字金额（单位：万元），如 500 或 1200.5"), **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].replace(",", "").replace("，", "").strip()]
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)

    def pre_validate(self, form):
        if self.data is not None and self.data.as_tuple().exponent < -2:
            raise ValidationError(_l("金额最多保留两位小数"))


class MultiCheckField(SelectMultipleField):
    """Several choices as check boxes; anything not offered is refused in words the user reads."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        offered = {choice.value if hasattr(choice, "value") else choice[0] for choice in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(_l("请选择列表中的选项"))
