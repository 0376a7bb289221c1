"""The step indicator: the right step for a returned project, and future steps readable (WCAG AA)."""
from __future__ import annotations

import re
from pathlib import Path

from app.extensions import db
from app.projects.models import ProjectStatus

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text(encoding="utf-8")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_returned_project_shows_the_form_step_as_current(client, login_as, make_project):
    project = make_project(status=ProjectStatus.RETURNED)
    db.session.commit()
    login_as(project.owner)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    current = re.search(r'<li class="step[^"]*current[^"]*"\s*aria-current="step">.*?<span class="step-label">([^<]+)</span>',
                        page, re.S).group(1)
    assert current == "退回修改"


def test_future_step_labels_and_footer_links_meet_aa_contrast():
    step = re.search(r"\.step \{[^}]*color: (#[0-9a-fA-F]{6})", CSS).group(1)
    for background in ("#ffffff", "#f4f6f9", "#e9edf2"):   # card, page, step dot
        assert contrast(step, background) >= 4.5, (step, background)
    footer_link = re.search(r"\.site-footer a \{ color: (#[0-9a-fA-F]{6})", CSS).group(1)
    assert contrast(footer_link, "#e9edf2") >= 4.5
