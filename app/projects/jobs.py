"""Jobs of the projects area: keeping the library's search index in step with the database."""
from __future__ import annotations

from app.core import jobs
from app.projects import search


@jobs.task(retries=3, retry_delay=30)
def index_project(project_id: int) -> None:
    """Bring one project's search document up to date (or drop it when the project is no longer listed)."""
    search.update_projects({project_id})


def reindex_after_commit(project, was_listed: bool) -> None:
    """Queue index_project for after the commit when the project is or was listed (drafts have no document)."""
    if was_listed or project.is_listed():
        jobs.after_commit(index_project, project.id)
