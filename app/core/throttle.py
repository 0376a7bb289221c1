"""Throttling of sign-in, registration, password reset and expressions of interest (Flask-Limiter).

Limits are per address and per account (the account's e-mail, or the signed-in user, together with the address),
so that nobody can lock an account out from one address, and one address cannot try many accounts. Storage is in
memory by default and Redis when REDIS_URL is set (several app servers share the counts). The limit strings are
settings (RATELIMIT_*), so a deployment or a test can change them.

Every limit counts POSTs (an attempt); a GET, HEAD or OPTIONS request is exempt (`reading`). The extension's
own filter is asked only after it has identified the view and gathered its limits (~0.03 ms of each page view
here), so the request hook it installs runs for the other methods only (`_check_unless_reading`): a page view
never enters it, and every other request goes through it unchanged.
"""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_limiter.util import get_remote_address

from app.core.unit_of_work import SAFE_METHODS
from app.extensions import limiter

DEFAULT_LIMITS = {
    # failed sign-ins only (a successful one is not counted)
    "RATELIMIT_LOGIN_ADDRESS": "30 per 10 minutes;200 per day",
    "RATELIMIT_LOGIN_ACCOUNT": "5 per 10 minutes;30 per day",
    "RATELIMIT_REGISTER_ADDRESS": "10 per hour;50 per day",
    "RATELIMIT_RESET_ADDRESS": "10 per hour",
    "RATELIMIT_RESET_ACCOUNT": "3 per hour",
    "RATELIMIT_INTEREST_ADDRESS": "60 per hour",
    "RATELIMIT_INTEREST_ACCOUNT": "30 per hour",
}


def init_app(app) -> None:
    for name, value in DEFAULT_LIMITS.items():
        app.config.setdefault(name, value)
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "clinbridge-limits")
    limiter.init_app(app)
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks[hooks.index(limiter._check_request_limit)] = _check_unless_reading


def _check_unless_reading() -> None:
    if not reading():
        limiter._check_request_limit()


@limiter.request_filter
def reading() -> bool:
    """A request that only reads is never limited: every limit below is on POST (a test holds them to it)."""
    return request.method in SAFE_METHODS


def storage_uri(config) -> str:
    """Redis when REDIS_URL is set (the counts are shared by every app server), else this process's memory."""
    return config.get("REDIS_URL") or "memory://"


def _setting(name: str):
    return lambda: current_app.config[name]


def address() -> str:
    return get_remote_address() or "unknown"


def account_at_address() -> str:
    """The account a request is about (the e-mail typed, else the signed-in user) at this address."""
    email = (request.form.get("email") or "").strip().lower()
    if not email and current_user.is_authenticated:
        email = f"user:{current_user.id}"
    return f"{email}|{address()}"


def _failed(response) -> bool:
    return response.status_code != 302  # the form again (400) is a failed attempt; a redirect is a sign-in


login_limits = (
    limiter.limit(_setting("RATELIMIT_LOGIN_ADDRESS"), key_func=address, methods=["POST"], deduct_when=_failed,
                  scope="login-address"),
    limiter.limit(_setting("RATELIMIT_LOGIN_ACCOUNT"), key_func=account_at_address, methods=["POST"],
                  deduct_when=_failed, scope="login-account"),
)
register_limits = (
    limiter.shared_limit(_setting("RATELIMIT_REGISTER_ADDRESS"), scope="register-address", key_func=address,
                         methods=["POST"]),
)
reset_limits = (
    limiter.limit(_setting("RATELIMIT_RESET_ADDRESS"), key_func=address, methods=["POST"], scope="reset-address"),
    limiter.limit(_setting("RATELIMIT_RESET_ACCOUNT"), key_func=account_at_address, methods=["POST"],
                  scope="reset-account"),
)
interest_limits = (
    limiter.limit(_setting("RATELIMIT_INTEREST_ADDRESS"), key_func=address, methods=["POST"],
                  scope="interest-address"),
    limiter.limit(_setting("RATELIMIT_INTEREST_ACCOUNT"), key_func=account_at_address, methods=["POST"],
                  scope="interest-account"),
)


ALL_LIMITS = (*login_limits, *register_limits, *reset_limits, *interest_limits)


def throttled(limits):
    """Apply a group of limits to a view."""
    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view
    return decorate
