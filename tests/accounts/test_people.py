"""User and organisation management at a province's scale: search, filters, counts, pages; deactivate and reactivate;
role changes (audited, never one's own, never the last admin); the business licence and verification."""
from __future__ import annotations

import io
import re

import pytest
from werkzeug.datastructures import FileStorage

from app.accounts import operations as accounts
from app.accounts import people
from app.accounts.models import OrgStatus, Role, User
from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import AuditEvent
from app.extensions import db
from tests.conftest import PASSWORD

PDF = b"%PDF-1.4\n% licence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def give_licence(organisation, member) -> None:
    """File a small PDF 营业执照 for the organisation, as its member would."""
    from flask import current_app
    with current_app.test_request_context():
        people.upload_licence(organisation, member, upload("营业执照.pdf", PDF))


def _names(html: str, *names) -> list[bool]:
    return [name in html for name in names]


# -- search, filters, counts, pages ----------------------------------------------------------------

@pytest.fixture
def crowd(make_user):
    doctor = make_user("clinician", name="陈志远", email="chen.zy@hospital.test")
    waiting = make_user("clinician", name="待确认医生", confirmed=False)
    company = make_user("enterprise", name="王经理", org_name="闽江医疗器械有限公司")
    company.organisation.address = "福建省厦门市湖里区"
    pending_company = make_user("investor", name="李投资", verified=False, org_name="海峡创投")
    phone_user = make_user("clinician", name="电话用户")
    phone_user.phone = "13912340000"
    gone = make_user("enterprise", name="已停用用户")
    db.session.commit()
    return {"doctor": doctor, "waiting": waiting, "company": company, "pending_company": pending_company,
            "phone_user": phone_user, "gone": gone}


@pytest.mark.parametrize("query, found", [("陈志远", "陈志远"), ("chen.zy@", "陈志远"), ("13912340000", "电话用户"),
                                          ("闽江医疗", "王经理"), ("海峡创投", "李投资")])
def test_search_by_name_email_phone_and_organisation(client, login_as, crowd, query, found):
    login_as("staff")
    html = client.get("/admin/users", query_string={"q": query}).get_data(as_text=True)
    assert found in html
    assert "共 1 个用户" in html or "共 1 个" in html


def test_search_by_uscc(client, login_as, crowd):
    login_as("staff")
    code = crowd["company"].organisation.uscc
    html = client.get("/admin/users", query_string={"q": code}).get_data(as_text=True)
    assert "王经理" in html and "陈志远" not in html


def test_search_takes_wildcards_literally(client, login_as, crowd):
    login_as("staff")
    html = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "没有符合条件的用户" in html


def test_state_filter_and_counts(client, login_as, crowd, make_user):
    admin = login_as("admin")
    with client.application.test_request_context():
        people.deactivate_user(crowd["gone"], admin)
    db.session.commit()
    pending = client.get("/admin/users", query_string={"state": "pending"}).get_data(as_text=True)
    assert _names(pending, "待确认医生", "李投资", "陈志远") == [True, True, False]
    inactive = client.get("/admin/users", query_string={"state": "inactive"}).get_data(as_text=True)
    assert "已停用用户" in inactive and "陈志远" not in inactive
    active = client.get("/admin/users", query_string={"state": "active", "role": "clinician"}).get_data(as_text=True)
    assert _names(active, "陈志远", "电话用户", "待确认医生") == [True, True, False]
    assert 'id="state-count-inactive">0<' in active  # counts under the other filters: no clinician is inactive
    assert 'id="state-count-inactive">1<' in pending


def test_organisation_state_and_city_filters(client, login_as, crowd):
    login_as("staff")
    html = client.get("/admin/users", query_string={"org_status": "pending"}).get_data(as_text=True)
    assert "李投资" in html and "王经理" not in html
    html = client.get("/admin/users", query_string={"city": "厦门市"}).get_data(as_text=True)
    assert "王经理" in html and "李投资" not in html


def test_pages(client, login_as, make_user, app, monkeypatch):
    for n in range(7):
        make_user("clinician", name=f"分页医生{n}")
    db.session.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 3)  # for this test only: the app is the whole session's
    login_as("staff")
    first = client.get("/admin/users", query_string={"q": "分页医生"}).get_data(as_text=True)
    assert len(re.findall(r"分页医生\d", first)) == 3 and "第 1 / 3 页" in first
    last = client.get("/admin/users", query_string={"q": "分页医生", "page": 3}).get_data(as_text=True)
    assert len(re.findall(r"分页医生\d", last)) == 1
    assert client.get("/admin/users", query_string={"page": "x"}).status_code == 200


