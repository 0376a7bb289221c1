"""What every browser test does: wait-and-assert, sign in, and save numbered screenshots."""
from __future__ import annotations

import itertools
from pathlib import Path

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def expect():
    """Playwright's auto-waiting assertions (imported late: the package is optional off CI)."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect


def log_in(page, email: str) -> None:
    """Sign in through the real form and wait for the welcome message."""
    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect()(page.locator(".alert-success")).to_contain_text("欢迎")


class Screenshots:
    """Full-page screenshots numbered in order: tests/artifacts/<prefix>-<nn>-<step>.png."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.counter = itertools.count(1)

    def __call__(self, page, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}-{next(self.counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def confirmed_clinician(email: str, password: str, name: str, phone: str, hospital: str, department: str):
    """A clinician registered through the services at `hospital` and confirmed by station staff (the hospital
    has no officer); in the live app's context. Unconfirmed clinicians cannot submit projects."""
    from app.accounts import institutions
    from app.accounts import operations as accounts
    from app.accounts.models import Institution
    from app.extensions import db
    from tests.uscc import make_uscc

    staff = accounts.find_user("browser-confirmer@example.com") or accounts.create_staff(
        "browser-confirmer@example.com", password, "身份核实员")
    institution = db.session.scalar(db.select(Institution).where(Institution.name == hospital))
    if institution is None:
        serial = 800000 + (db.session.scalar(db.select(db.func.count()).select_from(Institution)) or 0)
        institution = institutions.create_institution(staff, {"name": hospital, "code": make_uscc(serial),
                                                              "city": "福州市"})
    user = institutions.register_clinician(email, password, name, phone, institution.id, "", department)
    institutions.confirm_affiliation(user.affiliation, staff)
    return user


def confirm_registered(live_app, email: str, hospital: str) -> None:
    """Station staff record the hospital a registered clinician typed and confirm them (it has no officer)."""
    from app.accounts import institutions
    from app.accounts import operations as accounts
    from app.accounts.models import Institution
    from app.extensions import db
    from tests.uscc import make_uscc

    with live_app.app_context():
        staff = accounts.find_user("browser-confirmer@example.com") or accounts.create_staff(
            "browser-confirmer@example.com", PASSWORD, "身份核实员")
        institution = db.session.scalar(db.select(Institution).where(Institution.name == hospital))
        if institution is None:
            serial = 800000 + (db.session.scalar(db.select(db.func.count()).select_from(Institution)) or 0)
            institution = institutions.create_institution(staff, {"name": hospital, "code": make_uscc(serial),
                                                                  "city": "福州市"})
        user = accounts.find_user(email)
        institutions.resolve_affiliation(user, staff, institution)
        institutions.confirm_affiliation(user.affiliation, staff)
        db.session.commit()
