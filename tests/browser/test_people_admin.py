"""User and organisation management in a real browser at 1366×900 and 390×844: search, role change, deactivation,
the licence an organisation uploads and its verification; on the phone the tables become cards."""
from __future__ import annotations

import os

import pytest

from tests.browser.helpers import Screenshots, expect, log_in
from tests.conftest import PASSWORD
from tests.uscc import make_uscc

pytestmark = pytest.mark.browser
shot = Screenshots("people")
WIDE = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
PDF = b"%PDF-1.4\n% business licence scan\n"


@pytest.fixture(scope="module")
def people_world(live_app):
    from app.accounts import operations as accounts
    from app.accounts.models import Role
    from app.extensions import db

    tag = os.getpid()
    emails = {"admin": f"people-admin-{tag}@example.com", "colleague": f"people-staff-{tag}@example.com",
              "member": f"people-member-{tag}@example.com", "leaver": f"people-leaver-{tag}@example.com"}
    with live_app.app_context(), live_app.test_request_context("/"):
        accounts.create_staff(emails["admin"], PASSWORD, "专班管理员", Role.ADMIN)
        accounts.create_staff(emails["colleague"], PASSWORD, "服务站林审核", Role.STAFF)
        accounts.register_organisation_member(emails["member"], PASSWORD, "申请企业联系人", "13800138011",
                                              Role.ENTERPRISE, "榕城执照测试医疗器械有限公司", make_uscc(760001))
        accounts.register_organisation_member(emails["leaver"], PASSWORD, "将停用用户", "13800138012",
                                              Role.INVESTOR, "停用测试创投", make_uscc(760002))
        db.session.commit()
    return emails


def _context(browser, live_server, options):
    return browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", **options)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_people_management_at_desktop_and_phone(browser, live_server, people_world, tmp_path):
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF)

    # The organisation's member uploads the licence on the phone.
    member_context = _context(browser, live_server, PHONE)
    member = member_context.new_page()
    log_in(member, people_world["member"])
    member.goto("/organisation/profile#licence")
    expect()(member.locator("#licence")).to_contain_text("未上传")
    member.locator("#licence-file").set_input_files(str(licence))
    member.get_by_role("button", name="上传营业执照").click()
    expect()(member.locator(".alert-success")).to_contain_text("营业执照已上传")
    expect()(member.locator("#licence")).to_contain_text("已上传")
    member.locator("#licence").scroll_into_view_if_needed()
    shot(member, "phone-licence-uploaded")
    member_context.close()

    # The admin at 1366×900: search users, change a role, deactivate an account.
    admin_context = _context(browser, live_server, WIDE)
    admin = admin_context.new_page()
    admin.on("dialog", lambda dialog: dialog.accept())
    log_in(admin, people_world["admin"])
    admin.goto("/admin/users")
    admin.locator("#users-q").fill("服务站林审核")
    admin.get_by_role("button", name="筛选").click()
    expect()(admin.locator("#users-summary")).to_contain_text("共 1 个用户")
    shot(admin, "desktop-users-search")
    admin.locator("#users-table select[name=role]").select_option("admin")
    admin.get_by_role("button", name="修改角色").click()
    expect()(admin.locator(".alert-success")).to_contain_text("已由“创新服务站”改为“工作专班”")
    admin.goto("/admin/users?q=" + people_world["leaver"])
    admin.get_by_role("button", name="停用账号").click()
    expect()(admin.locator(".alert-info")).to_contain_text("已停用")
    admin.goto("/admin/users?state=inactive")
    expect()(admin.locator("#users-table")).to_contain_text("将停用用户")
    expect()(admin.get_by_role("button", name="重新启用")).to_be_visible()
    shot(admin, "desktop-users-inactive")

    # Verification: the licence is on file, the registry link opens outside, approval works.
    admin.goto("/admin/organisations?q=榕城执照")
    row = admin.locator("#organisations-table tbody tr").first
    expect()(row.get_by_role("link", name="查看营业执照")).to_be_visible()
    registry = row.get_by_role("link", name="到国家企业信用信息公示系统查询")
    assert registry.get_attribute("href") == "https://www.gsxt.gov.cn"
    assert registry.get_attribute("target") == "_blank"
    shot(admin, "desktop-organisations")
    admin.goto("/admin/organisations?q=停用测试创投")
    expect()(admin.locator("#organisations-table")).to_contain_text("尚未上传营业执照，不能认证通过")
    admin.goto("/admin/organisations?q=榕城执照")
    admin.locator("#organisations-table").get_by_role("button", name="认证通过").click()
    expect()(admin.locator(".alert-success")).to_contain_text("已认证")
    admin_context.close()

    # The same pages on a phone: cards, no sideways scrolling.
    phone_context = _context(browser, live_server, PHONE)
    phone = phone_context.new_page()
    log_in(phone, people_world["admin"])
    phone.goto("/admin/users")
    assert phone.locator("#users-table thead").evaluate("e => getComputedStyle(e).display") == "none"
    assert phone.locator("#users-table tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
    assert _no_sideways_scroll(phone)
    shot(phone, "phone-users")
    phone.goto("/admin/organisations?status=verified")
    expect()(phone.locator("#organisations-table")).to_contain_text("榕城执照测试医疗器械有限公司")
    assert _no_sideways_scroll(phone)
    shot(phone, "phone-organisations")
    phone_context.close()
