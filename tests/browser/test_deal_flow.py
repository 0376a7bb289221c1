"""The whole deal in a real browser: search, interest from two companies, decline and accept, talks with
attachments, signing and its confirmation, the docking form (附件2), and both official forms as Word files."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser

SEARCH_WORD = "痔疮套扎"
PROJECT = dict(
    FULL_PROJECT,
    name="一次性使用痔疮套扎器",
    city="厦门市",
    lead_name="郑医生",
    department="肛肠科",
    intended_use="用于对各期内痔及混合痔套扎治疗",
    structure="保密结构：由套扎枪、负压吸引接头和乳胶胶圈组成。",
    principle="保密原理：负压吸入痔核后释放胶圈，阻断血供使痔核坏死脱落。",
    public_summary="一种一次性使用的负压痔疮套扎器械。",
)
ORG_A = "厦门浏览器测试医疗器械有限公司"
ORG_B = "泉州浏览器测试生物科技有限公司"
DECLINE_NOTE = "我方产品线以体外诊断为主，暂不涉及外科器械。"
shot = Screenshots("deal")





def nav(page, name: str) -> None:
    """Follow a main-menu link, opening the collapsed menu first on a phone."""
    page.wait_for_load_state("load")  # before the stylesheet applies, the phone toggler looks visible
    toggler = page.get_by_role("button", name="菜单")
    if toggler.is_visible():
        toggler.click()
    page.locator("#mainnav").get_by_role("link", name=name, exact=True).click()


def tiny_pdf(path: Path, title: str) -> Path:
    """A minimal valid one-page PDF."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info << /Title (%s) >> >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, title.encode("ascii"), xref)
    path.write_bytes(bytes(out))
    return path


def docx_cells(path: Path) -> str:
    """Every table cell's text of a .docx, one per line (merged cells repeat; harmless for `in`)."""
    import docx
    document = docx.Document(str(path))
    return "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)


