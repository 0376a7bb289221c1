"""Lists on a phone (390×844) and on a desktop (1366×900): the library's results come first with its filters folded
behind a button that counts them, every list table becomes labelled cards on a phone, and no button or badge is
squeezed into one character per line."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.browser.test_accessibility import PAGES
from tests.conftest import FULL_PROJECT, PASSWORD, PATHS, take_step
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
WIDE = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
shot = Screenshots("lists")

# Buttons and badges whose text is broken into lines of one or two characters (a squeezed button).
SQUEEZED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('main .btn, main .badge, main button, nav .btn')) {
    if (!el.offsetParent) continue;
    const text = el.innerText.replace(/\\s+/g, '');
    if (text.length < 2) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    if (lines >= 2 && text.length / lines <= 2) found.push(el.innerText.trim().slice(0, 30) + ' (' + lines + ' lines)');
  }
  return found;
}"""
# Every table of a page's content, and whether it is laid out as cards (rows as blocks, each cell labelled).
# Figures' data tables (class dash-table: a category and its counts) stay tables; a cell of only buttons needs no label.
TABLES = """() => [...document.querySelectorAll('main table:not(.dash-table)')].filter(t => t.offsetParent).map(t => {
  const own = c => { const copy = c.cloneNode(true);
    copy.querySelectorAll('.btn, button, input[type=hidden]').forEach(b => b.remove()); return copy.textContent.trim(); };
  const cells = [...t.querySelectorAll('tbody td')];
  const row = t.querySelector('tbody tr');
  return {name: (t.querySelector('th') || t).innerText.trim().slice(0, 20),
          cards: row ? getComputedStyle(row).display === 'block' : true,
          unlabelled: cells.filter(c => !(c.dataset.label || '').trim() && !c.hasAttribute('colspan')
                                        && own(c)).length,
          head: t.tHead ? getComputedStyle(t.tHead).display !== 'none' : false};
})"""


