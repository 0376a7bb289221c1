"""The documented entry point for scripts and benchmarks: `app.search.search_projects` (lives in app.projects.search)."""
from app.projects.search import search_projects

__all__ = ["search_projects"]
