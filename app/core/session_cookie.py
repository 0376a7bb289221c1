"""The signed session cookie: Flask's own (SecureCookieSessionInterface), with its signing serializer built once
per secret key instead of on every request (Flask builds it, and derives nothing new, twice a request), and each
cookie verified once per process.

A browser sends the same cookie on every page until the session changes, and verifying it (HMAC, base64, zlib,
tagged JSON) cost ~0.07 ms of each request here. A cookie that verified under the current keys always decodes to
the same data, so each process keeps the data of the cookies it verified last, under the cookie's exact text, and
gives every request its own copy. The cookie's age is checked on every request, as itsdangerous does; a cookie
that fails is never kept; a new key (or a key moved to the fallbacks) drops them all.
Nothing else changes: the same salt, digest, key derivation, fallback keys and cookie format."""
from __future__ import annotations

import copy
import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

VERIFIED_KEPT = 1024   # cookies of this many sessions per process (a few hundred bytes each)
_SCALARS = (str, int, float, bool, type(None))


class SignedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._built: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        self._verified: dict[str, tuple[int, dict]] = {}   # cookie text: (signed at, its data)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built = self._built
        if built is None or built[0] != keys:   # a changed key (tests set one per app) builds it again
            built = self._built = (keys, super().get_signing_serializer(app))
            self._verified = {}                 # what verified under the old keys must verify again
        return built[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(value)
        if verified is None:
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            verified = (int(signed_at.timestamp()), data)
            if len(self._verified) >= VERIFIED_KEPT:
                self._verified.clear()
            self._verified[value] = verified
        elif not 0 <= int(time.time()) - verified[0] <= max_age:   # itsdangerous's own test (SignatureExpired)
            del self._verified[value]
            return self.session_class()
        return self.session_class(_copy(verified[1]))


def _copy(data: dict) -> dict:
    """A request's own copy: it may change the session (a flash appends to a list in it) without touching the kept
    one. The session class copies the top level itself; only lists and the like need a deep copy."""
    return data if all(type(value) in _SCALARS for value in data.values()) else copy.deepcopy(data)


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
