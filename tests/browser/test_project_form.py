"""附件1 in real Chromium on a phone (390×844) and a desktop (1366×900): prefilled from the account, autosave
while typing (the new project becomes a draft, its address changes without a reload, a reload shows the text),
the 其他 city's name, the sections' progress, and a refused submit's error summary taking the focus."""
from __future__ import annotations

import itertools
import os
import re

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
shot = Screenshots("form")
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 1},
         "desktop": {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}}
_n = itertools.count(1)


@pytest.mark.parametrize("size", list(SIZES))
def test_autosave_and_the_error_summary(browser, live_server, live_app, size):
    email = f"form-doctor-{size}-{next(_n)}-{os.getpid()}@example.com"
    with live_app.app_context(), live_app.test_request_context("/"):
        from app.extensions import db
        confirmed_clinician(email, PASSWORD, "黄医生", "13912340009", "福建省立医院", "神经内科")
        db.session.commit()
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", **SIZES[size])
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    check = expect()
    try:
        log_in(page, email)
        page.goto("/projects/new")
        # prefilled from the account and the hospital; 医院 shown
        check(page.locator("#lead_name")).to_have_value("黄医生")
        check(page.locator("#department")).to_have_value("神经内科")
        check(page.locator("#phone")).to_have_value("13912340009")
        check(page.locator("#email")).to_have_value(email)
        check(page.locator("#city")).to_have_value("福州市")
        check(page.locator("#hospital-note")).to_contain_text("福建省立医院")
        check(page.locator("#city-other-wrap")).to_be_hidden()
        nav = page.locator("#form-nav")
        if size == "desktop":
            assert page.evaluate("getComputedStyle(document.getElementById('form-nav')).position") == "sticky"
        else:
            assert nav.bounding_box()["height"] < 130  # one compact strip above the form
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the strip scrolls, not the page
        shot(page, f"{size}-new-prefilled")

        # typing: saved a few seconds later, the page is now the draft's and says so
        page.locator("#name").fill("自动保存的脑卒中康复训练仪")
        page.locator("#structure").press_sequentially("由主机和传感器组成", delay=20)
        status = page.locator("#autosave-status")
        check(status).to_contain_text(re.compile(r"已自动保存 \d\d:\d\d"), timeout=15000)
        check(page).to_have_url(re.compile(r"/projects/\d+/edit$"))
        check(page.locator("#project-form")).to_have_attribute("action", re.compile(r"/projects/\d+/edit$"))
        assert status.get_attribute("aria-live") == "polite"
        shot(page, f"{size}-autosaved")
        edit_url = page.url

        page.reload()
        check(page).to_have_url(edit_url)
        check(page.locator("#name")).to_have_value("自动保存的脑卒中康复训练仪")
        check(page.locator("#structure")).to_have_value("由主机和传感器组成")
        assert dialogs == [], "leaving after autosave must not ask about unsaved changes"

        # 其他: the name's field appears; the section's progress follows the typing
        page.locator("#city").select_option("other")
        check(page.locator("#city-other-wrap")).to_be_visible()
        page.locator("#city_other").fill("北京市")
        check(page.locator("#form-nav a[data-section=section-basic]")).to_have_class(re.compile(r"\bis-done\b"))
        check(page.locator("#form-nav a[data-section=section-product]")).to_have_class(re.compile(r"\bis-todo\b"))

        # a refused submit: the summary takes the focus; its link focuses the field; nothing typed is lost
        page.locator("#phone").fill("12345")
        page.get_by_role("button", name="提交初核").click()
        summary = page.locator("#error-summary")
        check(summary).to_be_focused()
        check(summary).to_contain_text("联系电话")
        check(page.locator("#name")).to_have_value("自动保存的脑卒中康复训练仪")
        check(page.locator("#city_other")).to_have_value("北京市")
        check(page.locator("#form-nav a[data-section=section-basic]")).to_have_class(re.compile(r"\bis-error\b"))
        shot(page, f"{size}-error-summary")
        summary.locator("a[href='#phone']").click()
        check(page.locator("#phone")).to_be_focused()
        assert page.locator("#phone").is_visible()
        summary.locator("a[href='#project_type-0']").click()
        check(page.locator("#project_type-0")).to_be_focused()
        shot(page, f"{size}-error-link-focused")
        with live_app.app_context():
            from app.extensions import db
            from app.projects.models import Project
            from app.accounts.models import User
            owner = db.session.scalar(db.select(User).where(User.email == email))
            assert db.session.scalar(db.select(db.func.count()).select_from(Project)
                                     .where(Project.owner_id == owner.id)) == 1  # no duplicate draft
    finally:
        context.close()
