"""Registration, sign-in throttling, passwords and resets, organisation verification, CSRF, cookies."""
import re

import pytest

from app import create_app
from app.accounts import operations as accounts
from app.accounts.models import OrgStatus, Role, User
from app.core.models import AuditEvent
from app.extensions import db
from forms.validators import is_mainland_phone, is_valid_uscc, uscc_check_character
from tests.accounts.test_people import give_licence
from tests.conftest import PASSWORD

REAL_USCC = "91350100M000100Y43"  # a well-formed code: check character computed by GB 32100-2015


def test_uscc_check_character():
    assert is_valid_uscc(REAL_USCC)
    assert is_valid_uscc(REAL_USCC.lower())
    assert not is_valid_uscc(REAL_USCC[:-1] + ("0" if REAL_USCC[-1] != "0" else "1"))
    assert not is_valid_uscc("91350100M000100Y4")          # 17 characters
    assert not is_valid_uscc("91350100M000100I43")         # I is not in the alphabet
    assert uscc_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("phone, ok", [("13800138000", True), ("+86 138 0013 8000", True), ("0591-87654321", True),
                                       ("059187654321", True), ("12345678901", False), ("1380013800", False),
                                       ("abc", False), ("010-1234", False)])
def test_mainland_phone(phone, ok):
    assert is_mainland_phone(phone) is ok


def register_clinician(client, **overrides):
    data = {"email": "doctor@hospital.test", "name": "王医生", "phone": "13800138000", "password": "Gulou-clinic-2026",
            "confirm": "Gulou-clinic-2026", "institution": "福建省立医院", "department": "骨科"} | overrides
    return client.post("/auth/register/clinician", data=data)


def test_clinician_registers_and_lands_on_my_projects(client):
    response = register_clinician(client)
    assert response.status_code == 302 and response.location.endswith("/projects/")
    user = db.session.scalar(db.select(User))
    assert user.role is Role.CLINICIAN and user.institution == "福建省立医院"
    assert user.password_hash.startswith(("scrypt", "pbkdf2")) and "Gulou-clinic-2026" not in user.password_hash


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "手机号"),
    ("email", "not-an-email", "电子邮箱"),
    ("password", "short", "密码至少10位"),
    ("confirm", "different1", "两次输入的密码不一致"),
    ("institution", "", "请选择所在医疗机构"),  # no hospital chosen and none typed
])
def test_registration_errors_are_shown_and_input_kept(client, field, value, message):
    response = register_clinician(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert "王医生" in html  # typed values survive
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_duplicate_email_is_refused(client, make_user):
    user = make_user("clinician", email="doctor@hospital.test")
    db.session.commit()
    response = register_clinician(client, email="Doctor@Hospital.test")
    assert response.status_code == 400 and "已注册" in response.get_data(as_text=True)


def register_org(client, uscc=REAL_USCC, role="enterprise"):
    return client.post("/auth/register/organisation", data={
        "role": role, "organisation_name": "福州医疗器械有限公司", "uscc": uscc, "email": "bd@company.test",
        "name": "李经理", "phone": "0591-87654321", "password": "Gulou-clinic-2026", "confirm": "Gulou-clinic-2026"})


def test_organisation_registration_waits_for_verification(client):
    response = register_org(client)
    assert response.status_code == 302
    user = db.session.scalar(db.select(User))
    assert user.role is Role.ENTERPRISE and user.organisation.status is OrgStatus.PENDING
    page = client.get("/library/")
    assert page.status_code == 403
    assert "尚未通过认证" in page.get_data(as_text=True) and "下一步" in page.get_data(as_text=True)


def test_bad_uscc_is_refused_next_to_the_field(client):
    response = register_org(client, uscc=REAL_USCC[:-1] + "0")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "校验位不正确" in html


def test_staff_verify_and_reject_organisations(client, login_as, make_user):
    pending = make_user("investor", verified=False)
    other = make_user("enterprise", verified=False)
    give_licence(pending.organisation, pending)  # verification needs the 营业执照 on file
    db.session.commit()
    login_as("staff")
    assert pending.organisation.name in client.get("/admin/organisations").get_data(as_text=True)
    client.post(f"/admin/organisations/{pending.organisation.id}/verify")
    client.post(f"/admin/organisations/{other.organisation.id}/reject", data={"comment": "信用代码与名称不符"})
    db.session.refresh(pending.organisation)
    db.session.refresh(other.organisation)
    assert pending.organisation.status is OrgStatus.VERIFIED and pending.is_verified
    assert other.organisation.status is OrgStatus.REJECTED and other.organisation.status_reason == "信用代码与名称不符"
    client.post("/auth/logout")
    login_as(other)
    assert "信用代码与名称不符" in client.get("/library/").get_data(as_text=True)


def test_login_logout(client, make_user):
    user = make_user("clinician")
    db.session.commit()
    bad = client.post("/auth/login", data={"email": user.email, "password": "wrong-password1"})
    assert bad.status_code == 400 and "邮箱或密码不正确" in bad.get_data(as_text=True)
    assert client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD}).status_code == 302
    assert client.get("/projects/").status_code == 200
    client.post("/auth/logout")
    assert client.get("/projects/").status_code == 302


