"""The foundation flow in a real browser: register, file 附件1, review, return, resubmit, publish, browse."""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import confirm_registered, expect, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PROJECT = {
    "name": "浏览器测试：可调节负压引流创面治疗仪",
    "city": "福州市",
    "department": "烧伤科",
    "lead_name": "林医生",
    "phone": "13912345678",
    "email": "lin.browser@example.com",
    "structure": "保密结构：主机、微型负压泵、三腔引流管和银离子敷料。",
    "principle": "保密原理：闭环压力传感器按渗液量自动调节负压。",
    "intended_use": "用于慢性难愈合创面的负压引流治疗。",
    "clinical_prospects": "可缩短住院时间，适合基层医院推广。",
    "market": "国内同类产品多为进口，价格较高。",
    "team": "烧伤科医生三名、生物医学工程师两名。",
    "ip_status": "已申请发明专利一项（保密专利号）。",
    "partners_in_province": "意向省内某医疗器械公司",
    "public_summary": "一种面向慢性创面的可调节负压引流治疗设备。",
}
CHOICES = {"project_type": "有源", "device_class": "Ⅱ类医疗器械", "stage": "样品阶段", "ip_exists": "申请中",
           "publish_consent": "是"}
SECRETS = ("structure", "principle", "market", "team", "ip_status", "partners_in_province", "phone", "email",
           "lead_name")




def assert_no_secrets(page) -> None:
    """None of the partner- or private-tier text the clinician typed is anywhere in the page."""
    content = page.content()
    for name in SECRETS:
        assert PROJECT[name] not in content, f"{name} leaked into {page.url}"


def choose(page, field: str, label: str) -> None:
    page.locator(f"#field-{field}").get_by_label(label, exact=True).check()


