"""A scratch ClinBridge instance for the search benchmarks: its own folder, database, index and backend."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@contextmanager
def scratch_app(backend: str = "whoosh", database_url: str | None = None):
    """create_app on a temporary instance (SQLite, or the given PostgreSQL database emptied first), migrated."""
    folder = Path(tempfile.mkdtemp(prefix="clinbridge-search-bench-"))
    os.environ["CLINBRIDGE_SEARCH"] = backend
    from app import create_app
    from app.extensions import db
    url = database_url or f"sqlite:///{folder}/bench.db"
    app = create_app({"INSTANCE_PATH": str(folder), "TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": str(folder / "search-index"),
                      "JOBS_IMMEDIATE": True, "SUGGESTIONS_REFRESH": False, "MAIL_SERVER": "",
                      "WTF_CSRF_ENABLED": False})
    try:
        with app.app_context():
            from flask_migrate import upgrade
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                    connection.exec_driver_sql("CREATE SCHEMA public")
            import logging
            upgrade()
            logging.disable(logging.WARNING)  # alembic's fileConfig; keep the bench output clean
            yield app, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def insert_projects(rows: list[dict]) -> list[int]:
    """Insert published, listed projects in bulk (bypassing the operations: nothing to audit in a bench)."""
    from app.accounts.models import Role, User
    from app.extensions import db
    from app.projects.models import Project, ProjectStatus
    owner = db.session.scalar(db.select(User).where(User.email == "bench@example.test"))
    if owner is None:
        owner = User(email="bench@example.test", name="基准", role=Role.CLINICIAN, phone="13800138000",
                     institution="基准医院", department="基准科")
        owner.set_password("bench-password1")
        db.session.add(owner)
        db.session.flush()
    now = datetime.now(timezone.utc)
    projects = []
    for i, row in enumerate(rows):
        project = Project(owner_id=owner.id, status=ProjectStatus.PUBLISHED, publish_consent=True,
                          commitment_agreed=True, published_at=now - timedelta(seconds=i), **row)
        projects.append(project)
    db.session.add_all(projects)
    db.session.commit()
    return [p.id for p in projects]
