"""Holes found by trying the platform as an attacker would (issue 11): each test fails on the code before the fix."""
from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from flask import session

from app.core.links import safe_next
from tests.conftest import PASSWORD
from tests.test_access import world  # noqa: F401 — the access matrix's objects, a fixture

BYPASSES = [
    "//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
    "/%09/evil.example", "/\t/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/\r\n/evil.example",
    "/%2f/evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5cevil.example", "/%5C%5Cevil.example",
    "https://evil.example", "https:evil.example", "http:/evil.example", "javascript:alert(1)",
    "evil.example", " //evil.example", "/\x00/evil.example", "//\tevil.example",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_next_refuses_every_known_bypass(app, target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/library/", "/projects/3?tab=files", "/deals/3#m12", "/lang/zh?next=/x"])
def test_safe_next_keeps_local_paths(app, target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", BYPASSES)
def test_language_switch_stays_on_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\\/evil.example", "/%0d/x"])
def test_login_next_stays_on_site(client, make_user, target):
    user = make_user("clinician")
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- server errors on bad input: 400/404, never a 500 -------------------------------------------------------

@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_classify_refuses_a_json_body_that_is_not_an_object(client, login_as, body):
    login_as("clinician")
    response = client.post("/matching/classify", data=body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/library/99999999999999999999999", "/library/9223372036854775808",
                                  "/library/2147483648", "/deals/99999999999999999999", "/organisation/9223372036854775807"])
def test_huge_ids_are_not_found(client, login_as, path):
    login_as("staff")
    assert client.get(path).status_code == 404


def test_language_switch_with_a_carriage_return_in_next(client):
    response = client.get("/lang/zh?next=/%0d/x")
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused_next_to_the_field(client, login_as, bad):
    from tests.conftest import FULL_PROJECT
    login_as("clinician")
    data = dict(FULL_PROJECT, name=f"可调节{bad}负压引流创面治疗仪", commitment_agreed="y", publish_consent="y")
    response = client.post("/projects/new", data=data)
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)
    from app.projects.models import Project
    from app.extensions import db
    assert db.session.scalar(db.select(db.func.count()).select_from(Project)) == 0


def test_every_form_refuses_control_characters():
    """Every form class of forms/ derives from the base form that checks its text fields."""
    import importlib
    import inspect
    import pkgutil

    import forms
    from flask_wtf import FlaskForm
    from forms.base import Form
    offenders = []
    for info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module(f"forms.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__ and not issubclass(cls, Form):
                offenders.append(f"{module.__name__}.{name}")
    assert offenders == []


def test_docx_survives_control_characters_in_stored_text(make_project):
    """Text stored before the form check (or by an import) still prints: the characters are dropped."""
    import io

    import docx

    from app.projects.exports import project_form_docx
    project = make_project(name="可调节\x0b负压\x1b引流")  # PostgreSQL refuses \x00 in text itself
    document = docx.Document(io.BytesIO(project_form_docx(project)))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "可调节负压引流" in text


# --- staff → admin: who may hand out a reset link --------------------------------------------------------------

@pytest.mark.parametrize("actor_role, target_role, allowed", [
    ("staff", "clinician", True), ("staff", "enterprise", True), ("staff", "staff", False), ("staff", "admin", False),
    ("admin", "clinician", True), ("admin", "staff", True), ("admin", "admin", True),
])
def test_reset_links_for_staff_accounts_come_only_from_an_admin(client, login_as, make_user, actor_role,
                                                                target_role, allowed):
    from app.core.models import AuditEvent, Notification
    from app.extensions import db
    target = make_user(target_role)
    login_as(actor_role)
    response = client.post(f"/admin/users/{target.id}/reset-link")
    issued = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "issue_reset_link"))
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == target.id)).all()
    if allowed:
        assert response.status_code == 200 and "/auth/reset/" in response.get_data(as_text=True)
        assert issued == 1 and [n.kind for n in told] == ["reset_link_issued"]
    else:
        assert response.status_code == 403 and "/auth/reset/" not in response.get_data(as_text=True)
        assert issued == 0 and told == []


def test_an_admin_cannot_issue_a_link_for_themselves(make_user):
    from app.accounts import operations as accounts
    from app.core.errors import PermissionDenied
    admin = make_user("admin")
    with pytest.raises(PermissionDenied):
        accounts.issue_reset_link(admin, admin)