@pytest.fixture(scope="module")
def lists(live_app):
    """Accounts of every role, published projects of two types (the library has facets), a submitted one, an interest."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.deals import operations as deals
    from app.extensions import db
    from app.projects import operations as project_service
    from app.projects.models import ProjectStatus

    tag = os.getpid()
    emails = {role: f"lists-{role}-{tag}@example.com" for role in ("clinician", "enterprise", "staff", "admin")}
    with live_app.app_context(), live_app.test_request_context("/"):
        doctor = confirmed_clinician(emails["clinician"], PASSWORD, "列表医生", "13912340011",
                                     "福州市第一医院", "心内科")
        staff = accounts.create_staff(emails["staff"], PASSWORD, "列表审核员")
        accounts.create_staff(emails["admin"], PASSWORD, "列表专班", role=Role.ADMIN)
        ids = {}
        for n, status in enumerate((ProjectStatus.PUBLISHED, ProjectStatus.PUBLISHED, ProjectStatus.SUBMITTED)):
            project = project_service.create_project(doctor, dict(FULL_PROJECT, name=f"列表测试项目{n}"))
            for step in PATHS[status]:
                take_step(project, step, doctor, staff)
            db.session.flush()
            ids[status.value] = project.id
        member = accounts.register_organisation_member(emails["enterprise"], PASSWORD, "列表企业联系人",
                                                       "13800138011", Role.ENTERPRISE, "列表医疗器械有限公司",
                                                       make_uscc(760011))
        accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
        published = db.session.get(type(project), ids["published"])
        interest = deals.express_interest(published, member, "希望联合开发。", ["joint_development"])
        db.session.commit()
        ids["interest"] = interest.id
        ids["project_type"] = published.project_type.value
        ids["city"] = published.city
    return {"emails": emails, "ids": ids}


def _page(browser, live_server, options):
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    return context, context.new_page()


def test_the_library_on_a_phone_shows_results_first_and_counts_the_folded_filters(browser, live_server, lists):
    check = expect()
    ids = lists["ids"]
    context, page = _page(browser, live_server, PHONE)
    try:
        log_in(page, lists["emails"]["enterprise"])
        page.goto(f"/library/?project_type={ids['project_type']}&city={ids['city']}")
        toggle = page.locator("button.filter-toggle")
        check(toggle).to_have_text("筛选 (2)")
        check(toggle).to_have_attribute("aria-expanded", "false")
        panel = page.locator("#library-filters")
        check(panel).to_be_hidden()
        results = page.locator("section[aria-live] .project-list")
        assert results.bounding_box()["y"] < 844, "the results are below the fold"
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        shot(page, "library-phone-folded")
        toggle.focus()  # the keyboard unfolds it
        page.keyboard.press("Enter")
        check(toggle).to_have_attribute("aria-expanded", "true")
        check(panel.locator("[data-facet=project_type]")).to_be_visible()
        check(panel).to_have_class(re.compile(r"\bshow\b"))  # unfolded (the animation is over)
        shot(page, "library-phone-unfolded")
        page.keyboard.press("Enter")
        check(toggle).to_have_attribute("aria-expanded", "false")
        page.goto("/library/")
        check(page.locator("button.filter-toggle")).to_have_text("筛选")
    finally:
        context.close()
    context, page = _page(browser, live_server, WIDE)
    try:
        log_in(page, lists["emails"]["enterprise"])
        page.goto(f"/library/?project_type={ids['project_type']}")
        check(page.locator("button.filter-toggle")).to_be_hidden()
        check(page.locator("#library-filters [data-facet=city]")).to_be_visible()
        # an organisation member's long menu wraps instead of running off the screen
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        shot(page, "library-desktop")
    finally:
        context.close()


@pytest.mark.parametrize("role, url", [("clinician", "/projects/"), ("staff", "/review/"), ("admin", "/admin/users"),
                                       ("enterprise", "/deals/")])
def test_list_tables_are_cards_on_a_phone_and_tables_on_a_desktop(browser, live_server, lists, role, url):
    for name, options in (("phone", PHONE), ("desktop", WIDE)):
        context, page = _page(browser, live_server, options)
        try:
            log_in(page, lists["emails"][role])
            page.goto(url)
            tables = page.evaluate(TABLES)
            assert tables, f"no table on {url}"
            for table in tables:
                assert table["unlabelled"] == 0, table
                assert table["cards"] is (name == "phone"), (name, table)
                assert table["head"] is (name == "desktop"), (name, table)
            if name == "phone":
                assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            assert page.evaluate(SQUEEZED) == [], name
            shot(page, f"{role}-{url.strip('/').replace('/', '-')}-{name}")
        finally:
            context.close()


@pytest.mark.parametrize("role", ["clinician", "enterprise", "staff", "admin"])
def test_every_list_is_cards_and_no_button_is_squeezed_on_a_phone(browser, live_server, lists, role):
    ids = dict(lists["ids"], submitted=lists["ids"]["submitted"], published=lists["ids"]["published"])
    context, page = _page(browser, live_server, PHONE)
    problems = []
    try:
        log_in(page, lists["emails"][role])
        for template in PAGES[role]:
            url = template.format(**ids)
            page.goto(url)
            problems += [f"{url}: squeezed {b}" for b in page.evaluate(SQUEEZED)]
            for table in page.evaluate(TABLES):
                if not table["cards"] or table["unlabelled"]:
                    problems.append(f"{url}: table {table['name']!r} is not cards ({table})")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_review_queue_on_a_phone_shows_results_first_with_the_libraries_filter_toggle(browser, live_server, lists):
    check = expect()
    city = lists["ids"]["city"]
    context, page = _page(browser, live_server, PHONE)
    try:
        log_in(page, lists["emails"]["staff"])
        page.goto(f"/review/?status=submitted&city={city}")
        toggle = page.locator("button.filter-toggle")
        check(toggle).to_have_text("筛选 (1)")
        check(toggle).to_have_attribute("aria-expanded", "false")
        check(toggle).to_have_attribute("aria-controls", "review-filters")
        panel = page.locator("#review-filters")
        check(panel).to_be_hidden()
        first = page.locator("main table tbody tr").first
        assert first.bounding_box()["y"] < 844, "the results are below the fold"
        shot(page, "review-phone-folded")
        toggle.focus()
        page.keyboard.press("Enter")
        check(toggle).to_have_attribute("aria-expanded", "true")
        check(panel.locator("#f-city")).to_be_visible()
        check(panel.locator("#f-city")).to_have_value(city)
        page.goto("/review/?status=submitted")
        check(page.locator("button.filter-toggle")).to_have_text("筛选")
    finally:
        context.close()
    context, page = _page(browser, live_server, WIDE)
    try:
        log_in(page, lists["emails"]["staff"])
        page.goto("/review/?status=submitted")
        check(page.locator("button.filter-toggle")).to_be_hidden()
        check(page.locator("#review-filters #f-q")).to_be_visible()
    finally:
        context.close()
