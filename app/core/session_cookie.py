"""The signed session cookie: Flask's own (SecureCookieSessionInterface), with its signing serializer built once
per secret key instead of on every request (Flask builds it, and derives nothing new, twice a request).
Nothing else changes: the same salt, digest, key derivation, fallback keys and cookie format."""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SignedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._built: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built = self._built
        if built is None or built[0] != keys:   # a changed key (tests set one per app) builds it again
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
