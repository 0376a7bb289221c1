"""附件2 after filing: the station acknowledges it (已确认, then locked for everyone) or returns it with a comment the
filer reads beside the form and corrects; the signed and stamped scan is kept with it; previews of attachments."""
from __future__ import annotations

import io
from datetime import date

import pytest

from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import AuditEvent, Notification
from app.deals import operations
from app.deals.models import DockingStatus, Interest
from app.extensions import db
from app.projects.models import ProjectStatus

PDF = b"%PDF-1.4\n% stamped\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DOCX = b"PK\x03\x04" + b"\x00" * 64


def _file(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage
    return FileStorage(io.BytesIO(data), filename=name)


def filed_data(interest: Interest) -> dict:
    organisation = interest.organisation
    return {"company_name": organisation.name, "address": "福州市鼓楼区软件大道1号", "uscc": organisation.uscc,
            "field": "有源手术器械", "legal_rep": "陈总", "registered_capital_wan": "5000",
            "registered_on": "2015-06-01", "high_tech": "yes", "specialised": "provincial",
            "contact_name": "李经理", "contact_phone": "13800138000", "overview": "专注创面治疗设备",
            "project_name": interest.project.name, "applicant": "某医院", "progress_work": "完成样机",
            "progress_stage": "设计验证", "cooperation_modes": ["joint_development"], "file": "1"}


@pytest.fixture
def signed(app, make_project, make_user):
    """A signed interest: (interest, signer); its 附件2 not started yet."""
    project = make_project(status=ProjectStatus.PUBLISHED)
    signer = make_user("enterprise")
    with app.test_request_context():
        interest = operations.express_interest(project, signer, "意向", ["joint_development"])
        operations.accept_interest(interest, project.owner)
        agreement = operations.record_agreement(interest, signer, ["joint_development"], 80, date.today(), "摘要",
                                                _file(PDF, "合同.pdf"))
        operations.confirm_agreement(agreement, project.owner)
    db.session.commit()
    return interest, signer


def switch(client, login_as, who):
    client.post("/auth/logout")
    return login_as(who)


def _file_it(client, login_as, interest, signer):
    switch(client, login_as, signer)
    response = client.post(f"/deals/{interest.id}/docking", data=filed_data(interest))
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert interest.docking_form.status is DockingStatus.FILED


def _kinds(user) -> list[str]:
    return list(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)))


def test_staff_acknowledge_and_the_form_is_locked_for_everyone(client, login_as, signed, make_user):
    interest, signer = signed
    _file_it(client, login_as, interest, signer)
    staff = switch(client, login_as, "staff")
    page = client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)
    assert "确认对接表（确认后锁定）" in page and "退回修改" in page
    assert client.post(f"/deals/{interest.id}/docking/acknowledge", data={"acknowledge-comment": "材料齐全"}
                       ).status_code == 302
    db.session.expire_all()
    docking = interest.docking_form
    assert docking.status is DockingStatus.ACKNOWLEDGED and docking.acknowledged_by_id == staff.id
    assert docking.acknowledged_at is not None
    row = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "acknowledge_docking_form"))
    assert row.actor_id == staff.id and row.from_state == "filed" and row.to_state == "acknowledged"
    assert row.comment == "材料齐全"
    assert "docking_acknowledged" in _kinds(signer)
    assert "docking_acknowledged_owner" in _kinds(interest.project.owner)

    # staff too: a second answer, an edit, a new scan: all refused with 409 and a clear message
    assert client.post(f"/deals/{interest.id}/docking/return", data={"return-comment": "再改"}).status_code == 409
    assert client.post(f"/deals/{interest.id}/docking", data=filed_data(interest)).status_code == 409

    switch(client, login_as, signer)
    page = client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)
    assert "对接表已锁定" in page and staff.name in page
    from app.core.templating import beijing_time
    assert beijing_time(docking.acknowledged_at) in page  # when, in Beijing time
    assert 'id="docking-form"' not in page and "上传扫描件" not in page
    changed = dict(filed_data(interest), address="改过的地址")
    refused = client.post(f"/deals/{interest.id}/docking", data=changed)
    assert refused.status_code == 409 and "已由创新服务站确认并锁定，不能再修改" in refused.get_data(as_text=True)
    scan = client.post(f"/deals/{interest.id}/docking/scan", data={"scan-scan": (io.BytesIO(PDF), "盖章.pdf")},
                       content_type="multipart/form-data")
    assert scan.status_code == 409
    db.session.expire_all()
    assert interest.docking_form.address == "福州市鼓楼区软件大道1号" and interest.docking_form.scan_stored_name is None
    with pytest.raises(TransitionError):
        operations.save_docking_form(interest.docking_form, signer, {"address": "x"}, file=False)


