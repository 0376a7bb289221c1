"""The project library: listed projects only, filters with counts, newest first, pagination."""
from datetime import timedelta

from app.extensions import db
from app.projects.library import LibraryFilters, library_page
from app.projects.models import ProjectStatus


def publish_many(make_project, owner=None, n=3, **fields):
    return [make_project(status=ProjectStatus.PUBLISHED, owner=owner, name=f"{fields.get('name', '项目')}{i}",
                         **{k: v for k, v in fields.items() if k != "name"}) for i in range(n)]


def test_filters_and_counts(make_project):
    publish_many(make_project, n=2, project_type="ivd", device_class="III", city="厦门市", department="检验科")
    publish_many(make_project, n=3, project_type="active", device_class="II", city="福州市")
    make_project(status=ProjectStatus.SUBMITTED, project_type="ivd")  # not listed: never counted
    result = library_page(LibraryFilters.from_args({"project_type": "ivd"}))
    assert result.total == 2
    facets = {name: {value: count for value, _, count in options} for name, options in result.facets.items()}
    # a facet's counts are computed under the *other* filters, so they say what a click yields
    assert facets["project_type"] == {"active": 3, "passive": 0, "ivd": 2}
    assert facets["device_class"]["III"] == 2 and facets["device_class"]["II"] == 0
    assert facets["city"] == {"厦门市": 2}
    combined = library_page(LibraryFilters.from_args({"project_type": "active", "city": "厦门市"}))
    assert combined.total == 0


def test_unknown_filter_values_are_ignored_not_errors(make_project):
    publish_many(make_project, n=2)
    assert library_page(LibraryFilters.from_args({"project_type": "bogus", "stage": "'; drop"})).total == 2


def test_newest_first_and_pagination(make_project):
    projects = publish_many(make_project, n=25)
    for age, project in enumerate(projects):
        project.published_at = project.published_at - timedelta(days=age)
    first = library_page(LibraryFilters(), page=1, per_page=20)
    second = library_page(LibraryFilters(), page=2, per_page=20)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (25, 2, 20, 5)
    assert [p.id for p in first.items[:2]] == [projects[0].id, projects[1].id]
    assert library_page(LibraryFilters(), page=99, per_page=20).page == 2


def test_public_view_carries_no_partner_fields(make_project):
    make_project(status=ProjectStatus.PUBLISHED)
    item = library_page(LibraryFilters()).items[0]
    for name in ("structure", "principle", "phone", "email", "team", "market", "ip_status", "owner"):
        assert not hasattr(item, name)


def test_library_page_shows_counts_and_empty_state(client, login_as, make_project):
    login_as("enterprise")
    empty = client.get("/library/").get_data(as_text=True)
    assert "项目库暂无入选项目" in empty
    publish_many(make_project, n=2, project_type="passive")
    db.session.commit()
    html = client.get("/library/").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="result-count">2</span>' in html
    filtered = client.get("/library/?project_type=active").get_data(as_text=True)
    assert "没有符合当前筛选条件的项目" in filtered and "清除全部筛选" in filtered


def test_negotiating_projects_stay_listed(make_project):
    make_project(status=ProjectStatus.NEGOTIATING)
    assert library_page(LibraryFilters()).total == 1
