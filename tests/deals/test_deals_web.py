"""The deal flow through the web: library interest form, board, thread, signing, 附件2, notifications."""
import io
import re
from datetime import date

import pytest

from app.core.notifications import mark_read
from app.core.models import AuditEvent
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.projects.models import ProjectStatus

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def published(make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, structure="机密结构ZX1", principle="机密原理ZX2")
    mark_read(project.owner)  # the owner has read that the project passed review
    db.session.commit()
    return project


def switch(client, login_as, who):
    client.post("/auth/logout")
    return login_as(who)


def test_the_whole_deal(client, login_as, make_user, published):
    owner = published.owner
    company = login_as("enterprise")
    page = client.get(f"/library/{published.id}").get_data(as_text=True)
    assert "表达合作意向" in page and "机密结构ZX1" not in page
    bad = client.post(f"/deals/projects/{published.id}/interest", data={"message": "", "cooperation_modes": []})
    assert bad.status_code == 400 and "请简要说明合作设想" in bad.get_data(as_text=True)
    assert "还有 2 处需要修改" in bad.get_data(as_text=True)  # at the top too: on a phone the form is far below
    client.post(f"/deals/projects/{published.id}/interest",
                data={"message": "我司有负压引流产品线", "cooperation_modes": ["joint_development", "tech_transfer"],
                      "amount_wan": "300", "timeline": "半年"})
    interest = db.session.scalar(db.select(Interest))
    assert interest.status is InterestStatus.PENDING
    assert "贵机构的意向" in client.get(f"/library/{published.id}").get_data(as_text=True)

    switch(client, login_as, owner)
    board = client.get(f"/deals/projects/{published.id}/board").get_data(as_text=True)
    assert "我司有负压引流产品线" in board and "300 万元" in board
    assert client.get("/notifications/").get_data(as_text=True).count("新的合作意向") == 1
    client.post(f"/deals/{interest.id}/accept")
    db.session.refresh(interest)
    assert interest.status is InterestStatus.ACCEPTED

    switch(client, login_as, company)
    detail = client.get(f"/library/{published.id}").get_data(as_text=True)
    assert "机密结构ZX1" in detail and "机密原理ZX2" in detail  # partner tier unlocked
    assert published.phone in detail and published.email in detail
    for private in (published.partners_in_province,):
        assert private not in detail  # owner/staff tier stays closed
    views = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view_partner", AuditEvent.actor_id == company.id))
    assert views == 1
    response = client.post(f"/deals/{interest.id}", data={"body": "请发来样机照片",
                                                           "file": (io.BytesIO(PDF), "需求清单.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302

    switch(client, login_as, owner)
    assert '<span class="badge text-bg-danger">1</span>' in client.get("/deals/").get_data(as_text=True)
    thread = client.get(f"/deals/{interest.id}").get_data(as_text=True)
    assert "请发来样机照片" in thread and "需求清单.pdf" in thread and "创新服务站工作人员可以查阅" in thread
    message = interest.messages[0]
    assert client.get(f"/deals/{interest.id}/messages/{message.id}/attachment").data == PDF

    switch(client, login_as, company)
    future = client.post(f"/deals/{interest.id}/signing", data={
        "cooperation_modes": ["joint_development"], "amount_wan": "320", "signed_on": "2999-01-01",
        "summary": "联合开发协议", "contract": (io.BytesIO(PDF), "合同.pdf")}, content_type="multipart/form-data")
    assert future.status_code == 400 and "签约日期不能晚于今天" in future.get_data(as_text=True)
    assert "联合开发协议" in future.get_data(as_text=True)  # typed input kept
    client.post(f"/deals/{interest.id}/signing", data={
        "cooperation_modes": ["joint_development"], "amount_wan": "320", "signed_on": date.today().isoformat(),
        "summary": "联合开发协议", "contract": (io.BytesIO(PDF), "合同.pdf")}, content_type="multipart/form-data")

    switch(client, login_as, owner)
    assert "核对无误，确认签约" in client.get(f"/deals/{interest.id}/signing").get_data(as_text=True)
    client.post(f"/deals/{interest.id}/signing/confirm")
    db.session.refresh(interest)
    db.session.refresh(published)
    assert interest.status is InterestStatus.SIGNED and published.status is ProjectStatus.SIGNED

    switch(client, login_as, company)
    form_page = client.get(f"/deals/{interest.id}/docking").get_data(as_text=True)
    assert company.organisation.name in form_page and published.name in form_page
    incomplete = client.post(f"/deals/{interest.id}/docking", data={"company_name": company.organisation.name,
                                                                   "file": "1"})
    assert incomplete.status_code == 400 and "请填写通讯地址" in incomplete.get_data(as_text=True)
    data = {"company_name": company.organisation.name, "address": "福州市鼓楼区软件大道1号",
            "uscc": company.organisation.uscc, "field": "有源手术器械", "legal_rep": "陈总",
            "registered_capital_wan": "5000", "registered_on": "2015-06-01", "high_tech": "yes",
            "specialised": "provincial", "contact_name": "李经理", "contact_phone": "13800138000",
            "overview": "专注创面治疗设备", "project_name": published.name, "applicant": "某医院",
            "progress_work": "完成样机", "progress_stage": "设计验证", "cooperation_modes": ["joint_development"],
            "file": "1"}
    assert client.post(f"/deals/{interest.id}/docking", data=data).status_code == 302
    db.session.refresh(interest)
    assert interest.docking_form.status.value == "filed" and interest.docking_form.specialised.value == "provincial"

    switch(client, login_as, "staff")
    assert published.name in client.get("/deals/docking-forms").get_data(as_text=True)
    client.get(f"/deals/{interest.id}")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "view_negotiation")) == 1


def test_decline_with_reason_is_shown_to_the_enterprise(client, login_as, published):
    company = login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest",
                data={"message": "希望技术转让", "cooperation_modes": ["tech_transfer"]})
    interest = db.session.scalar(db.select(Interest))
    switch(client, login_as, published.owner)
    missing = client.post(f"/deals/{interest.id}/decline", data={}, follow_redirects=True)
    assert "请选择婉拒原因" in missing.get_data(as_text=True)
    client.post(f"/deals/{interest.id}/decline",
                data={f"decline{interest.id}-reason": "has_partner", f"decline{interest.id}-note": "专利尚在申请"})
    switch(client, login_as, company)
    mine = client.get("/deals/").get_data(as_text=True)
    assert "已有合作意向方" in mine and "专利尚在申请" in mine


