"""A process that writes the index many times (the job worker) keeps a bounded set of index files open/mapped."""
import os
from pathlib import Path

import pytest
from flask import current_app

from app.extensions import db
from app.projects import search
from app.projects.models import ProjectStatus


@pytest.fixture(autouse=True)
def whoosh(app_context, monkeypatch):
    monkeypatch.setenv("CLINBRIDGE_SEARCH", "whoosh")
    search.reindex()


def _held(directory: str) -> tuple[int, int]:
    """(mapped regions, open descriptors) of this process on files inside the index folder (deleted ones too)."""
    root = str(Path(directory).resolve())
    maps = sum(1 for line in Path("/proc/self/maps").read_text().splitlines() if root in line)
    fds = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(root):
                fds += 1
        except OSError:
            pass
    return maps, fds


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_fifty_index_updates_keep_a_bounded_number_of_index_files_held(make_project):
    directory = current_app.config["SEARCH_INDEX_DIR"]
    projects = [make_project(status=ProjectStatus.PUBLISHED, name=f"负压引流装置{i}型", intended_use="用于引流。")
                for i in range(20)]
    db.session.commit()
    search.reindex()
    search.rank(search.parse_query("引流"), {}, 10)
    seen = []
    for i in range(50):
        search.update_projects({projects[i % len(projects)].id})
        search.rank(search.parse_query("引流"), {}, 10)
        seen.append(_held(directory))
    print("held (maps, fds) per update:", seen[:3], "...", seen[-3:])
    snapshot = search.backend().searcher()
    parts = len(snapshot.parts)
    registry = search.whoosh_backend._scorers[directory].blocks   # the scorer keeps the current segments' blocks only
    assert set(registry) == {part.segid for part in snapshot.parts}
    maps, fds = seen[-1]
    assert fds <= 2 * parts + 4, seen
    assert maps <= 2 * parts + 4, seen
    assert max(m for m, _f in seen[10:]) <= max(m for m, _f in seen[:10]) + 2, seen


def test_a_bulk_index_job_runs_in_a_child_process(make_project, app, monkeypatch, tmp_path):
    """A bulk import's one index job is written by a forked child (the consumer keeps none of its memory); the
    projects are searchable afterwards, in this process, and a small batch is written here."""
    from app.projects import jobs as project_jobs

    monkeypatch.setitem(app.config, "SEARCH_INDEX_CHILD", True)
    monkeypatch.setattr(project_jobs, "CHILD_FROM", 3)
    writers = tmp_path / "writers"
    real = search.update_projects

    def noted(ids):
        with writers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(ids)
    monkeypatch.setattr(search, "update_projects", noted)
    projects = [make_project(status=ProjectStatus.PUBLISHED, name=f"一次性使用鼻腔冲洗器{i}型",
                             intended_use="用于鼻腔冲洗。") for i in range(3)]
    db.session.commit()
    search.reindex()
    for project in projects:   # forgotten behind the database's back, so only the job can bring them back
        with search.open_index().writer() as writer:
            writer.delete_by_term("id", str(project.id))
    assert search.rank(search.parse_query("鼻腔冲洗"), {}, 10).total == 0

    project_jobs.index_projects.call_local(tuple(p.id for p in projects))
    assert [int(pid) for pid in writers.read_text().split()] != [os.getpid()]   # written in a child
    assert sorted(pid for pid, _score in search.rank(search.parse_query("鼻腔冲洗"), {}, 10).hits) == \
        sorted(p.id for p in projects)
    writers.unlink()
    project_jobs.index_projects.call_local(tuple(p.id for p in projects[:2]))
    assert [int(pid) for pid in writers.read_text().split()] == [os.getpid()]   # a small batch: here
