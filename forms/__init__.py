"""WTForms classes, one module per area (project.py is 附件1)."""
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import HiddenInput

try:  # WTForms ≥ 3.3 declares options as SelectChoice; tuples are deprecated there
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def options(pairs):
    """(value, label) pairs as the installed WTForms wants its choices."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class _HiddenInputWithoutId(HiddenInput):
    """The CSRF input renders without an id: a page often holds several forms, and ids must stay unique."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(field, **kwargs)


CSRFTokenField.widget = _HiddenInputWithoutId()