def test_notifications_are_marked_read(client, login_as, published):
    login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest",
                data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    switch(client, login_as, published.owner)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "未读 1" in page
    nid = re.search(r"/notifications/(\d+)/open", page).group(1)
    response = client.post(f"/notifications/{nid}/open")
    assert response.status_code == 302 and f"/deals/projects/{published.id}/board" in response.location
    assert "未读 0" in client.get("/notifications/").get_data(as_text=True)


def test_arriving_at_the_linked_page_reads_the_notification(client, login_as, published):
    from app.core.notifications import unread_count
    login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest", data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    switch(client, login_as, published.owner)
    assert unread_count(published.owner) == 1
    board = f"/deals/projects/{published.id}/board"
    page = client.get(board).get_data(as_text=True)
    assert unread_count(published.owner) == 1  # the GET itself writes nothing ...
    assert re.search(r'<form hidden data-arrival method="post" action="/notifications/arrived">', page)
    assert f'name="path" value="{board}"' in page
    response = client.post("/notifications/arrived", data={"path": board})  # ... the page sends this (app.js)
    assert response.status_code == 200 and response.get_json() == {"unread": 0}
    assert unread_count(published.owner) == 0
    assert "data-arrival" not in client.get(board).get_data(as_text=True)  # nothing left to mark


def test_history_shows_each_object_in_its_own_words(client, login_as, published):
    login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest", data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    interest = db.session.scalar(db.select(Interest))
    switch(client, login_as, published.owner)
    client.post(f"/deals/{interest.id}/accept")
    history = client.get(f"/projects/{published.id}").get_data(as_text=True)
    assert "待回复 → 已接受·洽谈中" in history and "已入库发布 → 合作洽谈" in history
    assert "pending" not in history


def test_ending_talks_without_a_reason_says_so_next_to_the_field(client, login_as, published):
    company = login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest", data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    interest = db.session.scalar(db.select(Interest))
    switch(client, login_as, published.owner)
    client.post(f"/deals/{interest.id}/accept")
    switch(client, login_as, company)
    response = client.post(f"/deals/{interest.id}/end", data={"reason": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r"<details[^>]*\bopen\b", html)  # the reason's message is not hidden in a closed section
    assert "invalid-feedback" in html
    # the message form on this page still posts to the thread, not to …/end
    assert re.search(rf'id="message-form"\s+action="/deals/{interest.id}#message-form"', html)
    assert f'action="/deals/{interest.id}/end#end-talks"' in html  # a refusal opens the page where its reason is
    db.session.refresh(interest)
    assert interest.status is InterestStatus.ACCEPTED


def test_a_second_interest_is_refused_pointing_to_the_deals_page(client, login_as, published):
    login_as("enterprise")
    data = {"message": "意向", "cooperation_modes": ["tech_transfer"]}
    client.post(f"/deals/projects/{published.id}/interest", data=data)
    again = client.post(f"/deals/projects/{published.id}/interest", data=data)
    html = again.get_data(as_text=True)
    assert again.status_code == 400 and 'id="refused"' in html
    assert "请在“意向与洽谈”中查看" in html  # the menu's name: there is no “我的意向” page
    assert db.session.scalar(db.select(db.func.count()).select_from(Interest)) == 1


def test_a_refused_attachment_keeps_the_typed_message_and_sends_nothing(client, login_as, published):
    from app.deals.models import NegotiationMessage
    company = login_as("enterprise")
    client.post(f"/deals/projects/{published.id}/interest", data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    interest = db.session.scalar(db.select(Interest))
    switch(client, login_as, published.owner)
    client.post(f"/deals/{interest.id}/accept")
    switch(client, login_as, company)
    response = client.post(f"/deals/{interest.id}", data={"body": "请看附件", "file": (io.BytesIO(b"MZ.."), "程序.exe")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "只接受 PDF、Word、JPG、PNG 文件" in html and "请看附件</textarea>" in html
    assert html.count('class="message ') == 0  # the refused message is not listed as sent
    assert db.session.scalar(db.select(db.func.count()).select_from(NegotiationMessage)) == 0
