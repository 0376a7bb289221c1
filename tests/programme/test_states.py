"""The programme's state tables walked for every role: articles (ARTICLE) and service requests (REQUEST)."""
import pytest

from app.core.models import utcnow
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.programme import operations as tables
from app.programme.models import Article, ArticleCategory
from app.programme.models import ArticleStatus as A
from app.programme.models import RequestKind, SupportRequest
from app.programme.models import RequestStatus as R
from app.projects.models import ProjectStatus
from tests.transitions import STAFF, actors, assert_table, walk

ARTICLE = {"publish": ({A.DRAFT}, A.PUBLISHED, STAFF), "unpublish": ({A.PUBLISHED}, A.DRAFT, STAFF)}

APPLICANTS = STAFF | {"owner", "member"}  # the clinician, the partner enterprise, staff on their behalf
OPEN = {R.SUBMITTED, R.ACCEPTED, R.IN_PROGRESS}
REQUEST = {
    "submit": ({R.DRAFT}, R.SUBMITTED, APPLICANTS),
    "resubmit": ({R.RETURNED}, R.SUBMITTED, APPLICANTS),      # returned before it was accepted
    "supplement": ({R.RETURNED}, R.IN_PROGRESS, APPLICANTS),  # returned after it was accepted
    "accept": ({R.SUBMITTED}, R.ACCEPTED, STAFF),
    "start": ({R.ACCEPTED}, R.IN_PROGRESS, STAFF),
    "return": (OPEN, R.RETURNED, STAFF),
    "refuse": (OPEN, R.REFUSED, STAFF),
    "close": ({R.ACCEPTED, R.IN_PROGRESS}, R.CLOSED, STAFF),
}


@pytest.fixture
def world(make_user, make_project, staff):
    project = make_project(ProjectStatus.PUBLISHED)
    member = make_user("enterprise")
    db.session.add(Interest(project=project, organisation_id=member.organisation_id, created_by=member,
                            status=InterestStatus.ACCEPTED))
    article = Article(category=ArticleCategory.POLICY, title="实施方案", created_by_id=staff.id)
    request = SupportRequest(project=project, kind=RequestKind.PATENT, opened_by_id=project.owner_id, fields={})
    db.session.add_all([article, request])
    db.session.flush()
    return {"article": article, "request": request, "people": actors(make_user, project.owner, member)}


@pytest.mark.parametrize("table, expected", [(tables.ARTICLE, ARTICLE), (tables.REQUEST, REQUEST)])
def test_the_tables_are_the_documented_lives(table, expected):
    assert_table(table, expected)


@pytest.mark.parametrize("action", ARTICLE)
def test_article(world, action):
    walk(world["article"], tables.ARTICLE, ARTICLE, action, world["people"])


@pytest.mark.parametrize("action", [a for a in REQUEST if a != "supplement"])
def test_request(world, action):
    walk(world["request"], tables.REQUEST, REQUEST, action, world["people"])


def test_a_request_accepted_before_is_supplemented_not_resubmitted(world):
    request = world["request"]
    request.accepted_at = utcnow()
    walk(request, tables.REQUEST, REQUEST, "supplement", world["people"])
    request.status = R.RETURNED
    assert not any(tables.REQUEST["resubmit"].who(p, request) for p in world["people"].values())