def test_login_is_throttled_after_repeated_failures(client, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per 10 minutes")
    user = make_user("clinician")
    db.session.commit()
    for _ in range(3):
        client.post("/auth/login", data={"email": user.email, "password": "wrong-password1"})
    throttled = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert throttled.status_code == 429 and "尝试过于频繁" in throttled.get_data(as_text=True)


def test_change_password(client, login_as):
    user = login_as("clinician")
    wrong = client.post("/auth/password", data={"current": "nope", "password": "Minjiang-bridge-77", "confirm": "Minjiang-bridge-77"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    client.post("/auth/password", data={"current": PASSWORD, "password": "Minjiang-bridge-77", "confirm": "Minjiang-bridge-77"})
    db.session.refresh(user)
    assert user.check_password("Minjiang-bridge-77")


def test_reset_by_email_is_sent_after_commit(app, client, make_user, smtp_server):
    user = make_user("clinician")
    db.session.commit()
    page = client.post("/auth/forgot", data={"email": user.email})
    assert "重置链接已发送" in page.get_data(as_text=True)
    sent = smtp_server.wait_for(1)                   # the mail job ran when the request committed
    assert len(sent) == 1 and sent[0]["To"] == user.email
    link = re.search(r"http://\S+/auth/reset/\S+", sent[0].get_content()).group(0)
    assert link.startswith(app.config["BASE_URL"] + "/auth/reset/")  # the public address, request or not
    path = link.removeprefix(app.config["BASE_URL"])
    assert client.post(path, data={"password": "Fresh-tea-leaf-99", "confirm": "Fresh-tea-leaf-99"}).status_code == 302
    db.session.refresh(user)
    assert user.check_password("Fresh-tea-leaf-99")
    assert client.get(path).status_code == 302  # used once, then refused


def test_failing_mail_server_does_not_break_the_request(client, make_user, app, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")
    monkeypatch.setattr("smtplib.SMTP", refuse)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    user = make_user("clinician")
    db.session.commit()
    assert client.post("/auth/forgot", data={"email": user.email}).status_code == 200


def test_without_mail_staff_issue_a_reset_link_that_activates_an_imported_account(client, login_as, make_user, app):
    imported = make_user("clinician", active=False)
    db.session.commit()
    assert client.post("/auth/login", data={"email": imported.email, "password": PASSWORD}).status_code == 400
    page = client.post("/auth/forgot", data={"email": imported.email}).get_data(as_text=True)
    assert "联系创新服务站" in page
    login_as("staff")
    html = client.post(f"/admin/users/{imported.id}/reset-link").get_data(as_text=True)
    path = re.search(rf'value="{re.escape(app.config["BASE_URL"])}(/auth/reset/[^"]+)"', html).group(1)
    client.post("/auth/logout")
    client.post(path, data={"password": "Claimed-orchid-42", "confirm": "Claimed-orchid-42"})
    db.session.refresh(imported)
    assert imported.active and imported.check_password("Claimed-orchid-42")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "issue_reset_link")) == 1


def test_admin_creates_staff(client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={"email": "new.staff@station.test", "name": "新同事",
                                                     "role": "staff", "password": "Station-banyan-31"})
    assert response.status_code == 302
    assert accounts.find_user("new.staff@station.test").role is Role.STAFF


def test_cli_creates_staff(app):
    result = app.test_cli_runner().invoke(args=["users", "create-staff", "--email", "cli@station.test",
                                                "--name", "命令行", "--admin", "--password", "Station-banyan-31"])
    assert result.exit_code == 0, result.output
    assert accounts.find_user("cli@station.test").role is Role.ADMIN


def test_csrf_is_enforced_and_cookies_are_flagged(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db",
                      "SECRET_KEY": "x"})
    assert app.config["WTF_CSRF_ENABLED"] is not False
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.app_context():
        db.create_all()
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "a@b.test", "password": "x"})
    assert response.status_code == 400  # no CSRF token
    assert "安全校验未通过" in response.get_data(as_text=True)
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="csrf_token"' in login_page
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_instance_path_and_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINBRIDGE_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.instance_path == str((tmp_path / "elsewhere").resolve())
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'elsewhere' / 'clinbridge.db'}"
    assert (tmp_path / "elsewhere" / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # stable across restarts
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/d")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@h/d"


def test_inactive_staff_accounts_cannot_be_claimed_by_reset(client, login_as, make_user):
    system = make_user("staff", active=False)
    db.session.commit()
    with pytest.raises(Exception):
        accounts.issue_reset_link(system, make_user("staff"))
    token = accounts.reset_token(system)
    with pytest.raises(Exception):
        accounts.user_for_reset_token(token)
