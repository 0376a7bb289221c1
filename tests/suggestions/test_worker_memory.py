"""A web worker's memory (issue 12): every page is served without scikit-learn, OR-Tools, openpyxl or the
knowledge base; 参考分类 loads the knowledge base memory-mapped, still without scikit-learn.

What a process has imported can only be seen in a fresh process (this test session imports scikit-learn
elsewhere), so the first test runs the second in a child pytest that collects this file alone.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.projects.models import ProjectStatus

ROOT = Path(__file__).resolve().parents[2]
CHILD = "CLINBRIDGE_WORKER_MEMORY_CHILD"
# openpyxl: only the workers that write or read Excel files load it (~7 MB)
HEAVY = ("sklearn", "ortools", "pandas", "scipy.stats", "jieba.analyse", "openpyxl")


def test_a_fresh_worker_serves_every_page_lean(tmp_path):
    from matching.cache import cache_dir, fingerprint
    from matching.knowledge import knowledge_base
    knowledge_base()  # fitted and saved before the child starts: the child must only load it
    # A folder of the child's own: the shared one keeps only a few files, and other checkouts write there too.
    saved = f"knowledge-{fingerprint('knowledge')}.joblib"
    folder = tmp_path / "matching-cache"
    folder.mkdir(mode=0o700)
    try:
        os.link(cache_dir() / saved, folder / saved)
    except OSError:
        shutil.copyfile(cache_dir() / saved, folder / saved)
    env = dict(os.environ, **{CHILD: "1", "CLINBRIDGE_MATCHING_CACHE": str(folder)})
    result = subprocess.run([sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider",
                             "-k", "in_a_fresh_process"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


@pytest.mark.skipif(not os.environ.get(CHILD), reason="run in a fresh process by the test above")
def test_pages_in_a_fresh_process(client, login_as, make_project, make_user):
    import matching.knowledge as knowledge
    from app.suggestions import operations as suggestions

    def imported():
        return [name for name in HEAVY if name in sys.modules]

    assert imported() == []
    project = make_project(ProjectStatus.PUBLISHED)
    login_as("enterprise")
    for path in ("/library/", "/library/?project_type=active&device_class=II", "/library/?q=负压引流",
                 f"/library/{project.id}", "/matching/for-you"):
        assert client.get(path).status_code == 200, path
    assert imported() == []
    assert knowledge._cached_knowledge_base.cache_info().currsize == 0  # no page but 参考分类 loads it

    client.post("/auth/logout")
    login_as("clinician")
    response = client.post("/matching/classify", json={
        "name": "一次性使用痔疮套扎器", "structure": "由套扎组件和负压管组成", "intended_use": "用于内痔的套扎治疗"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["category"]
    assert imported() == []  # the loaded knowledge base is plain arrays: no scikit-learn to use it
    base = knowledge.knowledge_base()
    weights = [base.category_model.coef_, base.name_view_model.coef_, base.first_level_model.coef_,
               base.class_model.views.main.coef_, base.encoder.word_vectorizer.idf_]
    assert all(isinstance(array, np.memmap) and not array.flags.writeable for array in weights)
    assert suggestions.classification_for({"name": "心脏支架"})["device_class"]
    if Path("/proc/self/smaps").exists():  # Linux: the weights a classification read are not kept resident here
        from matching.cache import release_pages
        assert resident_knowledge_mb() < 1
        float(np.asarray(base.category_model.coef_[:, :20_000]).sum())  # ~17 MB of weights read
        assert resident_knowledge_mb() > 10
        release_pages(base)
        assert resident_knowledge_mb() < 1


def resident_knowledge_mb() -> float:
    """MB of the saved knowledge base's file mapped and resident in this process (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            inside = "/knowledge-" in line and line.endswith(".joblib")
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total / 1024


def test_a_web_request_never_fits_the_knowledge_base(client, login_as, app, monkeypatch, tmp_path):
    """参考分类 before the knowledge base is saved: 503 and a job to fit it, not minutes and ~1 GB in the worker."""
    import matching.knowledge as knowledge
    from matching.cache import set_cache_dir

    asked = []
    monkeypatch.setitem(app.config, "MATCHING_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(knowledge.KnowledgeBase, "__init__", lambda *a: pytest.fail("a request fitted it"))
    monkeypatch.setattr("app.suggestions.views.fit_knowledge_base", lambda: asked.append(1))
    knowledge._cached_knowledge_base.cache_clear()
    try:
        login_as("clinician")
        response = client.post("/matching/classify", json={"name": "一次性使用痔疮套扎器", "intended_use": "用于内痔的套扎治疗"})
        assert response.status_code == 503 and response.get_json()["error"]
        assert asked == [1]
    finally:
        set_cache_dir(None)
        knowledge._cached_knowledge_base.cache_clear()
