"""附件1 through the web: drafts, submit with errors next to fields, nothing lost, attachments, history."""
import io
import re

import pytest

from app.core.models import AuditEvent
from app.extensions import db
from app.projects.models import Project, ProjectStatus
from tests.conftest import FULL_PROJECT


def form_data(**overrides):
    data = {k: ("yes" if k == "publish_consent" else "y" if v is True else v)
            for k, v in FULL_PROJECT.items() if v is not False}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(html: str, field_id: str) -> list[str]:
    block = re.search(rf'id="field-{field_id}".*?(?=<div class="(?:tiered|mb-3 form-field)|</fieldset>)', html, re.S)
    assert block, f"field {field_id} not rendered"
    return re.findall(r'invalid-feedback[^>]*>([^<]+)<', block.group(0))


@pytest.fixture
def clinician(login_as):
    return login_as("clinician")


def test_a_draft_needs_no_required_fields(client, clinician):
    response = client.post("/projects/new", data={"name": "只有名称的草稿", "save_draft": "1"})
    assert response.status_code == 302
    project = db.session.scalar(db.select(Project))
    assert project.status is ProjectStatus.DRAFT and project.name == "只有名称的草稿"


def test_failed_submit_shows_each_problem_next_to_its_field_and_keeps_the_input(client, clinician):
    data = form_data(intended_use="", phone="12345", commitment_agreed=None, submit="1")
    response = client.post("/projects/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_of(html, "intended_use") == ["提交前请填写此项"]
    assert "手机号" in errors_of(html, "phone")[0]
    assert errors_of(html, "commitment_agreed") == ["须同意承诺书方可提交"]
    for name in ("name", "structure", "principle", "market", "public_summary"):
        assert FULL_PROJECT[name] in html, f"{name} was lost"
    assert 'value="12345"' in html
    assert re.search(r'value="active"[^>]*checked|checked[^>]*value="active"', html)
    assert db.session.scalar(db.select(db.func.count()).select_from(Project)) == 0


def test_a_refused_submit_shows_the_form_that_saves_to_the_project(client, clinician):
    """Submitting a draft without the 承诺书 shows the form; ticking it there and submitting then works."""
    client.post("/projects/new", data=form_data(commitment_agreed=None, save_draft="1"))
    project = db.session.scalar(db.select(Project))
    response = client.post(f"/projects/{project.id}/submit")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_of(html, "commitment_agreed") == ["提交前须同意承诺书"]
    assert f'action="/projects/{project.id}/edit"' in html  # not back to …/submit, which would drop what is typed
    response = client.post(f"/projects/{project.id}/edit", data=form_data(other_notes="补充说明", submit="1"))
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED and project.other_notes == "补充说明"


def test_stage_other_needs_its_text(client, clinician):
    html = client.post("/projects/new", data=form_data(stage="other", stage_other="", submit="1")).get_data(as_text=True)
    assert errors_of(html, "stage_other") == ["选择“其他”阶段时请说明具体阶段"]


def test_invalid_choice_is_refused(client, clinician):
    response = client.post("/projects/new", data=form_data(device_class="IV", submit="1"))
    assert response.status_code == 400
    assert errors_of(response.get_data(as_text=True), "device_class") == ["请选择列表中的选项"]


def test_complete_submit_goes_to_review_with_history(client, clinician):
    response = client.post("/projects/new", data=form_data(submit="1"))
    assert response.status_code == 302
    project = db.session.scalar(db.select(Project))
    assert project.status is ProjectStatus.SUBMITTED
    assert project.publish_consent is True and project.commitment_agreed is True
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "创建草稿" in page and "提交初核" in page and "待初核" in page


def test_history_names_the_edited_fields_in_words(client, clinician):
    client.post("/projects/new", data=form_data(commitment_agreed=None, save_draft="1"))
    project = db.session.scalar(db.select(Project))
    client.post(f"/projects/{project.id}/edit", data=form_data(market="新的市场分析", save_draft="1"))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "承诺书、行业及市场情况" in page
    assert "commitment_agreed" not in page and "market," not in page


def test_my_projects_lists_state_and_history(client, clinician, make_project, staff):
    project = make_project(status=ProjectStatus.RETURNED, owner=clinician)
    db.session.commit()
    listing = client.get("/projects/").get_data(as_text=True)
    assert project.name in listing and "退回修改" in listing
    detail = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "请补充临床数据" in detail  # the reviewer's comment reaches the owner


def test_returned_project_is_fixed_and_resubmitted(client, clinician, make_project):
    project = make_project(status=ProjectStatus.RETURNED, owner=clinician)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/edit",
                           data=form_data(clinical_prospects="补充了多中心临床数据", submit="1"))
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED and project.clinical_prospects == "补充了多中心临床数据"


