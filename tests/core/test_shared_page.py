"""A shared page (app/core/templating.py, shared_page) is rendered once for every reader of one kind and served
with each reader's own parts filled in: the name, the unread badge, the messages, the arrival form and the
CSRF token. Nothing of the reader who happened to render the cached copy reaches another."""
import re
from datetime import timedelta

from flask import template_rendered
from itsdangerous import URLSafeTimedSerializer

from app.core.models import utcnow
from app.core.notifications import Notification
from app.extensions import db
from app.projects.models import ProjectStatus
from tests.conftest import PASSWORD


class Rendered:
    """The templates rendered while the block is open (a hit on a shared page renders only the holes' macros)."""

    def __init__(self, app):
        self.app, self.names = app, []

    def __enter__(self):
        template_rendered.connect(self._note, self.app)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._note, self.app)

    def _note(self, sender, template, context, **extra):
        self.names.append(template.name)


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html))


def _session_token(client) -> str:
    with client.session_transaction() as session:
        return session["csrf_token"]


def _raw(app, tokens: set[str]) -> set[str]:
    """What the page's signed tokens stand for: the session's raw token, as Flask-WTF checks it."""
    serializer = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.config["SECRET_KEY"],
                                        salt="wtf-csrf-token")
    return {serializer.loads(token) for token in tokens}


def _notify(user, link: str, n: int = 1):
    for i in range(n):
        db.session.add(Notification(user_id=user.id, kind="saved_search", title=f"新项目{i}", link=link,
                                    created_at=utcnow() - timedelta(minutes=i)))
    db.session.commit()