def test_clinician_files_project_staff_reviews_enterprise_browses(new_page, live_app, live_accounts, shot):
    check = expect()
    staff_email = live_accounts("staff")
    enterprise_email = live_accounts("enterprise")
    clinician_email = "dr.lin.browser@example.com"

    # 1. A clinician registers on a phone, through the real form.
    doctor = new_page(phone=True)
    doctor.goto("/auth/register/clinician")
    doctor.locator("#name").fill("林医生")
    doctor.locator("#phone").fill("13912345678")
    doctor.locator("#institution").fill("福建医科大学附属协和医院")
    doctor.locator("#department").fill("烧伤科")
    doctor.locator("#email").fill(clinician_email)
    doctor.locator("#password").fill(PASSWORD)
    doctor.locator("#confirm").fill(PASSWORD)
    shot(doctor, "clinician-register-form")
    doctor.get_by_role("button", name="注册", exact=True).click()
    check(doctor).to_have_url(re.compile(r"/projects/$"))
    check(doctor.locator(".alert-success")).to_contain_text("注册成功")
    shot(doctor, "clinician-registered")
    # The hospital typed is not listed yet: station staff record it and confirm the clinician.
    confirm_registered(live_app, clinician_email, "福建医科大学附属协和医院")

    # 2. 附件1 from the phone's collapsed menu; a first submit with a bad phone and no 适用范围 fails.
    doctor.get_by_role("button", name="菜单").click()
    doctor.locator("#mainnav").get_by_role("link", name="提报项目").click()
    check(doctor).to_have_url(re.compile(r"/projects/new$"))
    for name, text in PROJECT.items():
        if name == "city":  # 所在城市 is a choice of the province's cities
            doctor.locator("#city").select_option(text)
        else:
            doctor.locator(f"#{name}").fill(text)
    doctor.locator("#phone").fill("12345")
    doctor.locator("#intended_use").fill("")
    for name, label in CHOICES.items():
        choose(doctor, name, label)
    doctor.locator("#commitment_agreed").check()
    shot(doctor, "project-form-filled")
    doctor.get_by_role("button", name="提交初核").click()

    check(doctor.locator(".alert-danger")).to_contain_text("还有 2 处需要修改")
    check(doctor.locator("#field-phone .invalid-feedback")).to_contain_text("请输入有效的手机号")
    check(doctor.locator("#field-phone .invalid-feedback")).to_be_visible()
    check(doctor.locator("#field-intended_use .invalid-feedback")).to_be_visible()
    check(doctor.locator("#phone")).to_have_value("12345")
    check(doctor.locator("#phone")).to_have_class(re.compile(r"\bis-invalid\b"))
    for name, text in PROJECT.items():
        if name not in ("phone", "intended_use"):
            check(doctor.locator(f"#{name}")).to_have_value(text)
    for name, label in CHOICES.items():
        check(doctor.locator(f"#field-{name}").get_by_label(label, exact=True)).to_be_checked()
    check(doctor.locator("#commitment_agreed")).to_be_checked()
    shot(doctor, "project-form-errors")

    doctor.locator("#phone").fill(PROJECT["phone"])
    doctor.locator("#intended_use").fill(PROJECT["intended_use"])
    doctor.get_by_role("button", name="提交初核").click()
    check(doctor).to_have_url(re.compile(r"/projects/\d+$"))
    check(doctor.locator(".alert-success")).to_contain_text("已提交初核")
    check(doctor.locator("h1")).to_contain_text("待初核")
    project_path = re.search(r"/projects/\d+$", doctor.url).group(0)
    project_id = project_path.rsplit("/", 1)[1]
    shot(doctor, "project-submitted")

    # 3. Staff find it in the review queue and return it with a comment.
    reviewer = new_page()
    log_in(reviewer, staff_email)
    reviewer.get_by_role("link", name=re.compile("项目初核")).click()
    check(reviewer).to_have_url(re.compile(r"/review/$"))
    reviewer.get_by_role("link", name=PROJECT["name"]).click()
    check(reviewer).to_have_url(re.compile(rf"/review/{project_id}$"))
    check(reviewer.locator(".form-table")).to_contain_text(PROJECT["structure"])  # staff see every tier
    comment = "请补充临床运用前景中的病例数量。"
    reviewer.locator("#return-comment").fill(comment)
    shot(reviewer, "staff-review-page")
    reviewer.get_by_role("button", name="退回修改").click()
    check(reviewer).to_have_url(re.compile(r"/review/$"))
    check(reviewer.locator(".alert-success")).to_contain_text("已退回修改")
    shot(reviewer, "staff-returned")

    # 4. The clinician signs in again, reads the comment, fixes and resubmits.
    doctor = new_page(phone=True)
    log_in(doctor, clinician_email)
    doctor.goto("/projects/")
    check(doctor.locator("table")).to_contain_text("退回修改")
    doctor.get_by_role("link", name=PROJECT["name"]).click()
    check(doctor.locator(".alert-warning")).to_contain_text(comment)
    shot(doctor, "clinician-sees-comment")
    doctor.get_by_role("link", name="修改", exact=True).click()
    check(doctor.locator(".alert-warning").first).to_contain_text(comment)
    check(doctor.locator("#structure")).to_have_value(PROJECT["structure"])
    doctor.locator("#clinical_prospects").fill(PROJECT["clinical_prospects"] + "已完成病例 32 例。")
    doctor.get_by_role("button", name="提交初核").click()
    check(doctor).to_have_url(re.compile(rf"{project_path}$"))
    check(doctor.locator(".alert-success")).to_contain_text("已提交初核")
    shot(doctor, "clinician-resubmitted")

    # 5. Staff approve and publish.
    reviewer.goto("/review/")
    reviewer.get_by_role("link", name=PROJECT["name"]).click()
    check(reviewer.locator(".form-table")).to_contain_text("已完成病例 32 例")
    reviewer.get_by_role("button", name="通过初核并发布").click()
    check(reviewer.locator(".alert-success")).to_contain_text("已通过初核并在项目库发布")
    shot(reviewer, "staff-approved")

    # 6. A verified enterprise finds it in the library, by a filter too, and sees only the public tier.
    company = new_page()
    log_in(company, enterprise_email)
    company.locator("#mainnav").get_by_role("link", name="入选项目库").click()
    check(company).to_have_url(re.compile(r"/library/$"))
    check(company.locator(".project-list")).to_contain_text(PROJECT["name"])
    assert_no_secrets(company)
    shot(company, "enterprise-library")
    company.locator("[data-facet=project_type]").get_by_role("link", name=re.compile("^有源")).click()
    check(company).to_have_url(re.compile(r"project_type=active"))
    check(company.locator("[data-facet=project_type] .facet-link.active")).to_contain_text("有源")
    check(company.locator(".project-list")).to_contain_text(PROJECT["name"])
    shot(company, "enterprise-library-filtered")
    company.get_by_role("link", name=re.compile(re.escape(PROJECT["name"]))).click()
    check(company).to_have_url(re.compile(rf"/library/{project_id}$"))
    check(company.locator("h1")).to_contain_text(PROJECT["name"])
    check(company.locator(".form-table")).to_contain_text(PROJECT["intended_use"])
    check(company.locator(".locked-list")).to_contain_text("产品结构组成")
    check(company.locator(".locked-list")).to_contain_text("工作原理/作用机理")
    assert_no_secrets(company)
    shot(company, "enterprise-project-detail")


def test_unverified_enterprise_is_told_why(new_page, live_accounts, shot):
    check = expect()
    page = new_page()
    log_in(page, live_accounts("unverified"))
    page.goto("/library/")
    check(page.locator("h1")).to_contain_text("尚未通过认证")
    check(page.locator("main")).to_contain_text("下一步")
    assert page.locator(".project-list").count() == 0
    shot(page, "unverified-enterprise-library")
