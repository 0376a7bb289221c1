"""The English UI is whole: every GET page, for every role, in English shows no Chinese of its own.

What may stay Chinese: what users typed (every string stored in the database, and anything a template
marks `lang="zh…"` or `data-user-content`), and the official names of the programme's forms and model
(ALLOWED). Everything else is the UI's own text and must come out of the catalog.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import sqlalchemy as sa

from app.extensions import db
from tests.browser.helpers import ARTIFACTS
from tests.conftest import PASSWORD
from tests.test_get_writes_nothing import ROLES, urls, world  # noqa: F401 — the world fixture is reused

# Han characters, and the full-width punctuation that joins Chinese labels (templates write it with fw(), which
# gives the English marks in English).
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff（）：、，；。]")
# Official names that stay as they are in every language (the seeds' form names, the programme's name).
ALLOWED = ("附件1", "附件2", "春雨行动",
           "中文",  # a language picker names each language in its own script
           # quoted on purpose (see test_i18n): a search example and the workbook's own sheet/column names
           "痔疮套扎", "字段说明", "（仅 .xlsx）", "仅 .xlsx")
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "content")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """Text nodes and labelling attributes, minus scripts, styles and elements marked as users' words."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.found: list[str] = []

    def _skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skipped = (tag in ("script", "style") or (attributes.get("lang") or "").startswith("zh")
                   or "data-user-content" in attributes)
        if not skipped and not self._skipping():
            for name in ATTRIBUTES:
                if attributes.get(name) and not (tag == "meta" and name == "content"
                                                 and attributes.get("name") != "description"):
                    self.found.append(attributes[name])
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.found.append(attributes["value"])
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.found.append(data)


def _strings(value):
    """The lines of a stored text, or of every text inside a JSON value."""
    if isinstance(value, str):
        return {part.strip() for part in re.split(r"[\r\n]+", value)}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(_strings(item) for item in items)) if items else set()


def stored_strings() -> list[str]:
    """Every string value in the database (what users and the demo typed), longest first."""
    values = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        for row in db.session.execute(sa.select(*columns)) if columns else ():
            for value in row:
                values.update(_strings(value))
    return sorted((v for v in values if CJK.search(v) and len(v) >= 2), key=len, reverse=True)


def chinese_left(html: str, user_values: list[str]) -> list[str]:
    """The fragments of a page's own text that still carry Chinese characters."""
    parser = _VisibleText()
    parser.feed(html)
    left = []
    for text in parser.found:
        for value in user_values:
            if value in text:
                text = text.replace(value, " ")
        for name in ALLOWED:
            text = text.replace(name, " ")
        if CJK.search(text):
            left.append(" ".join(text.split()))
    return left


def test_the_parser_skips_users_words_and_keeps_the_uis():
    html = ('<p>Project <b lang="zh-CN">负压</b></p><div data-user-content><span>创面</span></div>'
            '<button title="提交">OK</button><script>var a="中";</script><p>附件1 form</p><p>待审核</p>')
    assert chinese_left(html, ["用户写的"]) == ["提交", "待审核"]
    assert chinese_left("<p>Name: 用户写的</p>", ["用户写的"]) == []
    assert chinese_left("<p>Reason：Other（note）</p>", []) == ["Reason：Other（note）"]


def test_every_page_in_english_has_no_chinese_of_its_own(app, client, world):  # noqa: F811
    """All GET pages × all roles in English; every fragment reported once, with the first page it was seen on."""
    walk = [(endpoint, url) for endpoint, url in urls(app, world)
            if endpoint not in ("static", "bootstrap.static", "main.set_language")]
    seen: dict[str, str] = {}
    pages = 0
    for role in ROLES:
        user = world["users"].get(role)
        client.get("/lang/en")  # before signing in, so that the welcome message is in English too
        if user is not None:
            assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
            client.get("/lang/en")
        user_values = stored_strings()  # again for each role: the walk itself records readings and downloads
        for endpoint, url in walk:
            response = client.get(url)
            if not response.mimetype == "text/html":
                continue
            pages += 1
            for fragment in chinese_left(response.get_data(as_text=True), user_values):
                seen.setdefault(fragment, f"as {role}: {url}")
        client.post("/auth/logout")
        client.get("/lang/zh")
    assert pages > 200
    report = "\n".join(f"{where}: {fragment}" for fragment, where in sorted(seen.items(), key=lambda i: i[1]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "english-ui.txt").write_text(report + "\n", encoding="utf-8")
    assert seen == {}, report


def test_a_searched_phrase_is_marked_as_the_users_and_stays_escaped(client):
    page = client.get("/policy/?q=%3Cb%3E注册%3C/b%3E").get_data(as_text=True)
    assert "<span data-user-content>&lt;b&gt;注册&lt;/b&gt;</span>" in page and "<b>注册</b>" not in page
