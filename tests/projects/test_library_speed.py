"""The library's listing and counts read covering indexes (query plans), and unfiltered counts are cached."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from app.extensions import db
from app.projects.library import library_page
from app.projects.listing import LibraryFilters, facet_values, listed_clause, listed_page_ids, listing_query
from app.projects.models import DeviceClass, Project, ProjectStatus, ProjectType, Stage


def _sql(statement) -> str:
    return str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))


def _plan(statement, seqscan: bool = True) -> str:
    sql = _sql(statement)
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(row[-1]) for row in rows)
    if not seqscan:  # the test rows have no text, so reading the table costs little more than an index
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        db.session.execute(db.text("SET LOCAL enable_bitmapscan = off"))
    return "\n".join(row[0] for row in db.session.execute(db.text("EXPLAIN " + sql)).all())


CITIES = ["福州市", "厦门市", "泉州市", "漳州市", "莆田市", "三明市", "南平市", "龙岩市", "宁德市"]


@pytest.fixture
def library(make_user):
    """A library of a few thousand listed projects (and some that are not), as the planner sees it in production."""
    owner = make_user("clinician")
    rows = [{"owner_id": owner.id, "name": f"项目{i}", "city": CITIES[i % 9], "department": f"科室{i % 23}",
             "project_type": ProjectType(["active", "passive", "ivd"][i % 3]), "stage": Stage.SAMPLE,
             "device_class": DeviceClass(["I", "II", "III"][i % 3]),
             "status": ProjectStatus.PUBLISHED if i % 10 else ProjectStatus.DRAFT, "publish_consent": i % 17 != 0,
             "published_at": datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i)} for i in range(4000)]
    db.session.execute(db.insert(Project), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # statistics and the visibility map, as autovacuum keeps them
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(db.text("VACUUM ANALYZE project"))


def _listing(filters: LibraryFilters):
    return listing_query(filters).limit(20)


def test_first_page_walks_the_order_index_without_sorting(library):
    plan = _plan(_listing(LibraryFilters()))
    if db.engine.dialect.name == "sqlite":
        assert "ix_project_listing_order" in plan and "TEMP B-TREE" not in plan
    else:  # newest first from an index on published_at (at most ties on it sorted), never a sort of the rows
        assert "Index" in plan and "published_at" in plan
        assert not [line for line in plan.splitlines() if "Sort" in line and "Incremental Sort" not in line
                    and "Sort Key" not in line and "Presorted Key" not in line]


@pytest.mark.parametrize("statement", [
    lambda: db.select(db.func.count()).select_from(Project).where(listed_clause()),
    lambda: db.select(db.func.count()).select_from(Project).where(
        listed_clause(), *LibraryFilters({"city": "厦门市", "stage": "sample"}).clauses()),
    lambda: db.select(Project.city, db.func.count()).where(listed_clause()).group_by(Project.city),
    lambda: db.select(Project.stage, db.func.count()).where(
        listed_clause(), *LibraryFilters({"project_type": "ivd"}).clauses()).group_by(Project.stage),
], ids=["count", "filtered count", "facet", "filtered facet"])
def test_counts_are_index_only(library, statement):
    plan = _plan(statement(), seqscan=False)
    assert "ix_project_listing_facets" in plan
    if db.engine.dialect.name == "sqlite":
        assert "COVERING INDEX" in plan
    else:
        assert "Index Only Scan" in plan


def test_page_ids_newest_first_under_filters(make_project):
    older = make_project(status=ProjectStatus.PUBLISHED, city="厦门市")
    make_project(status=ProjectStatus.PUBLISHED, city="福州市")
    newer = make_project(status=ProjectStatus.PUBLISHED, city="厦门市")
    assert listed_page_ids(LibraryFilters({"city": "厦门市"}), 0, 20) == [newer.id, older.id]
    assert listed_page_ids(LibraryFilters({"city": "厦门市"}), 1, 20) == [older.id]


class _Statements:
    def __init__(self):
        self.seen = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def grouped(self) -> int:
        return sum("GROUP BY" in s for s in self.seen)


@pytest.fixture
def statements():
    listener = _Statements()
    event.listen(db.engine, "before_cursor_execute", listener)
    yield listener
    event.remove(db.engine, "before_cursor_execute", listener)


def test_unfiltered_counts_are_cached_until_a_publish(make_project, statements):
    make_project(status=ProjectStatus.PUBLISHED, project_type="ivd")
    first = library_page(LibraryFilters())
    assert statements.grouped() == 5  # one per facet, the first time
    statements.seen.clear()
    again = library_page(LibraryFilters())
    assert statements.grouped() == 0 and again.facets == first.facets and again.total == 1
    make_project(status=ProjectStatus.PUBLISHED, project_type="ivd")  # a publish invalidates the counts
    fresh = library_page(LibraryFilters())
    assert fresh.total == 2
    assert dict((v, n) for v, _label, n in fresh.facets["project_type"])["ivd"] == 2
    withdrawn = db.session.get(Project, fresh.items[0].id)
    withdrawn.status = ProjectStatus.WITHDRAWN  # leaving the library, too
    db.session.flush()
    assert library_page(LibraryFilters()).total == 1


def test_cached_counts_equal_fresh_ones(make_project):
    for city, kind in [("厦门市", "ivd"), ("厦门市", "active"), ("福州市", "ivd")]:
        make_project(status=ProjectStatus.PUBLISHED, city=city, project_type=kind)
    filters = LibraryFilters({"city": "厦门市"})
    page = library_page(filters)
    expected = facet_values(filters)
    assert {name: {v: n for v, _label, n in options if n} for name, options in page.facets.items()} == expected
    assert page.total == 2


def _statements_of(call) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) a call runs."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def _plans_of(call) -> list[str]:
    plans = []
    for statement, parameters in _statements_of(call):
        if db.engine.dialect.name == "sqlite":
            rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append("\n".join(str(row[-1]) for row in rows))
        else:
            db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
            rows = db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).all()
            plans.append("\n".join(row[0] for row in rows))
    return plans


def test_the_library_version_is_read_from_indexes(library):
    """Every library page asks for it: max(updated_at) and max(id) as two scalar subqueries of one statement,
    each one index look-up (as one select's two aggregates, SQLite scans the table: 1.7 ms per page at 10k)."""
    from app.projects.listing import library_version
    plans = _plans_of(library_version)
    assert len(plans) == 1
    for plan in plans:
        if db.engine.dialect.name == "sqlite":  # the outer select of two values is a constant row
            scans = [line for line in plan.splitlines() if "SCAN" in line and line != "SCAN CONSTANT ROW"]
            assert plan.count("SEARCH project") == 2 and not scans, plan
        else:
            assert "Seq Scan" not in plan, plan


def test_the_unread_count_reads_the_partial_index(make_user):
    """Every signed-in page counts the reader's unread notices: a reader with thousands of read ones reads
    only the unread, from ix_notification_unread alone."""
    from app.core.models import Notification, utcnow
    from app.core.notifications import unread_count, unread_summary
    user = make_user("enterprise")
    db.session.execute(db.insert(Notification), [
        {"user_id": user.id, "kind": "saved_search", "title": f"新项目{i}", "link": f"/library/{i}",
         "read_at": utcnow() if i % 50 else None} for i in range(3000)])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(db.text("VACUUM ANALYZE notification"))
    assert unread_count(user) == 60
    assert unread_summary(user, "/library/50") == (60, True) and unread_summary(user, "/library/51") == (60, False)
    for call in (lambda: unread_count(user), lambda: unread_summary(user, "/library/50")):
        (plan,) = _plans_of(call)
        assert "ix_notification_unread" in plan, plan
        if db.engine.dialect.name == "sqlite":
            assert "SCAN notification" not in plan, plan
