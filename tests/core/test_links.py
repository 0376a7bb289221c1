"""Links stored in notifications and sent in mail: the same paths with or without a request."""
from __future__ import annotations

import re
from pathlib import Path

from flask import url_for

from app.core.links import absolute_url, path_for
from app.core.models import Notification
from app.deals import operations as deals
from app.extensions import db
from app.projects.models import ProjectStatus

ROOT = Path(__file__).resolve().parents[2]


def test_a_path_needs_no_request_and_matches_url_for(app):
    assert path_for("deals.thread", interest_id=3) == "/deals/3"
    with app.test_request_context("/", base_url="http://10.0.0.8:8080/"):
        assert path_for("deals.thread", interest_id=3) == url_for("deals.thread", interest_id=3) == "/deals/3"
    assert path_for("auth.reset_password", token="a.b") == "/auth/reset/a.b"


def test_absolute_links_use_the_public_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://clinbridge.example.cn/")
    assert absolute_url("/deals/3") == "https://clinbridge.example.cn/deals/3"


def test_operations_outside_a_request_store_the_same_links(make_project, make_user):
    """As a CLI command or a job would: no request context, no fall-back path written by hand."""
    project = make_project(status=ProjectStatus.PUBLISHED)
    deals.express_interest(project, make_user("enterprise"), "意向", ["tech_transfer"])
    links = db.session.scalars(db.select(Notification.link).where(Notification.kind == "new_interest")).all()
    assert links == [f"/deals/projects/{project.id}/board"]


def test_only_request_code_calls_url_for():
    """Operations, notifications and mail build links with core/links.py; url_for stays in views."""
    allowed = {"app/core/unit_of_work.py"}  # the back link of a refusal page, inside its request
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "app").rglob("*.py"))
                 if path.name != "views.py" and re.search(r"\burl_for\(", path.read_text(encoding="utf-8"))
                 and str(path.relative_to(ROOT)) not in allowed]
    assert offenders == []