def test_the_owner_is_mailed_when_a_link_is_issued(client, login_as, make_user, smtp_server):
    target = make_user("clinician")
    login_as("staff")
    assert client.post(f"/admin/users/{target.id}/reset-link").status_code == 200
    assert any(target.email in str(m.get("To", "")) for m in smtp_server.wait_for(1))


def test_the_user_list_offers_links_only_where_allowed(client, login_as, make_user):
    admin = make_user("admin")
    login_as("staff")
    html = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{admin.id}/reset-link" not in html


def test_reset_links_ignore_the_host_header(app, make_user, monkeypatch):
    """Links come from CLINBRIDGE_BASE_URL (BASE_URL), never from the request's Host (already so before issue 11)."""
    from app.accounts import operations as accounts
    monkeypatch.setitem(app.config, "BASE_URL", "https://clinbridge.example.cn")
    target, staff = make_user("clinician"), make_user("staff")
    with app.test_request_context("/admin/users", base_url="http://evil.example", headers={"Host": "evil.example"}):
        link = accounts.issue_reset_link(target, staff)
    assert link.startswith("https://clinbridge.example.cn/auth/reset/")


# --- sessions: a version in the cookie, bumped by logout, password change and reset, sign out everywhere -------

def _remember_cookie(client):
    cookie = client.get_cookie("remember_token")
    return cookie.value if cookie else None


def _sign_in(client, user, remember=True):
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "remember": "y" if remember else ""})
    assert response.status_code == 302
    return _remember_cookie(client)


def _signed_in(client) -> bool:
    return client.get("/auth/password").status_code == 200


def test_an_old_session_cookie_dies_at_logout(app, make_user):
    user = make_user("clinician")
    client = app.test_client()
    _sign_in(client, user, remember=False)
    stolen = client.get_cookie("session").value
    client.post("/auth/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not _signed_in(thief)


def test_the_remember_me_token_changes_and_dies_at_logout(app, make_user):
    user = make_user("clinician")
    client = app.test_client()
    first = _sign_in(client, user)
    client.post("/auth/logout")
    second = _sign_in(client, user)
    assert first and second and first != second
    thief = app.test_client()
    thief.set_cookie("remember_token", first)
    assert not _signed_in(thief)
    thief = app.test_client()
    thief.set_cookie("remember_token", second)
    assert _signed_in(thief)  # the current token still works where it was not signed out


def test_a_password_change_ends_other_sessions_but_keeps_this_one(app, make_user):
    user = make_user("clinician")
    phone, laptop = app.test_client(), app.test_client()
    token = _sign_in(phone, user)
    _sign_in(laptop, user, remember=False)
    new = "Qiong-lin-2026-zhen"
    response = laptop.post("/auth/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    thief = app.test_client()
    thief.set_cookie("remember_token", token)
    assert not _signed_in(thief)


def test_a_password_reset_ends_every_session(app, make_user):
    from app.accounts import operations as accounts
    from app.extensions import db
    user = make_user("clinician")
    phone = app.test_client()
    _sign_in(phone, user)
    accounts.reset_password(db.session.get(type(user), user.id), "Qiong-lin-2026-zhen")
    db.session.commit()
    assert not _signed_in(phone)


def test_sign_out_everywhere(app, make_user):
    from app.core.models import AuditEvent
    from app.extensions import db
    user = make_user("clinician")
    phone, laptop = app.test_client(), app.test_client()
    token = _sign_in(phone, user)
    _sign_in(laptop, user)
    assert "/auth/sign-out-everywhere" in laptop.get("/auth/password").get_data(as_text=True)
    assert laptop.post("/auth/sign-out-everywhere").status_code == 302
    assert not _signed_in(phone) and not _signed_in(laptop)
    thief = app.test_client()
    thief.set_cookie("remember_token", token)
    assert not _signed_in(thief)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "sign_out_everywhere")) == 1


