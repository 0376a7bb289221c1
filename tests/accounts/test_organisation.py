"""Organisation profile (附件2 company block), investment intents and the demands list (企业需求)."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.accounts import operations as service
from app.core.errors import PermissionDenied, ServiceError, TransitionError, ValidationError
from app.core.models import AuditEvent
from app.deals import demands
from app.deals import operations as deal_operations
from app.deals.models import Intent, IntentStatus, RegionPreference
from app.extensions import db
from tests.uscc import make_uscc

PROFILE = dict(name="福建康联医疗器械有限公司", address="福州市鼓楼区工业路 523 号", field="医用诊察和监护器械",
               legal_rep="陈法人", registered_capital_wan="1200.50", registered_on="2015-06-30", high_tech="yes",
               specialised="provincial", contact_name="王联系", contact_phone="0591-87654321",
               overview="专注于监护设备的研发与生产，已有二类注册证 12 张。", region="福建省")

INTENT = dict(title="寻求心血管介入器械项目", description="希望对接冠脉介入、结构性心脏病相关的器械项目。",
              keywords="支架, 导管、介入  球囊", fields=["03", "07"], device_classes=["II", "III"],
              stages=["sample", "design_verification"], cooperation_modes=["tech_transfer", "joint_development"],
              budget_min_wan="100", budget_max_wan="800", region_preference="any")


def intent_values(**overrides):
    values = dict(title="监护类项目", description="监护设备方向。", keywords=["监护"], fields=["07"],
                  device_classes=["II"], stages=["sample"], cooperation_modes=["tech_transfer"],
                  budget_min_wan=Decimal("50"), budget_max_wan=Decimal("500"),
                  region_preference=RegionPreference.ANY)
    values.update(overrides)
    return values


def switch_to(client, login_as, who):
    """Sign out, then in as someone else."""
    client.post("/auth/logout")
    return login_as(who)


def field_block(html: str, name: str) -> str:
    """The rendered block of one form field (label, input, errors)."""
    end = r'<div class="mb-3 form-field|<fieldset class="mb-3|</fieldset>\s*<div class="form-actions'
    match = re.search(rf'id="field-{name}".*?(?={end})', html, re.S)
    assert match, f"field {name} not rendered"
    return match.group(0)


def audit_actions(subject) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.subject_type == type(subject).__tablename__, AuditEvent.subject_id == subject.id)
        .order_by(AuditEvent.id)))


@pytest.fixture
def member(make_user):
    """A verified enterprise member whose profile carries confidential details."""
    user = make_user("enterprise", org_name="福建康联医疗器械有限公司")
    org = user.organisation
    org.legal_rep, org.contact_name, org.contact_phone = "陈法人", "王联系", "0591-87654321"
    org.address, org.field, org.region = "福州市鼓楼区工业路 523 号", "医用诊察和监护器械", "福建省"
    org.overview, org.high_tech, org.specialised = "专注于监护设备的研发与生产。", True, "provincial"
    db.session.commit()
    return user


# --- profile -------------------------------------------------------------------------------------------

def test_unverified_member_fills_in_the_profile_with_the_platform_province(client, login_as):
    user = login_as("unverified")
    response = client.get("/organisation/profile")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="uscc"' in html and user.organisation.uscc in html
    assert '<option selected value="福建省">' in html
    assert "医用软件" in html  # NMPA first-level categories offered for 所属领域


def test_profile_errors_are_shown_next_to_fields_and_input_is_kept(client, login_as):
    user = login_as("unverified")
    future = (date.today() + timedelta(days=30)).isoformat()
    data = dict(PROFILE, uscc="91350100000000001X", contact_phone="12345", registered_capital_wan="-5",
                registered_on=future, overview="保留这段企业概况")
    response = client.post("/organisation/profile", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "校验位不正确" in field_block(html, "uscc") and 'value="91350100000000001X"' in html
    assert "有效的手机号" in field_block(html, "contact_phone") and 'value="12345"' in html
    assert "不能为负数" in field_block(html, "registered_capital_wan") and 'value="-5"' in html
    assert "不能晚于今天" in field_block(html, "registered_on") and future in html
    assert "保留这段企业概况" in html and 'value="陈法人"' in html
    db.session.refresh(user.organisation)
    assert user.organisation.contact_phone == "" and "update_profile" not in audit_actions(user.organisation)


@pytest.mark.parametrize("capital, message", [("1.234", "两位小数"), ("abc", "数字金额"), ("NaN", "数字金额")])
def test_capital_must_be_an_amount_with_two_decimals(client, login_as, capital, message):
    login_as("unverified")
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=make_uscc(900),
                                                              registered_capital_wan=capital))
    assert response.status_code == 400
    assert message in field_block(response.get_data(as_text=True), "registered_capital_wan")


def test_profile_requires_name_contact_and_a_listed_field(client, login_as):
    login_as("unverified")
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=make_uscc(901), name="",
                                                              contact_name="", field="不存在的领域"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写企业名称" in field_block(html, "name")
    assert "请填写联系人" in field_block(html, "contact_name")
    assert field_block(html, "field").count("invalid-feedback") == 1
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=make_uscc(901), field="",
                                                              registered_capital_wan="99999999999999"))
    html = response.get_data(as_text=True)
    assert "请选择所属领域" in field_block(html, "field")
    assert "核对单位" in field_block(html, "registered_capital_wan")


def test_unverified_member_saves_profile_and_may_correct_the_uscc(client, login_as):
    user = login_as("unverified")
    old_uscc, new_uscc = user.organisation.uscc, make_uscc(902)
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=new_uscc.lower(),
                                                              registered_capital_wan="1,200.50"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation/profile")
    org = user.organisation
    db.session.refresh(org)
    assert org.uscc == new_uscc and org.registered_capital_wan == Decimal("1200.50")
    assert org.registered_on == date(2015, 6, 30) and org.high_tech is True and org.specialised == "provincial"
    assert org.field == "医用诊察和监护器械" and org.contact_phone == "0591-87654321"
    assert audit_actions(org) == ["update_profile"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "update_profile"))
    assert event.actor_id == user.id and f"uscc {old_uscc} → {new_uscc}" in event.comment
    assert "contact_phone" in event.comment
    assert "认证通过后即可发布投资意向" in client.get("/organisation/profile").get_data(as_text=True)


def test_uscc_already_registered_elsewhere_is_refused_next_to_the_field(client, login_as, make_user):
    other = make_user("enterprise")
    login_as("unverified")
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=other.organisation.uscc))
    assert response.status_code == 400
    assert "已被其他机构注册" in field_block(response.get_data(as_text=True), "uscc")


def test_uscc_is_locked_after_verification(client, login_as, member):
    login_as(member)
    original = member.organisation.uscc
    html = client.get("/organisation/profile").get_data(as_text=True)
    assert 'name="uscc"' not in html and original in html and "不可修改" in html
    response = client.post("/organisation/profile", data=dict(PROFILE, uscc=make_uscc(903), name="新名称有限公司"))
    assert response.status_code == 302
    db.session.refresh(member.organisation)
    assert member.organisation.uscc == original and member.organisation.name == "新名称有限公司"
    with pytest.raises(ValidationError):
        service.update_profile(member.organisation, member, {"uscc": make_uscc(904)})


def test_only_members_update_a_profile(make_user, member):
    for outsider in (make_user("enterprise"), make_user("staff"), make_user("clinician")):
        with pytest.raises(PermissionDenied):
            service.update_profile(member.organisation, outsider, {"name": "改名"})


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("clinician", 403), ("staff", 403),
                                            ("admin", 403), ("investor", 200), ("unverified", 200)])
def test_profile_page_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/organisation/profile").status_code == expected


# --- public and full profile ---------------------------------------------------------------------------

CONFIDENTIAL = ("0591-87654321", "陈法人", "王联系", "工业路 523 号")


@pytest.mark.parametrize("role", ["clinician", "enterprise", "investor"])
def test_public_profile_hides_contact_details(client, login_as, member, role):
    login_as(role)
    response = client.get(f"/organisation/{member.organisation.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert member.organisation.name in html and "医用诊察和监护器械" in html and "专注于监护设备" in html
    assert member.organisation.uscc in html and "省级" in html
    for secret in CONFIDENTIAL:
        assert secret not in html


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_the_full_profile_read_only(client, login_as, member, role):
    login_as(role)
    html = client.get(f"/organisation/{member.organisation.id}").get_data(as_text=True)
    for secret in CONFIDENTIAL:
        assert secret in html
    assert "<form" not in html.split('id="content"')[1].split("</main>")[0].replace('action="/auth/logout"', "")


def test_member_sees_own_full_profile(client, login_as, member):
    login_as(member)
    html = client.get(f"/organisation/{member.organisation.id}").get_data(as_text=True)
    assert "0591-87654321" in html and "修改机构资料" in html


def test_pending_organisation_has_no_public_profile(client, login_as, make_user):
    pending = make_user("enterprise", verified=False)
    login_as("clinician")
    assert client.get(f"/organisation/{pending.organisation.id}").status_code == 404
    switch_to(client, login_as, "staff")
    assert client.get(f"/organisation/{pending.organisation.id}").status_code == 200


# --- intents -------------------------------------------------------------------------------------------

def test_member_posts_an_intent(client, login_as, member):
    login_as(member)
    assert client.get("/organisation/intents/new").status_code == 200
    response = client.post("/organisation/intents/new", data=INTENT)
    assert response.status_code == 302
    intent = db.session.scalar(db.select(Intent))
    assert intent.organisation_id == member.organisation_id and intent.status is IntentStatus.ACTIVE
    assert intent.keywords == ["支架", "导管", "介入", "球囊"]
    assert intent.fields == ["03", "07"] and intent.device_classes == ["II", "III"]
    assert intent.stages == ["sample", "design_verification"]
    assert intent.cooperation_modes == ["tech_transfer", "joint_development"]
    assert intent.budget_min_wan == Decimal("100") and intent.budget_max_wan == Decimal("800")
    assert audit_actions(intent) == ["create_intent"]
    html = client.get("/organisation/intents").get_data(as_text=True)
    assert "投资意向已发布" in html and "寻求心血管介入器械项目" in html and 'data-label="状态"' in html


def test_budget_min_above_max_is_refused_and_input_kept(client, login_as, member):
    login_as(member)
    response = client.post("/organisation/intents/new", data=dict(INTENT, budget_min_wan="900", budget_max_wan="100"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "不能低于下限" in field_block(html, "budget_max_wan")
    assert 'value="900"' in html and "寻求心血管介入器械项目" in html and "支架, 导管、介入" in html
    assert re.search(r'<input checked[^>]*value="joint_development"', html)
    assert db.session.scalar(db.select(db.func.count()).select_from(Intent)) == 0
    with pytest.raises(ServiceError):
        deal_operations.create_intent(member.organisation, member, intent_values(budget_min_wan=Decimal("9"),
                                                                        budget_max_wan=Decimal("1")))


def test_intent_rejects_unknown_choices(client, login_as, member):
    login_as(member)
    response = client.post("/organisation/intents/new", data=dict(INTENT, fields=["99"], stages=["launched"]))
    assert response.status_code == 400
    with pytest.raises(ServiceError):
        deal_operations.create_intent(member.organisation, member, intent_values(cooperation_modes=["bribe"]))


def test_budget_is_optional(client, login_as, member):
    login_as(member)
    response = client.post("/organisation/intents/new", data=dict(INTENT, budget_min_wan="", budget_max_wan="",
                                                                  fields=[], device_classes=[]))
    assert response.status_code == 302
    intent = db.session.scalar(db.select(Intent))
    assert intent.budget_min_wan is None and intent.fields == [] and intent.device_classes == []


def test_edit_pause_resume_close(client, login_as, member):
    intent = deal_operations.create_intent(member.organisation, member, intent_values())
    db.session.commit()
    login_as(member)
    html = client.get(f"/organisation/intents/{intent.id}/edit").get_data(as_text=True)
    assert 'value="监护类项目"' in html and 'value="监护"' in html
    response = client.post(f"/organisation/intents/{intent.id}/edit", data=dict(INTENT, title="改后的意向"))
    assert response.status_code == 302
    db.session.refresh(intent)
    assert intent.title == "改后的意向" and intent.fields == ["03", "07"]

    for action, status in (("pause", IntentStatus.PAUSED), ("resume", IntentStatus.ACTIVE),
                           ("close", IntentStatus.CLOSED)):
        response = client.post(f"/organisation/intents/{intent.id}/status", data={"action": action},
                               follow_redirects=True)
        assert response.status_code == 200
        db.session.refresh(intent)
        assert intent.status is status
    assert "已关闭该投资意向" in response.get_data(as_text=True)
    assert audit_actions(intent) == ["create_intent", "update_intent", "intent_paused", "intent_resumed",
                                     "intent_closed"]

    # closed is final: neither edited nor reopened
    response = client.get(f"/organisation/intents/{intent.id}/edit")
    assert response.status_code == 302
    response = client.post(f"/organisation/intents/{intent.id}/status", data={"action": "resume"},
                           follow_redirects=True)
    assert "不能改为" in response.get_data(as_text=True)
    db.session.refresh(intent)
    assert intent.status is IntentStatus.CLOSED
    with pytest.raises(TransitionError):
        deal_operations.update_intent(intent, member, intent_values())


def test_intents_list_counts_per_status(client, login_as, member):
    org = member.organisation
    for status in (None, IntentStatus.PAUSED, IntentStatus.CLOSED, None):
        intent = deal_operations.create_intent(org, member, intent_values())
        if status:
            deal_operations.set_intent_status(intent, member, status)
    db.session.commit()
    login_as(member)
    html = client.get("/organisation/intents").get_data(as_text=True)
    counts = re.search(r'id="intent-status-counts">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s", "", counts) == "有效2暂停1已关闭1"
    assert 'id="intent-count">4<' in html


def test_empty_intents_list_says_what_to_do(client, login_as, member):
    login_as(member)
    html = client.get("/organisation/intents").get_data(as_text=True)
    assert "还没有投资意向" in html and "发布投资意向" in html


def test_another_organisations_member_cannot_touch_an_intent(client, login_as, member):
    intent = deal_operations.create_intent(member.organisation, member, intent_values())
    db.session.commit()
    other = login_as("enterprise")
    assert client.get(f"/organisation/intents/{intent.id}/edit").status_code == 404
    assert client.post(f"/organisation/intents/{intent.id}/edit", data=INTENT).status_code == 404
    assert client.post(f"/organisation/intents/{intent.id}/status", data={"action": "close"}).status_code == 404
    db.session.refresh(intent)
    assert intent.status is IntentStatus.ACTIVE and intent.title == "监护类项目"
    for call in (lambda: deal_operations.update_intent(intent, other, intent_values()),
                 lambda: deal_operations.set_intent_status(intent, other, IntentStatus.CLOSED),
                 lambda: deal_operations.create_intent(member.organisation, other, intent_values())):
        with pytest.raises(PermissionDenied):
            call()


def test_unverified_member_cannot_post_intents(client, login_as):
    user = login_as("unverified")
    for url in ("/organisation/intents", "/organisation/intents/new"):
        response = client.get(url)
        assert response.status_code == 403 and "尚未通过认证" in response.get_data(as_text=True)
    assert client.post("/organisation/intents/new", data=INTENT).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Intent)) == 0
    with pytest.raises(PermissionDenied):
        deal_operations.create_intent(user.organisation, user, intent_values())


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("clinician", 403), ("staff", 403),
                                            ("admin", 403), ("investor", 200), ("enterprise", 200)])
def test_intent_list_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/organisation/intents").status_code == expected


def test_intents_of_lists_newest_first(member):
    first = deal_operations.create_intent(member.organisation, member, intent_values(title="一"))
    second = deal_operations.create_intent(member.organisation, member, intent_values(title="二"))
    assert deal_operations.intents_of(member.organisation) == [second, first]
    deal_operations.set_intent_status(first, member, IntentStatus.PAUSED)
    assert deal_operations.intents_of(member.organisation, IntentStatus.ACTIVE) == [second]


# --- demands (企业需求) ---------------------------------------------------------------------------------

@pytest.fixture
def market(make_user, member):
    """Intents in every situation: only the first two are listed."""
    investor = make_user("investor", org_name="闽投创新基金")
    listed_a = deal_operations.create_intent(member.organisation, member, intent_values(
        title="监护设备意向", fields=["07"], cooperation_modes=["tech_transfer"], device_classes=["II"]))
    listed_b = deal_operations.create_intent(investor.organisation, investor, intent_values(
        title="植入器械投资", fields=["13"], cooperation_modes=["tech_equity", "tech_transfer"],
        device_classes=["III"]))
    paused = deal_operations.create_intent(member.organisation, member, intent_values(title="暂停的意向"))
    deal_operations.set_intent_status(paused, member, IntentStatus.PAUSED)
    closed = deal_operations.create_intent(member.organisation, member, intent_values(title="关闭的意向"))
    deal_operations.set_intent_status(closed, member, IntentStatus.CLOSED)
    pending = make_user("enterprise", verified=False)
    unverified = Intent(organisation=pending.organisation, title="未认证机构的意向", fields=["07"],
                        cooperation_modes=["tech_transfer"], device_classes=["II"])
    db.session.add(unverified)
    db.session.commit()
    return {"a": listed_a, "b": listed_b, "paused": paused, "closed": closed, "unverified": unverified}


def test_demands_list_only_active_intents_of_verified_organisations(client, login_as, market):
    login_as("clinician")
    response = client.get("/demands/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "监护设备意向" in html and "植入器械投资" in html and "闽投创新基金" in html
    for title in ("暂停的意向", "关闭的意向", "未认证机构的意向"):
        assert title not in html
    assert 'id="result-count">2<' in html
    for secret in CONFIDENTIAL:
        assert secret not in html


def test_demands_filters_and_counts(client, login_as, market):
    login_as("clinician")
    html = client.get("/demands/").get_data(as_text=True)
    assert re.search(r'cooperation_mode=tech_transfer">技术转让 <span class="badge text-bg-light">2<', html)
    assert re.search(r'cooperation_mode=tech_equity">技术入股 <span class="badge text-bg-light">1<', html)
    assert re.search(r'field=13">13 无源植入器械 <span class="badge text-bg-light">1<', html)
    html = client.get("/demands/?field=07").get_data(as_text=True)
    assert "监护设备意向" in html and "植入器械投资" not in html and 'id="result-count">1<' in html
    # counts of the other facets follow the active filter
    assert re.search(r'技术入股 <span class="badge text-bg-light">0<', html)
    html = client.get("/demands/?cooperation_mode=tech_equity&device_class=III").get_data(as_text=True)
    assert "植入器械投资" in html and "监护设备意向" not in html
    html = client.get("/demands/?device_class=I").get_data(as_text=True)
    assert "没有符合当前筛选条件的企业需求" in html
    assert client.get("/demands/?field=nonsense&page=x").status_code == 200


def test_demands_paginate(client, login_as, app, member):
    for n in range(5):
        deal_operations.create_intent(member.organisation, member, intent_values(title=f"分页意向{n}"))
    db.session.commit()
    login_as("clinician")
    per_page = app.config["PER_PAGE"]
    app.config["PER_PAGE"] = 2
    try:
        first = client.get("/demands/").get_data(as_text=True)
        last = client.get("/demands/?page=3").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = per_page
    assert first.count("分页意向") == 2 and "分页意向4" in first and 'class="pagination' in first
    assert last.count("分页意向") == 1 and "分页意向0" in last


def test_demands_empty_state(client, login_as):
    login_as("clinician")
    html = client.get("/demands/").get_data(as_text=True)
    assert "暂无有效的企业需求" in html and 'id="result-count">0<' in html


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("unverified", 403), ("clinician", 200),
                                            ("enterprise", 200), ("investor", 200), ("staff", 200), ("admin", 200)])
def test_demands_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/demands/").status_code == expected


def test_demand_detail_shows_public_profile_only(client, login_as, market):
    login_as("clinician")
    response = client.get(f"/demands/{market['a'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "监护设备意向" in html and "福建康联医疗器械有限公司" in html and "专注于监护设备" in html
    assert "07 医用诊察和监护器械" in html and "Ⅱ类医疗器械" in html and "技术转让" in html
    assert "50 万元 – 500 万元" in html
    for secret in CONFIDENTIAL:
        assert secret not in html


def test_unlisted_intents_are_hidden_from_others(client, login_as, market, member):
    login_as("clinician")
    for key in ("paused", "closed", "unverified"):
        assert client.get(f"/demands/{market[key].id}").status_code == 404
    switch_to(client, login_as, member)
    assert client.get(f"/demands/{market['paused'].id}").status_code == 200
    switch_to(client, login_as, "staff")
    assert client.get(f"/demands/{market['unverified'].id}").status_code == 200


def test_active_intents_service_refuses_unverified_viewers(market, make_user):
    page = demands.active_intents(demands.DemandFilters({}), viewer=make_user("clinician"))
    assert [item.intent.title for item in page.items] == ["植入器械投资", "监护设备意向"]
    assert not hasattr(page.items[0].organisation, "contact_phone")
    with pytest.raises(PermissionDenied):
        demands.active_intents(demands.DemandFilters({}), viewer=make_user("enterprise", verified=False))


def test_pending_members_see_their_own_full_profile_but_no_other(client, login_as, make_user, member):
    user = make_user("enterprise", verified=False)
    user.organisation.contact_phone = "13912345678"
    db.session.commit()
    login_as(user)
    response = client.get(f"/organisation/{user.organisation.id}")
    assert response.status_code == 200 and "13912345678" in response.get_data(as_text=True)
    response = client.get(f"/organisation/{member.organisation.id}")
    assert response.status_code == 403 and "尚未通过认证" in response.get_data(as_text=True)


def test_bad_input_and_a_refusing_state_are_not_permission_errors(make_user, staff):
    """require() is for who may act; a wrong role asked for is input (400), a disabled account a state (409)."""
    from app.accounts.models import Role
    with pytest.raises(ValidationError):
        service.register_organisation_member("x@example.test", "password123", "某人", "13800138000", Role.CLINICIAN,
                                             "某公司", make_uscc(905))
    with pytest.raises(ValidationError):
        service.create_staff("y@example.test", "password123", "某人", Role.CLINICIAN)
    with pytest.raises(TransitionError):
        service.issue_reset_link(make_user("staff", active=False), staff)
