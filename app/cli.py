"""Command-line tools: `flask --app wsgi demo load`, `projects import`, `users create-staff`, `jobs consume`,
`backup create`, `backup restore`."""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.accounts.models import Role
from app.accounts.operations import create_staff as create
from app.core import backup, jobs
from app.core.errors import ServiceError
from app.deals.operations import expire_interests
from app.demo import loader as demo
from app.extensions import db
from forms.validators import password_problem
from app.projects import search
from app.projects.importer import import_projects
from app.suggestions.models import MatchSuggestion
from app.suggestions.operations import recompute_all

demo_cli = AppGroup("demo", help="Demo data.")
projects_cli = AppGroup("projects", help="Projects (附件1).")
users_cli = AppGroup("users", help="Accounts.")
interests_cli = AppGroup("interests", help="Expressions of interest (意向).")
matching_cli = AppGroup("matching", help="Suggested pairings (为您推荐).")
backup_cli = AppGroup("backup", help="Back up the database and uploads into one archive; restore one.")
jobs_cli = AppGroup("jobs", help="The job queue (Huey): search index, suggestion refresh, mail, daily expiry.")


@jobs_cli.command("consume")
@click.option("--workers", default=2, show_default=True, help="Worker threads (a refresh may run for a while).")
def jobs_consume(workers):
    """Run queued jobs, and the daily interest expiry at 08:00, until stopped (Ctrl-C finishes running jobs)."""

    if jobs.huey.immediate:
        raise click.ClickException("CLINBRIDGE_JOBS_IMMEDIATE=1: jobs run where they are asked, no consumer needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs.consumer(workers).run()


@matching_cli.command("recompute")
@click.option("--if-empty", is_flag=True, help="Only when no suggestion is stored yet (first start).")
def matching_recompute(if_empty):
    """Rank every listed project against every verified organisation and store the suggestions."""
    if if_empty and db.session.scalar(db.select(db.func.count()).select_from(MatchSuggestion)):
        click.echo("Suggestions already stored; skipped (run without --if-empty to rebuild).")
        return
    click.echo("Building suggestions (为您推荐): ranking every listed project and verified organisation…")
    started, shown = time.monotonic(), [-1]

    def progress(done, total):
        # A plain line every tenth of the way: readable in a terminal and in a log alike.
        tenth = done * 10 // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            click.echo(f"  ranked {done}/{total} ({tenth * 10}%), {time.monotonic() - started:.0f} s")
    stored = recompute_all(progress)
    db.session.commit()
    click.echo(f"stored {stored} suggestions in {time.monotonic() - started:.0f} s")


@interests_cli.command("expire")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (UTC), for testing.")
def interests_expire(now_text):
    """Expire pending interests past their date and remind owners halfway (the consumer does it daily at 08:00)."""

    now = None
    if now_text:
        now = datetime.fromisoformat(now_text)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    expired, reminded = expire_interests(now)  # links come from core/links.py: no request context needed
    db.session.commit()
    click.echo(f"expired {expired}, reminded {reminded}")


@backup_cli.command("create")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the archive (default: instance/backups).")
def backup_create(target):
    """Write one archive: the database dump, the uploads and a manifest with checksums."""
    try:
        archive = backup.create_backup(target)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(str(archive))


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backup_restore(archive):
    """Restore an archive into this empty instance (checksums verified first), then rebuild the search index."""
    try:
        restored = backup.restore_backup(archive, reindex=search.reindex)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"restored {restored.rows} rows in {restored.tables} tables and {restored.files} files; "
               f"search index rebuilt ({restored.indexed} listed projects)")


@demo_cli.command("load")
@click.option("--force", is_flag=True, help="Load even if the database already has users.")
def demo_load(force):
    """Load demo accounts and projects (skipped when the database already has data)."""
    if demo.has_data() and not force:
        click.echo("Database already has data; demo not loaded (use --force to add it anyway).")
        return
    summary = demo.load_demo()
    db.session.commit()
    click.echo("Demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    click.echo("Accounts (password demo-password): " + ", ".join(demo.DEMO_ACCOUNTS))


@projects_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish imported projects (they were reviewed on paper).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some rows are bad.")
def projects_import(path, publish, skip_invalid):
    """Import 附件1 projects from JSON lines (exchange format) or .xlsx (one column per field)."""
    try:
        report = import_projects(path, publish=publish, skip_invalid=skip_invalid)
    except Exception:
        db.session.rollback()
        raise
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    if report.errors and not skip_invalid:
        db.session.rollback()
        click.echo(f"{len(report.errors)} invalid row(s); nothing imported.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"imported {report.created}, already present {report.duplicates}, "
               f"invalid skipped {len(report.errors)}, accounts created {report.accounts_created}")


@users_cli.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", "is_admin", is_flag=True, help="Create a task-force admin (工作专班) instead of staff.")
@click.password_option()
def create_staff(email, name, is_admin, password):
    """Create a station staff (or admin) account."""
    problem = password_problem(password, [email, name])
    if problem:
        raise click.ClickException(problem)
    try:
        create(email, password, name, Role.ADMIN if is_admin else Role.STAFF)
    except ServiceError as error:
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"created {email}")


search_cli = AppGroup("search", help="Full-text search of the project library.")


@search_cli.command("reindex")
def search_reindex():
    """Rebuild the search index from the database (listed projects, public fields)."""
    click.echo(f"indexed {search.reindex()} listed projects")


@search_cli.command("query")
@click.argument("text")
@click.option("--filter", "pairs", multiple=True, metavar="FACET=VALUE", help="A library filter, e.g. stage=sample.")
@click.option("--page", default=1, type=int)
@click.option("--per-page", default=20, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search_query(text, pairs, page, per_page, as_json):
    """Search the library as a verified user would (public fields of listed projects)."""

    results = search.search_projects(text, dict(p.split("=", 1) for p in pairs if "=" in p), page, per_page)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{results.total} found, page {results.page}/{results.pages}")
    for hit in results.hits:
        click.echo(f"{hit.project_id}\t{hit.score:.2f}\t{hit.snippet.striptags()}")


def init_app(app: Flask) -> None:
    for group in (demo_cli, projects_cli, users_cli, interests_cli, matching_cli, jobs_cli, backup_cli):
        app.cli.add_command(group)
    app.cli.add_command(search_cli)