def test_organisation_search_filters_and_pages(client, login_as, make_user, app, monkeypatch):
    for n in range(4):
        org = make_user("enterprise", verified=False, org_name=f"待审企业{n}").organisation
        org.address = "福建省泉州市" if n % 2 else "福建省福州市"
    db.session.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    login_as("staff")
    html = client.get("/admin/organisations", query_string={"q": "待审企业", "city": "泉州市"}).get_data(as_text=True)
    assert "待审企业1" in html and "待审企业0" not in html
    assert "下一页" in html
    html = client.get("/admin/organisations", query_string={"licence": "no", "q": "待审企业3"}).get_data(as_text=True)
    assert "待审企业3" in html


# -- deactivate, reactivate -------------------------------------------------------------------------

def test_a_deactivated_user_cannot_sign_in_nor_reset_their_way_back(client, login_as, make_user, app):
    user = make_user("clinician")
    db.session.commit()
    phone = app.test_client()
    assert phone.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    login_as("admin")
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert phone.get("/projects/").status_code == 302  # the open session ended
    refused = app.test_client().post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert "该账号已被停用" in refused.get_data(as_text=True)
    db.session.refresh(user)
    assert user.deactivated_at is not None
    with app.test_request_context():
        with pytest.raises(Exception):
            accounts.issue_reset_link(user, make_user("staff"))
        assert not accounts.request_password_reset(user.email)


def test_reactivate(client, login_as, make_user, app):
    user = make_user("clinician")
    db.session.commit()
    login_as("admin")
    client.post(f"/admin/users/{user.id}/deactivate")
    page = client.get("/admin/users", query_string={"state": "inactive"}).get_data(as_text=True)
    assert f"/admin/users/{user.id}/reactivate" in page
    response = client.post(f"/admin/users/{user.id}/reactivate", follow_redirects=True)
    assert "已重新启用" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.active and user.deactivated_at is None
    assert app.test_client().post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_id == user.id,
                                                                     AuditEvent.subject_type == "user")).all()
    assert "deactivate_user" in actions and "reactivate_user" in actions
    assert client.post(f"/admin/users/{user.id}/reactivate").status_code == 409  # already active


def test_staff_cannot_deactivate_or_reactivate(client, login_as, make_user):
    user = make_user("clinician", active=False)
    db.session.commit()
    login_as("staff")
    assert client.post(f"/admin/users/{user.id}/reactivate").status_code == 403
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 403


def test_nobody_deactivates_themselves(client, login_as):
    admin = login_as("admin")
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 403
    assert f"/admin/users/{admin.id}/deactivate" not in client.get("/admin/users").get_data(as_text=True)


# -- roles --------------------------------------------------------------------------------------

def test_admin_changes_a_staff_role_audited_with_labels(client, login_as, make_user):
    colleague = make_user("staff", name="服务站小林")
    db.session.commit()
    login_as("admin")
    response = client.post(f"/admin/users/{colleague.id}/role", data={"role": "admin"}, follow_redirects=True)
    assert "已由“创新服务站”改为“工作专班”" in response.get_data(as_text=True)
    db.session.refresh(colleague)
    assert colleague.role is Role.ADMIN and colleague.session_version == 1
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "change_role"))
    assert event.subject_id == colleague.id
    audit = client.get("/admin/audit/", query_string={"action": "change_role"}).get_data(as_text=True)
    assert "修改账号角色" in audit and "创新服务站 → 工作专班" in audit
    assert "staff→admin" not in audit


def test_role_changes_stay_between_station_roles(client, login_as, make_user):
    doctor = make_user("clinician")
    db.session.commit()
    login_as("admin")
    response = client.post(f"/admin/users/{doctor.id}/role", data={"role": "admin"})
    assert response.status_code == 400 and "只能在创新服务站与工作专班之间调整角色" in response.get_data(as_text=True)
    assert client.post(f"/admin/users/{doctor.id}/role", data={"role": "enterprise"}).status_code == 400
    db.session.refresh(doctor)
    assert doctor.role is Role.CLINICIAN


def test_nobody_changes_their_own_role_and_staff_change_none(client, login_as, make_user):
    admin = login_as("admin")
    assert client.post(f"/admin/users/{admin.id}/role", data={"role": "staff"}).status_code == 403
    client.post("/auth/logout")
    colleague = make_user("staff")
    db.session.commit()
    login_as("staff")
    assert client.post(f"/admin/users/{colleague.id}/role", data={"role": "admin"}).status_code == 403


