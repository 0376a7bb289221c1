"""The remembered catalogue (app/core/translation.py) translates exactly as flask_babel does, follows a forced
locale in and out, and works outside a request."""
from contextlib import contextmanager

from flask.globals import _cv_app
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from flask_babel import lazy_gettext as _l

from app.core.models import _LABELS
from app.core.translation import catalogue, gettext, translate
from app.projects.models import DeviceClass, ProjectType, Stage


@contextmanager
def request_in(app, lang: str):
    """A request of its own (its own app context and g, as in production; the test's context is set aside)."""
    token = _cv_app.set(None)
    try:
        with app.test_request_context(f"/?lang={lang}"):
            yield
    finally:
        _cv_app.reset(token)


def test_it_translates_as_flask_babel_in_each_language(app):
    for lang in ("zh", "en"):
        with request_in(app, lang):
            for text in ("入选项目库", "首页", "为您推荐", "没有这一句"):
                assert gettext(text) == babel_gettext(text)
            for member in [*ProjectType, *DeviceClass, *Stage]:
                assert member.label == str(_LABELS[member])   # flask_babel's own lazy string
    with request_in(app, "en"):
        assert ProjectType.ACTIVE.label == "Active device" and gettext("入选项目库") != "入选项目库"
    with request_in(app, "zh"):
        assert ProjectType.ACTIVE.label == "有源" and gettext("入选项目库") == "入选项目库"


def test_a_forced_locale_is_followed_in_and_out(app):
    with request_in(app, "en"):
        english = gettext("入选项目库")
        assert english != "入选项目库"
        with force_locale("zh"):
            assert gettext("入选项目库") == "入选项目库" and ProjectType.ACTIVE.label == "有源"
        assert gettext("入选项目库") == english and ProjectType.ACTIVE.label == "Active device"


def test_labels_with_variables_and_plain_text_fall_back_to_str(app):
    with request_in(app, "zh"):
        assert translate(_l("%(amount)s 万元", amount="5")) == "5 万元"
        assert translate("原样") == "原样"


def test_outside_a_request_the_catalogue_is_flask_babels(app):
    assert catalogue().ugettext("入选项目库") == "入选项目库"
