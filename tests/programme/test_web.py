"""The programme's pages through the test client: forms validate on the server with messages next to fields."""
import io
from datetime import datetime, timedelta

from app.core.models import AuditEvent
from app.extensions import db
from app.incubation import operations as incubation
from app.programme import requests as svc
from app.programme.models import Article, ArticleStatus, Provider, RequestKind, RequestStatus, SupportRequest
from app.projects.models import ProjectStatus

PDF = b"%PDF-1.4\n% test\n"


def test_staff_write_an_article_with_messages_next_to_fields(client, login_as, staff):
    login_as(staff)
    bad = client.post("/programme/articles/new", data={"category": "policy", "title": "", "source_url": "ftp:x"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请填写标题" in page and "http(s)://" in page
    event = client.post("/programme/articles/new", data={"category": "event", "title": "宣贯会"})
    assert event.status_code == 400 and "活动须填写举办时间" in event.get_data(as_text=True)
    ok = client.post("/programme/articles/new", data={"category": "faq", "title": "如何提报项目？", "body": "# 步骤",
                                                      "tags": "提报，附件1", "publish_at": "2030-01-01T09:00"})
    assert ok.status_code == 302
    article = db.session.scalars(db.select(Article)).one()
    assert article.tags == ["提报", "附件1"] and article.publish_at.hour == 1  # 09:00 Beijing is 01:00 UTC
    assert client.post(f"/programme/articles/{article.id}/publish", data={}).status_code == 302
    db.session.expire_all()
    assert article.status is ArticleStatus.PUBLISHED and article.publish_at.year == 2030   # scheduled, kept
    assert client.get(f"/policy/{article.id}").status_code == 200                          # staff preview
    client.post("/auth/logout")
    assert client.get(f"/policy/{article.id}").status_code == 404                          # not yet public


def test_only_pdf_or_word_attach_to_articles(app, client, login_as, staff):
    login_as(staff)
    client.post("/programme/articles/new", data={"category": "policy", "title": "实施方案"})
    article_id = db.session.scalar(db.select(Article.id))
    png = client.post(f"/programme/articles/{article_id}/attachments",
                      data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 10), "图.png")})
    assert png.status_code == 400
    pdf = client.post(f"/programme/articles/{article_id}/attachments", data={"file": (io.BytesIO(PDF), "方案.pdf")})
    assert pdf.status_code == 302


def test_staff_keep_the_provider_directory(client, login_as, staff, make_user):
    login_as(staff)
    bad = client.post("/programme/resources/new", data={"name": "", "kind": "testing", "phone": "123"})
    assert bad.status_code == 400 and "请填写机构名称" in bad.get_data(as_text=True)
    ok = client.post("/programme/resources/new", data={"name": "省药检院", "kind": "testing", "scope_types": ["active"],
                                                       "qualifications": "CMA CNAS", "region": "福州市", "active": "y"})
    assert ok.status_code == 302
    provider = db.session.scalars(db.select(Provider)).one()
    assert provider.scope_types == ["active"] and provider.owner_organisation_id is None
    client.post("/auth/logout")
    login_as("clinician")
    page = client.get("/programme/resources/?kind=testing&q=CNAS").get_data(as_text=True)
    assert "省药检院" in page
    assert "省药检院" not in client.get("/programme/resources/?kind=animal").get_data(as_text=True)


