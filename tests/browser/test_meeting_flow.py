"""推进会议 in a real browser: staff create an event and invite; two clinicians and two organisations confirm and
select; staff build and publish the schedule; a clinician downloads the agenda (.docx) and the calendar (.ics);
after the event both sides of a meeting mark "continue", which creates the interest. Desktop and phone."""
from __future__ import annotations

import os
import re
import zipfile
from datetime import timedelta

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
shot = Screenshots("meetings")

TITLE = "浏览器测试：临床研究成果转化推进会议"
P1, P2 = "会议测试：智能输液监护仪", "会议测试：便携式脉搏血氧仪"
O1, O2 = "会议测试甲医疗科技有限公司", "会议测试乙创业投资有限公司"
SECRET = "会议测试保密结构：双通道压电微泵"


@pytest.fixture
def cast(live_app, live_server):
    """Staff, two clinicians with a published project each, two verified organisations."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.extensions import db
    from app.projects import operations as project_service

    tag = os.getpid()
    emails = {k: f"meeting-{k}-{tag}@example.com" for k in ("staff", "doc1", "doc2", "org1", "org2")}
    with live_app.app_context(), live_app.test_request_context("/", base_url=live_server):
        staff = accounts.create_staff(emails["staff"], PASSWORD, "会务组织员")
        for n, (key, name) in enumerate((("doc1", P1), ("doc2", P2)), 1):
            doctor = confirmed_clinician(emails[key], PASSWORD, f"会议医生{n}", f"1391234000{n}",
                                                 "福建省立医院", "心内科")
            project = project_service.create_project(doctor, dict(FULL_PROJECT, name=name, structure=SECRET,
                                                                  city="福州市"))
            project_service.submit_project(project, doctor)
            project_service.approve_project(project, staff, "同意发布")
        # codes apart from the other flows' (a code already registered only files a request to join)
        for n, (key, name, role) in enumerate((("org1", O1, Role.ENTERPRISE), ("org2", O2, Role.INVESTOR)), 1):
            member = accounts.register_organisation_member(emails[key], PASSWORD, f"机构联系人{n}", f"1380013800{n}",
                                                           role, name, make_uscc(721000 + n))
            accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
    return emails


def staff_menu(page, menu: str, item: str) -> None:
    page.wait_for_load_state("load")
    nav = page.locator("#mainnav")
    nav.get_by_role("button", name=menu, exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()


def open_event(page, phone: bool = False) -> None:
    """A participant reaches the event from the menu."""
    page.goto("/")
    if phone:
        page.locator(".navbar-toggler").click()
    page.locator("#mainnav").get_by_role("link", name="推进会议", exact=True).click()
    page.get_by_role("link", name=TITLE).click()


def confirm_attendance(page, name: str, phone_number: str) -> None:
    form = page.locator(".response-form").first
    form.get_by_label("确认参会", exact=True).check()
    form.locator("input[id$='attendees-0-name']").fill(name)
    form.locator("input[id$='attendees-0-title']").fill("主任")
    form.locator("input[id$='attendees-0-phone']").fill(phone_number)
    form.get_by_role("button", name="提交回复").click()
    expect()(page.locator(".alert-success")).to_contain_text("已确认参会")


def select(page, marks: dict) -> None:
    """On the selection page: {counterpart name: (想见|可以|不见, rank or None)}."""
    page.locator("a[id^='select-']").first.click()
    for name, (label, rank) in marks.items():
        card = page.locator(".counterpart", has_text=name)
        card.locator("label", has_text=label).click()
        if rank:
            card.locator("input[name^='rank_']").fill(str(rank))
    page.get_by_role("button", name="保存选择").click()
    expect()(page.locator(".alert-success")).to_contain_text("选择已保存")


def test_meeting_from_invitation_to_interest(new_page, cast, live_app, tmp_path):
    from app.extensions import db
    from app.meetings.operations import beijing_now

    check = expect()
    day = beijing_now().date() + timedelta(days=7)

    # 1. Staff create the event from the menu: one afternoon, 20-minute meetings, two tables.
    staff = new_page()
    log_in(staff, cast["staff"])
    staff_menu(staff, "对接服务", "推进会议")
    check(staff.locator("#content")).to_contain_text("暂无推进会议")
    staff.locator("#new-event").click()
    form = staff.locator("#event-form")
    form.locator("#title").fill(TITLE)
    form.locator("#organiser").fill("省药监局医疗器械创新服务站")
    form.locator("#venue").fill("福州市鼓楼区五四路 创新服务站二楼")
    form.locator("#description").fill("14:00 政策宣讲；14:30 起一对一洽谈。")
    form.locator("#first_day").fill(day.isoformat())
    form.locator("#day_start").fill("14:00")
    form.locator("#day_end").fill("15:30")
    form.locator("#length").fill("20")
    form.locator("#pause").fill("10")
    form.locator("#tables").fill("2")
    form.locator("#registration_deadline").fill((day - timedelta(days=4)).isoformat() + "T17:00")
    form.locator("#selection_deadline").fill((day - timedelta(days=2)).isoformat() + "T17:00")
    shot(staff, "event-form")
    form.locator("#save-event").click()
    check(staff.locator(".alert-success")).to_contain_text("推进会议已创建")
    check(staff.locator("h1 .status-badge")).to_have_text("筹备中")
    check(staff.locator("#content")).to_contain_text("3 个时段 × 2 张洽谈桌")

    # 2. Invite the two projects and the two organisations, then publish (the invitations go out).
    staff.locator("#invite-link").click()
    staff.locator("#f-city").fill("福州")
    staff.get_by_role("button", name="筛选").click()
    for name in (P1, P2, O1, O2):
        staff.get_by_label(re.compile(re.escape(name))).check()
    shot(staff, "invite")
    staff.locator("#send-invitations").click()
    check(staff.locator(".alert-success")).to_contain_text("已邀请 4 个参会方")
    staff.locator("#publish-event").click()
    check(staff.locator(".alert-success")).to_contain_text("已向 4 个受邀参会方发送邀请")
    check(staff.locator("#participants")).to_contain_text("受邀 2，确认 0")
    event_url = staff.url

    # 3. Each side confirms who comes and marks the other side (the second clinician on a phone).
    plans = [("doc1", False, {O1: ("想见", 1), O2: ("可以", None)}),
             ("doc2", True, {O2: ("想见", 1), O1: ("不见", None)}),
             ("org1", False, {P1: ("想见", 1), P2: ("可以", None)}),
             ("org2", False, {P2: ("想见", 1), P1: ("想见", 2)})]
    pages = {}
    for key, phone, marks in plans:  # confirm first, so that everyone sees the whole other side
        page = pages[key] = new_page(phone=phone)
        log_in(page, cast[key])
        open_event(page, phone)
        if key == "doc1":
            bad = page.locator(".response-form").first
            bad.get_by_label("确认参会", exact=True).check()
            bad.locator("input[id$='attendees-0-name']").fill("会议医生")
            bad.locator("input[id$='attendees-0-phone']").fill("12345")
            bad.get_by_role("button", name="提交回复").click()
            check(page.locator(".response-form .invalid-feedback").first).to_contain_text("请输入有效的手机号")
            shot(page, "attendance-refused")
        confirm_attendance(page, f"{key} 参会人", "13912345678")
    for key, phone, marks in plans:
        page = pages[key]
        open_event(page, phone)
        select(page, marks)
        body = page.locator("#content").inner_text()
        assert SECRET not in body and "13912340001" not in body
        shot(page, f"selection-{key}" + ("-phone" if phone else ""))

    # 4. Staff see the selections, build the schedule and publish it.
    staff.goto(event_url)
    staff.get_by_role("link", name="双向选择", exact=True).click()
    check(staff.locator("#pairs tbody tr")).to_have_count(4)
    shot(staff, "selections")
    staff.get_by_role("link", name="日程编排", exact=True).click()
    staff.locator("#build-schedule").click()
    check(staff.locator(".alert-success")).to_contain_text("日程已排定")
    check(staff.locator("#report-mutual_scheduled")).to_have_text("2")
    check(staff.locator("#report-mutual_possible")).to_have_text("2")
    grid = staff.locator("#grid")
    check(grid).to_contain_text(P1)
    assert grid.locator("td", has_text=P2).filter(has_text=O1).count() == 0  # a "no" is never scheduled
    shot(staff, "schedule-built")
    staff.locator("#publish-schedule").click()
    check(staff.locator(".alert-success")).to_contain_text("日程已发布")
    check(staff.locator("h1 .status-badge")).to_have_text("日程已发布")
    shot(staff, "schedule-published")

    # 5. The first clinician reads the agenda, downloads the Word agenda and the calendar file.
    doctor = pages["doc1"]
    open_event(doctor)
    doctor.locator("#agenda-link").click()
    check(doctor.locator("#content")).to_contain_text(O1)
    shot(doctor, "agenda")
    with doctor.expect_download() as got:
        doctor.locator("#agenda-docx").click()
    docx_path = tmp_path / "agenda.docx"
    got.value.save_as(docx_path)
    xml = zipfile.ZipFile(docx_path).read("word/document.xml").decode()
    assert O1 in xml and TITLE in xml and SECRET not in xml
    with doctor.expect_download() as got:
        doctor.locator("#agenda-ics").click()
    ics_path = tmp_path / "agenda.ics"
    got.value.save_as(ics_path)
    from icalendar import Calendar
    calendar = Calendar.from_ical(ics_path.read_bytes())
    entries = [c for c in calendar.walk("VEVENT")]
    assert entries and any(O1 in str(e["SUMMARY"]) for e in entries)
    assert SECRET not in ics_path.read_text(encoding="utf-8")
    phone_agenda = new_page(phone=True)
    log_in(phone_agenda, cast["org1"])
    phone_agenda.goto(event_url.replace(live_server_base(event_url), "") + "/agenda")
    check(phone_agenda.locator("#content")).to_contain_text(P1)
    shot(phone_agenda, "agenda-phone")

    # 6. The day: staff check everyone in and close the day.
    staff.get_by_role("link", name="现场签到", exact=True).click()
    for _ in range(4):
        staff.locator("#checkin").get_by_role("button", name="签到", exact=True).first.click()
        check(staff.locator(".alert-success")).to_contain_text("已签到")
    shot(staff, "checkin")
    staff.get_by_role("link", name="日程编排", exact=True).click()
    staff.locator("#finish-event").click()
    check(staff.locator(".alert-success")).to_contain_text("会议已结束")

    # 7. Both sides of P1 × O1 mark "continue": the interest is created (and accepted).
    for key in ("org1", "doc1"):
        page = pages[key]
        open_event(page)
        page.locator("#agenda-link").click()
        card = page.locator("section[id^='appointment-']", has_text=O1 if key == "doc1" else P1)
        card.get_by_label("继续洽谈", exact=True).check()
        card.get_by_role("button", name="登记洽谈结果").click()
        check(page.locator(".alert-success.alert-dismissible")).to_contain_text(
            "已转入" if key == "doc1" else "洽谈结果已登记")
    shot(pages["doc1"], "outcome-continue")
    from app.deals.models import Interest, InterestStatus
    from app.projects.models import Project
    with live_app.app_context():
        interest = db.session.scalar(db.select(Interest).join(Project).where(Project.name == P1))
        assert interest is not None and interest.status is InterestStatus.ACCEPTED
        assert interest.organisation.name == O1

    # 8. Staff read the event report.
    staff.get_by_role("link", name="会议报告", exact=True).click()
    check(staff.locator("#report-figures")).to_contain_text("双方愿继续")
    check(staff.locator("#later-interests")).to_contain_text(P1)
    shot(staff, "report")
    phone_staff = new_page(phone=True)
    log_in(phone_staff, cast["staff"])
    phone_staff.goto(staff.url.replace(live_server_base(staff.url), ""))
    shot(phone_staff, "report-phone")
    phone_staff.goto(staff.url.replace(live_server_base(staff.url), "").replace("/report", "/schedule"))
    shot(phone_staff, "schedule-phone")


def live_server_base(url: str) -> str:
    return re.match(r"https?://[^/]+", url).group(0)


