"""The library's listing and counts are rendered once and shared by every viewer (app/core/caching.py): a
change to any project shows at once, each language has its own copy, nothing of one viewer reaches another,
and a cache that fails costs speed, never the page."""
import os
import re

import pytest
from sqlalchemy import event

from app.core import caching
from app.extensions import cache, db
from app.projects.listing import library_version
from app.projects.models import Project, ProjectStatus
from app.suggestions import operations as suggestions
from app.suggestions.models import MatchSuggestion
from tests.conftest import PASSWORD


class Statements:
    """The SQL statements the app runs while the block is open."""

    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def reading(self, table: str) -> list[str]:
        return [s for s in self.seen if re.search(rf"\bFROM {table}\b", s)]


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _logout_token(html: str) -> str:
    return re.search(r'action="/auth/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_listing_is_rendered_once_for_every_viewer(app, make_user, make_project):
    make_project(status=ProjectStatus.PUBLISHED, name="可吸收止血夹")
    first_reader, second_reader = make_user("enterprise", name="第一位读者"), make_user("investor", name="第二位读者")
    db.session.commit()
    with Statements() as first:
        mine = _signed_in(app, first_reader).get("/library/").get_data(as_text=True)
    with Statements() as second:
        theirs = _signed_in(app, second_reader).get("/library/").get_data(as_text=True)
    assert "可吸收止血夹" in mine and "可吸收止血夹" in theirs
    assert len(first.reading("project")) > 1
    # the second page read the library's version and nothing else of the projects
    assert [s for s in second.reading("project") if "max(project." not in s] == [], second.reading("project")
    # each page carries its own viewer: the name and the CSRF token are rendered per request, never shared
    assert "第二位读者" in theirs and "第二位读者" not in mine
    assert _logout_token(mine) != _logout_token(theirs)


def test_a_publish_an_edit_and_a_withdrawal_show_at_once(client, login_as, make_project):
    login_as("enterprise")
    first = make_project(status=ProjectStatus.PUBLISHED, name="一次性使用鼻腔冲洗器")
    db.session.commit()
    assert "一次性使用鼻腔冲洗器" in client.get("/library/").get_data(as_text=True)
    make_project(status=ProjectStatus.PUBLISHED, name="电子鼻咽喉镜")
    db.session.commit()
    html = client.get("/library/").get_data(as_text=True)
    assert "电子鼻咽喉镜" in html and '<span class="badge text-bg-secondary" id="result-count">2</span>' in html
    before = library_version()
    db.session.get(Project, first.id).name = "鼻腔冲洗器（儿童型）"
    db.session.commit()
    assert library_version() != before
    html = client.get("/library/").get_data(as_text=True)
    listing = html[html.find('class="list-group project-list"'):html.find("</section>")]
    assert "鼻腔冲洗器（儿童型）" in listing and "一次性使用鼻腔冲洗器" not in listing, (before, library_version(), listing)
    assert "鼻腔冲洗器（儿童型）" in client.get("/library/?q=冲洗器").get_data(as_text=True)
    db.session.get(Project, first.id).status = ProjectStatus.WITHDRAWN
    db.session.commit()
    html = client.get("/library/").get_data(as_text=True)
    assert "鼻腔冲洗器" not in html and '<span class="badge text-bg-secondary" id="result-count">1</span>' in html


def test_each_language_has_its_own_copy(client, login_as, make_project):
    login_as("enterprise")
    make_project(status=ProjectStatus.PUBLISHED, project_type="active")
    db.session.commit()
    chinese = client.get("/library/").get_data(as_text=True)
    english = client.get("/library/?lang=en").get_data(as_text=True)
    assert "有源" in chinese
    assert "Active" in english and "有源" not in english.split('id="library-filters"')[1].split("</aside>")[0]
    assert "有源" in client.get("/library/?lang=zh").get_data(as_text=True)


def test_filters_pages_and_words_are_each_their_own_entry(client, login_as, make_project):
    login_as("enterprise")
    for i in range(3):
        make_project(status=ProjectStatus.PUBLISHED, name=f"骨科导航定位系统{i}", city="厦门市")
    make_project(status=ProjectStatus.PUBLISHED, name="眼科手术显微镜", city="福州市")
    db.session.commit()
    whole = client.get("/library/").get_data(as_text=True)
    xiamen = client.get("/library/?city=厦门市").get_data(as_text=True)
    words = client.get("/library/?q=显微镜").get_data(as_text=True)
    assert "眼科手术显微镜" in whole and "眼科手术显微镜" not in xiamen and "骨科导航定位系统0" not in words
    # a filtered page carries the viewer's own form to save the search, outside the shared part
    assert 'class="save-search' in xiamen and 'class="save-search' not in whole
    assert "保存此搜索" in xiamen and "保存此搜索" not in whole


def test_a_value_a_caller_refuses_is_not_kept():
    calls = []

    def compute():
        calls.append(1)
        return {"unavailable": True}
    for _ in range(2):
        caching.cached(("failed-search",), compute, keep=lambda value: not value["unavailable"])
    assert len(calls) == 2
    for _ in range(2):
        caching.cached(("kept",), lambda: calls.append(1) or {"unavailable": False})
    assert len(calls) == 3


@pytest.fixture
def cache_at(app):
    """Point the app's cache at another store for one test, then back."""
    original = {k: v for k, v in app.config.items() if k.startswith("CACHE_")}

    def point(**config):
        cache.init_app(app, config={**original, **config})
    yield point
    cache.init_app(app, config=original)


def test_a_cache_that_fails_costs_speed_never_the_page(cache_at, client, login_as, make_project):
    login_as("enterprise")
    make_project(status=ProjectStatus.PUBLISHED, name="智能输液监护仪")
    db.session.commit()
    cache_at(CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    for path in ("/library/", "/library/?q=输液", "/library/?city=福州市"):
        response = client.get(path)
        assert response.status_code == 200 and "智能输液监护仪" in response.get_data(as_text=True)


def test_servers_sharing_redis_share_one_copy(app, cache_at, client, login_as, make_project):
    """With REDIS_URL every app server reads what one rendered; the key names the database, so a second
    database behind the same Redis never reads this one's entries."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_REDIS_URL not set in CI (.ci/run starts redis-server and sets it)")
        pytest.skip("TEST_REDIS_URL not set: the Redis cache is not tried")
    import redis
    cache_at(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url)
    caching.clear()
    login_as("enterprise")
    make_project(status=ProjectStatus.PUBLISHED, name="便携式血氧仪")
    db.session.commit()
    assert "便携式血氧仪" in client.get("/library/").get_data(as_text=True)
    prefix = app.config["CACHE_KEY_PREFIX"]
    keys = redis.Redis.from_url(url).keys(prefix + "*")
    assert keys, "the page's parts and counts are in Redis"
    assert prefix.startswith("clinbridge:") and len(prefix.split(":")[1]) == 12
    with Statements() as again:
        assert "便携式血氧仪" in client.get("/library/").get_data(as_text=True)
    assert [s for s in again.reading("project") if "max(project." not in s] == []
    caching.clear()
    assert redis.Redis.from_url(url).keys(prefix + "*") == []


def test_for_you_loads_its_projects_in_one_query(make_user, make_project):
    company = make_user("enterprise")
    projects = [make_project(status=ProjectStatus.PUBLISHED, name=f"推荐项目{i}") for i in range(6)]
    db.session.add_all(MatchSuggestion(project_id=p.id, organisation_id=company.organisation_id, score=0.9 - i / 100,
                                       public_reasons=["产品线相符"]) for i, p in enumerate(projects))
    organisation_id = company.organisation_id
    db.session.commit()
    db.session.expunge_all()   # as in a new request: nothing in the session yet
    overall, _lists = suggestions.for_you(organisation_id, [])
    with Statements() as reading:
        names = [row.project.display_name for row in overall]
    assert len(names) == 6 and reading.seen == []  # the rows hold their projects: no query per row


def test_a_process_serves_its_own_copy_without_the_shared_cache(app, client, login_as, make_project, monkeypatch):
    """A process keeps the entries it used last as they are (a key holds its data's version, so they are never
    stale): a hit reads neither the database's projects nor the shared cache, and a change still shows at once."""
    login_as("enterprise")
    make_project(status=ProjectStatus.PUBLISHED, name="便携式血氧仪")
    db.session.commit()
    assert "便携式血氧仪" in client.get("/library/").get_data(as_text=True)
    shared_reads = []
    original_get = cache.get
    monkeypatch.setattr(cache, "get", lambda name: shared_reads.append(name) or original_get(name))
    with Statements() as again:
        assert "便携式血氧仪" in client.get("/library/").get_data(as_text=True)
    assert shared_reads == [] and [s for s in again.reading("project") if "max(project." not in s] == []
    make_project(status=ProjectStatus.PUBLISHED, name="智能输液监护仪")
    db.session.commit()
    assert "智能输液监护仪" in client.get("/library/").get_data(as_text=True)   # a new version, a new key


def test_the_copies_a_process_keeps_are_bounded_and_named_by_database(app, monkeypatch):
    monkeypatch.setattr(caching, "LOCAL_ENTRIES", 3)
    with app.app_context():
        caching.clear()
        for i in range(5):
            assert caching.cached(("bounded", i), lambda: {"n": i}) == {"n": i}
        assert len(caching._local) == 3
        assert all(prefix == app.config["CACHE_KEY_PREFIX"] for prefix, _key in caching._local)
        computed = []
        caching.cached(("bounded", 0), lambda: computed.append(0) or {"n": 0})   # the oldest was dropped here,
        assert computed == []                                                   # and read from the shared cache
        caching.clear()
        assert caching._local == {}
