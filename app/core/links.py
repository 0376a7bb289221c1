"""Links that operations store and send (notifications, mail), built the same way in a request, a CLI command or a job.

A stored link is the path inside the application ("/deals/3"), as `request.path` reads it; mail puts the
platform's public address (BASE_URL) in front of it.
"""
from __future__ import annotations

from flask import current_app


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint with its values, from the app's url_map (no request context needed)."""
    adapter = current_app.url_map.bind("localhost", url_scheme=current_app.config["PREFERRED_URL_SCHEME"])
    return adapter.build(endpoint, values)


def absolute_url(path: str) -> str:
    """A path on the platform's public address, for mail and for links handed to people."""
    return current_app.config["BASE_URL"].rstrip("/") + path
