"""Confidentiality of requests: a request, its documents and comments are seen only by its parties and staff."""
import pytest

from app.deals import operations as deals
from app.extensions import db
from app.programme import requests as svc
from app.programme.models import RequestKind
from app.projects.models import ProjectStatus


@pytest.fixture
def case(app, make_project, make_user, staff, pdf):
    project = make_project(status=ProjectStatus.PUBLISHED)
    partner, outsider = make_user("enterprise"), make_user("enterprise")
    with app.test_request_context():
        interest = deals.express_interest(project, partner, "意向", ["joint_development"])
        deals.accept_interest(interest, project.owner)
        request = svc.open_request(project, project.owner, RequestKind.SPECIAL_REVIEW,
                                   {"core_technology": "机密的核心技术方案"})
        document = svc.add_document(request, project.owner, "patent_proof", pdf("专利证书.pdf"))
        comment = svc.add_comment(request, staff, "机密的审查意见", pdf("审查意见.pdf"))
    db.session.commit()
    return dict(project=project, partner=partner, outsider=outsider, request=request, document=document,
                comment_file=comment.documents[0], staff=staff)


def _urls(case):
    r = case["request"]
    return [f"/programme/requests/{r.id}", f"/programme/requests/{r.id}/documents/{case['document'].id}",
            f"/programme/requests/{r.id}/documents/{case['comment_file'].id}"]


@pytest.mark.parametrize("who, status", [("owner", 200), ("partner", 200), ("staff", 200), ("outsider", 404),
                                         ("clinician", 404), ("investor", 404), ("admin", 200)])
def test_who_sees_a_request_and_its_files(client, login_as, make_user, case, who, status):
    user = case["project"].owner if who == "owner" else case.get(who) or make_user(who)
    login_as(user)
    for url in _urls(case):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_sign_in(client, case):
    for url in _urls(case):
        assert client.get(url).status_code == 302


def test_outsiders_never_see_the_text_anywhere(client, login_as, case):
    login_as(case["outsider"])
    for url in ("/programme/requests/", f"/library/{case['project'].id}", f"/programme/requests/{case['request'].id}"):
        body = client.get(url).get_data(as_text=True)
        assert "机密的核心技术方案" not in body and "机密的审查意见" not in body and "专利证书.pdf" not in body


def test_the_partner_lists_it_and_may_comment(client, login_as, case):
    login_as(case["partner"])
    assert "创新医疗器械特别审查申报" in client.get("/programme/requests/").get_data(as_text=True)
    response = client.post(f"/programme/requests/{case['request'].id}/comments", data={"body": "企业补充说明"})
    assert response.status_code == 302


def test_outsiders_cannot_post_to_it(client, login_as, case):
    login_as(case["outsider"])
    rid = case["request"].id
    for path in ("", "/submit", "/comments", "/documents"):
        assert client.post(f"/programme/requests/{rid}{path}", data={"body": "x"}).status_code == 404
