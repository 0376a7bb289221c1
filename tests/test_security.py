"""Holes found by trying the platform as an attacker would (issue 11): each test fails on the code before the fix."""
from __future__ import annotations

import pytest

from app.core.links import safe_next
from tests.conftest import PASSWORD

BYPASSES = [
    "//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
    "/%09/evil.example", "/\t/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/\r\n/evil.example",
    "/%2f/evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5cevil.example", "/%5C%5Cevil.example",
    "https://evil.example", "https:evil.example", "http:/evil.example", "javascript:alert(1)",
    "evil.example", " //evil.example", "/\x00/evil.example", "//\tevil.example",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_next_refuses_every_known_bypass(app, target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/library/", "/projects/3?tab=files", "/deals/3#m12", "/lang/zh?next=/x"])
def test_safe_next_keeps_local_paths(app, target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", BYPASSES)
def test_language_switch_stays_on_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\\/evil.example", "/%0d/x"])
def test_login_next_stays_on_site(client, make_user, target):
    user = make_user("clinician")
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
