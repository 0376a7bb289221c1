"""Small things a first visit notices: favicon, meta description, the unread badge on a phone, `make run PORT=`, README."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_unread_count_is_visible_outside_the_collapsed_menu(client, login_as, make_project):
    from app.core.notifications import unread_count
    project = make_project(status="published")
    login_as(project.owner)
    assert unread_count(project.owner) >= 1
    page = client.get("/projects/").get_data(as_text=True)
    phone = page[page.index('id="phone-notifications"'):page.index('id="mainnav"')]
    assert 'text-bg-danger">' in phone          # before the collapsing menu, so a phone shows it closed


def test_the_badge_says_99_plus_above_99_and_the_page_counts_them_all(client, login_as, make_user):
    from app.core.models import Notification
    from app.core.notifications import unread_count, unread_summary
    from app.extensions import db
    user = make_user("enterprise")
    db.session.execute(db.insert(Notification), [
        {"user_id": user.id, "kind": "saved_search", "title": f"新项目{i}", "link": f"/library/{i}"} for i in range(150)])
    db.session.commit()
    assert unread_summary(user, "/library/7") == (100, True) and unread_count(user) == 150
    login_as(user)
    page = client.get("/policy/").get_data(as_text=True)
    assert 'text-bg-danger">99+<span class="visually-hidden">' in page and 'text-bg-danger">99+</span>' in page
    assert "150" in client.get("/notifications/").get_data(as_text=True)


def test_readme_has_a_first_run_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### First run"):]
    section = section[:section.index("\n## ", 1) if "\n## " in section[1:] else len(section)]
    for words in ("http://127.0.0.1:5000", "PORT=", "clinician@demo.test", "staff@demo.test", "ranked "):
        assert words in section, words


def _ids(page: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', page)


def test_pages_with_several_small_forms_repeat_no_id(client, login_as, make_project):
    project = make_project(status="returned")
    login_as(project.owner)
    for path in ("/notifications/", f"/projects/{project.id}", f"/projects/{project.id}/edit"):
        ids = _ids(client.get(path).get_data(as_text=True))
        assert len(ids) == len(set(ids)), (path, sorted({i for i in ids if ids.count(i) > 1}))


def test_the_attachment_field_is_not_marked_required(client, login_as, make_project):
    project = make_project(status="draft")
    login_as(project.owner)
    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    label = re.search(r'<label[^>]*for="file"[^>]*>', page).group(0)
    assert "required" not in label
    assert not re.search(r'<input[^>]*id="file"[^>]*required', page)
    refused = client.post(f"/projects/{project.id}/attachments", data={})
    assert refused.status_code in (302, 400)          # uploading nothing is still refused, with a message
