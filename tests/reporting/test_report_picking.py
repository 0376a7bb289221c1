"""National export: staff pick individual projects as well as filters (导出所选); the batch holds exactly those."""
from __future__ import annotations

from app.extensions import db
from app.projects.models import ProjectStatus
from app.reporting import batches as reporting
from app.reporting.models import ReportBatch


def test_export_selected_contains_exactly_the_ticked_projects(client, login_as, make_project):
    picked = make_project(ProjectStatus.PUBLISHED, name="勾选的甲", city="泉州市")
    also = make_project(ProjectStatus.SIGNED, name="勾选的乙", city="泉州市")
    left = make_project(ProjectStatus.PUBLISHED, name="未勾选的丙", city="泉州市")
    elsewhere = make_project(ProjectStatus.PUBLISHED, name="别的城市丁", city="漳州市")
    draft = make_project(ProjectStatus.DRAFT, name="草稿戊", city="泉州市")
    db.session.commit()
    login_as("staff")
    page = client.get("/reports/new?city=泉州市").get_data(as_text=True)
    assert f'name="project_ids" value="{picked.id}"' in page and 'id="export-selected"' in page
    assert "导出所选" in page

    response = client.post("/reports/new", data={
        "city": "泉州市", "scope": "selected",
        "project_ids": [str(picked.id), str(also.id), str(elsewhere.id), str(draft.id), "nonsense"]})
    assert response.status_code == 302
    batch = db.session.scalars(db.select(ReportBatch)).one()
    assert sorted(i.project_id for i in batch.items) == sorted([picked.id, also.id])
    assert left.id not in {i.project_id for i in batch.items}
    assert batch.filters == {"city": "泉州市", "project_ids": sorted([picked.id, also.id, elsewhere.id, draft.id])}
    # ticked ids outside the filters or not yet published are not exported, and the batch says so
    assert {e["project_id"] for e in batch.excluded} == {elsewhere.id, draft.id}
    records = reporting.batch_file(batch, "jsonl").read_text(encoding="utf-8")
    assert "勾选的甲" in records and "勾选的乙" in records and "未勾选的丙" not in records and "别的城市丁" not in records
    detail = client.get(f"/reports/{batch.id}").get_data(as_text=True)
    assert "所选 4 个项目" in detail and "泉州市" in detail

    # the filter export is unchanged: everything the filters select
    assert client.post("/reports/new", data={"city": "泉州市", "scope": "all"}).status_code == 302
    latest = db.session.scalars(db.select(ReportBatch).order_by(ReportBatch.id.desc())).first()
    assert sorted(i.project_id for i in latest.items) == sorted([picked.id, also.id, left.id])


def test_export_selected_with_nothing_ticked_is_refused_with_a_message(client, login_as, make_project):
    make_project(ProjectStatus.PUBLISHED)
    db.session.commit()
    login_as("staff")
    response = client.post("/reports/new", data={"scope": "selected"}, follow_redirects=True)
    assert response.status_code == 200 and "请先在列表中勾选要导出的项目" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ReportBatch)) == 0


def test_a_consent_refusal_still_holds_for_a_ticked_project(make_project, staff):
    consenting = make_project(ProjectStatus.PUBLISHED)
    refusing = make_project(ProjectStatus.PUBLISHED, publish_consent=False)
    batch = reporting.create_batch(reporting.ReportFilters.picked({}, [consenting.id, refusing.id]), staff)
    assert [i.project_id for i in batch.items] == [consenting.id]
    assert [(e["project_id"], e["reason"]) for e in batch.excluded] == [(refusing.id, reporting.NO_CONSENT)]
