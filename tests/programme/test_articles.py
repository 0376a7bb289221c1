"""Policy and guidance: sanitised Markdown, drafts and scheduled publication, Chinese search, events."""
from datetime import datetime, timedelta, timezone

import pytest
from html.parser import HTMLParser

from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import AuditEvent
from app.extensions import db
from app.programme import articles as svc
from app.programme.markdown import render
from app.programme.models import ArticleCategory

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "**粗体** <b onmouseover=alert(1)>x</b>",
    "[x](vbscript:msgbox(1))",
    "<details open ontoggle=alert(1)>",
    "`<script>`\n\n```\n<script>alert(1)</script>\n```",
    "<<script>script>alert(1)<</script>/script>",
]


class _Elements(HTMLParser):
    """The real elements and attributes of an HTML fragment (escaped text is not an element)."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_payloads_render_inert(payload):
    parser = _Elements()
    parser.feed(str(render(payload)))
    assert set(parser.tags) <= {"p", "code", "pre", "strong", "a"}
    for tag, name, value in parser.attributes:
        assert not name.startswith("on") and name != "style"
        if name == "href":
            assert value.startswith(("http://", "https://", "mailto:")), value


def test_markdown_keeps_the_formatting():
    html = str(render("# 政策\n\n- **一**\n- [原文](https://www.nmpa.gov.cn/)"))
    assert "<h1>政策</h1>" in html and "<strong>一</strong>" in html
    assert 'href="https://www.nmpa.gov.cn/"' in html and "nofollow" in html


def _article(staff, **extra):
    data = dict(category="policy", title="关于医疗器械注册检验随送随检的通知", summary="注册检验随送随检。",
                body="省药检院对创新医疗器械注册检验实行**随送随检**。", issuing_body="省药品监督管理局",
                tags="注册检验，检验检测")
    data.update(extra)
    return svc.create_article(staff, data)


def test_draft_is_not_public_and_publishing_is_audited(app, client, staff):
    article = _article(staff)
    db.session.commit()
    assert client.get(f"/policy/{article.id}").status_code == 404
    assert "随送随检的通知" not in client.get("/policy/?q=随送随检").get_data(as_text=True)
    with app.test_request_context():
        svc.publish_article(article, staff)
    db.session.commit()
    assert client.get(f"/policy/{article.id}").status_code == 200
    page = client.get("/policy/?q=注册检验").get_data(as_text=True)
    assert "关于医疗器械注册检验随送随检的通知" in page
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_type == "article")).all()
    assert actions == ["create_article", "publish_article"]
    svc.update_article(article, staff, {"title": "新标题"})
    assert db.session.scalars(db.select(AuditEvent.comment).where(AuditEvent.action == "update_article")).one() == "title"


def test_scheduled_article_appears_when_its_time_comes(app, client, staff):
    article = _article(staff)
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    svc.publish_article(article, staff, later)
    db.session.commit()
    assert client.get(f"/policy/{article.id}").status_code == 404
    assert svc.public_articles() == []
    assert svc.public_articles(now=later + timedelta(minutes=1)) == [article]
    assert svc.public_articles(query="随送随检", now=later + timedelta(minutes=1)) == [article]


def test_only_staff_publish(make_user, staff):
    article = _article(staff)
    for role in ("clinician", "enterprise"):
        with pytest.raises(PermissionDenied):
            svc.publish_article(article, make_user(role))
        with pytest.raises(PermissionDenied):
            svc.create_article(make_user(role), {"category": "faq", "title": "x"})
    svc.publish_article(article, staff)
    with pytest.raises(TransitionError):
        svc.publish_article(article, staff)


def test_newest_first_and_categories(staff):
    old = _article(staff, title="旧文", issued_on=None)
    svc.publish_article(old, staff, datetime(2024, 1, 1, tzinfo=timezone.utc))
    new = _article(staff, title="新文", category="faq")
    svc.publish_article(new, staff)
    assert svc.public_articles() == [new, old]
    assert svc.public_articles(ArticleCategory.FAQ) == [new]


def test_search_matches_chinese_words_not_drafts(staff):
    a = _article(staff, title="院企合作模式介绍", body="技术转让、技术入股、联合开发。", category="cooperation", tags="")
    svc.publish_article(a, staff)
    _article(staff, title="草稿里的技术入股")
    db.session.commit()
    assert svc.public_articles(query="技术入股") == [a]
    assert svc.public_articles(query="不存在的词语组合") == []


def _event(staff, **extra):
    starts = datetime.now(timezone.utc) + timedelta(days=7)
    data = dict(category="event", title="《实施方案》政策宣贯会", event_starts_at=starts, event_place="福州",
                registration_open=True, capacity=3)
    data.update(extra)
    event = svc.create_article(staff, data)
    svc.publish_article(event, staff)
    return event


def test_event_registration_and_export(app, client, login_as, staff):
    event = _event(staff)
    db.session.commit()
    anonymous = client.post(f"/policy/{event.id}/register", data={"attendee_name": "张三", "phone": "13800138000"})
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    login_as("clinician")
    bad = client.post(f"/policy/{event.id}/register", data={"attendee_name": "张三", "phone": "123"})
    assert bad.status_code == 400 and "手机号" in bad.get_data(as_text=True)
    ok = client.post(f"/policy/{event.id}/register", data={"attendee_name": "张三", "phone": "13800138000",
                                                          "unit": "协和医院", "attendees": 2})
    assert ok.status_code == 302
    again = client.post(f"/policy/{event.id}/register", data={"attendee_name": "张三", "phone": "13800138000",
                                                             "attendees": 1})
    assert again.status_code == 400
    client.post("/auth/logout")
    login_as(staff)
    csv = client.get(f"/programme/articles/{event.id}/registrations.csv")
    assert csv.status_code == 200 and "张三" in csv.get_data().decode("utf-8-sig")
    xlsx = client.get(f"/programme/articles/{event.id}/registrations.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_event_capacity_and_past_events(make_user, staff):
    event = _event(staff)
    svc.register_for_event(event, make_user("clinician"), "甲", "13800138000", attendees=3)
    with pytest.raises(TransitionError):
        svc.register_for_event(event, make_user("clinician"), "乙", "13800138000")
    past = _event(staff, event_starts_at=datetime.now(timezone.utc) - timedelta(days=1), capacity=None)
    with pytest.raises(TransitionError):
        svc.register_for_event(past, make_user("clinician"), "丙", "13800138000")


def test_event_needs_a_date(staff):
    with pytest.raises(ValidationError):
        svc.create_article(staff, {"category": "event", "title": "宣贯会"})


def test_handbook_lists_owner_and_contact(client, staff):
    policy = _article(staff, owner_unit="省药监局器械注册处", owner_contact="王老师 0591-87654321")
    svc.publish_article(policy, staff)
    db.session.commit()
    page = client.get("/policy/handbook").get_data(as_text=True)
    assert "省药监局器械注册处" in page and "0591-87654321" in page


def test_attachment_download_only_when_readable(app, client, staff, pdf):
    article = _article(staff)
    with app.test_request_context():
        attachment = svc.add_attachment(article, staff, pdf("实施方案.pdf"))
    db.session.commit()
    url = f"/policy/{article.id}/attachments/{attachment.id}"
    assert client.get(url).status_code == 404
    svc.publish_article(article, staff)
    db.session.commit()
    assert client.get(url).status_code == 200


def test_the_index_is_updated_by_a_job_after_commit(app, staff, queue):
    from app.programme.jobs import index_article
    article = _article(staff, title="排队索引测试：生产许可现场指导")
    svc.publish_article(article, staff)
    assert queue.waiting(index_article) == []       # nothing before the commit
    db.session.commit()
    assert queue.waiting(index_article) == ["index_article"]
    assert svc.public_articles(query="现场指导") == []
    assert queue.run_all() >= 1
    assert svc.public_articles(query="现场指导") == [article]
    svc.unpublish_article(article, staff)
    db.session.commit()
    queue.run_all()
    assert svc.public_articles(query="现场指导") == []
