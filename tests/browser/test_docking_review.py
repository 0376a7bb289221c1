"""附件2 in a real browser: station staff acknowledge a filed docking form; the filer then sees it locked
(by whom and when, in Beijing time) with its stamped scan, on a phone (390×844) and a desktop (1366×900)."""
from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import date

import pytest

from tests.browser.helpers import Screenshots, confirmed_clinician, expect, log_in
from tests.conftest import FULL_PROJECT, PASSWORD, PATHS, take_step
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
shot = Screenshots("docking")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


def stamped_png(width: int = 320, height: int = 200) -> bytes:
    """A small real PNG: a white sheet with grey lines and a red seal, so the preview shows a picture."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside_seal = (x - 250) ** 2 + (y - 140) ** 2 < 40 ** 2 and (x - 250) ** 2 + (y - 140) ** 2 > 34 ** 2
            line = y % 24 == 0 and 20 < x < 300
            row += bytes((200, 30, 30) if inside_seal else (150, 150, 150) if line else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def filed(live_app):
    """A signed pairing whose enterprise filed 附件2 and uploaded its stamped scan; a staff member."""
    from werkzeug.datastructures import FileStorage

    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.deals import operations as deals
    from app.extensions import db
    from app.projects import operations as project_service
    from app.projects.models import ProjectStatus

    tag = os.getpid()
    emails = {"doctor": f"dock-doctor-{tag}@example.com", "staff": f"dock-staff-{tag}@example.com",
              "company": f"dock-company-{tag}@example.com"}
    with live_app.app_context(), live_app.test_request_context("/"):
        doctor = confirmed_clinician(emails["doctor"], PASSWORD, "吴医生", "13912340005", "福州市第二医院", "骨科")
        staff = accounts.create_staff(emails["staff"], PASSWORD, "对接表审核员")
        project = project_service.create_project(doctor, dict(FULL_PROJECT, name="对接表测试项目"))
        for step in PATHS[ProjectStatus.PUBLISHED]:
            take_step(project, step, doctor, staff)
        member = accounts.register_organisation_member(emails["company"], PASSWORD, "对接企业联系人", "13800138005",
                                                       Role.ENTERPRISE, "对接测试医疗器械有限公司", make_uscc(750005))
        accounts.verify_organisation(member.organisation, staff)
        db.session.commit()
        interest = deals.express_interest(project, member, "希望联合开发。", ["joint_development"])
        deals.accept_interest(interest, doctor)
        pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n% contract\n"), filename="合同.pdf")
        agreement = deals.record_agreement(interest, member, ["joint_development"], 120, date.today(), "联合开发", pdf)
        deals.confirm_agreement(agreement, doctor)
        form = deals.start_docking_form(interest, member)
        deals.save_docking_form(form, member, {"address": "福州市鼓楼区软件大道1号", "legal_rep": "陈总",
                                               "field": "骨科器械", "progress_work": "完成样机",
                                               "progress_stage": "设计验证"}, file=True)
        deals.upload_docking_scan(form, member, FileStorage(io.BytesIO(stamped_png()), filename="对接表盖章件.png"))
        db.session.commit()
        ids = {"interest": interest.id}
    return dict(emails, **ids)


def _page(browser, live_server, options):
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    return context, context.new_page()


def test_staff_acknowledges_and_the_filer_sees_it_locked(browser, live_server, filed):
    url = f"/deals/{filed['interest']}/docking"
    staff_context, staff = _page(browser, live_server, DESKTOP)
    log_in(staff, filed["staff"])
    staff.goto(url)
    expect()(staff.get_by_role("heading", name="服务站确认")).to_be_visible()
    expect()(staff.locator("img.attachment-preview")).to_be_visible()
    assert staff.evaluate("document.querySelector('img.attachment-preview').naturalWidth") == 320  # really shown
    shot(staff, "staff-desktop-before")
    staff.locator("#acknowledge-comment").fill("材料齐全，盖章清晰。")
    staff.get_by_role("button", name="确认对接表（确认后锁定）").click()
    expect()(staff.locator(".alert-success").first).to_contain_text("已确认对接表")
    expect()(staff.locator(".docking-locked")).to_contain_text("对接表审核员")
    expect()(staff.get_by_role("button", name="退回修改")).to_have_count(0)
    shot(staff, "staff-desktop-after")
    staff_context.close()

    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page = _page(browser, live_server, options)
        log_in(page, filed["company"])
        page.goto(url)
        locked = page.locator(".docking-locked")
        expect()(locked).to_contain_text("对接表已锁定")
        expect()(locked).to_contain_text("对接表审核员")
        expect()(locked).to_contain_text(date.today().strftime("%Y-%m-%d")[:4])  # a Beijing date and time
        expect()(page.locator("#docking-form")).to_have_count(0)  # no form: nothing to edit
        expect()(page.get_by_role("button", name="上传扫描件")).to_have_count(0)
        expect()(page.get_by_role("link", name="预览")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
                             options["viewport"]["width"])
        assert width <= options["viewport"]["width"], f"{name}: the page scrolls sideways ({width}px): {wide}"
        shot(page, f"filer-{name}-locked")
        context.close()
