"""Backup and restore: a populated instance, archived and restored into a fresh one, compares equal row by row
and file by file — on SQLite, and on PostgreSQL with TEST_DATABASE_URL (restored into a second database)."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage

from app import create_app
from app.accounts import institutions
from app.accounts.models import Role, User
from app.core import backup, jobs
from app.core.files import upload_root
from app.extensions import db
from app.projects import operations as project_operations
from app.projects import search
from app.projects.models import ProjectStatus as S

PDF = b"%PDF-1.4\n% backup test\n"


def _second_database(url: str) -> str:
    """An empty database beside the test database: PostgreSQL gets `<name>_restore` (created once)."""
    parsed = make_url(url)
    name = f"{parsed.database}_restore"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    target = parsed.set(database=name)
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture
def fresh(app, tmp_path):
    """A new, empty instance (schema at head, no rows, no uploads) on the same kind of database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    target = _second_database(url) if url.startswith("postgresql") else f"sqlite:///{tmp_path}/restored.db"
    instance = tmp_path / "restored-instance"
    other = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": target, "WTF_CSRF_ENABLED": False,
                        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "MAIL_SERVER": "", "JOBS_IMMEDIATE": True,
                        "SUGGESTIONS_REFRESH": False})
    with other.app_context():
        upgrade()  # as `flask db upgrade` leaves a new instance
    jobs.init_app(app)  # create_app pointed the job queue at the new instance
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    jobs.init_app(app)


@pytest.fixture
def populated(app, make_project, make_user):
    """Projects in several states (院内审核 too), attachments, interests, audit rows, a hospital."""
    published = make_project(status=S.PUBLISHED, name="可调节负压引流创面治疗仪")
    for status in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.REJECTED, S.INSTITUTION_REVIEW, S.NEGOTIATING):
        make_project(status=status)
    pending = make_user("clinician", confirmed=False)
    staff = make_user("staff")
    with app.test_request_context():
        project_operations.add_project_attachment(published, published.owner,
                                                  FileStorage(io.BytesIO(PDF), filename="附件 一.pdf"))
        project_operations.add_project_attachment(published, published.owner,
                                                  FileStorage(io.BytesIO(PDF + b"2"), filename="图纸.pdf"))
        hospital = institutions.create_institution(staff, {"name": "福建省立医院", "code": "PDY00001335010211A1001",
                                                           "code_kind": "licence", "city": "福州市"})
        institutions.resolve_affiliation(pending, staff, hospital)
    db.session.commit()
    return published


def snapshot(application) -> dict:
    """Every row of every table (by primary key), the schema revision, every uploaded file's bytes."""
    with application.app_context():
        tables = {}
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                tables[table.name] = [tuple(row) for row in connection.execute(table.select().order_by(*order))]
        revision = backup.schema_revision()
        root = upload_root()
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return {"tables": tables, "revision": revision, "files": files}


def test_round_trip_restores_every_row_and_file(app, fresh, populated, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "create", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    archive = Path(result.output.strip())
    assert archive.name.endswith(".tar.gz") and archive.parent == tmp_path / "backups"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["dialect"] == db.engine.dialect.name and manifest["schema_revision"]
    assert {entry["path"] for entry in manifest["files"]} == set(names) - {"manifest.json"}
    uploaded = [p for p in upload_root().rglob("*") if p.is_file()]  # other tests' files stay in the folder too
    assert len([n for n in names if n.startswith("uploads/")]) == len(uploaded) >= 2
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    assert manifest["tables"]["project"] == 7 and manifest["tables"]["audit_event"] > 7

    before = snapshot(app)
    assert before["files"] and all(before["tables"][name] for name in ("user", "project", "audit_event",
                                                                       "project_attachment", "institution",
                                                                       "affiliation", "notification"))
    with fresh.app_context():  # a command runs in the app context it finds (the test's own is the first app's)
        result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "search index rebuilt (2 listed projects)" in result.output
    after = snapshot(fresh)
    for name, rows in before["tables"].items():
        assert after["tables"][name] == rows, name
    assert after["revision"] == before["revision"]
    assert after["files"] == before["files"]

    with fresh.app_context():
        hits = search.search_projects("负压引流")
        assert populated.id in hits.matched_ids and len(hits.matched_ids) == 2  # the published and the negotiating
        # sequences came along: a new row takes the next id
        staff = db.session.scalar(db.select(User).where(User.role == Role.STAFF).limit(1))
        hospital = institutions.create_institution(staff, {"name": "新医院", "code": "PDY00001335010211A1002",
                                                           "code_kind": "licence", "city": "厦门市"})
        assert hospital.id == max(row[0] for row in before["tables"]["institution"]) + 1
        db.session.rollback()


def test_restore_refuses_an_instance_that_holds_data(app, populated, tmp_path):
    archive = backup.create_backup(tmp_path)
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code != 0
    assert "this instance is not empty" in result.output and "restore only into a new instance" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["project"])) == 7


def test_restore_refuses_uploads_left_in_the_folder(app, fresh, populated, tmp_path):
    archive = backup.create_backup(tmp_path)
    with fresh.app_context():
        stray = upload_root() / "projects" / "1" / "stray.pdf"
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(PDF)
        with pytest.raises(backup.BackupError, match="uploads: 1 files"):
            backup.restore_backup(archive, reindex=search.reindex)


def _tampered(archive: Path, tmp_path: Path, change) -> Path:
    """A copy of the archive with one member changed by `change(name, data) -> data`."""
    copy = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def test_a_damaged_archive_is_refused_before_anything_changes(app, fresh, populated, tmp_path):
    archive = backup.create_backup(tmp_path / "backups")
    damaged = _tampered(archive, tmp_path, lambda name, data: data + b"x" if name.startswith("uploads/") else data)
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(damaged)])
    assert result.exit_code != 0 and "checksum mismatch" in result.output
    empty = snapshot(fresh)
    assert not any(empty["tables"].values()) and not empty["files"]


def test_an_archive_with_paths_outside_is_refused(app, fresh, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with fresh.app_context(), pytest.raises(backup.BackupError, match="unexpected entry"):
        backup.restore_backup(evil, reindex=search.reindex)
    assert not (tmp_path / "outside.txt").exists()


def test_pg_tools_are_found():
    assert Path(backup.pg_tool("pg_dump")).name == "pg_dump"
