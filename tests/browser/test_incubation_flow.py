"""Incubation in a real browser: staff assess a signed project (two assessors, weighted total, 一企一策),
update a milestone, then read the programme dashboard and download its summary workbook."""
from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser

PROJECT = dict(
    FULL_PROJECT,
    name="浏览器培育测试：可吸收止血纱布",
    city="泉州市",
    lead_name="黄医生",
    department="普外科",
    project_type="passive",
    device_class="III",
    structure="由氧化再生纤维素织成的网状纱布。",
    principle="接触血液后形成凝胶，促进血小板聚集止血。",
    intended_use="用于外科手术中毛细血管、静脉及小动脉渗血的辅助止血。",
    public_summary="一种可被人体吸收的外科止血纱布。",
)
ORG = "泉州培育测试医疗科技有限公司"
ASSESSOR_A, ASSESSOR_B = "培育评估员甲", "培育评估员乙"
# Two assessors' scores (0–100) per indicator, and the default weights (percent).
SCORES_A = {"technology": 85, "finalisation": 70, "clinical_potential": 90, "partner_capability": 75}
SCORES_B = {"technology": 78, "finalisation": 64, "clinical_potential": 88, "partner_capability": 71}
WEIGHTS = {"technology": 30, "finalisation": 20, "clinical_potential": 30, "partner_capability": 20}
PLAN = "提前介入：服务站每月走访一次；一企一策：协助准备注册检验资料；研审联动：对接省局审评中心。"
shot = Screenshots("incubation")





def staff_menu(page, menu: str, item: str) -> None:
    """Open one of the staff drop-down menus and follow an item (once Bootstrap's script has run)."""
    page.wait_for_load_state("load")
    nav = page.locator("#mainnav")
    nav.get_by_role("button", name=menu, exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()


def pdf_upload(name: str):
    """A small PDF as the FileStorage a form upload would give the services."""
    from werkzeug.datastructures import FileStorage
    body = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return FileStorage(stream=io.BytesIO(body), filename=name, content_type="application/pdf")


def expected_total() -> Decimal:
    """Σ weight × mean / 100 over the two assessors, half-up to two places: computed here, not by the app."""
    total = sum(Decimal(WEIGHTS[k]) * Decimal(SCORES_A[k] + SCORES_B[k]) / 2 for k in WEIGHTS) / 100
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def signed_project(live_app, live_server):
    """A project walked to 签约落地 through the real services: publish, interest, accept, record, confirm."""
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.deals import operations as interests
    from app.deals import operations as signing
    from app.extensions import db
    from app.incubation.operations import beijing_today
    from app.projects import operations as project_service
    from app.projects.models import ProjectStatus

    tag = os.getpid()
    emails = {kind: f"incubation-{kind}-{tag}@example.com" for kind in ("doctor", "company", "a", "b")}
    with live_app.app_context(), live_app.test_request_context("/", base_url=live_server):
        staff_a = accounts.create_staff(emails["a"], PASSWORD, ASSESSOR_A)
        accounts.create_staff(emails["b"], PASSWORD, ASSESSOR_B)
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "黄医生", "13912340001",
                                             "泉州市第一医院", "普外科")
        project = project_service.create_project(doctor, PROJECT)
        project_service.submit_project(project, doctor)
        project_service.approve_project(project, staff_a, "同意发布")
        member = accounts.register_organisation_member(emails["company"], PASSWORD, "企业联系人", "13800138001",
                                                       Role.ENTERPRISE, ORG, make_uscc(710001))
        accounts.verify_organisation(member.organisation, staff_a)
        db.session.commit()
        interest = interests.express_interest(project, member, "我司希望联合开发该止血纱布。", ["joint_development"])
        interests.accept_interest(interest, doctor)
        agreement = signing.record_agreement(interest, member, ["joint_development"], Decimal("150"),
                                             beijing_today() - timedelta(days=3), "双方联合开发可吸收止血纱布。",
                                             pdf_upload("合作开发协议.pdf"))
        signing.confirm_agreement(agreement, doctor)
        db.session.commit()
        assert project.status is ProjectStatus.SIGNED
        project_id = project.id
    return dict(emails, project_id=project_id)


