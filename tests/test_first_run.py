"""First impressions: a favicon that is served, a meta description, and a `make run` port of one's choosing."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_links_a_served_favicon_and_describes_itself(client):
    page = client.get("/").get_data(as_text=True)
    link = re.search(r'<link rel="icon"[^>]*>', page).group(0)
    assert 'href="/static/favicon.svg"' in link and 'type="image/svg+xml"' in link
    assert '<meta name="description" content="' in page and 'content=""' not in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    client.get("/lang/en")
    assert "clinical research" in client.get("/").get_data(as_text=True).split('name="description"')[1][:300]


@pytest.mark.skipif(not shutil.which("make"), reason="make not installed")
@pytest.mark.parametrize("args, port", [([], "5000"), (["PORT=5123"], "5123")])
def test_make_run_serves_on_the_port_asked_for(args, port):
    # -n prints the recipe without running it; the stamp is made to look fresh by -o (no install).
    dry = subprocess.run(["make", "-n", "-o", "install", "run", *args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert f"run --host 127.0.0.1 --port {port}" in dry