def test_deactivated_accounts_are_signed_out(app, make_user, client, login_as):
    from app.extensions import db
    user = make_user("clinician")
    phone = app.test_client()
    token = _sign_in(phone, user)
    login_as("admin")
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _signed_in(phone)
    db.session.refresh(user)
    assert not user.active and user.session_version == 1
    db.session.get(type(user), user.id).active = True  # reactivated by hand: the old cookie still does not work
    db.session.commit()
    thief = app.test_client()
    thief.set_cookie("remember_token", token)
    assert not _signed_in(thief)


def test_the_session_cookie_is_flasks_own_and_follows_the_secret_key(app, make_user, monkeypatch):
    """The session interface builds its signer once per key: a cookie signed by Flask's stock interface is read,
    and a new SECRET_KEY (or one moved to SECRET_KEY_FALLBACKS) is followed at once."""
    from flask.sessions import SecureCookieSessionInterface
    from app.core.session_cookie import SignedCookieSessions
    assert isinstance(app.session_interface, SignedCookieSessions)
    user = make_user("enterprise")
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    cookie = client.get_cookie("session").value
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    assert stock.loads(cookie)["_user_id"] == app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    assert _signed_in(client)
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-for-this-test")
    assert not _signed_in(client)                  # signed with a key the app no longer holds
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    client.set_cookie("session", cookie)           # the refusal above replaced it (its "please sign in" message)
    assert _signed_in(client)                      # the old key, kept as a fallback, still verifies


def _opened(app, cookie):
    """The session a request with this cookie opens (the request context opens it as it starts)."""
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        return session._get_current_object()


def test_a_verified_cookie_is_kept_but_still_expires_and_each_request_has_its_own_copy(app, monkeypatch):
    """Each process keeps the data of the cookies it verified (app/core/session_cookie.py): the same cookie opens
    to the same data without verifying it again, a request's change to its session (a flash appends to a list)
    never reaches the kept data, a cookie past PERMANENT_SESSION_LIFETIME is refused even when kept, and a forged
    cookie is never kept."""
    from itsdangerous import URLSafeTimedSerializer

    from app.core import session_cookie
    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"_user_id": "7:1", "_flashes": [["info", "已保存"]]})

    first = _opened(app, cookie)
    assert first["_user_id"] == "7:1" and cookie in interface._verified
    calls = []
    monkeypatch.setattr(URLSafeTimedSerializer, "loads", lambda *a, **k: calls.append(a) or {})
    first["_flashes"].append(["info", "第二条"])
    first["lang"] = "en"
    second = _opened(app, cookie)
    assert calls == []                                    # kept: not verified again
    assert second == {"_user_id": "7:1", "_flashes": [["info", "已保存"]]}
    monkeypatch.undo()

    lifetime = int(app.permanent_session_lifetime.total_seconds())
    later = SimpleNamespace(time=lambda: time.time() + lifetime + 5)
    monkeypatch.setattr(session_cookie, "time", later)
    assert dict(_opened(app, cookie)) == {}               # expired, though kept
    assert cookie not in interface._verified
    monkeypatch.undo()

    forged = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    assert dict(_opened(app, forged)) == {} and forged not in interface._verified


def test_session_protection_is_basic(app):
    from app.extensions import login_manager
    assert login_manager.session_protection == "basic"


# --- password policy -------------------------------------------------------------------------------------------

def _register(client, password, **overrides):
    data = {"email": "lin.wenjun@hospital.test", "name": "林文君", "phone": "13800138000", "password": password,
            "confirm": password, "institution": "福建省立医院", "department": "骨科"} | overrides
    return client.post("/auth/register/clinician", data=data)


@pytest.mark.parametrize("password", ["password1", "abc12345", "short1A!", "password123", "qwertyuiop1",
                                      "1234567890", "lin.wenjun2026", "linwenjun1990", "clinbridge2026"])
def test_weak_and_account_derived_passwords_are_refused(client, password):
    from app.accounts.models import User
    from app.extensions import db
    response = _register(client, password)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_a_long_uncommon_password_is_accepted(client):
    assert _register(client, "Minjiang-banyan-tea-42").status_code == 302


def test_a_new_password_may_not_be_the_users_own_email(client, login_as):
    user = login_as("clinician")
    weak = user.email.split("@")[0] + "2026"
    response = client.post("/auth/password", data={"current": PASSWORD, "password": weak, "confirm": weak})
    assert response.status_code == 400