def test_editing_a_published_project_public_field_returns_it_to_review(client, clinician, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, owner=clinician)
    db.session.commit()
    asked = client.post(f"/projects/{project.id}/edit", data=form_data(name="新名称", save_draft="1"))
    assert "确认修改公开信息" in asked.get_data(as_text=True)       # first the owner reads what happens
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED and project.name != "新名称"
    client.post(f"/projects/{project.id}/edit", data=form_data(name="新名称", confirm_public_edit="1"))
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED


def test_submitted_project_cannot_be_edited(client, clinician, make_project):
    project = make_project(status=ProjectStatus.SUBMITTED, owner=clinician)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/edit", data=form_data(name="偷偷改名", save_draft="1"))
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.name == FULL_PROJECT["name"]


def test_withdraw(client, clinician, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, owner=clinician)
    db.session.commit()
    client.post(f"/projects/{project.id}/withdraw", data={"comment": "转院"})
    db.session.refresh(project)
    assert project.status is ProjectStatus.WITHDRAWN


PDF = b"%PDF-1.4\n1 0 obj\n"


def test_attachment_upload_and_download_by_owner(client, clinician, make_project, app):
    project = make_project(status=ProjectStatus.DRAFT, owner=clinician)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/attachments",
                           data={"file": (io.BytesIO(PDF), "样品照片说明.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = project.attachments[0]
    assert attachment.original_name == "样品照片说明.pdf"
    assert attachment.stored_name.startswith(f"projects/{project.id}/") and "样品" not in attachment.stored_name
    assert (app.config["UPLOAD_FOLDER"] + "/" + attachment.stored_name).endswith(".pdf")
    download = client.get(f"/projects/{project.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    client.post(f"/projects/{project.id}/attachments/{attachment.id}/delete")
    db.session.expire_all()
    assert project.attachments == []


@pytest.mark.parametrize("name, content, message", [
    ("script.exe", b"MZ....", "只接受 PDF、Word、JPG、PNG 文件"),
    ("fake.pdf", b"MZ not a pdf", "文件内容与扩展名不符"),
    ("empty.png", b"", "文件"),
])
def test_bad_attachments_are_refused_with_a_reason(client, clinician, make_project, name, content, message):
    project = make_project(status=ProjectStatus.DRAFT, owner=clinician)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/attachments", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert project.attachments == []


def test_oversized_attachment_is_refused(client, clinician, make_project, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    try:
        project = make_project(status=ProjectStatus.DRAFT, owner=clinician)
        db.session.commit()
        response = client.post(f"/projects/{project.id}/attachments",
                               data={"file": (io.BytesIO(PDF + b"0" * 2048), "big.pdf")},
                               content_type="multipart/form-data", follow_redirects=True)
        assert "上限" in response.get_data(as_text=True)
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 20 * 1024 * 1024


def test_every_action_is_audited(client, clinician):
    client.post("/projects/new", data=form_data(save_draft="1"))
    project = db.session.scalar(db.select(Project))
    client.post(f"/projects/{project.id}/submit")
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.project_id == project.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["create", "submit"]
