"""Jobs of the projects area: keeping the library's search index in step with the database."""
from __future__ import annotations

from app.core import jobs
from app.projects import search


@jobs.task(retries=3, retry_delay=30)
def index_project(project_id: int) -> None:
    """Bring one project's search document up to date (or drop it when the project is no longer listed)."""
    search.update_projects({project_id})


INDEX_BATCH = 2000  # projects per index writer in index_projects
CHILD_FROM = 500    # projects from which index_projects runs in a child process (SEARCH_INDEX_CHILD)


@jobs.task(retries=3, retry_delay=30)
def index_projects(project_ids: tuple[int, ...]) -> None:
    """Bring many projects' search documents up to date in a few index commits (a bulk import's one job).

    A large batch is analysed and written in a forked child: the index writer's and jieba's working memory
    (10k projects: the consumer grew 134 -> 272 MB and stayed there) leaves with it.
    """
    ids = sorted({int(i) for i in project_ids})

    def work():
        for start in range(0, len(ids), INDEX_BATCH):
            search.update_projects(ids[start:start + INDEX_BATCH])
    if len(ids) >= CHILD_FROM:
        jobs.apart(work, "SEARCH_INDEX_CHILD")
    else:
        work()


def coalesce_index_jobs() -> int:
    """Fold the index_project jobs asked for in the open transaction into one index_projects job; how many ids."""
    ids = {args[0] for _name, args in jobs.pending(index_project)}
    ids.update(i for _name, args in jobs.pending(index_projects) for i in args[0])
    if ids:
        jobs.discard(index_project)
        jobs.discard(index_projects)
        jobs.after_commit(index_projects, tuple(sorted(ids)))
    return len(ids)


def reindex_after_commit(project, was_listed: bool) -> None:
    """Queue index_project for after the commit when the project is or was listed (drafts have no document)."""
    if was_listed or project.is_listed():
        jobs.after_commit(index_project, project.id)
