"""The shared cache (Flask-Caching): Redis when REDIS_URL is set, so every app server reads what one rendered;
else this process's memory.

What goes in is keyed by everything it depends on, the version of its data first (`library_version()` moves
on any write to a project), so an entry is never invalidated: a change makes a new key, and the old entry
ages out. Only what is the same for every viewer who may see it is cached: the library's public listing and
its counts, never a page with a name, a CSRF token or a tier above the public one.

A cache that fails (Redis down) costs speed, never a page: the value is computed and served uncached.

In front of the shared cache each process keeps the entries it used last (LOCAL_ENTRIES), as they are: a key
holds its data's version, so an entry a process holds can never be stale, and a hit skips the shared cache's
copy (unpickling a library page's ~30 KB of parts, and with Redis a round trip). Callers only read a value.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Callable, TypeVar

from flask import Flask, current_app
from flask_babel import get_locale
from markupsafe import Markup

from app.extensions import cache

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 600   # seconds; a key holds its data's version, so this only bounds what is kept
MEMORY_ENTRIES = 256    # per process, without Redis: a library page's parts are ~20–30 KB, so at most ~8 MB a worker
LOCAL_ENTRIES = 64      # per process, in front of the shared cache (~2 MB); the oldest stored goes first

_local: dict[tuple, object] = {}   # keys are tuples of plain values (hashable)


def init_app(app: Flask) -> None:
    """Configure Flask-Caching from REDIS_URL, once the configuration is final (tests and instance/ override it).

    The key prefix names the database: servers sharing one database share entries; two databases behind one
    Redis (a test run beside a deployment) never read each other's.
    """
    config = app.config
    database = hashlib.sha1(config["SQLALCHEMY_DATABASE_URI"].encode(), usedforsecurity=False).hexdigest()[:12]
    defaults = {"CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT, "CACHE_KEY_PREFIX": f"clinbridge:{database}:"}
    if config.get("REDIS_URL"):
        defaults.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=config["REDIS_URL"])
    else:
        defaults.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=MEMORY_ENTRIES)
    for name, value in defaults.items():
        config.setdefault(name, value)
    cache.init_app(app)


def _name(key: tuple) -> str:
    """A bounded cache key for a tuple of plain values (a search's words may be long)."""
    return hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()


def cached(key: tuple, compute: Callable[[], T], keep: Callable[[T], bool] = lambda value: True) -> T:
    """The value under `key`, computed and stored on a miss (if `keep` says it may be: not a failed search)."""
    mine = (current_app.config["CACHE_KEY_PREFIX"], key)   # this database's entry (tests run several apps)
    value = _local.get(mine)
    if value is not None:
        return value
    name = _name(key)
    try:
        value = cache.get(name)
    except Exception:  # noqa: BLE001 — a cache outage is a slower page, not an error page
        log.warning("cache unavailable, computing %s uncached", key[0], exc_info=True)
        return compute()
    if value is not None:
        _hold(mine, value)
        return value
    value = compute()
    if value is not None and keep(value):
        _hold(mine, value)
        try:
            cache.set(name, value)
        except Exception:  # noqa: BLE001
            log.warning("cache unavailable, %s not stored", key[0], exc_info=True)
    return value


def _hold(name: tuple, value) -> None:
    """Keep a value in this process, dropping the oldest past LOCAL_ENTRIES (tolerant of a concurrent drop)."""
    _local[name] = value
    while len(_local) > LOCAL_ENTRIES:
        try:
            del _local[next(iter(_local))]
        except (KeyError, RuntimeError, StopIteration):  # another thread dropped it, or is changing the dict
            break


def cached_fragment(key: tuple, render: Callable[[], dict], keep: Callable[[dict], bool] = lambda parts: True) -> dict:
    """Rendered parts of a page shared by every viewer who sees the same, in the request's language: a dict of
    Markup and plain values (Markup survives the cache). `key` must hold everything the parts depend on."""
    return cached(("fragment", str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]), *key), render, keep)


def render_shared(template: str, **context) -> Markup:
    """A template rendered for no one in particular, to be cached: without the context processors, so it cannot
    show the viewer (no current_user, no CSRF token, no notification count)."""
    # autoescaped like every .html template (Flask's Jinja environment): the result is HTML already
    return Markup(current_app.jinja_env.get_template(template).render(context))  # nosec B704


def clear() -> None:
    """Drop every entry of this database and this process's copies (tests between cases; nothing else needs it)."""
    _local.clear()
    cache.clear()
