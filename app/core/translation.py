"""The request's gettext catalogue in a few attribute reads, for the strings every page translates.

flask_babel's gettext finds its catalogue through the request context three times per string, each through
werkzeug's context proxies, and formats the locale's name each time: ~40 µs a string on this machine, while
reading the catalogue takes ~2 µs, and a page translates 100–200 strings (menu, labels, badges). This keeps
flask_babel's own catalogue (its domain, its cache, force_locale respected) and remembers, on the same
request context, which catalogue goes with which locale object.
"""
from __future__ import annotations

from flask import g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString


def catalogue():
    """flask_babel.get_translations(), remembered per request and locale (a forced locale is another object)."""
    if not has_app_context():
        return get_translations()   # NullTranslations, as flask_babel answers there
    state = g._get_current_object().__dict__.get("_flask_babel")
    if state is not None:
        remembered = state.__dict__.get("clinbridge_catalogue")
        if remembered is not None and remembered[0] is state.__dict__.get("babel_locale"):
            return remembered[1]
    translations = get_translations()
    locale = get_locale()   # sets the request's locale if nothing asked yet
    g._flask_babel.clinbridge_catalogue = (locale, translations)
    return translations


def gettext(string: str) -> str:
    return catalogue().ugettext(string)


def translate(text) -> str:
    """A label made with lazy_gettext (no variables) in the request's language; anything else as str()."""
    if isinstance(text, LazyString) and len(text._args) == 1 and not text._kwargs:
        return catalogue().ugettext(text._args[0])
    return str(text)


def install(app) -> None:
    """Templates' {{ _('…') }} through the remembered catalogue (after Babel's init_app, which installs its own)."""
    app.jinja_env.install_gettext_callables(
        gettext=gettext,
        ngettext=lambda singular, plural, n: catalogue().ungettext(singular, plural, n),
        pgettext=lambda context, string: catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: catalogue().unpgettext(context, singular, plural, n),
        newstyle=True)
