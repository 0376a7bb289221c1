"""附件1 for a doctor on a phone: prefilled from the account, 所在城市 from the province's list (with 其他), the
sections' progress, the error summary's links, and autosave of the draft (JSON, CSRF, owner's drafts only)."""
import re

import pytest

from app.accounts.models import Institution
from app.core.models import AuditEvent
from app.extensions import db
from app.projects.models import Project, ProjectStatus
from tests.conftest import FULL_PROJECT
from tests.projects.test_projects_web import errors_of, form_data
from tests.uscc import make_uscc


def count_projects() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Project))


def selected_city(html: str) -> str:
    select = re.search(r'<select[^>]*id="city".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select)
    return (chosen.group(1) or chosen.group(2)) if chosen else ""


def input_value(html: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


# --- prefill


def test_a_new_project_is_prefilled_from_the_account_and_its_hospital(client, login_as, make_user):
    hospital = Institution(name="厦门大学附属第一医院", code=make_uscc(310001), city="厦门")
    doctor = make_user("clinician", institution=hospital, name="陈医生")
    doctor.phone, doctor.department = "13912340001", "骨科"
    db.session.commit()
    login_as(doctor)
    html = client.get("/projects/new").get_data(as_text=True)
    assert input_value(html, "lead_name") == "陈医生"
    assert input_value(html, "department") == "骨科"
    assert input_value(html, "phone") == "13912340001"
    assert input_value(html, "email") == doctor.email
    assert selected_city(html) == "厦门市"  # the hospital's "厦门" is the province's 厦门市
    assert "厦门大学附属第一医院" in html  # 医院, shown from the account
    # the clinician may change any of them: what they post is what is saved
    response = client.post("/projects/new", data={"lead_name": "王医生", "city": "泉州市", "phone": "13700000000",
                                                  "save_draft": "1"})
    assert response.status_code == 302
    project = db.session.scalar(db.select(Project))
    assert (project.lead_name, project.city, project.phone, project.department) == ("王医生", "泉州市", "13700000000", "")


def test_a_hospital_outside_the_list_prefills_other_with_its_city(client, login_as, make_user):
    hospital = Institution(name="北京协和医院", code=make_uscc(310002), city="北京市")
    login_as(make_user("clinician", institution=hospital))
    html = client.get("/projects/new").get_data(as_text=True)
    assert selected_city(html) == "other" and input_value(html, "city_other") == "北京市"


def test_editing_does_not_prefill_over_saved_values(client, login_as, make_project):
    project = make_project(ProjectStatus.DRAFT, lead_name="", phone="")
    login_as(project.owner)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert input_value(html, "lead_name") == "" and input_value(html, "phone") == ""


# --- 所在城市


def test_the_city_is_a_choice_of_the_provinces_cities_and_other(client, login_as):
    login_as("clinician")
    html = client.get("/projects/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="city".*?</select>', html, re.S).group(0)
    values = re.findall(r'value="([^"]*)"', select)
    assert values == ["", "福州市", "厦门市", "莆田市", "三明市", "泉州市", "漳州市", "南平市", "龙岩市", "宁德市",
                      "平潭综合实验区", "other"]


def test_a_city_not_on_the_list_is_refused_next_to_the_field(client, login_as):
    login_as("clinician")
    response = client.post("/projects/new", data=form_data(city="北京市", submit="1"))
    assert response.status_code == 400
    assert "请从列表中选择所在城市" in errors_of(response.get_data(as_text=True), "city")[0]
    assert count_projects() == 0


def test_other_needs_the_citys_name_and_stores_the_name(client, login_as):
    login_as("clinician")
    refused = client.post("/projects/new", data=form_data(city="other", city_other=" ", save_draft="1"))
    assert refused.status_code == 400
    assert errors_of(refused.get_data(as_text=True), "city_other") == ["选择“其他”时请填写城市名称"]
    assert count_projects() == 0
    saved = client.post("/projects/new", data=form_data(city="other", city_other="上海市", submit="1"))
    assert saved.status_code == 302
    assert db.session.scalar(db.select(Project)).city == "上海市"  # the exchange record's city: the name itself


def test_no_city_is_required_to_submit(client, login_as):
    login_as("clinician")
    response = client.post("/projects/new", data=form_data(city="", submit="1"))
    assert response.status_code == 400
    assert errors_of(response.get_data(as_text=True), "city") == ["请选择所在城市"]


def test_an_older_city_outside_the_list_shows_as_other_with_its_text_and_survives_a_save(client, login_as,
                                                                                           make_project):
    project = make_project(ProjectStatus.RETURNED, city="福州")  # imported before the list
    login_as(project.owner)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert selected_city(html) == "other" and input_value(html, "city_other") == "福州"
    data = form_data(city="other", city_other="福州", name="改了名称", save_draft="1")
    assert client.post(f"/projects/{project.id}/edit", data=data).status_code == 302
    db.session.refresh(project)
    assert project.city == "福州" and project.name == "改了名称"


def test_a_listed_city_shows_as_its_choice_on_edit(client, login_as, make_project):
    project = make_project(ProjectStatus.DRAFT, city="龙岩市")
    login_as(project.owner)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert selected_city(html) == "龙岩市" and input_value(html, "city_other") == ""


# --- sections and the error summary


def test_the_section_navigation_says_which_parts_are_complete(client, login_as, make_project):
    project = make_project(ProjectStatus.DRAFT, intended_use="")
    login_as(project.owner)
    html = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    nav = re.search(r'<nav class="form-nav".*?</nav>', html, re.S).group(0)
    links = re.findall(r'class="form-nav-link is-(\w+)" href="#(section-[\w-]+)"', nav)
    assert dict((anchor, state) for state, anchor in links) == {
        "section-basic": "done", "section-type": "done", "section-product": "todo", "section-market": "done",
        "section-partners": "optional", "section-summary": "done", "section-commitment": "done"}
    assert "已完成 5/6 部分" in nav
    for anchor, _state in ((a, s) for s, a in links):
        assert f'id="{anchor}"' in html  # every link has its part to jump to


def test_the_error_summary_links_each_field_and_keeps_what_was_typed(client, login_as):
    login_as("clinician")
    data = form_data(intended_use="", phone="12345", project_type=None, city="other", city_other="", submit="1")
    response = client.post("/projects/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = re.search(r'<div class="alert alert-danger error-summary" id="error-summary"[^>]*>.*?</div>', html,
                        re.S).group(0)
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert "还有 4 处需要修改" in summary
    targets = re.findall(r'<a href="#([\w-]+)" data-section="([\w-]+)">', summary)
    assert targets == [("city_other", "section-basic"), ("phone", "section-basic"),
                       ("project_type-0", "section-type"), ("intended_use", "section-product")]
    for target, _section in targets:
        assert f'id="{target}"' in html
    assert FULL_PROJECT["structure"] in html and 'value="12345"' in html
    assert html.count("还有 4 处需要修改") == 1  # one message: no flash repeating the summary
    assert 'class="form-nav-link is-error" href="#section-basic"' in html


# --- autosave


@pytest.fixture
def clinician(login_as):
    return login_as("clinician")


def autosave(client, fields, project=None, key="autosave-key-0000000001", **kwargs):
    url = f"/projects/{project.id}/autosave" if project else "/projects/autosave"
    return client.post(url, json={"submission_key": key, "fields": fields}, **kwargs)


def test_the_first_autosave_makes_a_draft_and_later_ones_save_onto_it(client, clinician):
    first = autosave(client, {"name": "自动保存的项目", "city": "厦门市", "structure": "由主机组成"})
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert body["ok"] and re.fullmatch(r"\d\d:\d\d", body["saved_at"])
    assert body["message"] == f"已自动保存 {body['saved_at']}"
    project = db.session.get(Project, body["project_id"])
    assert project.status is ProjectStatus.DRAFT and project.owner_id == clinician.id
    assert (project.name, project.city, project.structure) == ("自动保存的项目", "厦门市", "由主机组成")
    assert body["edit_url"] == f"/projects/{project.id}/edit"
    assert body["autosave_url"] == f"/projects/{project.id}/autosave"
    # the same key again (a retry, or two saves crossing): the same draft, nothing new
    again = autosave(client, {"name": "自动保存的项目（改）"})
    assert again.get_json()["project_id"] == project.id and count_projects() == 1
    later = client.post(body["autosave_url"], json={"fields": {"principle": "负压"}})
    assert later.status_code == 200
    db.session.refresh(project)
    assert (project.name, project.principle, project.structure) == ("自动保存的项目（改）", "负压", "由主机组成")
    # the form's submit afterwards (still posting to /projects/new with its key) lands on that draft too
    response = client.post("/projects/new", data=form_data(submission_key="autosave-key-0000000001", submit="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/projects/{project.id}")
    assert count_projects() == 1
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED and project.name == FULL_PROJECT["name"]


def test_autosave_keeps_the_valid_fields_and_says_which_are_not_saved(client, clinician, make_project):
    project = make_project(ProjectStatus.DRAFT, owner=clinician)
    response = autosave(client, {"phone": "123", "team": "新的团队介绍", "city": "other", "city_other": "北京市"},
                        project)
    body = response.get_json()
    assert response.status_code == 200 and body["ok"]
    assert list(body["errors"]) == ["phone"] and "联系电话" in body["message"]
    db.session.refresh(project)
    assert (project.team, project.city, project.phone) == ("新的团队介绍", "北京市", FULL_PROJECT["phone"])
    assert project.status is ProjectStatus.DRAFT


def test_autosave_never_moves_the_state_and_writes_no_audit_row(client, clinician, make_project):
    project = make_project(ProjectStatus.RETURNED, owner=clinician)
    events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    response = autosave(client, {"name": "退回后修改", "commitment_agreed": True}, project)
    assert response.status_code == 200
    db.session.refresh(project)
    assert project.status is ProjectStatus.RETURNED and project.name == "退回后修改"
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize("status", [ProjectStatus.SUBMITTED, ProjectStatus.PUBLISHED])
def test_autosave_refuses_a_project_that_is_not_a_draft(client, clinician, make_project, status):
    project = make_project(status, owner=clinician)
    response = autosave(client, {"name": "不该保存"}, project)
    assert response.status_code == 409
    assert "已不是草稿" in response.get_json()["error"]
    db.session.refresh(project)
    assert project.status is status and project.name == FULL_PROJECT["name"]


def test_autosave_of_someone_elses_draft_is_not_found(client, clinician, make_project):
    project = make_project(ProjectStatus.DRAFT)
    response = autosave(client, {"name": "别人的草稿"}, project)
    assert response.status_code == 404 and response.get_json()["error"]
    db.session.refresh(project)
    assert project.name == FULL_PROJECT["name"]


@pytest.mark.parametrize("who", ["anonymous", "enterprise", "staff"])
def test_only_clinicians_autosave(client, login_as, who):
    login_as(who)
    assert autosave(client, {"name": "x"}).status_code in (302, 403)
    assert count_projects() == 0


@pytest.mark.parametrize("body, words", [
    ("not json", "格式无效"), ("[1, 2]", "格式无效"), ('{"fields": "name"}', "格式无效"),
    ('{"fields": {"owner_id": "1"}}', "未知字段"), ('{"fields": {"name": 5}}', "应为文字"),
    ('{"fields": {"commitment_agreed": "yes"}}', "true 或 false"),
])
def test_bad_autosave_input_is_a_400_with_a_message(client, clinician, body, words):
    response = client.post("/projects/autosave", data=body, content_type="application/json")
    assert response.status_code == 400
    assert words in response.get_json()["error"]
    assert count_projects() == 0


def test_autosave_needs_the_csrf_token(app, client, clinician):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = autosave(client, {"name": "没有令牌"})
        assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
        assert count_projects() == 0
        page = client.get("/projects/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        accepted = autosave(client, {"name": "有令牌"}, headers={"X-CSRFToken": token})
        assert accepted.status_code == 200 and count_projects() == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_form_carries_the_autosave_address_only_while_a_draft(client, clinician, make_project):
    html = client.get("/projects/new").get_data(as_text=True)
    assert 'data-autosave-url="/projects/autosave"' in html and 'id="autosave-status"' in html
    assert 'aria-live="polite"' in html and "js/project_form.js" in html
    draft = make_project(ProjectStatus.DRAFT, owner=clinician)
    assert f'data-autosave-url="/projects/{draft.id}/autosave"' in client.get(f"/projects/{draft.id}/edit").get_data(
        as_text=True)
    published = make_project(ProjectStatus.PUBLISHED, owner=clinician)
    assert "data-autosave-url" not in client.get(f"/projects/{published.id}/edit").get_data(as_text=True)


def test_the_form_helpers_speak_english(client, clinician):
    client.get("/lang/en?next=/projects/new")
    html = client.get("/projects/new").get_data(as_text=True)
    nav = re.search(r'<nav class="form-nav".*?</nav>', html, re.S).group(0)
    assert "0 of 6 parts complete" in nav and "Not complete" in nav and "Optional" in nav
    assert re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", "", nav)) is None
    assert ">Fuzhou<" in html and ">Other<" in html
    body = autosave(client, {"name": "x"}).get_json()
    assert body["message"].startswith("Saved automatically at ")
    refused = client.post("/projects/autosave", data="{", content_type="application/json").get_json()
    assert refused["error"].startswith("Invalid autosave data")
