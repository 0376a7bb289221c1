"""The staff list tables are cards on a phone; each cell's card label is its column's heading, written once.

card_columns(...) (app/core/templating.py) writes both the <thead> and each cell's data-label, so a cell can no longer
carry another column's label (on a phone the admin's 停用账号 once showed under "密码重置").
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.projects.models import ProjectStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CARD_TABLES = ["admin/users.html", "admin/organisations.html", "review/queue.html", "matching/board.html",
               "deals/docking_list.html", "organisation/_requests.html", "organisation/members.html",
               "review/project.html"]


@pytest.mark.parametrize("name", CARD_TABLES)
def test_the_list_tables_write_their_labels_once_through_card_columns(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert "card_columns(" in source and "cols.head()" in source, name
    assert "data-label=" not in source, f"{name} still writes card labels by hand"
    assert "<thead>" not in source, f"{name} writes its headings apart from the labels"


class _Table(HTMLParser):
    """The headings of the first table.stack-on-phone and the data-label of every body cell, row by row."""

    def __init__(self):
        super().__init__()
        self.heads, self.rows, self._in, self._where, self._text = [], [], False, None, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "stack-on-phone" in (attrs.get("class") or "") and not self.heads:
            self._in = True
        elif self._in and tag == "th":
            self._where, self._text = "th", ""
        elif self._in and tag == "tr" and self.heads:
            self.rows.append([])
        elif self._in and tag == "td":
            self.rows[-1].append(attrs.get("data-label"))

    def handle_data(self, data):
        if self._where == "th":
            self._text += data

    def handle_endtag(self, tag):
        if tag == "th" and self._where == "th":
            self.heads.append(self._text.strip())
            self._where = None
        elif tag == "table" and self._in:
            self._in = False


def _labels_match_headings(html: str) -> _Table:
    table = _Table()
    table.feed(html)
    assert table.heads and table.rows, "no list table"
    for row in table.rows:
        assert len(row) == len(table.heads), (table.heads, row)
        for heading, label in zip(table.heads, row):
            assert label is None or label == heading, f"a cell under {heading!r} is labelled {label!r}"
    return table


def test_each_card_label_is_its_columns_heading(client, login_as, make_user, make_project):
    from app.extensions import db
    from app.suggestions.models import MatchSuggestion

    make_project(status=ProjectStatus.SUBMITTED)
    company = make_user("enterprise", verified=False)
    published = make_project(status=ProjectStatus.PUBLISHED)
    db.session.add(MatchSuggestion(project_id=published.id, organisation_id=company.organisation_id, score=0.9,
                                   public_reasons=["同属分类"], owner_reasons=["同属分类"]))
    db.session.flush()
    login_as("admin")
    users = _labels_match_headings(client.get("/admin/users").get_data(as_text=True))
    assert users.heads[-1] == "操作" and all(row[-1] == "操作" for row in users.rows)  # 停用账号 sits under 操作
    _labels_match_headings(client.get("/admin/organisations").get_data(as_text=True))
    queue = _labels_match_headings(client.get("/review/?status=submitted").get_data(as_text=True))
    assert "已等待" in queue.heads
    board = _labels_match_headings(client.get("/matching/board").get_data(as_text=True))
    assert board.heads[0] == "选择"
    assert client.get("/deals/docking-forms").status_code == 200


def test_a_column_shown_to_some_readers_only_leaves_heading_and_labels_together():
    from app.core.templating import card_columns
    cols = card_columns(name="姓名", email="电子邮箱", actions="操作").without("actions")
    assert str(cols.head()) == '<thead><tr><th scope="col">姓名</th><th scope="col">电子邮箱</th></tr></thead>'
    assert str(cols.email) == 'data-label="电子邮箱"'
    with pytest.raises(LookupError):
        cols.actions