def download(page, link_name: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    dl = info.value
    assert dl.suggested_filename.endswith(".docx"), dl.suggested_filename
    dl.save_as(str(target))
    return target


@pytest.fixture
def deal_parties(live_app):
    """A clinician with a published project, two verified enterprises and a staff member, via the services."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.core.notifications import mark_read
    from app.extensions import db
    from app.projects import operations as project_service
    from app.projects import search

    tag = f"{os.getpid()}"
    emails = {kind: f"deal-{kind}-{tag}@example.com" for kind in ("doctor", "a", "b", "staff")}
    with live_app.app_context():
        staff = accounts.create_staff(emails["staff"], PASSWORD, "服务站对接专员")
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "郑医生", "13912340000",
                                             "厦门大学附属中山医院", "肛肠科")
        project = project_service.create_project(doctor, PROJECT)
        project_service.submit_project(project, doctor)
        project_service.approve_project(project, staff, "同意发布")
        mark_read(doctor)  # the doctor has read that the project passed review
        for key, org, n in (("a", ORG_A, 700001), ("b", ORG_B, 700002)):
            member = accounts.register_organisation_member(
                emails[key], PASSWORD, f"企业联系人{key.upper()}", "13800138000", Role.ENTERPRISE, org, make_uscc(n))
            accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
        project_id = project.id
        # After-commit indexing should have picked the project up; rebuild if it did not.
        if project_id not in [hit.project_id for hit in search.search_projects(SEARCH_WORD).hits]:
            search.reindex()
    return dict(emails, project_id=project_id, uscc_a=make_uscc(700001))


def test_whole_deal_from_search_to_docking_form(new_page, deal_parties, tmp_path):
    check = expect()
    project_id = deal_parties["project_id"]
    contract_pdf = tiny_pdf(tmp_path / "合作开发合同.pdf", "contract")
    drawing_pdf = tiny_pdf(tmp_path / "套扎器结构图.pdf", "drawing")

    # 1. Enterprise A searches the library, finds the project with the word marked, and states interest.
    company = new_page()
    log_in(company, deal_parties["a"])
    nav(company, "入选项目库")
    company.locator("#search-q").fill(SEARCH_WORD)
    company.get_by_role("button", name="搜索", exact=True).click()
    check(company).to_have_url(re.compile(r"/library/\?q="))
    results = company.locator(".project-list")
    check(results).to_contain_text(PROJECT["name"])
    check(company.locator(".search-snippet mark").first).to_be_visible()
    assert PROJECT["structure"] not in company.content()
    shot(company, "a-search-results")
    results.get_by_role("link", name=re.compile(re.escape(PROJECT["name"]))).click()
    check(company).to_have_url(re.compile(rf"/library/{project_id}$"))
    check(company.locator(".form-table")).to_contain_text(PROJECT["intended_use"])
    box = company.locator("#express-interest")
    box.locator("#message").fill("我司有成熟的肛肠外科一次性器械产线，希望联合开发并承担注册检验。")
    box.get_by_label("联合开发", exact=True).check()
    box.locator("#amount_wan").fill("200")
    shot(company, "a-interest-form")
    box.get_by_role("button", name="提交合作意向").click()
    check(company.locator(".alert-success")).to_contain_text("意向已发送")
    check(company.locator("table")).to_contain_text(PROJECT["name"])
    check(company.locator("table")).to_contain_text("待回复")
    shot(company, "a-interest-sent")

    # 2. Enterprise B does the same on a phone.
    rival = new_page(phone=True)
    log_in(rival, deal_parties["b"])
    nav(rival, "入选项目库")
    rival.locator("#search-q").fill(SEARCH_WORD)
    rival.get_by_role("button", name="搜索", exact=True).click()
    rival.locator(".project-list").get_by_role("link", name=re.compile(re.escape(PROJECT["name"]))).click()
    check(rival).to_have_url(re.compile(rf"/library/{project_id}$"))
    box = rival.locator("#express-interest")
    box.locator("#message").fill("我司希望以技术转让方式引进该产品。")
    box.get_by_label("技术转让", exact=True).check()
    shot(rival, "b-phone-interest-form")
    box.get_by_role("button", name="提交合作意向").click()
    check(rival.locator(".alert-success")).to_contain_text("意向已发送")
    shot(rival, "b-phone-interest-sent")

    # 3. The clinician opens 意向与洽谈, goes to the board, declines B with a reason and accepts A.
    doctor = new_page()
    log_in(doctor, deal_parties["doctor"])
    check(doctor.locator("#nav-notifications .badge")).to_have_text("2")
    nav(doctor, "意向与洽谈")
    check(doctor.locator("table")).to_contain_text(ORG_A)
    check(doctor.locator("table")).to_contain_text(ORG_B)
    shot(doctor, "doctor-interests")
    doctor.get_by_role("link", name="去回复").first.click()
    check(doctor).to_have_url(re.compile(rf"/deals/projects/{project_id}/board$"))
    # The two notifications point to this board: the page itself posts that they are read (a GET writes nothing).
    check(doctor.locator("#nav-notifications .badge")).to_have_count(0)
    card_b = doctor.locator("article.interest-card", has_text=ORG_B)
    card_b.locator("summary", has_text="婉拒").click()
    card_b.get_by_label("企业能力不匹配", exact=True).check()
    card_b.locator("textarea").fill(DECLINE_NOTE)
    shot(doctor, "doctor-board-declining")
    card_b.get_by_role("button", name="确认婉拒").click()
    check(doctor.locator(".alert-info")).to_contain_text("已婉拒该意向")
    check(card_b).to_contain_text("已婉拒")
    check(card_b).to_contain_text("企业能力不匹配")
    card_a = doctor.locator("article.interest-card", has_text=ORG_A)
    card_a.get_by_role("button", name="接受意向").click()
    check(doctor).to_have_url(re.compile(r"/deals/\d+$"))
    check(doctor.locator(".alert-success")).to_contain_text(f"已接受 {ORG_A} 的意向")
    thread_path = re.search(r"/deals/\d+$", doctor.url).group(0)
    shot(doctor, "doctor-accepted-thread")

    # 4. Talks with an attachment: the clinician sends a drawing, A sees it unread and replies.
    doctor.locator("#body").fill("您好，附上产品结构图，请先看一下。")
    doctor.locator("#file").set_input_files(str(drawing_pdf))
    doctor.get_by_role("button", name="发送", exact=True).click()
    check(doctor.locator(".alert-success")).to_contain_text("消息已发送")
    check(doctor.locator(".thread")).to_contain_text("附件：套扎器结构图.pdf")
    shot(doctor, "doctor-message-sent")

    company.reload()
    nav(company, "意向与洽谈")
    row_a = company.locator("tr", has_text=PROJECT["name"])
    check(row_a).to_contain_text("已接受")
    check(row_a.locator(".badge.text-bg-danger")).to_have_text("1")
    shot(company, "a-unread-badge")
    row_a.get_by_role("link", name="查看").click()
    check(company).to_have_url(re.compile(rf"{thread_path}$"))
    check(company.locator(".thread")).to_contain_text("请先看一下")
    check(company.locator(".thread").get_by_role("link", name=re.compile("^附件：套扎器结构图"))).to_be_visible()
    company.locator("#body").fill("收到，结构清晰。我们下周安排样品评估，随后准备合同。")
    company.get_by_role("button", name="发送", exact=True).click()
    check(company.locator(".alert-success")).to_contain_text("消息已发送")
    check(company.locator(".thread .message")).to_have_count(2)
    shot(company, "a-replied")
    company.get_by_role("link", name="项目资料").click()  # the partner tier is open to A now
    check(company.locator(".form-table")).to_contain_text(PROJECT["structure"])
    shot(company, "a-partner-tier")
    company.go_back()

    doctor.reload()
    check(doctor.locator(".thread")).to_contain_text("下周安排样品评估")

    # 5. A records the signing; the clinician confirms from the notification.
    company.get_by_role("link", name=re.compile("^签约落地")).click()
    check(company).to_have_url(re.compile(rf"{thread_path}/signing$"))
    form = company.locator("#agreement-form")
    check(form.get_by_label("联合开发", exact=True)).to_be_checked()  # carried over from the interest
    form.get_by_label("技术转让", exact=True).check()
    form.locator("#amount_wan").fill("300")
    form.locator("#signed_on").fill(date.today().isoformat())
    form.locator("#summary").fill("双方联合开发一次性使用痔疮套扎器，企业负责注册检验和生产。")
    form.locator("#contract").set_input_files(str(contract_pdf))
    shot(company, "a-signing-form")
    form.get_by_role("button", name="登记签约").click()
    check(company.locator(".alert-success")).to_contain_text("签约信息已登记")
    check(company.locator("main")).to_contain_text("待对方确认")
    shot(company, "a-signing-recorded")

    doctor.locator("#nav-notifications").click()
    item = doctor.locator(".list-group-item", has_text="请确认签约")
    check(item).to_be_visible()
    shot(doctor, "doctor-notifications")
    item.get_by_role("button", name="查看").click()
    check(doctor).to_have_url(re.compile(rf"{thread_path}/signing$"))
    check(doctor.locator(".form-table")).to_contain_text("300")
    check(doctor.locator(".form-table")).to_contain_text("合作开发合同.pdf")
    shot(doctor, "doctor-signing-to-confirm")
    doctor.get_by_role("button", name="核对无误，确认签约").click()
    check(doctor).to_have_url(re.compile(rf"{thread_path}$"))
    check(doctor.locator(".alert-success").first).to_contain_text("签约已确认")
    shot(doctor, "doctor-signed")

    # 6. A files 附件2 from the thread.
    company.goto(thread_path)
    check(company.locator(".alert-success")).to_contain_text("下一步")
    company.get_by_role("link", name="对接表（附件2）").click()
    check(company).to_have_url(re.compile(rf"{thread_path}/docking$"))
    sheet = company.locator("#docking-form")
    check(sheet.locator("#company_name")).to_have_value(ORG_A)
    check(sheet.locator("#uscc")).to_have_value(deal_parties["uscc_a"])
    check(sheet.locator("#project_name")).to_have_value(PROJECT["name"])
    sheet.locator("#address").fill("福建省厦门市湖里区火炬高新区创新路 8 号")
    sheet.locator("#field").fill("无源手术器械")
    sheet.locator("#legal_rep").fill("陈建国")
    sheet.locator("#registered_capital_wan").fill("500")
    sheet.locator("#registered_on").fill("2015-06-18")
    sheet.locator("#field-high_tech").get_by_label("是", exact=True).check()
    sheet.locator("#field-specialised").get_by_label("省级", exact=True).check()
    sheet.locator("#contact_name").fill("企业联系人A")
    sheet.locator("#contact_phone").fill("13859201234")
    sheet.locator("#overview").fill("专注肛肠外科一次性器械的研发与生产，拥有十万级洁净车间。")
    progress = "已完成样品评估和设计输入评审，启动注册检验准备。"
    sheet.locator("#progress_work").fill(progress)
    sheet.locator("#progress_stage").fill("设计验证阶段")
    sheet.locator("#progress_investment").fill("首期投入 300 万元，研发人员 6 名。")
    sheet.locator("#progress_equipment").fill("注塑机、环氧乙烷灭菌柜。")
    sheet.locator("#progress_production").fill("具备医疗器械生产许可证。")
    shot(company, "a-docking-filled")
    sheet.get_by_role("button", name="报送对接表").click()
    check(company.locator(".alert-success")).to_contain_text("对接表已报送服务站")
    check(company.locator(".form-sheet .status-badge")).to_have_text("已报送，待确认")
    shot(company, "a-docking-filed")

    # 7. Both official forms as Word files: 附件2 by A, 附件1 by the clinician who owns the project.
    form2 = docx_cells(download(company, "下载 Word 版（可盖章）", tmp_path / "fj2.docx"))
    for text in (ORG_A, deal_parties["uscc_a"], "500 万元", progress, "陈建国", "2015-06-18",
                 "☑联合开发", "☑技术转让", PROJECT["name"]):
        assert text in form2, f"{text!r} missing from 附件2"
    assert "☑技术入股" not in form2

    nav(doctor, "我的项目")
    row = doctor.locator("tr", has_text=PROJECT["name"])
    check(row.locator(".status-badge")).to_have_text("签约落地")
    shot(doctor, "doctor-my-projects-signed")
    row.get_by_role("link", name=PROJECT["name"]).click()
    check(doctor).to_have_url(re.compile(rf"/projects/{project_id}$"))
    shot(doctor, "doctor-project-detail")
    form1 = docx_cells(download(doctor, "下载附件1（Word）", tmp_path / "fj1.docx"))
    for text in (PROJECT["name"], PROJECT["intended_use"], PROJECT["structure"], "肛肠科"):
        assert text in form1, f"{text!r} missing from 附件1"

    # 8. B sees why it was declined.
    rival.reload()
    nav(rival, "意向与洽谈")
    row_b = rival.locator("tr", has_text=PROJECT["name"])
    check(row_b).to_contain_text("已婉拒")
    check(row_b).to_contain_text(f"原因：企业能力不匹配（{DECLINE_NOTE}）")
    shot(rival, "b-phone-declined")
