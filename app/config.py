"""Configuration read from the environment, with an embedded SQLite default under instance/."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else a random key kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # Heroku-style URLs name the old dialect
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url or "sqlite:///" + str(Path(instance_path) / "clinbridge.db")


def from_environment(instance_path: str) -> dict:
    """Settings for create_app; instance/config.py may override any of them."""
    env = os.environ.get
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_FOLDER": str(Path(instance_path) / "uploads"),
        "SEARCH_INDEX_DIR": str(Path(instance_path) / "search-index"),
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "ATTACHMENT_MAX_BYTES": int(env("CLINBRIDGE_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024,
        "LICENCE_MAX_BYTES": 10 * 1024 * 1024,  # a scan or photo of the 营业执照
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,  # a doctor may take an hour over 附件1
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh": "中文", "en": "English"},
        "MAIL_SERVER": env("MAIL_SERVER", ""),
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USERNAME": env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env("MAIL_USE_TLS", "0") == "1",
        "MAIL_SENDER": env("MAIL_SENDER", "noreply@clinbridge.local"),
        "PLATFORM_PROVINCE": env("CLINBRIDGE_PROVINCE", "福建省"),
        # Sign-in, registration, reset and interest throttling: RATELIMIT_* in app/core/throttle.py.
        "PASSWORD_RESET_HOURS": 24,  # a number of hours, not a password  # nosec B105
        "PER_PAGE": 20,
        # 为您推荐 and the owner's suggested partners offer no suggestion under this score (0–100, the match
        # board's scale); staff still see them on the board. On the matching-dev set every project's best
        # partner scores 29 or more (5th percentile) while 37% of the top-10 slots fall under 15 (noise).
        "SUGGESTION_MIN_SCORE": int(env("CLINBRIDGE_SUGGESTION_MIN_SCORE", "15")),
        # The job queue (app/core/jobs.py): Redis when REDIS_URL is set, else this SQLite file;
        # immediate runs each job in the process that asks for it, when it asks (no consumer).
        "REDIS_URL": env("REDIS_URL", ""),
        "JOBS_FILE": env("CLINBRIDGE_JOBS_FILE", str(Path(instance_path) / "jobs.db")),
        "JOBS_QUEUE": env("CLINBRIDGE_JOBS_QUEUE", "clinbridge"),
        "JOBS_IMMEDIATE": env("CLINBRIDGE_JOBS_IMMEDIATE", "0") == "1",
        # Suggestions are refreshed (a job) after a change that can move them; False leaves that to
        # `flask matching recompute` (the tests recompute explicitly).
        "SUGGESTIONS_REFRESH": True,
        "BASE_URL": env("CLINBRIDGE_BASE_URL", "http://127.0.0.1:5000"),  # links in mail sent by jobs and the CLI
        "INTEREST_EXPIRY_DAYS": int(env("CLINBRIDGE_INTEREST_EXPIRY_DAYS", "14")),
        # Reverse proxies in front of the app (nginx: 1): their X-Forwarded-For gives the client's address,
        # which the sign-in throttling counts by. 0 trusts no such header (direct connections).
        "PROXY_HOPS": int(env("CLINBRIDGE_PROXY_HOPS", "0")),
    }