def test_a_second_reader_of_the_same_kind_gets_the_copy_with_their_own_parts(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    first = make_user("enterprise", name="第一位读者")
    second = make_user("enterprise", name="第二位读者")
    db.session.commit()
    _notify(second, "/notifications/", n=3)
    mine, theirs = _signed_in(app, first), _signed_in(app, second)
    path = "/library/?project_type=active"  # a filtered page: it carries the save-search form and its token
    first_html = mine.get(path).get_data(as_text=True)
    with Rendered(app) as rendered:
        second_html = theirs.get(path).get_data(as_text=True)
    assert "library/index.html" not in rendered.names, rendered.names
    assert "第一位读者" in first_html and "第二位读者" not in first_html
    assert "第二位读者" in second_html and "第一位读者" not in second_html
    # every form of each page carries its reader's token: the logout form and the save-search form
    assert len(_tokens(second_html)) >= 1 and 'class="save-search' in second_html
    assert _raw(app, _tokens(first_html)) == {_session_token(mine)}
    assert _raw(app, _tokens(second_html)) == {_session_token(theirs)}
    assert _session_token(mine) != _session_token(theirs)
    assert 'id="nav-notifications">消息\n            <span class="badge rounded-pill text-bg-danger">3</span>' in second_html
    assert "text-bg-danger\">3<" not in first_html
    assert "<!--" not in second_html.split("<body>")[1] or not re.search(r"<!--[0-9a-f]{16}:", second_html)


def test_messages_and_the_arrival_form_are_the_readers_own(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    first, second = make_user("investor", name="甲"), make_user("investor", name="乙")
    db.session.commit()
    _notify(first, "/library/")
    mine, theirs = _signed_in(app, first), _signed_in(app, second)
    theirs.get("/library/")  # the copy is made for the reader without messages
    with mine.session_transaction() as session:
        session["_flashes"] = [("success", "已为您保存搜索条件")]
    html = mine.get("/library/").get_data(as_text=True)
    assert "已为您保存搜索条件" in html and "data-arrival" in html
    assert re.search(r'name="path" value="/library/"', html)
    again = mine.get("/library/").get_data(as_text=True)
    assert "已为您保存搜索条件" not in again  # a message is shown once
    other = theirs.get("/library/").get_data(as_text=True)
    assert "已为您保存搜索条件" not in other and "data-arrival" not in other


def test_readers_of_another_kind_get_their_own_copy(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    enterprise, clinician = make_user("enterprise"), make_user("clinician")
    db.session.commit()
    organisation_page = _signed_in(app, enterprise).get("/library/").get_data(as_text=True)
    with Rendered(app) as rendered:
        clinician_page = _signed_in(app, clinician).get("/library/").get_data(as_text=True)
    assert "library/index.html" in rendered.names  # not the organisation's copy
    assert "/matching/for-you" in organisation_page and "/matching/for-you" not in clinician_page
    assert "/projects/new" in clinician_page


def test_staff_pages_are_rendered_every_time(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    staff = make_user("staff")
    db.session.commit()
    client = _signed_in(app, staff)
    client.get("/library/")
    with Rendered(app) as rendered:
        client.get("/library/")
    assert "library/index.html" in rendered.names


def test_each_address_and_language_has_its_own_copy(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹", project_type="active")
    make_project(status=ProjectStatus.PUBLISHED, name="一次性使用活检针", project_type="passive")
    reader = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, reader)
    assert "一次性使用活检针" not in client.get("/library/?project_type=active").get_data(as_text=True)
    assert "可吸收止血夹" not in client.get("/library/?project_type=passive").get_data(as_text=True)
    english = client.get("/library/?lang=en").get_data(as_text=True)
    assert "Project library" in english or 'lang="en"' in english
    assert '<html lang="zh-CN"' in client.get("/library/?lang=zh").get_data(as_text=True)


def test_the_readers_parts_follow_the_name_the_language_and_the_count(app, make_user, make_project):
    """The name, the role and the badge are rendered once per (name, role, language) or (count, language) in a
    process: a renamed reader, another language and a new unread count each show at once."""
    from flask_babel import force_locale
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    reader = make_user("enterprise", name="王晓明")
    db.session.commit()
    client = _signed_in(app, reader)
    _notify(reader, "/elsewhere", 2)
    chinese = client.get("/library/").get_data(as_text=True)
    english = client.get("/library/?lang=en").get_data(as_text=True)
    with app.test_request_context():
        with force_locale("zh"):
            zh_role = str(reader.role.label)
        with force_locale("en"):
            en_role = str(reader.role.label)
    assert zh_role != en_role
    assert "王晓明" in chinese and zh_role in chinese and en_role not in chinese
    assert "王晓明" in english and en_role in english
    assert re.search(r'text-bg-danger">2<', english) and re.search(r'text-bg-danger">2<', chinese)
    _notify(reader, "/elsewhere", 1)
    reader.name = "王晓华"
    db.session.commit()
    again = client.get("/library/?lang=zh").get_data(as_text=True)
    assert "王晓华" in again and "王晓明" not in again and re.search(r'text-bg-danger">3<', again)


def test_a_session_is_given_one_signed_token_while_tokens_have_no_age_limit(app, make_user, make_project, monkeypatch):
    """WTF_CSRF_TIME_LIMIT None: a token is checked against the session's own only, so the holes give every page of
    a session the token signed first; with an age limit, each page is given a freshly signed one."""
    from app.core import templating
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    reader = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, reader)
    first = _tokens(client.get("/library/").get_data(as_text=True))
    second = _tokens(client.get("/library/?page=1").get_data(as_text=True))
    assert len(first) == 1 and first == second and _raw(app, first) == {_session_token(client)}
    other = _signed_in(app, make_user("enterprise"))   # another session: its own token
    assert _tokens(other.get("/library/").get_data(as_text=True)) != first
    templating._signed_tokens.clear()
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    limited = _tokens(client.get("/library/").get_data(as_text=True))
    assert templating._signed_tokens == {} and _raw(app, limited) == {_session_token(client)}


def test_a_page_view_reads_its_badge_in_the_statement_that_loads_the_user(app, make_user, make_project):
    """The user loader asks for the unread summary on a GET (one statement fewer on every page); the badge and
    the arrival form are those of this page, and a new notification shows on the next page."""
    from sqlalchemy import event
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    reader = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, reader)
    _notify(reader, "/library/", 2)
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        html = client.get("/library/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    reading_notifications = [s for s in seen if "FROM notification" in s]
    assert len(reading_notifications) == 1 and re.search(r'FROM "?user"?', reading_notifications[0])
    assert re.search(r'text-bg-danger">2<', html) and "data-arrival" in html
    _notify(reader, "/elsewhere", 1)
    html = client.get("/library/?page=1").get_data(as_text=True)
    assert re.search(r'text-bg-danger">3<', html)