def test_a_consultation_needs_a_future_slot(client, login_as, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED)
    login_as(project.owner)
    choose = client.get(f"/programme/projects/{project.id}/requests/new").get_data(as_text=True)
    assert "预约咨询" in choose and "专利申报" in choose
    past = client.post(f"/programme/projects/{project.id}/requests/new",
                       data={"kind": "consultation", "f_topic": "注册路径", "f_mode": "video",
                             "slot_at": "2020-01-01T10:00"})
    assert past.status_code == 400 and "预约时段须晚于现在" in past.get_data(as_text=True)
    slot = (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT10:00")
    ok = client.post(f"/programme/projects/{project.id}/requests/new",
                     data={"kind": "consultation", "f_topic": "注册路径", "f_mode": "video", "slot_at": slot})
    assert ok.status_code == 302
    request = db.session.scalars(db.select(SupportRequest)).one()
    assert request.slot_at is not None and request.fields["topic"] == "注册路径"
    assert client.post(f"/programme/requests/{request.id}/submit", data={}).status_code == 302
    db.session.expire_all()
    assert request.status is RequestStatus.SUBMITTED


def test_an_incomplete_request_is_refused_with_its_checklist(client, login_as, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED)
    login_as(project.owner)
    client.post(f"/programme/projects/{project.id}/requests/new", data={"kind": "testing", "f_sample": "样机"})
    request = db.session.scalars(db.select(SupportRequest)).one()
    page = client.get(f"/programme/requests/{request.id}").get_data(as_text=True)
    assert "提交前核对清单" in page and "检验项目" in page and "产品技术要求" in page
    refused = client.post(f"/programme/requests/{request.id}/submit", data={})
    assert refused.status_code == 400 and "申请材料尚不完整" in refused.get_data(as_text=True)


def test_staff_handle_through_the_pages(app, client, login_as, make_project, staff):
    project = make_project(status=ProjectStatus.PUBLISHED)
    with app.test_request_context():
        request = svc.open_request(project, project.owner, RequestKind.RD_SUBSIDY,
                                   {"applicant_unit": "某公司", "year": "2026", "rd_spend_wan": "80", "purpose": "研发"})
        svc.add_document(request, project.owner, "rd_accounts",
                         __import__("werkzeug.datastructures", fromlist=["FileStorage"]).FileStorage(
                             io.BytesIO(PDF), filename="明细.pdf"))
        svc.submit_request(request, project.owner)
    db.session.commit()
    login_as(staff)
    refuse = client.post(f"/programme/requests/{request.id}/refuse", data={"comment": ""})
    assert refuse.status_code == 400 and "请写明不予受理的理由" in refuse.get_data(as_text=True)
    assert client.post(f"/programme/requests/{request.id}/accept", data={"assignee_id": staff.id}).status_code == 302
    bad = client.post(f"/programme/requests/{request.id}/close", data={"granted_wan": "-3"})
    assert bad.status_code == 400 and "不能为负数" in bad.get_data(as_text=True)
    assert client.post(f"/programme/requests/{request.id}/close", data={"granted_wan": "30", "note": "已拨付"}).status_code == 302
    db.session.expire_all()
    assert request.status is RequestStatus.CLOSED and str(request.granted_wan) == "30.00"
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_type == "support_request")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["open_request", "request_document", "submit_request", "accept_request", "close_request"]
    client.post("/auth/logout")
    login_as(project.owner)
    panel = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "研发费用补助" in panel and "已办结" in panel


def test_one_click_from_an_assessment(app, client, login_as, make_project, staff):
    project = make_project(status=ProjectStatus.SIGNED)
    with app.test_request_context():
        assessment = incubation.open_assessment(project, staff)
        incubation.record_scores(assessment, staff, {"technology": 90, "finalisation": 80, "clinical_potential": 90,
                                                     "partner_capability": 70}, {})
        incubation.complete_assessment(assessment, staff, ["pre_review"], "方案", staff, None)
    db.session.commit()
    login_as(staff)
    page = client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
    assert "发起“审评前置咨询”申请" in page
    response = client.post(f"/programme/assessments/{assessment.id}/requests/pre_review", data={})
    assert response.status_code == 302
    request = db.session.scalars(db.select(SupportRequest)).one()
    assert request.kind is RequestKind.PRE_REVIEW and request.assessment_id == assessment.id
    assert "审评前置咨询：草稿" in client.get(f"/incubation/projects/{project.id}").get_data(as_text=True)