def test_the_last_admin_is_never_demoted(app, make_user):
    last = make_user("admin")
    former = make_user("admin", active=False)  # an admin account, but not an active one
    with app.test_request_context():
        with pytest.raises(TransitionError, match="最后一个工作专班管理员"):
            people.change_role(last, former, Role.STAFF)
        with pytest.raises(PermissionDenied):
            people.change_role(last, last, Role.STAFF)
        second = make_user("admin")
        people.change_role(last, second, Role.STAFF)  # two active admins: one may become staff
    assert last.role is Role.STAFF


# -- the business licence and verification ----------------------------------------------------------

def test_member_uploads_the_licence_and_staff_verify(client, login_as, make_user):
    member = login_as("enterprise", verified=False)
    organisation_id = member.organisation_id
    response = client.post("/organisation/licence", data={"licence": (io.BytesIO(PDF), "执照.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    organisation = db.session.get(type(member.organisation), organisation_id)
    assert organisation.has_licence and organisation.licence_content_type == "application/pdf"
    assert client.get(f"/organisation/{organisation_id}/licence").data == PDF
    client.post("/auth/logout")
    login_as("staff")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert f"/organisation/{organisation_id}/licence" in page
    assert 'href="https://www.gsxt.gov.cn"' in page and 'target="_blank"' in page
    assert client.post(f"/admin/organisations/{organisation_id}/verify").status_code == 302
    db.session.refresh(organisation)
    assert organisation.status is OrgStatus.VERIFIED


def test_verification_without_a_licence_is_refused_with_a_message(client, login_as, make_user):
    member = make_user("enterprise", verified=False, org_name="无执照公司")
    db.session.commit()
    login_as("staff")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "尚未上传营业执照，不能认证通过" in page
    assert f"/admin/organisations/{member.organisation_id}/verify" not in page
    response = client.post(f"/admin/organisations/{member.organisation_id}/verify", follow_redirects=True)
    assert response.status_code == 400 and "无执照公司 尚未上传营业执照" in response.get_data(as_text=True)
    db.session.refresh(member.organisation)
    assert member.organisation.status is OrgStatus.PENDING


@pytest.mark.parametrize("name, data, message", [
    ("执照.docx", b"PK\x03\x04" + b"\x00" * 20, "只接受 PDF、JPG、PNG 文件"),
    ("执照.pdf", b"MZ\x90\x00 not a pdf", "文件内容与扩展名不符"),
    ("执照.png", PDF, "文件内容与扩展名不符"),
    ("执照.pdf", b"", "文件"),
])
def test_the_licence_is_checked_by_content(client, login_as, name, data, message):
    login_as("enterprise", verified=False)
    response = client.post("/organisation/licence", data={"licence": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'id="licence-error"' in html


def test_the_licence_has_a_size_limit(client, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "LICENCE_MAX_BYTES", 1024)
    login_as("enterprise", verified=False)
    response = client.post("/organisation/licence", data={"licence": (io.BytesIO(PNG + b"\x00" * 2048), "执照.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "文件超过" in response.get_data(as_text=True)


def test_the_licence_is_for_members_and_staff_only(client, login_as, make_user, app):
    member = make_user("enterprise", verified=False)
    give_licence(member.organisation, member)
    db.session.commit()
    url = f"/organisation/{member.organisation_id}/licence"
    for role, status in (("enterprise", 404), ("clinician", 404), ("staff", 200), ("admin", 200)):
        login_as(role)
        assert client.get(url).status_code == status, role
        client.post("/auth/logout")
    assert client.get(url).status_code == 302
    login_as(member)
    assert client.get(url).status_code == 200


def test_a_rejected_organisation_goes_back_to_the_queue_with_its_licence(app, make_user):
    member = make_user("enterprise", verified=False)
    accounts.reject_organisation(member.organisation, make_user("staff"), "请上传营业执照")
    give_licence(member.organisation, member)
    assert member.organisation.status is OrgStatus.PENDING


def test_only_members_upload(app, make_user):
    member, stranger = make_user("enterprise", verified=False), make_user("enterprise")
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            people.upload_licence(member.organisation, stranger, upload("执照.pdf", PDF))
        with pytest.raises(ValidationError):
            people.upload_licence(member.organisation, member, None)
    assert isinstance(member, User)
