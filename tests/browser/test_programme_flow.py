"""Programme services in a real browser: staff publish a policy, an anonymous visitor finds it by Chinese search,
a clinician opens a 专利申报 request, staff accept it and ask for a document, the clinician adds it, staff close
it with the patent number, and the project's page shows the outcome; also read at phone width."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD

pytestmark = pytest.mark.browser
shot = Screenshots("programme")

TITLE = "关于创新医疗器械注册检验随送随检的公告"
BODY = "省药检院对进入**创新医疗器械特别审查程序**的产品实行随送随检。\n\n- 提前介入\n- 研审联动\n\n<script>alert('x')</script>"


def pdf_file(tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return str(path)


@pytest.fixture
def accounts_and_project(live_app, live_server):
    from app.accounts import operations as accounts
    from app.extensions import db
    from app.projects import operations as project_service

    tag = os.getpid()
    emails = {k: f"programme-{k}-{tag}@example.com" for k in ("staff", "doctor")}
    with live_app.app_context(), live_app.test_request_context("/", base_url=live_server):
        staff = accounts.create_staff(emails["staff"], PASSWORD, "宣贯专员")
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "陈医生", "13912340002",
                                             "福建省立医院", "骨科")
        project = project_service.create_project(doctor, dict(FULL_PROJECT, name="浏览器测试：骨折复位导航器"))
        project_service.submit_project(project, doctor)
        project_service.approve_project(project, staff, "同意发布")
        db.session.commit()
        return dict(emails, project_id=project.id)


def test_policy_then_a_patent_request_from_start_to_outcome(new_page, accounts_and_project, tmp_path):
    check = expect()
    project_id = accounts_and_project["project_id"]

    # 1. Staff write a policy notice (Markdown, with a script that must stay text) and publish it.
    staff = new_page()
    log_in(staff, accounts_and_project["staff"])
    staff.goto("/programme/articles/new")
    staff.locator("#category").select_option("notice")
    staff.locator("#title").fill(TITLE)
    staff.locator("#summary").fill("注册检验随送随检，缩短检验周期。")
    staff.locator("#body").fill(BODY)
    staff.locator("#issuing_body").fill("福建省药品监督管理局")
    staff.locator("#tags").fill("注册检验，随送随检")
    staff.get_by_role("button", name="保存", exact=True).click()
    check(staff.locator(".alert-success")).to_contain_text("已保存为草稿")
    staff.goto("/programme/articles")
    row = staff.locator("tr", has_text=TITLE)
    row.get_by_role("button", name="发布", exact=True).click()
    check(staff.locator(".alert-success")).to_contain_text("已发布")
    shot(staff, "staff-articles")

    # 2. An anonymous visitor finds it from the nav by a Chinese search; the script is shown as text only.
    visitor = new_page()
    visitor.goto("/")
    visitor.locator("#mainnav").get_by_role("link", name="政策与指南").click()
    visitor.locator("#policy-q").fill("随送随检")
    visitor.get_by_role("button", name="搜索", exact=True).click()
    check(visitor.locator("#articles")).to_contain_text(TITLE)
    shot(visitor, "anonymous-search")
    visitor.get_by_role("link", name=re.compile(TITLE)).click()
    check(visitor.locator(".article-body strong")).to_have_text("创新医疗器械特别审查程序")
    check(visitor.locator(".article-body")).to_contain_text("<script>alert('x')</script>")
    assert visitor.locator(".article-body script").count() == 0
    shot(visitor, "anonymous-article")
    phone = new_page(phone=True)
    phone.goto("/policy/?q=注册检验")
    check(phone.locator("#articles")).to_contain_text(TITLE)
    shot(phone, "phone-search")

    # 3. The clinician opens a 专利申报 request from the project page, fills it in, uploads the 技术交底书, submits.
    doctor = new_page()
    log_in(doctor, accounts_and_project["doctor"])
    doctor.goto(f"/projects/{project_id}")
    doctor.locator("#service-requests").get_by_role("link", name="提出服务申请").click()
    doctor.locator("#request-kinds").get_by_text("专利申报", exact=True).click()
    doctor.locator("#f_invention_title").fill("一种骨折复位导航装置")
    doctor.locator("#f_patent_type").select_option("invention")
    doctor.locator("#f_applicants").fill("福建省立医院")
    doctor.locator("#f_inventors").fill("陈医生")
    doctor.locator("#f_technical_points").fill("光学定位与力反馈结合的复位导航。")
    doctor.get_by_role("button", name="保存草稿").click()
    check(doctor.locator("#checklist")).to_contain_text("技术交底书")
    shot(doctor, "draft-checklist")
    doctor.locator("#requirement").select_option("disclosure")
    doctor.locator("#documents input[type=file]").set_input_files(pdf_file(tmp_path, "技术交底书.pdf"))
    doctor.locator("#documents").get_by_role("button", name="上传").click()
    check(doctor.locator("#checklist")).to_contain_text("材料齐全")
    doctor.locator("#checklist").get_by_role("button", name="提交").click()
    check(doctor.locator(".alert-success")).to_contain_text("已提交")
    request_url = doctor.url
    request_path = re.sub(r"^https?://[^/]+", "", request_url).split("#")[0]

    # 4. Staff accept it, then ask for a document (退回补充).
    staff.goto(request_path)
    staff.locator("#handling").get_by_role("button", name="受理", exact=True).click()
    check(staff.locator(".alert-success")).to_contain_text("已受理")
    staff.locator("#handle-form #comment").fill("请补充发明人与申请人的权属证明。")
    staff.locator("#handling").get_by_role("button", name="退回补充").click()
    check(staff.locator("h1")).to_contain_text("退回补充")
    shot(staff, "returned")

    # 5. The clinician sees what is asked, adds the document and sends it back.
    doctor.goto(request_path)
    check(doctor.locator("#comments")).to_contain_text("权属证明")
    doctor.locator("#requirement").select_option("")
    doctor.locator("#documents input[type=file]").set_input_files(pdf_file(tmp_path, "权属证明.pdf"))
    doctor.locator("#documents").get_by_role("button", name="上传").click()
    check(doctor.locator("#documents")).to_contain_text("权属证明.pdf")
    doctor.locator("#checklist").get_by_role("button", name=re.compile("重新提交")).click()
    check(doctor.locator("h1")).to_contain_text("办理中")
    shot(doctor, "supplemented")

    # 6. Staff close it with the outcome: the application number.
    staff.goto(request_path)
    staff.locator("#close-form #patent_number").fill("2026112345678.9")
    staff.locator("#close-form #note").fill("已向国家知识产权局提交发明专利申请。")
    staff.locator("#close-form").get_by_role("button", name="办结", exact=True).click()
    check(staff.locator("#outcome")).to_contain_text("2026112345678.9")
    shot(staff, "closed")

    # 7. The project's page shows the request and its state, on desktop and on a phone.
    doctor.goto(f"/projects/{project_id}")
    panel = doctor.locator("#service-requests")
    check(panel).to_contain_text("专利申报")
    check(panel).to_contain_text("已办结")
    check(panel).to_contain_text("2026112345678.9")
    shot(doctor, "project-page")
    doctor_phone = new_page(phone=True)
    log_in(doctor_phone, accounts_and_project["doctor"])
    doctor_phone.goto(request_path)
    check(doctor_phone.locator("#outcome")).to_contain_text("2026112345678.9")
    shot(doctor_phone, "phone-request")