def test_staff_assess_signed_project_and_read_dashboard(new_page, signed_project, live_app, tmp_path):
    from app.incubation.operations import beijing_today
    from app.reporting.dashboard import Period, dashboard_figures

    check = expect()
    project_id = signed_project["project_id"]
    today = beijing_today()

    # 1. Staff member A opens 产品培育 from the menu: the signed project waits for its assessment.
    staff = new_page()
    staff.on("dialog", lambda dialog: dialog.accept())
    log_in(staff, signed_project["a"])
    staff_menu(staff, "对接服务", "产品培育与全流程跟踪")
    check(staff).to_have_url(re.compile(r"/incubation/$"))
    row = staff.locator("tr", has_text=PROJECT["name"])
    check(row).to_contain_text("待评估")
    check(row.locator(".status-badge")).to_have_text("签约落地")
    shot(staff, "index-awaiting")

    # 2. Open it and start an assessment.
    row.get_by_role("link", name=PROJECT["name"]).click()
    check(staff).to_have_url(re.compile(rf"/incubation/projects/{project_id}$"))
    check(staff.locator("#assessment")).to_contain_text("尚未评估")
    shot(staff, "project-before")
    staff.get_by_role("button", name="发起评估", exact=True).click()
    check(staff.locator(".alert-success")).to_contain_text("已发起第 1 版评估")
    check(staff.locator("#score-form")).to_be_visible()
    shot(staff, "assessment-opened")

    # 3. A scores the four indicators with comments.
    form = staff.locator("#score-form")
    for key, value in SCORES_A.items():
        form.locator(f"#{key}").fill(str(value))
        form.locator(f"#{key}_comment").fill(f"评估员甲：{value} 分的理由。")
    shot(staff, "scores-filled")
    form.get_by_role("button", name="保存评分").click()
    check(staff.locator(".alert-success")).to_contain_text("评分已保存")
    table = staff.locator(".score-table")
    check(table.locator("thead")).to_contain_text(ASSESSOR_A)
    shot(staff, "scores-saved")

    # 4. Staff member B scores too, in a browser of their own: two columns side by side.
    second = new_page()
    log_in(second, signed_project["b"])
    second.goto(f"/incubation/projects/{project_id}")
    form_b = second.locator("#score-form")
    for key, value in SCORES_B.items():
        form_b.locator(f"#{key}").fill(str(value))
    form_b.locator("#technology_comment").fill("评估员乙：结构成熟，已有同类产品上市。")
    form_b.get_by_role("button", name="保存评分").click()
    check(second.locator(".alert-success")).to_contain_text("评分已保存")
    check(second.locator(".score-table thead th")).to_contain_text(["指标", "权重", ASSESSOR_A, ASSESSOR_B, "平均"])
    shot(second, "second-assessor")

    # 5. A fills 评估结论 and completes the assessment (accepting the confirm dialog).
    staff.reload()
    check(staff.locator(".score-table thead th")).to_contain_text(["指标", "权重", ASSESSOR_A, ASSESSOR_B, "平均"])
    done = staff.locator("#complete-form")
    done.get_by_label("审评前置", exact=True).check()
    done.get_by_label("创新医疗器械特别审查", exact=True).check()
    done.locator("#support_plan").fill(PLAN)
    done.locator("#responsible_id").select_option(label=ASSESSOR_A)
    done.locator("#next_review_on").fill((today + timedelta(days=90)).isoformat())
    shot(staff, "conclusion-filled")
    done.get_by_role("button", name="完成评估").click()
    check(staff.locator(".alert-success")).to_contain_text("评估已完成")

    # 6. The weighted total is the arithmetic of the two assessors' means; the project is incubating.
    total = expected_total()
    assert total == Decimal("79.15")  # 30×81.5 + 20×67 + 30×89 + 20×73, over 100
    latest = staff.locator("#assessment article.assessment").first
    check(latest).to_contain_text("加权总分")
    check(latest.locator("strong.fs-5")).to_have_text(str(total))
    check(latest.locator(".form-table")).to_contain_text("审评前置")
    check(latest.locator(".form-table")).to_contain_text("创新医疗器械特别审查")
    check(latest.locator(".form-table")).to_contain_text(PLAN)
    check(latest.locator(".form-table")).to_contain_text(ASSESSOR_A)
    check(staff.locator("h1 .status-badge")).to_have_text("产品培育")
    check(staff.get_by_role("button", name="发起复评（新版本）")).to_be_visible()
    shot(staff, "assessment-completed")

    # 7. A milestone: 产品定型 done today.
    milestone = staff.locator("li.milestone", has_text="产品定型")
    milestone.locator("summary", has_text="更新").click()
    milestone.locator("select[id$='-status']").select_option(label="已完成")
    milestone.locator("input[id$='-actual_on']").fill(today.isoformat())
    milestone.locator("textarea[id$='-notes']").fill("设计冻结，完成设计验证。")
    shot(staff, "milestone-editing")
    milestone.get_by_role("button", name="保存", exact=True).click()
    check(staff.locator(".alert-success")).to_contain_text("“产品定型”已更新")
    milestone = staff.locator("li.milestone", has_text="产品定型")
    check(milestone).to_have_class(re.compile(r"\bmilestone-done\b"))
    check(milestone.locator(".status-badge")).to_have_text("已完成")
    check(milestone).to_contain_text(f"实际 {today.isoformat()}")
    shot(staff, "milestone-done")

    # The index now shows the completed assessment with its total.
    staff_menu(staff, "对接服务", "产品培育与全流程跟踪")
    row = staff.locator("tr", has_text=PROJECT["name"])
    check(row.locator("td").nth(1)).to_contain_text("产品培育")
    check(row).to_contain_text(str(total))
    check(row).to_contain_text("审评前置")
    shot(staff, "index-assessed")

    # 8. The dashboard: Chart.js loaded, the funnel chart drawn, the table carries the signed/incubating counts.
    with live_app.app_context():
        figures = dashboard_figures(Period(), beijing_today())
        expected = {step.label: step.count for step in figures.funnel}
    assert expected["签约落地"] >= 1 and expected["产品培育"] >= 1, expected
    staff_menu(staff, "统计与报送", "数据看板")
    check(staff).to_have_url(re.compile(r"/dashboard/$"))
    canvas = staff.locator("canvas[data-chart=funnel]")
    check(canvas).to_be_visible()
    staff.wait_for_load_state("load")  # the chart scripts close the page: they have run by now
    assert staff.evaluate("() => typeof Chart !== 'undefined'")
    assert staff.evaluate("() => !!Chart.getChart(document.querySelector('canvas[data-chart=funnel]'))")
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    funnel = staff.locator("#block-funnel table")
    for label in ("签约落地", "产品培育"):
        check(funnel.locator("tr", has=staff.locator(f"th:text-is('{label}')")).locator("td").first) \
            .to_have_text(str(expected[label]))
    shot(staff, "dashboard")

    # 9. The summary workbook from the page: its funnel sheet carries the same figures.
    with staff.expect_download() as info:
        staff.get_by_role("button", name="下载 Excel（.xlsx）").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    target = tmp_path / "summary.xlsx"
    download.save_as(str(target))
    from openpyxl import load_workbook
    sheet = load_workbook(target)["漏斗"]
    counts = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert counts["签约落地"] == expected["签约落地"], counts
    assert counts["产品培育"] == expected["产品培育"], counts
    shot(staff, "dashboard-after-download")
