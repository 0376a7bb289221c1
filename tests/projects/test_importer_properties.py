"""Property-based tests (hypothesis) of the bulk importer: random rows never make an exception escape, and an
import with a bad row changes nothing (all or nothing), unless asked to skip the bad rows."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.accounts.models import User
from app.core.models import AuditEvent
from app.extensions import db
from app.projects.importer import import_projects
from app.projects.models import PROJECT_FIELDS, Project, ProjectStatus
from tests.projects.test_importer import RECORD

SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEYS = [f.name for f in PROJECT_FIELDS] + ["id", "ip_exists", "unknown"]

# Values a spreadsheet or a script may put in a cell: text of any kind (control characters, very long), numbers,
# booleans, nulls, nested JSON, and the options' own spellings.
junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.text(min_size=190, max_size=320),
    st.sampled_from(["有源", "Ⅲ类", "第二类", "其他", "概念阶段", "是", "否", "同意", "III", "sample", "", " ",
                     "0591-87654321", "13800138000", "12345", "x@y", "a@b.cn", "\x00", "\x0b"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def mutated_record():
    """A valid record with some fields replaced by junk (often still valid, often not)."""
    return st.builds(lambda changes, email: {**RECORD, "email": email, **changes},
                     st.dictionaries(st.sampled_from(KEYS), junk, max_size=5),
                     st.sampled_from(["a@hospital.test", "b@hospital.test", "Zheng@Hospital.test"]))


lines = st.lists(st.one_of(mutated_record().map(lambda r: json.dumps(r, ensure_ascii=False, default=str)),
                           st.text(max_size=40), st.just("[1, 2]"), st.just("{")),
                 min_size=1, max_size=5)


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(model))
                 for model in (Project, User, AuditEvent))


def check_import(path: Path, publish: bool, skip_invalid: bool) -> None:
    before = counts()
    report = import_projects(path, publish=publish, skip_invalid=skip_invalid)  # must not raise
    after = counts()
    if report.errors and not skip_invalid:
        assert after == before, "an import with a bad row must change nothing"
        assert report.created == 0
    else:
        assert after[0] == before[0] + report.created
    assert all(isinstance(line, int) and isinstance(reason, str) and reason for line, reason in report.errors)
    if publish:
        fresh = db.session.scalars(db.select(Project).order_by(Project.id.desc()).limit(report.created)).all()
        assert all(p.status is ProjectStatus.PUBLISHED for p in fresh)
    db.session.flush()  # whatever it wrote is writable (lengths fit, no NUL in PostgreSQL text)
    db.session.rollback()


@SOME
@given(lines, st.booleans(), st.booleans())
@example([json.dumps({**RECORD, "name": "含NUL\x00的项目"})], False, False)
@example([json.dumps({**RECORD, "structure": "垂直制表\x0b符"})], True, True)
@example([json.dumps({**RECORD, "city": "福" * 51})], False, False)
def test_random_json_lines_never_escape_and_never_half_import(app_context, lines, publish, skip_invalid):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "projects.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        check_import(path, publish, skip_invalid)


# a worksheet cannot hold control characters (openpyxl refuses to write them), so cells have none
cells = st.one_of(st.none(), st.integers(-10**6, 10**6), st.booleans(),
                  st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
                  st.sampled_from(["有源", "Ⅲ类", "同意", "a@hospital.test", "13800138000", "=1+1"]))


@settings(SOME, max_examples=15)
@given(st.lists(st.fixed_dictionaries({}, optional={key: cells for key in KEYS}), min_size=1, max_size=4),
       st.booleans())
def test_random_spreadsheets_never_escape_and_never_half_import(app_context, rows, skip_invalid):
    columns = KEYS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(key) for key in columns])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "projects.xlsx"
        workbook.save(path)
        check_import(path, False, skip_invalid)


@SOME
@given(st.binary(max_size=200), st.sampled_from([".jsonl", ".xlsx", ".json"]))
def test_any_bytes_as_a_file_are_a_reported_error_not_an_exception(app_context, data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        check_import(path, False, False)
