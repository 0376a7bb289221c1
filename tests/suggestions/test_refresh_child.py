"""The suggestion refresh ranks in a child process: neither the web worker that approved nor the job's process
keeps the ranking's memory (issue 12)."""
from __future__ import annotations

import os

import pytest

from app.core import jobs
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import ProjectStatus
from app.suggestions import jobs as suggestion_jobs
from app.suggestions import operations as matching
from app.suggestions.models import RefreshRequest
from tests.suggestions.test_incremental import NEEDLE, full_recompute_rows, market, refresh_on, rows  # noqa: F401


@pytest.fixture
def ranked_in(monkeypatch, tmp_path):
    """The ids of the processes that ranked (refresh_changed or recompute_all ran in them)."""
    record = tmp_path / "pids"
    record.write_text("")
    for name in ("refresh_changed", "recompute_all"):
        original = getattr(suggestion_jobs, name)

        def spy(*args, _original=original, **kwargs):
            with open(record, "a") as stream:
                stream.write(f"{os.getpid()}\n")
            return _original(*args, **kwargs)
        monkeypatch.setattr(suggestion_jobs, name, spy)
    return lambda: [int(line) for line in record.read_text().split()]


def test_an_approval_ranks_nothing_and_the_refresh_ranks_in_a_child(market, refresh_on, ranked_in, make_project,
                                                                   staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "SUGGESTIONS_REFRESH_CHILD", True)
    monkeypatch.setattr(matching, "recompute_all", lambda *a: pytest.fail("an approval ran a full recompute"))
    needle = make_project(status=ProjectStatus.SUBMITTED, **NEEDLE)
    projects.approve_project(needle, staff)
    db.session.commit()
    assert rows(project_id=needle.id) == {} and ranked_in() == []  # the approving request only noted it
    db.session.commit()
    refresh_on.run_all()
    assert ranked_in() and os.getpid() not in ranked_in()
    db.session.expire_all()
    fresh = rows(project_id=needle.id)
    assert fresh  # committed by the child
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 0
    monkeypatch.undo()
    assert fresh == full_recompute_rows(project_id=needle.id)


def test_a_failed_child_fails_the_job_and_keeps_the_requests(market, refresh_on, make_project, staff, app,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "SUGGESTIONS_REFRESH_CHILD", True)
    monkeypatch.setattr(suggestion_jobs, "refresh_changed", lambda *a: 1 / 0)
    needle = make_project(status=ProjectStatus.SUBMITTED, **NEEDLE)
    projects.approve_project(needle, staff)
    db.session.commit()
    with pytest.raises(RuntimeError, match="child process"):
        jobs.in_child_process(suggestion_jobs._refresh)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 1  # the next run retries


def test_a_full_recompute_drops_the_changes_it_covers(market, refresh_on, make_project, staff):
    """A bulk import noted every project; the recompute after it covers them: no refresh of them all is left."""
    needle = make_project(status=ProjectStatus.SUBMITTED, **NEEDLE)
    projects.approve_project(needle, staff)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 1
    matching.recompute_all()
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 0
    assert rows(project_id=needle.id)
