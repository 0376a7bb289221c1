"""The full-width marks that join Chinese labels and values, in the reader's language (Chinese as they are)."""
from __future__ import annotations

from flask_babel import get_locale

_ENGLISH_MARKS = {"：": ": ", "（": " (", "）": ")", "、": ", ", "，": ", ", "；": "; ", "。": ". "}


def fw(mark: str) -> str:
    """A full-width mark between a label and its value (templates: `{{ fw('：') }}`): "：" in Chinese, ": " in English."""
    if str(get_locale() or "zh").startswith("zh"):
        return mark
    return "".join(_ENGLISH_MARKS.get(c, c) for c in mark)
