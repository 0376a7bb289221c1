"""What every browser test does: wait-and-assert, sign in, and save numbered screenshots."""
from __future__ import annotations

import itertools
from pathlib import Path

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def expect():
    """Playwright's auto-waiting assertions (imported late: the package is optional off CI)."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect


def log_in(page, email: str) -> None:
    """Sign in through the real form and wait for the welcome message."""
    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect()(page.locator(".alert-success")).to_contain_text("欢迎")


class Screenshots:
    """Full-page screenshots numbered in order: tests/artifacts/<prefix>-<nn>-<step>.png."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.counter = itertools.count(1)

    def __call__(self, page, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}-{next(self.counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
