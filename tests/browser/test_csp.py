"""The Content-Security-Policy allows no inline script or style: pages with scripts still work in a real browser."""
from __future__ import annotations

import os

import pytest

from tests.browser.helpers import expect, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_pages_run_their_scripts_with_no_policy_violation(live_app, new_page, live_accounts):
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.extensions import db
    email = f"csp-admin-{os.getpid()}@example.com"
    with live_app.app_context():
        accounts.create_staff(email, PASSWORD, "CSP管理员", Role.ADMIN)
        db.session.commit()
    page = new_page()
    violations, errors = [], []
    page.on("console", lambda message: message.type == "error" and violations.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    log_in(page, email)
    response = page.goto("/dashboard/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("#projector-toggle").click()  # the dashboard's own script (static/js/dashboard.js)
    expect()(page.locator("body")).to_have_class("projector")
    for path in ("/library/", "/admin/users", "/admin/memberships", "/auth/password", "/searches/"):
        page.goto(path)
    assert violations == [] and errors == []


def test_the_members_page_on_a_phone(new_page, live_accounts, shot):
    email = live_accounts("enterprise")
    page = new_page(phone=True)
    log_in(page, email)
    page.goto("/organisation/members")
    expect()(page.locator("h1")).to_contain_text("机构成员")
    page.locator("#email").fill("colleague@example.com")
    page.get_by_role("button", name="发送邀请").click()
    expect()(page.locator("#invitations")).to_contain_text("colleague@example.com")
    shot(page, "phone-organisation-members")
