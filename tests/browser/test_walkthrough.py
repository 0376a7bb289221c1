"""Per-role walk-throughs in real Chromium at a phone (390×844) and a desktop (1366×900) width (issue 15).

Each role goes through its main steps with the key content asserted (headings, flashes) and a screenshot per
step in tests/artifacts/walkthrough/<role>/<width>-<step>.png, to be looked at. The people and data each walk
needs are made once for both widths through the services (each width has its own, so the walks stay independent).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.helpers import ARTIFACTS, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser

WIDTHS = {390: {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                "device_scale_factor": 1},
          1366: {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}}
SHOTS = ARTIFACTS / "walkthrough"
HOSPITAL = "福建医科大学附属第一医院（走查）"
REVIEW_HOSPITAL = "福建省妇幼保健院（走查）"
WORD = "雾化"
NEW_PROJECT = {
    "name": "走查：便携式超声雾化给药器", "department": "呼吸内科", "lead_name": "黄医生", "phone": "13912345601",
    "email": "huang.walk@example.com", "structure": "由雾化片、药杯和控制电路组成。",
    "principle": "压电陶瓷高频振动使药液雾化。", "intended_use": "用于儿童哮喘的家庭雾化给药。",
    "clinical_prospects": "减少患儿往返医院的次数。", "market": "国内家用雾化器需求增长。",
    "team": "呼吸科医生二名、工程师一名。", "ip_status": "已申请实用新型专利。",
    "public_summary": "一种家庭用便携式超声雾化给药器。",
}
REASONS = ["适用范围与意向“雾化给药”相符", "产品分类Ⅱ类在意向范围内"]
CHOICES = {"project_type": "有源", "device_class": "Ⅱ类医疗器械", "stage": "样品阶段", "ip_exists": "申请中",
           "publish_consent": "是"}


class Walk:
    """Screenshots of one role at one width: walkthrough/<role>/<width>-<nn>-<step>.png."""

    def __init__(self, role: str, width: int):
        self.folder, self.width, self.n = SHOTS / role, width, 0
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, step: str) -> Path:
        self.n += 1
        page.wait_for_load_state("load")
        path = self.folder / f"{self.width}-{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def open_page(browser, live_server, width: int):
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **WIDTHS[width])
    return context, context.new_page()


def nav(page, name: str) -> None:
    """Follow a main-menu link, opening the collapsed menu first on a phone."""
    page.wait_for_load_state("load")
    toggler = page.get_by_role("button", name="菜单")
    if toggler.is_visible():
        toggler.click()
    page.locator("#mainnav").get_by_role("link", name=name, exact=True).first.click()


def no_sideways_scroll(page) -> None:
    """Nothing sticks out of the page to the right (a phone user would have to scroll sideways).

    After a click that posts a form, the next page's text can be there before its stylesheet is applied (the
    load event): measured then, every table is as wide as unstyled (a failure seen once under load).
    """
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        culprits = page.evaluate("""() => { const w = document.documentElement.clientWidth; return [...document
            .querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 6)
            .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${e.textContent.trim().slice(0, 30)}`)
        }""")
        pytest.fail(f"{page.url} is {overflow}px wider than the screen: {culprits}")


def heading(page, text: str) -> None:
    expect()(page.locator("main h1").first).to_contain_text(text)


@pytest.fixture(scope="module")
def world(live_app, live_server):
    """For each width: a confirmed clinician with a published project an enterprise is interested in, a verified
    enterprise (profile and intent, suggestions computed) and investor, a project waiting for 初核, and a
    project waiting in 院内审核 with its hospital's officer; one staff member and one admin for all."""
    from app.accounts import institutions
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.core.notifications import mark_read
    from app.deals import operations as deals
    from app.extensions import db
    from app.projects import operations as projects
    from app.projects import search
    from app.suggestions.models import MatchSuggestion

    tag = os.getpid()
    people = {"staff": f"walk-staff-{tag}@example.com", "admin": f"walk-admin-{tag}@example.com"}
    with live_app.app_context(), live_app.test_request_context("/", base_url=live_server):
        staff = accounts.create_staff(people["staff"], PASSWORD, "走查服务站专员")
        accounts.create_staff(people["admin"], PASSWORD, "走查工作专班", role=Role.ADMIN)
        hospital = institutions.create_institution(staff, {"name": REVIEW_HOSPITAL, "code": make_uscc(770001),
                                                           "city": "福州市", "level": "3a"})
        for number, width in enumerate(WIDTHS, 1):
            mine = {key: f"walk-{key}-{width}-{tag}@example.com"
                    for key in ("doctor", "enterprise", "investor", "hospital_doctor", "waiting_doctor")}
            doctor = confirmed_clinician(mine["doctor"], PASSWORD, f"黄医生{width}", "13912345601", HOSPITAL,
                                         "呼吸内科")
            published = projects.create_project(doctor, dict(FULL_PROJECT, name=f"走查：智能雾化吸入监测仪{width}",
                                                             intended_use="用于慢阻肺患者雾化吸入治疗的依从性监测。"))
            listed = projects.create_project(doctor, dict(FULL_PROJECT, name=f"走查：儿童雾化面罩{width}",
                                                          intended_use="用于儿童雾化吸入治疗。"))
            for project in (published, listed):
                projects.submit_project(project, doctor)
                projects.approve_project(project, staff, "同意发布")
            mark_read(doctor)  # the doctor has read that the projects passed review
            waiting_doctor = confirmed_clinician(mine["waiting_doctor"], PASSWORD, f"吴医生{width}", "13912345602",
                                                 HOSPITAL, "心内科")
            waiting = projects.create_project(waiting_doctor, dict(FULL_PROJECT, name=f"走查：心电贴片{width}"))
            projects.submit_project(waiting, waiting_doctor)
            company = accounts.register_organisation_member(
                mine["enterprise"], PASSWORD, f"企业联系人{width}", "13800138001", Role.ENTERPRISE,
                f"走查雾化医疗器械有限公司{width}", make_uscc(780000 + number))
            accounts.verify_organisation(company.organisation, staff)
            accounts.update_profile(company.organisation, company, {
                "field": "呼吸、麻醉和急救器械", "region": "福建省", "overview": "公司主要产品：雾化器、呼吸机"})
            intent = deals.create_intent(company.organisation, company, {
                "title": "寻找雾化类项目", "description": "雾化给药、呼吸治疗器械", "device_classes": ["II"],
                "cooperation_modes": ["joint_development"], "region_preference": "any"})
            # Stored as the ranking would store them (tests/suggestions test the ranking; a full recompute
            # takes over a minute here, this walk only needs 为您推荐 and the match board to show pairs).
            for project, score in ((listed, 0.82), (published, 0.64)):
                db.session.add(MatchSuggestion(project_id=project.id, organisation_id=company.organisation_id,
                                               intent_id=intent.id, score=score, public_reasons=REASONS,
                                               owner_reasons=REASONS))
            rival = accounts.register_organisation_member(
                f"walk-rival-{width}-{tag}@example.com", PASSWORD, f"意向企业{width}", "13800138003",
                Role.ENTERPRISE, f"走查意向企业有限公司{width}", make_uscc(780010 + number))
            accounts.verify_organisation(rival.organisation, staff)
            deals.express_interest(published, rival, "我司希望联合开发该监测仪。", ["joint_development"])
            investor = accounts.register_organisation_member(
                mine["investor"], PASSWORD, f"投资经理{width}", "13800138002", Role.INVESTOR,
                f"走查创投基金{width}", make_uscc(780020 + number))
            accounts.verify_organisation(investor.organisation, staff)
            hospital_doctor = confirmed_clinician(mine["hospital_doctor"], PASSWORD, f"郑医生{width}",
                                                  "13912345603", REVIEW_HOSPITAL, "妇产科")
            people[width] = dict(mine, published=published, listed=listed, waiting=waiting, hospital_doctor_user=hospital_doctor,
                                 rival=rival.organisation.name)
        # The officer comes after the confirmations: staff confirm only where a hospital has no officer.
        officer_email = f"walk-officer-{tag}@example.com"
        officer = institutions.create_officer(hospital, staff, officer_email, PASSWORD, "科研处叶老师")
        institutions.set_internal_review(hospital, officer, True)
        for width in WIDTHS:
            people[width]["officer"] = officer_email
            in_review = projects.create_project(people[width].pop("hospital_doctor_user"),
                                                dict(FULL_PROJECT, name=f"走查：胎心监护带{width}"))
            projects.submit_project(in_review, in_review.owner)
            people[width]["in_review"] = in_review
        db.session.commit()
        for width in WIDTHS:
            for key in ("published", "listed", "waiting", "in_review"):
                project = people[width][key]
                people[width][key] = (project.id, project.name)
        if people[390]["listed"][0] not in [h.project_id for h in search.search_projects(WORD).hits]:
            search.reindex()
    return people


@pytest.fixture
def walk(browser, live_server, world):
    contexts = []

    def start(role: str, width: int, email: str):
        context, page = open_page(browser, live_server, width)
        contexts.append(context)
        log_in(page, email)
        return page, Walk(role, width)
    yield start
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_clinician(walk, world, width, browser, live_server):
    check = expect()
    mine = world[width]
    # Registration (looked at, not submitted: the account comes confirmed from the helper).
    context, visitor = open_page(browser, live_server, width)
    visitor.goto("/auth/register/clinician")
    heading(visitor, "医务人员注册")
    no_sideways_scroll(visitor)
    first = Walk("clinician", width)
    first.n = -1
    first(visitor, "register")
    context.close()

    page, shot = walk("clinician", width, mine["doctor"])
    nav(page, "我的项目")
    heading(page, "我的项目")
    check(page.locator("main")).to_contain_text(mine["published"][1])
    no_sideways_scroll(page)
    shot(page, "my-projects")

    # 附件1: fill, submit, land on the project in 待初核.
    page.goto("/projects/new")
    for name, text in NEW_PROJECT.items():
        page.locator(f"#{name}").fill(text)
    city = page.locator("#city")
    if city.evaluate("e => e.tagName") == "SELECT":
        city.select_option(label="福州市")
    else:
        city.fill("福州市")
    for name, label in CHOICES.items():
        page.locator(f"#field-{name}").get_by_label(label, exact=True).check()
    page.locator("#commitment_agreed").check()
    no_sideways_scroll(page)
    shot(page, "form-filled")
    page.get_by_role("button", name="提交初核").click()
    check(page).to_have_url(re.compile(r"/projects/\d+$"))
    check(page.locator(".alert-success")).to_contain_text("已提交初核")
    check(page.locator("h1")).to_contain_text("待初核")
    shot(page, "submitted")

    # The interest arrived as a notification; from it to the board, and accept.
    check(page.locator("#nav-notifications .badge").first).to_have_text("1")
    page.goto("/notifications/")
    heading(page, "消息通知")
    item = page.locator(".list-group-item", has_text=mine["published"][1]).first
    check(item).to_contain_text(mine["rival"])
    no_sideways_scroll(page)
    shot(page, "notifications")
    # The same notices read in English (stored as codes and parameters, made in the reader's language).
    page.goto("/lang/en")
    page.goto("/notifications/")
    item = page.locator(".list-group-item", has_text=mine["published"][1]).first
    check(item).to_contain_text("New expression of interest")
    assert "表达了合作意向" not in page.locator("main").inner_text()
    shot(page, "notifications-en")
    page.goto("/lang/zh")
    page.goto(f"/deals/projects/{mine['published'][0]}/board")
    heading(page, "意向看板")
    card = page.locator("article.interest-card", has_text=mine["rival"])
    no_sideways_scroll(page)
    shot(page, "board")
    card.get_by_role("button", name="接受意向").click()
    check(page).to_have_url(re.compile(r"/deals/\d+$"))
    check(page.locator(".alert-success")).to_contain_text(f"已接受 {mine['rival']} 的意向")
    no_sideways_scroll(page)
    shot(page, "accepted")


@pytest.mark.parametrize("width", WIDTHS)
def test_enterprise(walk, world, width):
    check = expect()
    mine = world[width]
    page, shot = walk("enterprise", width, mine["enterprise"])
    check(page).to_have_url(re.compile(r"/matching/for-you$"))
    heading(page, "为您推荐")
    check(page.locator("article.suggestion").first).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "for-you")

    nav(page, "入选项目库")
    heading(page, "入选项目库")
    no_sideways_scroll(page)
    shot(page, "library")
    page.locator("#search-q").fill(WORD)
    page.get_by_role("button", name="搜索", exact=True).click()
    check(page).to_have_url(re.compile(r"/library/\?q="))
    results = page.locator(".project-list")
    check(results).to_contain_text(mine["listed"][1])
    no_sideways_scroll(page)
    shot(page, "search")

    results.get_by_role("link", name=re.compile(re.escape(mine["listed"][1]))).first.click()
    check(page).to_have_url(re.compile(rf"/library/{mine['listed'][0]}$"))
    heading(page, mine["listed"][1])
    box = page.locator("#express-interest")
    box.locator("#message").fill("我司雾化器产线成熟，希望联合开发并负责注册检验。")
    box.get_by_label("联合开发", exact=True).check()
    no_sideways_scroll(page)
    shot(page, "project")
    box.get_by_role("button", name="提交合作意向").click()
    check(page.locator(".alert-success")).to_contain_text("意向已发送")
    no_sideways_scroll(page)
    shot(page, "interest-sent")


@pytest.mark.parametrize("width", WIDTHS)
def test_investor(walk, world, width):
    check = expect()
    page, shot = walk("investor", width, world[width]["investor"])
    page.goto("/organisation/intents")
    heading(page, "投资意向")
    no_sideways_scroll(page)
    shot(page, "intents")
    page.goto("/organisation/intents/new")
    heading(page, "发布投资意向")
    page.locator("#title").fill("寻找早期有源器械项目")
    page.locator("#description").fill("关注呼吸、监护类有源器械的早期项目，可投资并协助对接产业资源。")
    page.locator("#keywords").fill("雾化、监护")
    page.locator("#budget_min_wan").fill("100")
    page.locator("#budget_max_wan").fill("500")
    no_sideways_scroll(page)
    shot(page, "intent-form")
    page.get_by_role("button", name="发布投资意向").click()
    check(page.locator(".alert-success")).to_contain_text("投资意向已发布")
    check(page.locator("main")).to_contain_text("寻找早期有源器械项目")
    no_sideways_scroll(page)
    shot(page, "intent-saved")


@pytest.mark.parametrize("width", WIDTHS)
def test_station_staff(walk, world, width):
    check = expect()
    project_id, name = world[width]["waiting"]
    page, shot = walk("staff", width, world["staff"])
    page.goto("/review/")
    heading(page, "项目初核")
    check(page.locator("main")).to_contain_text(name)
    no_sideways_scroll(page)
    shot(page, "review-queue")
    page.locator("main").get_by_role("link", name=name).first.click()
    check(page).to_have_url(re.compile(rf"/review/{project_id}$"))
    heading(page, name)
    no_sideways_scroll(page)
    shot(page, "review-project")
    page.get_by_role("button", name="通过初核并发布").click()
    check(page).to_have_url(re.compile(r"/review/$"))
    check(page.locator(".alert-success").first).to_be_visible()
    shot(page, "approved")

    page.goto("/matching/board")
    heading(page, "匹配看板")
    check(page.locator("main table, main .suggestion").first).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "match-board")
    page.goto("/dashboard/")
    heading(page, "工作专班数据看板")
    no_sideways_scroll(page)
    shot(page, "dashboard")


@pytest.mark.parametrize("width", WIDTHS)
def test_admin(walk, world, width):
    page, shot = walk("admin", width, world["admin"])
    page.goto("/admin/users")
    heading(page, "用户管理")
    expect()(page.locator("main")).to_contain_text(world["staff"])
    no_sideways_scroll(page)
    shot(page, "users")
    page.goto("/admin/settings")
    heading(page, "项目评估指标权重")
    no_sideways_scroll(page)
    shot(page, "settings")
    page.goto("/admin/audit/")
    heading(page, "审计日志")
    expect()(page.locator("main")).to_contain_text("通过初核")
    shown = page.locator("main").inner_text()
    for raw in ("affiliation #", "institution #", "membership #", "→ clinician", "→ enterprise", "→ investor"):
        assert raw not in shown, f"the audit viewer shows the raw code {raw!r}"
    no_sideways_scroll(page)
    shot(page, "audit")


@pytest.mark.parametrize("width", WIDTHS)
def test_institution_reviewer(walk, world, width):
    check = expect()
    project_id, name = world[width]["in_review"]
    page, shot = walk("institution", width, world[width]["officer"])
    check(page).to_have_url(re.compile(r"/institution/$"))
    heading(page, REVIEW_HOSPITAL)
    check(page.locator("main")).to_contain_text(name)
    no_sideways_scroll(page)
    shot(page, "workbench")
    page.goto(f"/institution/projects/{project_id}")
    heading(page, name)
    no_sideways_scroll(page)
    shot(page, "hospital-review")
    page.get_by_role("button", name="通过院内审核，报送服务站").click()
    check(page.locator(".alert-success")).to_contain_text("已通过院内审核")
    no_sideways_scroll(page)
    shot(page, "approved")