def test_the_cli_refuses_a_weak_staff_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create-staff", "--email", "weak@station.test",
                                                "--name", "弱密码", "--password", "password1"])
    assert result.exit_code != 0


def test_the_demo_password_still_signs_in(app, client):
    from app.demo import loader
    app.test_cli_runner().invoke(args=["demo", "load"])
    email = loader.DEMO_ACCOUNTS[0]
    response = client.post("/auth/login", data={"email": email, "password": "demo-password"})
    assert response.status_code == 302


# --- throttling: per address and per account, not a lock-out -------------------------------------------------

def _login(client, email, password, address="10.0.0.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_one_address_trying_many_accounts_is_slowed(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ADDRESS", "5 per 10 minutes")
    users = [make_user("clinician") for _ in range(6)]
    statuses = [_login(client, u.email, "wrong-password1").status_code for u in users]
    assert statuses == [400] * 5 + [429]
    assert _login(client, users[0].email, PASSWORD, address="10.0.0.2").status_code == 302


def test_nobody_can_lock_the_admin_out_from_one_address(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per 10 minutes")
    admin = make_user("admin")
    for _ in range(3):
        assert _login(client, admin.email, "wrong-password1", address="203.0.113.9").status_code == 400
    assert _login(client, admin.email, PASSWORD, address="203.0.113.9").status_code == 429
    admin_client = client.application.test_client()
    assert _login(admin_client, admin.email, PASSWORD, address="10.1.1.1").status_code == 302


def test_successful_sign_ins_are_not_counted(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "2 per 10 minutes")
    user = make_user("clinician")
    for _ in range(4):
        assert _login(client, user.email, PASSWORD).status_code == 302
        client.post("/auth/logout")


def test_real_and_unknown_accounts_answer_the_same(app, client, make_user, monkeypatch):
    from app.accounts import operations as accounts
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "2 per 10 minutes")
    checks = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: checks.append(1) or real_check(*a))
    user = make_user("clinician")
    answers = {}
    for email in (user.email, "nobody@example.test"):
        answers[email] = [(r.status_code, r.get_data(as_text=True).replace(email, "EMAIL"))
                          for r in (_login(client, email, "wrong-password1") for _ in range(3))]
    assert answers[user.email] == answers["nobody@example.test"]
    assert [status for status, _ in answers[user.email]] == [400, 400, 429]
    assert len(checks) == 2  # the unknown address was hashed as a real one would be (the real one checks in User)


