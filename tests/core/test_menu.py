"""The main menu is rendered once per kind of reader and language (templating.main_menu): each role still sees
its own entries, staff their live queue counts, and no reader's name or token is in the shared part."""
import re

from app.extensions import db
from app.projects.models import ProjectStatus
from tests.conftest import PASSWORD


def _menu(html: str) -> str:
    return re.search(r'<ul class="navbar-nav me-auto">.*?</ul>\s*<ul class="navbar-nav">', html, re.S).group(0)


def _page(app, user, path="/policy/"):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client.get(path).get_data(as_text=True)


def test_each_kind_of_reader_sees_its_own_menu(app, make_user):
    company, clinician, staff, pending = (make_user("enterprise"), make_user("clinician"), make_user("staff"),
                                          make_user("enterprise", verified=False))
    db.session.commit()
    menus = {who: _menu(_page(app, user)) for who, user in
             [("company", company), ("clinician", clinician), ("staff", staff), ("pending", pending)]}
    assert "为您推荐" in menus["company"] and "提报项目" not in menus["company"]
    assert "提报项目" in menus["clinician"] and "为您推荐" not in menus["clinician"]
    assert "项目初核" in menus["staff"] and "审计日志" not in menus["staff"]  # an admin's entry
    assert "为您推荐" not in menus["pending"] and "机构资料" in menus["pending"]  # not verified yet
    for user in (company, clinician, staff):
        assert user.name not in menus[{company: "company", clinician: "clinician", staff: "staff"}[user]]
    assert "csrf_token" not in "".join(menus.values())


def test_two_readers_of_one_kind_share_it_and_the_language_has_its_own(app, make_user):
    first, second = make_user("enterprise", name="甲公司读者"), make_user("enterprise", name="乙公司读者")
    db.session.commit()
    one, two = _page(app, first), _page(app, second)
    assert _menu(one) == _menu(two)
    assert "甲公司读者" in one and "乙公司读者" in two and "甲公司读者" not in two  # the rest is per reader
    english = _page(app, first, "/policy/?lang=en")
    assert "入选项目库" not in _menu(english) and "入选项目库" in _menu(one)


def test_staff_see_the_queue_count_of_now(app, make_user, make_project):
    staff = make_user("staff")
    db.session.commit()
    assert 'text-bg-warning">' not in _menu(_page(app, staff))
    make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    assert 'text-bg-warning">1</span>' in _menu(_page(app, staff))
