"""What organisations are shown of the ranking (scores, ranks, reasons) is computed from public-tier fields only."""
import pytest

import matching.records
from app.core.exchange import EXCHANGE_KEYS
from app.deals.operations import create_intent
from app.extensions import db
from app.projects.models import PARTNER_FIELDS, PRIVATE_FIELDS, PUBLIC_FIELDS, ProjectStatus
from app.suggestions import operations as suggestions
from app.suggestions.models import MatchSuggestion

# Words of the catheter maker's own intent and product lines: in a project's public text they
# would pull that maker towards the project.
CATHETER_WORDS = "中心静脉导管、留置针、输液器，输注导管和血管通路器械"
# Every non-public text field of 附件1 (phone and email only take their own formats).
HIDDEN_TEXT_FIELDS = [name for name in PARTNER_FIELDS + PRIVATE_FIELDS
                      if name not in ("phone", "email", "commitment_agreed", "publish_consent")]


@pytest.fixture
def market(make_project, make_user, app):
    """An ultrasound project whose hidden fields say nothing yet; a catheter maker and an ultrasound maker."""
    blank = {name: "" for name in HIDDEN_TEXT_FIELDS}
    ultrasound = make_project(status=ProjectStatus.PUBLISHED, **blank | {"lead_name": "王医生"},
                              name="便携式超声诊断系统", intended_use="用于床旁超声成像诊断", project_type="active",
                              device_class="II", public_summary="掌上超声成像设备")
    catheter = make_project(status=ProjectStatus.PUBLISHED, name="一次性使用中心静脉导管",
                            intended_use="用于中心静脉置管输液和采血", project_type="passive", device_class="III",
                            public_summary="一种降低导管相关感染的中心静脉导管")
    catheter_maker, ultrasound_maker = make_user("enterprise"), make_user("investor")
    catheter_maker.organisation.field, catheter_maker.organisation.region = "注输、护理和防护器械", "福建省"
    catheter_maker.organisation.overview = "公司主要产品：中心静脉导管、留置针、输液器"
    ultrasound_maker.organisation.field, ultrasound_maker.organisation.region = "医用成像器械", "上海市"
    ultrasound_maker.organisation.overview = "公司主要产品：彩色超声诊断系统、超声探头"
    with app.test_request_context():
        create_intent(catheter_maker.organisation, catheter_maker,
                      {"title": "寻找导管类项目", "description": "输注导管、血管通路器械", "device_classes": ["II", "III"],
                       "region_preference": "any"})
        create_intent(ultrasound_maker.organisation, ultrasound_maker,
                      {"title": "超声影像项目", "description": "超声诊断设备", "device_classes": ["II"],
                       "region_preference": "any"})
    db.session.commit()
    return {"ultrasound": ultrasound, "catheter": catheter,
            "organisations": [catheter_maker.organisation, ultrasound_maker.organisation]}


def organisation_view(app, organisations) -> dict:
    """Recompute, then everything of the ranking an organisation can be shown, per organisation."""
    with app.test_request_context():
        suggestions.recompute_all()
    db.session.commit()
    view = {}
    for organisation in organisations:
        rows = suggestions.suggestions_for_organisation(organisation.id)
        stored = db.session.scalars(db.select(MatchSuggestion).where(MatchSuggestion.organisation_id == organisation.id)
                                    .order_by(MatchSuggestion.project_id, MatchSuggestion.intent_id)).all()
        view[organisation.id] = {
            "shown": [(s.project_id, s.intent_id, s.score, s.public_reasons) for s in rows],
            "stored": [(s.project_id, s.intent_id, s.score, s.public_reasons) for s in stored],
        }
    return view


def test_partner_and_owner_tier_words_never_move_what_organisations_see(app, market):
    before = organisation_view(app, market["organisations"])
    assert any(row[0] == market["ultrasound"].id for v in before.values() for row in v["stored"])
    ultrasound = market["ultrasound"]
    for name in HIDDEN_TEXT_FIELDS:
        setattr(ultrasound, name, CATHETER_WORDS)
    db.session.commit()
    assert organisation_view(app, market["organisations"]) == before

    # The same words in a public field do move them: the comparison above can fail.
    ultrasound.intended_use = CATHETER_WORDS
    db.session.commit()
    assert organisation_view(app, market["organisations"]) != before


def test_engine_records_carry_public_tier_fields_only(make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, **{name: CATHETER_WORDS for name in HIDDEN_TEXT_FIELDS})
    record = suggestions.project_record(project, "福建省")
    assert set(record) - {"id", "province"} == set(PUBLIC_FIELDS) & set(EXCHANGE_KEYS)
    assert CATHETER_WORDS not in record.values()


def test_the_engines_public_text_is_public_tier_in_the_app():
    # The engine cites these fields in reasons for audience "public" (its own CLI gets full records).
    assert set(matching.records.PUBLIC_TEXT_FIELDS) <= set(PUBLIC_FIELDS) & set(EXCHANGE_KEYS)
