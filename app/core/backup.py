"""Back up an instance into one archive, and restore one into an empty instance.

The archive (tar.gz) holds the database dump — SQLite through its online backup API (consistent while the
app runs), PostgreSQL through `pg_dump --format=custom` — the uploads folder, and manifest.json: the
platform's schema revision, each table's row count and the sha256 and size of every file in the archive.
A restore checks every checksum before it touches anything, refuses an instance that already holds data,
loads the dump, copies the uploads, checks the row counts and rebuilds the search index (it is derived
data, never backed up). The search index and the job queue are not in the archive: the index is rebuilt,
and queued jobs are work that can be asked for again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # pg_dump / psql with an argument list, never a shell  # nosec B404
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from glob import glob
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    files: int
    indexed: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DUMPS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian keeps them there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)")
    return candidates[-1]


def _pg_args(url) -> tuple[list[str], dict]:
    """libpq connection options and environment for a SQLAlchemy URL (the password in PGPASSWORD, not argv)."""
    url = make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args, env


def _run(command: list[str], env: dict) -> None:
    # our own argument list (pg_dump/psql and the configured database URL's parts), no shell
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def table_counts() -> dict[str, int]:
    """Rows per table of the platform's schema (the tables that exist)."""
    present = set(inspect(db.engine).get_table_names())
    counts = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in present:
                counts[table.name] = connection.execute(db.select(db.func.count()).select_from(table)).scalar_one()
    return counts


def schema_revision() -> str:
    """The Alembic revision the database is at ("" when it has none)."""
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return ""
    with db.engine.connect() as connection:
        return ",".join(sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars()))


def _dump_database(dialect: str, target: Path) -> None:
    url = db.engine.url
    if dialect == "sqlite":
        source = sqlite3.connect(url.database)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)  # the online backup API: a consistent copy while others write
        finally:
            destination.close()
            source.close()
    else:
        args, env = _pg_args(url)
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args],
             env)


def _upload_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def create_backup(target_dir: Path | str | None = None) -> Path:
    """Write one archive of the database and the uploads into target_dir (default: instance/backups)."""
    dialect = _dialect()
    target_dir = Path(target_dir or Path(current_app.instance_path) / "backups")
    target_dir.mkdir(parents=True, exist_ok=True)
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    now = datetime.now(timezone.utc)
    archive = target_dir / f"clinbridge-backup-{now:%Y%m%dT%H%M%S%fZ}.tar.gz"
    # The dump reads committed data through its own connection: the caller commits first (the CLI has nothing
    # pending).
    with tempfile.TemporaryDirectory(dir=target_dir) as work:
        dump = Path(work) / DUMPS[dialect]
        _dump_database(dialect, dump)
        files = [{"path": DUMPS[dialect], "sha256": _sha256(dump), "size": dump.stat().st_size}]
        upload_files = _upload_files(uploads)
        for path in upload_files:
            files.append({"path": f"{UPLOADS}/{path.relative_to(uploads).as_posix()}", "sha256": _sha256(path),
                          "size": path.stat().st_size})
        manifest = {"format": FORMAT, "created_at": now.isoformat(), "dialect": dialect,
                    "schema_revision": schema_revision(), "tables": table_counts(), "files": files}
        manifest_path = Path(work) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(manifest_path, arcname=MANIFEST)
            tar.add(dump, arcname=DUMPS[dialect])
            for path in upload_files:
                tar.add(path, arcname=f"{UPLOADS}/{path.relative_to(uploads).as_posix()}")
        partial.rename(archive)  # a crash leaves a .partial, never a truncated archive that looks complete
    return archive


def _extract(archive: Path, into: Path) -> dict:
    """Unpack the archive (regular files under their own names only), then check it against its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = Path(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupError(f"unexpected entry in archive: {member.name}")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"cannot read {archive}: {error}") from error
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{archive} has no readable {MANIFEST}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    listed = {entry["path"] for entry in manifest["files"]}
    present = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if listed != present:
        raise BackupError(f"archive and manifest disagree: {sorted(listed ^ present)[:5]}")
    for entry in manifest["files"]:
        path = into / entry["path"]
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"checksum mismatch for {entry['path']}: the archive is damaged")
    return manifest


def instance_contents() -> list[str]:
    """What the instance already holds (tables with rows, uploaded files): a restore needs it empty."""
    held = [f"{name}: {count} rows" for name, count in table_counts().items() if count]
    files = _upload_files(Path(current_app.config["UPLOAD_FOLDER"]))
    if files:
        held.append(f"uploads: {len(files)} files")
    return held


def _load_database(dialect: str, dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    url = db.engine.url
    if dialect == "sqlite":
        source = sqlite3.connect(dump)
        destination = sqlite3.connect(url.database)
        try:
            source.backup(destination)  # replaces the whole database file's content, schema included
        finally:
            destination.close()
            source.close()
    else:
        args, env = _pg_args(url)
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", *args, str(dump)], env)
    db.engine.dispose()


def restore_backup(archive: Path | str, reindex: Callable[[], int]) -> Restored:
    """Restore an archive into this (empty) instance: verify, load, copy uploads, check counts, then rebuild the
    search index with `reindex` (the projects area's; core does not depend on the areas)."""
    archive = Path(archive)
    dialect = _dialect()
    held = instance_contents()
    if held:
        raise BackupError("this instance is not empty (" + "; ".join(held[:5]) + (" …" if len(held) > 5 else "")
                          + "): restore only into a new instance (an empty database and uploads folder)")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    with tempfile.TemporaryDirectory() as work:
        manifest = _extract(archive, Path(work))
        if manifest["dialect"] != dialect:
            raise BackupError(f"the backup is of a {manifest['dialect']} database; this instance uses {dialect}")
        _load_database(dialect, Path(work) / DUMPS[dialect])
        copied = 0
        source = Path(work) / UPLOADS
        for path in _upload_files(source):
            destination = uploads / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    counts = table_counts()
    differing = {name: (want, counts.get(name)) for name, want in manifest["tables"].items() if counts.get(name) != want}
    if differing:
        raise BackupError(f"restored row counts differ from the manifest: {differing}")
    indexed = reindex()
    return Restored(tables=len(counts), rows=sum(counts.values()), files=copied, indexed=indexed)