def test_return_needs_a_comment_the_filer_reads_and_files_again(client, login_as, signed):
    interest, signer = signed
    _file_it(client, login_as, interest, signer)
    staff = switch(client, login_as, "staff")
    blank = client.post(f"/deals/{interest.id}/docking/return", data={"return-comment": "  "})
    html = blank.get_data(as_text=True)
    assert blank.status_code == 400 and "请填写退回意见" in html
    assert 'id="return-comment"' in html and "is-invalid" in html  # next to the field
    db.session.expire_all()
    assert interest.docking_form.status is DockingStatus.FILED
    assert client.post(f"/deals/{interest.id}/docking/return",
                       data={"return-comment": "注册资金与营业执照不符，请核对"}).status_code == 302
    db.session.expire_all()
    assert interest.docking_form.status is DockingStatus.RETURNED
    assert "docking_returned" in _kinds(signer)

    switch(client, login_as, signer)
    page = client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)
    assert "服务站退回修改意见" in page and "注册资金与营业执照不符，请核对" in page and staff.name in page
    assert 'id="docking-form"' in page  # still editable
    staff_told = len([k for k in _kinds(staff) if k == "docking_filed"])
    again = dict(filed_data(interest), registered_capital_wan="3000")
    assert client.post(f"/deals/{interest.id}/docking", data=again).status_code == 302
    db.session.expire_all()
    assert interest.docking_form.status is DockingStatus.FILED
    assert str(interest.docking_form.registered_capital_wan) in ("3000", "3000.00")
    assert len([k for k in _kinds(staff) if k == "docking_filed"]) == staff_told + 1
    assert "服务站退回修改意见" not in client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)

    client.get("/lang/en")  # the notice renders in English
    notices = client.get("/notifications/").get_data(as_text=True)
    assert "returned" in notices.lower() and "注册资金与营业执照不符" in notices


def test_only_staff_answer_and_only_a_filed_form(app, signed, make_user):
    interest, signer = signed
    with app.test_request_context():
        docking = operations.start_docking_form(interest, signer)
        staff = make_user("staff")
        with pytest.raises(TransitionError):  # not filed yet
            operations.acknowledge_docking_form(docking, staff)
        operations.save_docking_form(docking, signer, {}, file=True)
        for who in (signer, interest.project.owner, make_user("enterprise")):
            with pytest.raises(PermissionDenied):
                operations.acknowledge_docking_form(docking, who)
            with pytest.raises(PermissionDenied):
                operations.return_docking_form(docking, who, "意见")
        with pytest.raises(ValidationError):
            operations.return_docking_form(docking, staff, "")


