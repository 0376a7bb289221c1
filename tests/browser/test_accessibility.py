"""axe-core (vendored, tests/browser/vendor/axe.min.js) on every main page for each role: no serious or critical
violation of WCAG 2.1 A/AA or axe's best practices, and no duplicate id (valid HTML)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import ARTIFACTS, Screenshots, confirmed_clinician, log_in
from tests.conftest import FULL_PROJECT, PASSWORD, PATHS, take_step
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
shot = Screenshots("a11y")

PUBLIC = ["/", "/auth/login", "/auth/register", "/auth/register/clinician", "/auth/register/organisation",
          "/auth/forgot", "/policy/", "/policy/handbook", "/programme/resources/"]
SIGNED_IN = ["/", "/library/", "/library/{published}", "/notifications/", "/meetings/", "/policy/",
             "/programme/resources/", "/programme/requests/", "/auth/password", "/searches/"]
PAGES = {
    "anonymous": PUBLIC,
    "clinician": SIGNED_IN + ["/projects/", "/projects/new", "/projects/{published}", "/projects/{submitted}",
                              "/projects/{published}/edit", "/deals/", "/deals/{interest}"],
    "enterprise": SIGNED_IN + ["/deals/", "/deals/{interest}", "/organisation/profile", "/organisation/intents",
                               "/organisation/intents/new", "/matching/for-you", "/demands/"],
    "staff": SIGNED_IN + ["/review/", "/review/{submitted}", "/matching/board", "/dashboard/", "/meetings/new",
                          "/incubation/", "/reports/", "/reports/new", "/reports/mapping", "/programme/articles",
                          "/programme/articles/new", "/programme/resources/new", "/admin/organisations",
                          "/deals/{interest}", "/deals/docking-forms"],
    "admin": SIGNED_IN + ["/review/", "/dashboard/", "/admin/users", "/admin/users/new", "/admin/settings",
                          "/admin/audit/", "/admin/organisations", "/matching/board"],
}

DUPLICATE_IDS = """() => {
  const seen = {}, twice = new Set();
  for (const el of document.querySelectorAll('[id]')) { if (seen[el.id]) twice.add(el.id); seen[el.id] = true; }
  return [...twice];
}"""
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — '
                                      + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))
  }));
}"""


@pytest.fixture(scope="module")
def people(live_app):
    """One account per role, a published project in talks with the enterprise and a submitted one."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.deals import operations as deals
    from app.extensions import db
    from app.projects import operations as project_service
    from app.projects.models import ProjectStatus

    tag = os.getpid()
    emails = {role: f"a11y-{role}-{tag}@example.com" for role in ("clinician", "enterprise", "staff", "admin")}
    with live_app.app_context(), live_app.test_request_context("/"):
        doctor = confirmed_clinician(emails["clinician"], PASSWORD, "无障碍医生", "13912340009",
                                             "福州市第一医院", "心内科")
        staff = accounts.create_staff(emails["staff"], PASSWORD, "无障碍审核员")
        accounts.create_staff(emails["admin"], PASSWORD, "无障碍专班", role=Role.ADMIN)
        ids = {}
        for status in (ProjectStatus.PUBLISHED, ProjectStatus.SUBMITTED):
            project = project_service.create_project(doctor, dict(FULL_PROJECT, name=f"无障碍测试项目{status.value}"))
            for step in PATHS[status]:
                take_step(project, step, doctor, staff)
            db.session.flush()
            ids[status.value] = project.id
        member = accounts.register_organisation_member(emails["enterprise"], PASSWORD, "无障碍企业联系人",
                                                       "13800138009", Role.ENTERPRISE, "无障碍医疗器械有限公司",
                                                       make_uscc(750009))
        accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
        interest = deals.express_interest(_project(ids["published"]), member, "希望联合开发。", ["joint_development"])
        db.session.commit()
        ids["interest"] = interest.id
    return {"emails": emails, "ids": ids}


def _project(project_id):
    from app.extensions import db
    from app.projects.models import Project
    return db.session.get(Project, project_id)


def _audit(page, url: str) -> list[str]:
    """axe's serious and critical violations and the duplicate ids of the page at url, as readable lines."""
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url} → {response and response.status}"
    page.evaluate(AXE.read_text(encoding="utf-8"))
    problems = [f"{url}: duplicate id #{i}" for i in page.evaluate(DUPLICATE_IDS)]
    for violation in page.evaluate(RUN_AXE, TAGS):
        problems.append(f"{url}: [{violation['impact']}] {violation['id']} ({violation['help']}): "
                        + " | ".join(violation["nodes"]))
    return problems


@pytest.mark.parametrize("role", list(PAGES))
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, people, role, width):
    # The page's own CSP would refuse the injected axe script; the check is of the page, not of the policy.
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  bypass_csp=True, **(PHONE if width == "phone" else DESKTOP))
    try:
        page = context.new_page()
        if role != "anonymous":
            log_in(page, people["emails"][role])
        problems = []
        for template in PAGES[role]:
            problems += _audit(page, template.format(**people["ids"]))
        if width == "desktop":  # the English pages too (longer labels, other wrapping)
            page.goto("/lang/en")
            for template in PAGES[role][:4]:
                problems += _audit(page, template.format(**people["ids"]))
        shot(page, f"{role}-{width}-last")
    finally:
        context.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"a11y-{role}-{width}.json").write_text(json.dumps(problems, ensure_ascii=False, indent=1),
                                                         encoding="utf-8")
    assert problems == [], "\n".join(problems)
