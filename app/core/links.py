"""Links that operations store and send (notifications, mail), built the same way in a request, a CLI command or a job.

A stored link is the path inside the application ("/deals/3"), as `request.path` reads it; mail puts the
platform's public address (BASE_URL) in front of it.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint with its values, from the app's url_map (no request context needed)."""
    adapter = current_app.url_map.bind("localhost", url_scheme=current_app.config["PREFERRED_URL_SCHEME"])
    return adapter.build(endpoint, values)


def absolute_url(path: str) -> str:
    """A path on the platform's public address, for mail and for links handed to people."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default` (an open redirect refused).

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\\t/evil.example" or
    "/\\\\evil.example" lead off-site although they start with one "/"; anything with a control character,
    a backslash, a scheme, a host or a leading "//" (also percent-encoded) is refused.
    """
    if not target or not isinstance(target, str):
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) or "\\" in target:
        return default
    decoded = unquote(target)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded) or "\\" in decoded:
        return default
    for candidate in (target, decoded):
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or not candidate.startswith("/") or candidate.startswith("//"):
            return default
    return target


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` that matches only what a database integer holds: a larger id is a 404, not an overflow (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, signed=signed,
                         max=2**31 - 1 if max is None else max)
