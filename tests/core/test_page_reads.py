"""A page view reads its page's version in the statement that loads its user (app/core/page_reads.py): the library
and 为您推荐 served from their copies run that one statement, the versions so read are those the pages would read
themselves, a change still shows on the next page, and a version for another organisation is never taken."""
import re

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event

from app import USER_FOR_PAGE, user_row
from app.core import page_reads
from app.deals.models import Intent, PassReason, ProjectPass
from app.extensions import db
from app.projects.listing import library_version
from app.projects.models import ProjectStatus
from app.suggestions import operations as suggestions
from app.suggestions.models import MatchSuggestion
from tests.conftest import PASSWORD


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _statements(client, path: str) -> tuple[str, list[str]]:
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return response.get_data(as_text=True), seen


def test_the_library_from_its_copy_runs_one_statement_and_a_new_project_still_shows(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    reader = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, reader)
    client.get("/library/")                                  # renders the copy
    html, seen = _statements(client, "/library/")
    assert "可吸收止血夹" in html
    assert len(seen) == 1 and re.search(r'FROM "?user"?', seen[0]) and "max(project.updated_at)" in seen[0], seen
    make_project(status=ProjectStatus.PUBLISHED, name="电子鼻咽喉镜")
    db.session.commit()
    html, _seen = _statements(client, "/library/")
    assert "电子鼻咽喉镜" in html and "可吸收止血夹" in html


def test_for_you_from_its_copy_runs_one_statement_and_a_pass_still_shows(app, make_user, make_project):
    company = make_user("enterprise")
    projects = [make_project(status=ProjectStatus.PUBLISHED, name=name) for name in ("推荐的止血夹", "推荐的鼻咽喉镜")]
    db.session.add_all(MatchSuggestion(project_id=p.id, organisation_id=company.organisation_id, score=0.9,
                                       public_reasons=["产品线相符"]) for p in projects)
    db.session.commit()
    client = _signed_in(app, company)
    client.get("/matching/for-you")
    html, seen = _statements(client, "/matching/for-you")
    assert "推荐的止血夹" in html and "推荐的鼻咽喉镜" in html
    assert len(seen) == 1 and re.search(r'FROM "?user"?', seen[0]) and "project_pass" in seen[0], seen
    tokens = re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)   # a form per pairing
    with client.session_transaction() as session:
        own = session["csrf_token"]
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    assert len(tokens) >= 3 and {serializer.loads(token) for token in tokens} == {own}
    db.session.add(ProjectPass(project_id=projects[0].id, organisation_id=company.organisation_id,
                               passed_by_id=company.id, reason=list(PassReason)[0]))
    db.session.commit()
    html, _seen = _statements(client, "/matching/for-you")
    assert "推荐的止血夹" not in html and "推荐的鼻咽喉镜" in html


def test_the_versions_read_with_the_user_are_those_the_pages_read_themselves(app, make_user, make_project):
    company, other = make_user("enterprise"), make_user("investor")
    project = make_project(status=ProjectStatus.PUBLISHED)
    db.session.add_all([Intent(organisation=company.organisation, title="寻找监护类项目"),
                        Intent(organisation=other.organisation, title="寻找影像类项目"),
                        Intent(organisation=other.organisation, title="寻找康复类项目"),
                        ProjectPass(project_id=project.id, organisation_id=other.organisation_id,
                                    passed_by_id=other.id, reason=list(PassReason)[0])])
    db.session.commit()
    readers = {"library.index": lambda user: library_version(),
               "matching.for_you": lambda user: suggestions.for_you_version(user.organisation)}
    for endpoint, version in readers.items():
        statement, asked = page_reads.user_statement(USER_FOR_PAGE, endpoint)
        assert asked == len(page_reads._asked[endpoint]())
        for user in (company, other):
            _user, (_count, _here, *answer) = user_row(statement, {"user_id": user.id, "path": "/"})
            with app.test_request_context("/"):
                page_reads.note(endpoint, answer)
                assert page_reads.answered(page_reads._asked[endpoint]) == tuple(answer)
                from_the_user = version(user)
            with app.test_request_context("/"):                       # nothing asked: the page reads it itself
                assert version(user) == from_the_user
    statement, asked = page_reads.user_statement(USER_FOR_PAGE, "library.project")
    assert asked == 0 and statement is USER_FOR_PAGE                  # a page that asks for nothing


def test_a_version_read_for_the_readers_organisation_is_not_taken_for_another(app, make_user):
    company, other = make_user("enterprise"), make_user("investor")
    db.session.add(Intent(organisation=other.organisation, title="寻找影像类项目"))
    db.session.commit()
    with app.test_request_context("/"):
        own = suggestions.for_you_version(other.organisation)
    statement, _asked = page_reads.user_statement(USER_FOR_PAGE, "matching.for_you")
    _user, (_count, _here, *answer) = user_row(statement, {"user_id": company.id, "path": "/"})
    with app.test_request_context("/"):
        page_reads.note("matching.for_you", answer)                  # the reader is company
        assert suggestions.for_you_version(other.organisation) == own
        assert page_reads.answered(library_version_of_nothing) is None


def library_version_of_nothing() -> tuple:
    return ()


def test_the_user_statement_hands_the_user_their_organisation_and_hospital_tie(app, make_user):
    """user_row reads the organisation and the hospital tie as entities of the user's row and hands them over: asking
    for them (the menu's is_verified) runs no statement, and they are the session's own objects (a change is stored)."""
    from app import USER_WITH_ORGANISATION
    company, doctor = make_user("enterprise"), make_user("clinician")
    db.session.commit()
    ids = {"company": company.id, "doctor": doctor.id}
    for statement in (USER_WITH_ORGANISATION, USER_FOR_PAGE):
        db.session.expunge_all()
        company, _columns = user_row(statement, {"user_id": ids["company"], "path": "/"})
        doctor, _columns = user_row(statement, {"user_id": ids["doctor"], "path": "/"})
        seen = []

        def note(conn, cursor, sql, parameters, context, executemany):
            seen.append(sql)
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert company.is_verified and company.organisation.name and company.affiliation is None
            assert doctor.is_verified and doctor.affiliation.is_confirmed and doctor.organisation is None
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert seen == []
        assert company.organisation in db.session and doctor.affiliation in db.session
    company.organisation.name = "改名后的医疗器械有限公司"
    db.session.commit()
    db.session.expunge_all()
    assert user_row(USER_WITH_ORGANISATION, {"user_id": ids["company"]})[0].organisation.name == "改名后的医疗器械有限公司"
    assert user_row(USER_WITH_ORGANISATION, {"user_id": 10**6}) == (None, ())
