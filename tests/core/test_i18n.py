"""English through Flask-Babel: the session switch, translated pages, and a complete catalog.

The suite needs the compiled catalog (messages.mo, git-ignored; `make install` builds it). This module
compiles it from the .po when it is missing or older, so a bare `pytest` works too.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.extensions import db
from app.projects.models import ProjectStatus

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# 附件1's main fields: their Chinese labels must not show on the English form.
MAIN_FIELDS = {"name": ("项目名称", "Project name"), "city": ("所在城市", "City"),
               "lead_name": ("项目负责人", "Project lead"), "phone": ("联系电话", "Phone"),
               "project_type": ("项目类型", "Project type"), "stage": ("项目所处阶段", "Project stage"),
               "structure": ("产品结构组成", "Product structure and composition"),
               "intended_use": ("适用范围/预期用途", "Scope of application / intended use")}


def _read_catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def compile_catalog_if_stale() -> bool:
    """Write messages.mo from messages.po when it is missing or older; True when it wrote one."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return False
    catalog = _read_catalog()
    handle, temporary = tempfile.mkstemp(dir=MO.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.chmod(temporary, 0o644)
        os.replace(temporary, MO)  # atomic: a concurrent reader never sees half a file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog(app):
    """Compile the catalog; if this process had already loaded (and cached) the old one, drop that cache.

    Flask-Babel 4 caches translations per process on the Domain object: `flask_babel.refresh()` only
    clears the current request's locale and translations, not that cache, so it is cleared as well.
    """
    if compile_catalog_if_stale():
        import flask_babel
        with app.test_request_context("/"):
            flask_babel.get_domain().cache.clear()
            flask_babel.refresh()
    yield


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "no <html lang=...>"
    return match.group(1)


def label_of(html: str, field_id: str) -> str:
    """The field's label (a <label for=...>, or the <legend> of a radio group)."""
    match = (re.search(rf'<label[^>]*for="{field_id}"[^>]*>(.*?)</label>', html, re.S)
             or re.search(rf'id="field-{field_id}".*?<legend[^>]*>(.*?)</legend>', html, re.S))
    assert match, f"no label for {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_chinese_is_the_default(client):
    html = text_of(client.get("/auth/login"))
    assert html_lang(html) == "zh-CN"
    assert "登录" in html and "Sign in" not in html


def test_switching_to_english_and_back(client):
    response = client.get("/lang/en?next=/auth/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    html = text_of(client.get("/auth/login"))
    assert html_lang(html) == "en"
    assert "<title>Sign in" in html and "Forgot password?" in html and "Remember me" in html
    assert "登录" not in html and "忘记密码" not in html

    client.get("/lang/zh?next=/auth/login")
    html = text_of(client.get("/auth/login"))
    assert html_lang(html) == "zh-CN"
    assert "登录" in html and "Sign in" not in html


def test_an_unknown_language_keeps_chinese(client):
    client.get("/lang/fr?next=/auth/login")
    html = text_of(client.get("/auth/login"))
    assert html_lang(html) == "zh-CN" and "登录" in html


def test_the_project_form_in_english(client, login_as):
    login_as("clinician")
    client.get("/lang/en?next=/projects/new")
    html = text_of(client.get("/projects/new"))
    assert html_lang(html) == "en"
    assert "Clinical Research Translation Project Requirement Form (Medical Institutions)" in html
    for field_id, (chinese, english) in MAIN_FIELDS.items():
        assert label_of(html, field_id) == english, field_id
        assert chinese not in html, chinese
    assert "Save draft" in html and "Submit for initial review" in html
    assert "保存草稿" not in html and "提交初核" not in html

    client.get("/lang/zh?next=/projects/new")
    html = text_of(client.get("/projects/new"))
    assert label_of(html, "name") == "项目名称" and html_lang(html) == "zh-CN"


def test_the_project_form_choices_in_english(client, login_as):
    login_as("clinician")
    client.get("/lang/en?next=/projects/new")
    html = text_of(client.get("/projects/new"))
    assert "Class II medical device" in html and "Ⅱ类医疗器械" not in html
    assert "Prototype stage" in html and "样品阶段" not in html


def test_flash_messages_follow_the_language(client, make_user):
    client.get("/lang/en?next=/auth/login")
    user = make_user("clinician")
    response = client.post("/auth/login", data={"email": user.email, "password": "wrong-password1"})
    assert "Incorrect email or password" in response.get_data(as_text=True)


def test_the_catalog_is_complete():
    catalog = _read_catalog()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 500
    empty = [m.id for m in messages if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not empty, f"{len(empty)} untranslated, e.g. {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


def test_translations_keep_every_placeholder():
    placeholder = re.compile(r"%(?:\([a-z_]+\))?[sd]|%%")
    wrong = [(m.id, m.string) for m in _read_catalog() if m.id and isinstance(m.id, str)
             and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))]
    assert not wrong, wrong[:5]


def test_no_chinese_left_in_translations():
    # Three strings quote Chinese on purpose: a search example and the workbook's own sheet/column names.
    allowed = ("痔疮套扎", "字段说明", "仅 .xlsx")
    leftovers = []
    for message in _read_catalog():
        if not message.id:
            continue
        text = message.string
        for word in allowed:
            text = text.replace(word, "")
        if re.search(r"[\u4e00-\u9fff]", text):
            leftovers.append((message.id, message.string))
    assert not leftovers, leftovers[:5]


def test_the_return_button_and_the_returned_state_read_differently(client, login_as, make_project):
    submitted = make_project(status=ProjectStatus.SUBMITTED)
    make_project(status=ProjectStatus.RETURNED)
    db.session.commit()
    login_as("staff")
    client.get(f"/lang/en?next=/review/{submitted.id}")
    html = text_of(client.get(f"/review/{submitted.id}"))
    assert "Return for revision</button>" in html
    assert "Returned for revision" in text_of(client.get("/review/?status=returned"))