def test_the_stamped_scan_is_checked_kept_and_seen_only_by_those_who_see_the_form(client, login_as, signed, app):
    interest, signer = signed
    _file_it(client, login_as, interest, signer)
    url = f"/deals/{interest.id}/docking/scan"

    def upload(data, name):
        return client.post(url, data={"scan-scan": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    word = upload(DOCX, "对接表.docx")
    assert word.status_code == 400 and "只接受 PDF、JPG、PNG 文件" in word.get_data(as_text=True)
    renamed = upload(b"MZ\x90\x00 not a pdf", "盖章.pdf")
    assert renamed.status_code == 400 and "文件内容与扩展名不符" in renamed.get_data(as_text=True)
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    big = upload(PDF + b"0" * limit, "大文件.pdf")
    assert big.status_code in (400, 413)
    assert "scan-scan" in word.get_data(as_text=True)  # the message sits by the file field
    assert upload(PNG, "盖章件.png").status_code == 302
    db.session.expire_all()
    docking = interest.docking_form
    assert docking.scan_original_name == "盖章件.png" and docking.scan_uploaded_by_id == signer.id
    assert "docking_scan_uploaded" in set(db.session.scalars(db.select(Notification.kind)))
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "upload_docking_scan")) is not None

    page = client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)
    assert "盖章件.png" in page and f'{url}/preview' in page and "预览" in page
    download = client.get(url)
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")
    preview = client.get(f"{url}/preview")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in preview.headers["Content-Security-Policy"]

    staff = switch(client, login_as, "staff")  # staff may upload a scan received on paper
    assert client.get(f"{url}/preview").status_code == 200
    assert upload(PDF, "服务站扫描.pdf").status_code == 302
    assert "docking_scan_uploaded_by_staff" in _kinds(signer)
    assert client.get(f"{url}/preview").mimetype == "application/pdf"

    for outsider in ("enterprise", interest.project.owner, "clinician"):  # 附件2 is the signer's and staff's
        switch(client, login_as, outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/preview").status_code == 404
        assert upload(PDF, "冒充.pdf").status_code == 404
    assert staff.id


def test_project_attachments_preview_pdf_and_pictures_only(client, login_as, make_project, app):
    project = make_project(status=ProjectStatus.PUBLISHED)
    from app.projects import operations as projects
    with app.test_request_context():
        pdf = projects.add_project_attachment(project, project.owner, _file(PDF, "样机说明.pdf"))
        word = projects.add_project_attachment(project, project.owner, _file(DOCX, "说明书.docx"))
        png = projects.add_project_attachment(project, project.owner, _file(PNG, "照片.png"))
    db.session.commit()
    base = f"/projects/{project.id}/attachments"
    login_as(project.owner)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"{base}/{pdf.id}/preview" in page and f"{base}/{png.id}/preview" in page
    assert f"{base}/{word.id}/preview" not in page  # Word: download only
    shown = client.get(f"{base}/{pdf.id}/preview")
    assert shown.status_code == 200 and shown.mimetype == "application/pdf" and shown.data == PDF
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"{base}/{png.id}/preview").mimetype == "image/png"
    assert client.get(f"{base}/{word.id}/preview").status_code == 404
    assert client.get(f"{base}/{word.id}").headers["Content-Disposition"].startswith("attachment")
    for outsider in ("enterprise", "clinician"):  # not partners: the preview is refused as the download is
        switch(client, login_as, outsider)
        assert client.get(f"{base}/{pdf.id}/preview").status_code == 404
        assert client.get(f"{base}/{pdf.id}").status_code == 404
    client.post("/auth/logout")
    assert client.get(f"{base}/{pdf.id}/preview").status_code == 302  # to sign in



def test_the_staff_list_puts_forms_waiting_for_an_answer_first(app, make_project, make_user, signed):
    interest, signer = signed
    with app.test_request_context():
        waiting = operations.start_docking_form(interest, signer)
        operations.save_docking_form(waiting, signer, {}, file=True)
        other_project = make_project(status=ProjectStatus.PUBLISHED)
        other_signer = make_user("enterprise")
        other = operations.express_interest(other_project, other_signer, "意向", ["tech_transfer"])
        operations.accept_interest(other, other_project.owner)
        agreement = operations.record_agreement(other, other_signer, ["tech_transfer"], 10, date.today(), "摘要",
                                                _file(PDF, "合同.pdf"))
        operations.confirm_agreement(agreement, other_project.owner)
        draft = operations.start_docking_form(other, other_signer)  # started later, still a draft
    db.session.commit()
    assert [f.id for f in operations.docking_forms()] == [waiting.id, draft.id]
