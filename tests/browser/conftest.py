"""Browser fixtures: a live server of its own app (CSRF on, own instance and SQLite file), one Chromium per session.

The shared `app` fixture turns CSRF off for the test client; these tests post the real forms with
their real tokens, so they need an app of their own, served over HTTP from a thread.
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.browser.helpers import ARTIFACTS
from tests.conftest import PASSWORD
from tests.uscc import make_uscc

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
_accounts = itertools.count(1)


def _missing(reason: str):
    """Absent browser tooling fails on CI (a broken image must not pass silently) and skips elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} in CI")
    pytest.skip(reason)


def find_chromium() -> str | None:
    """Debian's chromium (FIELD-NOTES: Playwright's own browser download fails here)."""
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI")
        pytest.skip("Chromium not installed: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The application under test, with CSRF protection as in production."""
    instance = tmp_path_factory.mktemp("browser-instance")
    application = create_app({
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/browser.db",
        "WTF_CSRF_ENABLED": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing; production uses scrypt
        "MAIL_SERVER": "",
        "JOBS_IMMEDIATE": True,  # no consumer beside the live server: jobs run when their request commits
        "SUGGESTIONS_REFRESH": False,  # suggestions are computed by the tests that need them
    })
    with application.app_context():
        from flask_migrate import upgrade
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """Serve the app on a free local port from a daemon thread; the base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright not installed: pip install playwright")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies: one signed-in user each); `phone=True` for a phone."""
    contexts = []

    def open_page(phone: bool = False):
        options = dict(PHONE if phone else DESKTOP)
        context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def _shot_counter():
    return itertools.count(1)


@pytest.fixture
def shot(_shot_counter):
    """Save a full-page screenshot as tests/artifacts/<nn>-<step>.png, numbered across the session."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, step: str) -> Path:
        path = ARTIFACTS / f"{next(_shot_counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


@pytest.fixture
def live_accounts(live_app):
    """Create accounts directly in the live app's database through its services; returns their e-mails."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role

    def create(kind: str) -> str:
        n = next(_accounts)
        email = f"browser-{kind}-{n}-{os.getpid()}@example.com"
        with live_app.app_context():
            if kind == "staff":
                accounts.create_staff(email, PASSWORD, f"服务站审核员{n}")
            else:
                user = accounts.register_organisation_member(
                    email, PASSWORD, f"企业联系人{n}", "13800138000", Role.ENTERPRISE,
                    f"福建测试医疗器械有限公司{n}", make_uscc(900000 + n))
                if kind == "enterprise":
                    reviewer = accounts.create_staff(f"verifier-{n}-{os.getpid()}@example.com", PASSWORD, "认证员")
                    accounts.verify_organisation(user.organisation, reviewer)
                else:
                    assert kind == "unverified", kind
            db.session.commit()
        return email
    return create
