"""Security headers on every response: a Content-Security-Policy with no inline script or style, no framing,
no MIME sniffing, a strict Referrer-Policy, HSTS when the cookies are Secure, and no caching of signed-in pages
(they show partner-tier or owner data) or of the password-reset pages (their address holds the token)."""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a reset link's token never leaves in a Referer
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

HSTS = "max-age=31536000; includeSubDomains"


_DEFAULTS = [(name.lower(), name, value) for name, value in HEADERS.items()]


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # one pass (a look-up of a missing header raises)
        for lowered, name, value in _DEFAULTS:
            if lowered not in present:  # a view may set its own (a stricter policy on one page)
                headers.add(name, value)
        if app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and (current_user.is_authenticated or request.path.startswith("/auth/")):
            headers["Cache-Control"] = "no-store"
            if "pragma" not in present:
                headers.add("Pragma", "no-cache")
            response.vary.add("Cookie")
        return response