def test_registration_is_throttled_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTER_ADDRESS", "2 per hour")
    statuses = [_register(client, "Minjiang-banyan-tea-42", email=f"doc{n}@hospital.test").status_code
                for n in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    assert client.post("/auth/register/organisation", data={}).status_code == 429  # shared by both forms


def test_password_reset_requests_are_throttled(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_RESET_ACCOUNT", "2 per hour")
    user = make_user("clinician")
    statuses = [client.post("/auth/forgot", data={"email": user.email}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_expressing_interest_is_throttled(app, client, login_as, make_project, monkeypatch):
    from app.projects.models import ProjectStatus
    monkeypatch.setitem(app.config, "RATELIMIT_INTEREST_ACCOUNT", "2 per hour")
    project = make_project(ProjectStatus.PUBLISHED)
    login_as("enterprise")
    statuses = [client.post(f"/deals/projects/{project.id}/interest", data={}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_every_limit_counts_posts_only_so_reading_requests_skip_the_limiter(app, client, monkeypatch):
    """throttle.reading exempts GET/HEAD/OPTIONS before any look-up: that holds only while every limit is on POST.
    The extension's request hook is behind the same test (a page view never enters it)."""
    from app.core import throttle
    from app.extensions import limiter
    assert throttle.ALL_LIMITS and all(limit.methods == ("post",) for limit in throttle.ALL_LIMITS)
    hooks = app.before_request_funcs[None]
    assert throttle._check_unless_reading in hooks and limiter._check_request_limit not in hooks
    entered = []
    monkeypatch.setattr(limiter, "_check_request_limit", lambda *a, **k: entered.append(a))
    assert client.get("/healthz").status_code == 200 and entered == []   # a page without limits of its own
    monkeypatch.undo()
    with app.test_request_context("/auth/login", method="GET"):
        assert throttle.reading()
    with app.test_request_context("/auth/login", method="POST"):
        assert not throttle.reading()
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ADDRESS", "1 per 10 minutes")
    assert client.post("/auth/login", data={"email": "x@example.test", "password": "wrong-password"}).status_code == 400
    assert client.post("/auth/login", data={"email": "y@example.test", "password": "wrong-password"}).status_code == 429
    assert client.get("/auth/login").status_code == 200     # the form still shows; only attempts are counted


def test_limits_are_stored_in_redis_when_redis_url_is_set():
    from app.core.throttle import storage_uri
    assert storage_uri({"REDIS_URL": "redis://127.0.0.1:6390/1"}) == "redis://127.0.0.1:6390/1"
    assert storage_uri({"REDIS_URL": ""}) == "memory://"


# --- security headers, CSP without inline script or style ----------------------------------------------------

def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only behind HTTPS (SESSION_COOKIE_SECURE=1)


def test_hsts_when_cookies_are_secure(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_signed_in_pages_are_not_cached(client, login_as, make_project):
    from app.projects.models import ProjectStatus
    project = make_project(ProjectStatus.PUBLISHED)
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login_as("enterprise")
    for path in ("/library/", f"/library/{project.id}", "/deals/", "/notifications/"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path


def test_reset_pages_are_not_cached(client):
    assert "no-store" in client.get("/auth/forgot").headers["Cache-Control"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path
    offenders = []
    for template in Path(__file__).resolve().parents[1].joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_STYLE.search(text):
            offenders.append(template.name)
    assert offenders == []


@pytest.mark.parametrize("role", ["anonymous", "clinician", "enterprise", "staff", "admin"])
def test_rendered_pages_have_no_inline_script_or_style(client, login_as, world, role):
    """Every GET page of the access matrix, as rendered (macros and extensions included)."""
    from tests.test_access import MATRIX
    login_as(role)
    offenders = []
    for endpoint, (method, template, _expected) in MATRIX.items():
        if method != "GET":
            continue
        response = client.get(template.format(**world))
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        found = INLINE_SCRIPT.search(html) or INLINE_STYLE.search(html)
        if found:
            offenders.append(f"{endpoint}: {html[max(0, found.start() - 80):found.end() + 80]}")
    assert offenders == []


# --- formula injection in every .xlsx and .csv ------------------------------------------------------------------

EVIL_CITY = '=HYPERLINK("http://evil.example","福州")'


def _formula_cells(data: bytes) -> list[str]:
    """Every cell written as a formula (<f>) in any sheet of the workbook."""
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [name for name in archive.namelist() if name.startswith("xl/worksheets/")
                and b"<f>" in archive.read(name)]


def test_the_dashboard_workbook_writes_no_formula(client, login_as, make_project):
    from app.projects.models import ProjectStatus
    make_project(ProjectStatus.PUBLISHED, city=EVIL_CITY)
    login_as("admin")
    response = client.get("/dashboard/summary.xlsx")
    assert response.status_code == 200
    assert _formula_cells(response.data) == []
    import io

    from openpyxl import load_workbook
    values = [c.value for sheet in load_workbook(io.BytesIO(response.data)) for row in sheet.iter_rows() for c in row]
    assert EVIL_CITY in values  # the text as typed, no apostrophe added to the value


def test_report_and_audit_exports_write_no_formula(client, login_as, make_project):
    from app.projects.models import ProjectStatus
    from app.reporting.audit_viewer import audit_csv, audit_xlsx
    from app.reporting.exports import report_xlsx
    project = make_project(ProjectStatus.PUBLISHED, city=EVIL_CITY, team="+1 成员", market="-@SUM(A1)")
    assert _formula_cells(report_xlsx([project])) == []
    rows = [["2026-01-01", "@admin", "=1+1", "-2", "+3", "\t=4", "ok"]]
    assert _formula_cells(audit_xlsx(rows)) == []
    text = audit_csv(rows).decode("utf-8-sig")
    assert "'=1+1" in text and "'@admin" in text and "'-2" in text and "'+3" in text and "ok" in text


@pytest.mark.parametrize("value, escaped", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"),
                                            ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("福州", "福州"), (3, 3)])
def test_csv_cells_are_escaped(value, escaped):
    from app.core.spreadsheets import csv_cell
    assert csv_cell(value) == escaped


def test_every_spreadsheet_writer_uses_the_helper():
    """openpyxl rows and csv writers in app/ go through app/core/spreadsheets.py."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "app"
    offenders = []
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if source.name == "spreadsheets.py":
            continue
        if re.search(r"\b\w*sheet\w*\.append\(|\bmapping\.append\(\[", text) or \
                ("csv.writer" in text and "csv_cell" not in text):
            offenders.append(str(source.relative_to(root)))
    assert offenders == []


# --- the audit table refuses UPDATE and DELETE in the database itself ----------------------------------------

def _one_audit_row(make_user):
    from app.core import audit
    from app.extensions import db
    row = audit.record("approve", actor=make_user("staff"), comment="初核通过")
    db.session.commit()
    return row.id


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET comment = 'rewritten' WHERE id = {id}",
                                       "UPDATE audit_event SET actor_id = NULL",
                                       "DELETE FROM audit_event WHERE id = {id}", "DELETE FROM audit_event"])
def test_raw_sql_cannot_change_audit_rows(app, make_user, statement):
    from sqlalchemy.exc import DatabaseError

    from app.extensions import db
    row_id = _one_audit_row(make_user)
    with pytest.raises(DatabaseError, match="append-only"):
        with db.engine.begin() as connection:
            connection.exec_driver_sql(statement.format(id=row_id))
    with db.engine.connect() as connection:
        comment = connection.exec_driver_sql(f"SELECT comment FROM audit_event WHERE id = {row_id}").scalar()
    assert comment == "初核通过"


@pytest.mark.parametrize("statement", ["TRUNCATE audit_event CASCADE", 'TRUNCATE "user" CASCADE'])
def test_postgresql_refuses_truncating_the_audit_trail(app, make_user, statement):
    """TRUNCATE fires no row trigger: a statement trigger refuses it, also when it cascades from a parent."""
    from sqlalchemy.exc import DatabaseError

    from app.extensions import db
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite's DELETE FROM is covered above")
    row_id = _one_audit_row(make_user)
    db.session.close()  # the session's read of the row holds a lock TRUNCATE would wait for (forever: same test)
    with pytest.raises(DatabaseError, match="append-only"):
        with db.engine.begin() as connection:
            connection.exec_driver_sql(statement)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT count(*) FROM audit_event WHERE id = {row_id}").scalar() == 1


def test_the_triggers_come_with_create_all(tmp_path):
    """A schema made by db.create_all (not by the migrations) has them too."""
    from sqlalchemy.exc import DatabaseError

    from app import create_app
    from app.extensions import db
    other = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.db"})
    with other.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO audit_event (action, subject_type, from_state, to_state, comment,"
                                       " created_at) VALUES ('x', 'project', '', '', '', '2026-01-01 00:00:00')")
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM audit_event")
        db.session.remove()
        db.engine.dispose()


# --- a retried submission creates nothing new -----------------------------------------------------------------

def _count(model) -> int:
    from app.extensions import db
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _key_of(html: str) -> str:
    match = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="submission_key"[^>]*value="([^"]+)"', html)
    assert match, "the form carries no one-time key"
    return match.group(1)


def test_a_retried_new_project_creates_one_project(client, login_as):
    from app.projects.models import Project
    from tests.conftest import FULL_PROJECT
    login_as("clinician")
    key = _key_of(client.get("/projects/new").get_data(as_text=True))
    data = dict(FULL_PROJECT, commitment_agreed="y", publish_consent="yes", submission_key=key)
    first = client.post("/projects/new", data=data)
    again = client.post("/projects/new", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(Project) == 1
    other = client.post("/projects/new", data=dict(data, submission_key=_key_of(
        client.get("/projects/new").get_data(as_text=True))))
    assert other.status_code == 302 and _count(Project) == 2


def test_a_retried_message_and_interest_are_posted_once(client, login_as, make_project, make_user):
    from app.deals.models import Interest
    from app.deals.models import NegotiationMessage as Message
    from app.projects.models import ProjectStatus
    project = make_project(ProjectStatus.PUBLISHED)
    login_as("enterprise")
    page = client.get(f"/library/{project.id}").get_data(as_text=True)
    key = _key_of(page)
    data = {"message": "我们对该项目很感兴趣，希望进一步沟通合作方式。", "cooperation_modes": ["joint_development"],
            "submission_key": key}
    first = client.post(f"/deals/projects/{project.id}/interest", data=data)
    again = client.post(f"/deals/projects/{project.id}/interest", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    assert again.status_code == 302 and _count(Interest) == 1
    from app.extensions import db
    from app.deals import operations as deals
    interest = db.session.scalar(db.select(Interest))
    deals.accept_interest(interest, project.owner)
    db.session.commit()
    before = _count(Message)
    key = _key_of(client.get(f"/deals/{interest.id}").get_data(as_text=True))
    for _ in range(2):
        assert client.post(f"/deals/{interest.id}", data={"body": "请问样机何时可以演示？", "submission_key": key}
                           ).status_code == 302
    assert _count(Message) == before + 1


def test_someone_elses_key_is_not_a_way_to_their_page(client, login_as, make_user):
    from app.core import idempotency
    from app.extensions import db
    owner, other = make_user("clinician"), make_user("clinician")
    idempotency.remember("k" * 32, owner, "/projects/7")
    db.session.commit()
    assert idempotency.done("k" * 32, owner) == "/projects/7"
    assert idempotency.done("k" * 32, other) is None
    assert idempotency.done("short", owner) is None


# --- scores are not an oracle for hidden words ---------------------------------------------------------------

def test_an_intent_guessing_words_of_a_projects_structure_does_not_raise_its_score(app, make_project, make_user,
                                                                                   client, login_as):
    """An enterprise writes its intent with words that appear only in a project's 结构组成 / 工作原理: every score
    and rank it is shown (stored suggestions, 为您推荐) is the same as if the project's hidden text had other words."""
    from app.deals.operations import create_intent
    from app.extensions import db
    from app.projects.models import Project, ProjectStatus
    from app.suggestions import operations as suggestions
    hidden = "镍钛记忆合金自膨胀骨钉"
    project = make_project(ProjectStatus.PUBLISHED, name="骨折内固定器械", intended_use="用于四肢骨折的内固定",
                           public_summary="一种微创骨折固定器械", structure=f"由{hidden}和导入器组成",
                           principle=f"{hidden}在体温下恢复形状")
    make_project(ProjectStatus.PUBLISHED, name="一次性输液器", intended_use="用于静脉输液")
    member = make_user("enterprise")
    member.organisation.field = "无源植入器械"
    with app.test_request_context():
        create_intent(member.organisation, member, {"title": "寻找骨科植入项目",
                                                    "description": f"骨折内固定器械 骨科植入 {hidden} 记忆合金",
                                                    "device_classes": ["II", "III"], "region_preference": "any"})
    db.session.commit()

    def shown():
        with app.test_request_context():
            suggestions.recompute_all()
        db.session.commit()
        return [(s.project_id, round(s.score, 9), tuple(s.public_reasons))
                for s in suggestions.suggestions_for_organisation(member.organisation_id)]

    guessed_right = shown()
    assert any(pid == project.id for pid, _score, _reasons in guessed_right)
    stored = db.session.get(Project, project.id)
    stored.structure, stored.principle = "由主体和导入器组成", "机械锁定"
    db.session.commit()
    assert shown() == guessed_right
    login_as(member)
    assert hidden not in client.get("/matching/for-you").get_data(as_text=True)


def test_behind_a_proxy_the_client_address_is_throttled(tmp_path):
    from app import create_app
    proxied = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "PROXY_HOPS": 1,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    client = proxied.test_client()
    seen = {}

    @proxied.route("/_address")
    def _address():
        from app.core.throttle import address
        seen["address"] = address()
        return "ok"

    client.get("/_address", headers={"X-Forwarded-For": "198.51.100.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["address"] == "198.51.100.7"


def test_limits_count_in_redis(app):
    """The Redis storage the throttle uses with REDIS_URL, against a real server (TEST_REDIS_URL)."""
    import os

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL not set: throttle storage on Redis not tried")
    limiter = FixedWindowRateLimiter(storage_from_string(url))
    limit = parse("2 per minute")
    key = f"clinbridge-test-{os.getpid()}"
    assert [limiter.hit(limit, key) for _ in range(3)] == [True, True, False]
    limiter.clear(limit, key)
