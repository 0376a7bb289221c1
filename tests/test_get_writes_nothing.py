"""No GET request changes a row: every GET route of the app, for every role, over a world with every state.

Each request is bracketed by a snapshot of every table (every row, every column: row counts, `updated_at`,
`status_changed_at`, `read_at` …). The one exception is the record of reading that the confidentiality
rules require (a partner reading partner-tier text or attachments, staff reading a negotiation, exports and
downloads, audit.READING_ACTIONS): a GET may append such audit rows and nothing else. They are append-only
(audit.py refuses any change to them), they describe the reader rather than the business data, and moving
them to a POST would let a reader skip the record.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import has_request_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from app.accounts import operations as accounts
from app.core.audit import READING_ACTIONS
from app.core.models import AuditEvent, Notification
from app.deals import operations as deals
from app.deals.models import DeclineReason, IntentStatus, InterestStatus
from app.extensions import db
from app.incubation import operations as incubation
from app.incubation.models import MilestoneKind, MilestoneStatus
from app.projects import operations as projects
from app.projects.models import ProjectStatus
from tests.conftest import PASSWORD
from tests.db_state import changes, snapshot

ROLES = ["anonymous", "clinician", "enterprise", "investor", "unverified", "staff", "admin", "institution"]
PDF = b"%PDF-1.4\n% test\n"
SCORES = {"technology": 80, "finalisation": 70, "clinical_potential": 90, "partner_capability": 75}

# Values for the routes' other arguments (the ids come from the world).
FIXED = {"kind": {"audit.export": ["xlsx", "csv"], "reports.download": ["xlsx", "jsonl"]},
         "code": {"main.set_language": ["en", "zh", "fr"]},
         "filename": {"static": ["css/app.css", "js/app.js"], "bootstrap.static": ["css/bootstrap.min.css"]},
         "fmt": {"programme.export_registrations": ["xlsx", "csv", "pdf"]}}

# Listing pages also walked with their filters.
QUERIES = {"review.queue": ["?status=returned", "?status=rejected"], "library.index": ["?q=负压", "?page=2"],
           "admin.organisations": ["?status=rejected"], "admin.users": ["?role=clinician"],
           "reports.new": ["?unreported=1"], "dashboard.index": ["?from=2020-01-01&to=2030-12-31", "?from=x"],
           "matching.board": ["?status=all"], "demands.index": ["?q=创面"], "audit.index": ["?action=view_partner"],
           "meetings.invite": ["?project_type=active&city=福州&kind=enterprise&q=公司", "?stage=bogus"],
           "policy.index": ["?q=注册检验", "?category=event"], "programme.providers": ["?kind=testing&q=CNAS"],
           "programme.requests": ["?status=submitted&mine=1"], "programme.new_request": ["?kind=testing"]}


def pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(PDF), filename=name)


@pytest.fixture
def world(app, make_user, make_project, staff):
    """One owner's projects in every state, interests in every state, and everything that hangs off them."""
    owner = make_user("clinician")
    partner, investor = make_user("enterprise"), make_user("investor")
    other = make_user("enterprise")
    unverified = make_user("enterprise", verified=False)
    rejected_org = make_user("investor", verified=False)
    accounts.reject_organisation(rejected_org.organisation, staff, "资料不全")
    admin = make_user("admin")

    by_state = {status: make_project(status=status, owner=owner, name=f"{status.value} 项目")
                for status in (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED,
                               ProjectStatus.REJECTED, ProjectStatus.WITHDRAWN, ProjectStatus.PUBLISHED)}
    attachment = projects.add_project_attachment(by_state[ProjectStatus.PUBLISHED], owner, pdf("附件.pdf"))

    def listed(name):
        return make_project(status=ProjectStatus.PUBLISHED, owner=owner, name=name)

    # Interests in every state: pending, declined, withdrawn, expired on the published project.
    published = by_state[ProjectStatus.PUBLISHED]
    interests = {InterestStatus.PENDING: deals.express_interest(published, investor, "意向", ["tech_transfer"])}
    declined = deals.express_interest(published, other, "意向", ["tech_transfer"])
    deals.decline_interest(declined, owner, DeclineReason.BUDGET)
    interests[InterestStatus.DECLINED] = declined
    withdrawn = deals.express_interest(published, partner, "意向", ["joint_development"])
    deals.withdraw_interest(withdrawn, partner)
    interests[InterestStatus.WITHDRAWN] = withdrawn
    old = listed("过期意向的项目")
    expired = deals.express_interest(old, other, "意向", ["tech_transfer"])
    expired.expires_at = expired.created_at - timedelta(days=1)
    deals.expire_interests()
    interests[InterestStatus.EXPIRED] = expired

    # Negotiating: accepted, a message with an attachment, a disputed agreement.
    negotiating = listed("洽谈中的项目")
    talks = deals.express_interest(negotiating, partner, "意向", ["joint_development"])
    deals.accept_interest(talks, owner)
    message = deals.post_message(talks, partner, "你好", pdf("方案.pdf"))
    disputed = deals.record_agreement(talks, partner, ["joint_development"], Decimal("100"), date.today(), "摘要",
                                      pdf("合同.pdf"))
    deals.dispute_agreement(disputed, owner, "金额有误")
    interests[InterestStatus.ACCEPTED] = talks
    by_state[ProjectStatus.NEGOTIATING] = negotiating

    # Failed: talks ended.
    ended = listed("终止洽谈的项目")
    failed = deals.express_interest(ended, investor, "意向", ["tech_transfer"])
    deals.accept_interest(failed, owner)
    deals.end_negotiation(failed, owner, "方向不一致")
    interests[InterestStatus.FAILED] = failed

    def sign(name, org_user):
        project = listed(name)
        interest = deals.express_interest(project, org_user, "意向", ["tech_transfer"])
        deals.accept_interest(interest, owner)
        agreement = deals.record_agreement(interest, org_user, ["tech_transfer"], Decimal("50"), date.today(),
                                           "摘要", pdf("合同.pdf"))
        deals.confirm_agreement(agreement, owner)
        return project, interest

    # Signed, with no docking form and no milestones yet: their pages show both unsaved.
    signed, signed_interest = sign("已签约的项目", partner)
    interests[InterestStatus.SIGNED] = signed_interest
    by_state[ProjectStatus.SIGNED] = signed
    open_assessment = incubation.open_assessment(signed, staff)

    # Incubating: a draft docking form, a completed assessment, milestones with evidence.
    incubating, incubating_interest = sign("培育中的项目", partner)
    draft_docking = deals.start_docking_form(incubating_interest, partner)
    assessment = incubation.open_assessment(incubating, staff)
    incubation.record_scores(assessment, staff, SCORES, {})
    incubation.complete_assessment(assessment, staff, ["pre_review"], "每月走访", staff, date.today())
    milestone = incubation.ensure_milestones(incubating)[0]
    evidence = incubation.add_evidence(milestone, partner, pdf("检验报告.pdf"))
    incubation.update_milestone(milestone, owner, MilestoneStatus.IN_PROGRESS, date.today() - timedelta(days=9),
                                None, "逾期未完成")
    by_state[ProjectStatus.INCUBATING] = incubating

    # Launched, with a filed docking form.
    launched, launched_interest = sign("已上市的项目", investor)
    filed = deals.start_docking_form(launched_interest, investor)
    deals.save_docking_form(filed, investor, {"progress_work": "完成样机"}, file=True)
    approved = next(m for m in incubation.ensure_milestones(launched) if m.kind is MilestoneKind.APPROVED)
    incubation.update_milestone(approved, owner, MilestoneStatus.DONE, None, date.today(), "获批")
    by_state[ProjectStatus.LAUNCHED] = launched

    # 院内审核: the officer's hospital reviews first; one of its clinicians waits for confirmation.
    officer = make_user("institution")
    hospital = officer.affiliation.institution
    hospital.internal_review = True
    make_user("clinician", confirmed=False, institution=hospital)
    by_state[ProjectStatus.INSTITUTION_REVIEW] = make_project(
        status=ProjectStatus.INSTITUTION_REVIEW, owner=make_user("clinician", institution=hospital), name="院内审核项目")
    assert {s: p.status for s, p in by_state.items()} == {s: s for s in ProjectStatus}
    assert {s: i.status for s, i in interests.items()} == {s: s for s in InterestStatus}

    # Intents in every state, suggestions in every state, a report batch, a saved search.
    intents = [deals.create_intent(partner.organisation, partner, {"title": f"意向{n}", "description": "负压引流"})
               for n in range(3)]
    deals.set_intent_status(intents[1], partner, IntentStatus.PAUSED)
    deals.set_intent_status(intents[2], partner, IntentStatus.CLOSED)
    from app.suggestions.models import MatchSuggestion
    from app.suggestions.operations import approve_suggestion, dismiss_suggestion
    suggestions = [MatchSuggestion(project_id=p.id, organisation_id=partner.organisation_id, score=0.5,
                                   public_reasons=["同属分类"], owner_reasons=["同属分类"])
                   for p in (published, old, ended)]
    db.session.add_all(suggestions)
    db.session.flush()
    approve_suggestion(suggestions[1], staff)
    dismiss_suggestion(suggestions[2], staff)
    from app.reporting import batches
    batch = batches.create_batch(batches.ReportFilters(), staff)
    from app.projects.saved_searches import save_search
    save_search(investor, "负压", "负压", {})
    from tests.meetings.world import build_meeting
    with app.test_request_context():
        scheduled = build_meeting(staff, published, partner, title="已发布日程的推进会议")
        held = build_meeting(staff, listed("推进会议洽谈的项目"), partner, held=True, title="已举行的推进会议")
    programme = _programme_world(staff, owner, published, incubating)
    db.session.commit()

    # Unread notifications stay unread whatever page they point to is opened.
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.read_at.is_(None))) > 0
    orgs = [partner.organisation, investor.organisation, unverified.organisation, rejected_org.organisation]
    return {
        "users": {"clinician": owner, "enterprise": partner, "investor": investor, "unverified": unverified,
                  "staff": staff, "admin": admin, "institution": officer},
        "institution_id": [hospital.id],
        "project_id": [p.id for p in by_state.values()],
        ("attachment_id", "project_id"): [(attachment.id, published.id)],
        "interest_id": [i.id for i in interests.values()],
        ("interest_id", "message_id"): [(talks.id, message.id)],
        "form_id": [draft_docking.id, filed.id],
        "intent_id": [i.id for i in intents],
        "organisation_id": [o.id for o in orgs],
        "evidence_id": [evidence.id],
        "batch_id": [batch.id],
        "token": [accounts.reset_token(owner), "not-a-token"],
        "negotiating": negotiating.id, "talks": talks.id, "open_assessment": open_assessment.id,
        "event_id": [scheduled["event"].id, held["event"].id],
        "participant_id": [m[side].id for m in (scheduled, held) for side in ("project_side", "organisation_side")],
        ("attachment_id", "event_id"): [(m["attachment"].id, m["event"].id) for m in (scheduled, held)],
        **programme,
    }


def _programme_world(staff, owner, published, incubating) -> dict:
    """Articles (draft, published with a file, a scheduled event), providers, requests in several states."""
    from datetime import datetime, timezone

    from app.programme import articles, requests, resources
    from app.programme.models import RequestKind
    draft = articles.create_article(staff, {"category": "policy", "title": "草稿政策"})
    policy = articles.create_article(staff, {"category": "policy", "title": "注册检验随送随检", "body": "**正文**"})
    articles.publish_article(policy, staff)
    attachment = articles.add_attachment(policy, staff, pdf("实施方案.pdf"))
    event = articles.create_article(staff, {"category": "event", "title": "宣贯会", "registration_open": True,
                                            "event_starts_at": datetime(2030, 1, 1, tzinfo=timezone.utc)})
    articles.publish_article(event, staff)
    articles.register_for_event(event, owner, "林医生", "13800138000")
    scheduled = articles.create_article(staff, {"category": "notice", "title": "定时通知"})
    articles.publish_article(scheduled, staff, datetime(2030, 1, 1, tzinfo=timezone.utc))
    lab = resources.create_provider(staff, {"name": "省药检院", "kind": "testing", "qualifications": "CMA CNAS"})
    hidden = resources.create_provider(staff, {"name": "停用机构", "kind": "cmo", "active": False})
    draft_request = requests.open_request(published, owner, RequestKind.PATENT)
    sent = requests.open_request(incubating, owner, RequestKind.PRE_REVIEW,
                                 {"product_name": "治疗仪", "questions": "分类"})
    document = requests.add_document(sent, owner, "technical_file", pdf("资料.pdf"))
    requests.submit_request(sent, owner)
    requests.accept_request(sent, staff)
    requests.add_comment(sent, staff, "请补充")
    return {"article_id": [draft.id, policy.id, event.id, scheduled.id],
            ("article_id", "attachment_id"): [(policy.id, attachment.id)],
            "provider_id": [lab.id, hidden.id], "request_id": [draft_request.id, sent.id],
            ("document_id", "request_id"): [(document.id, sent.id)]}


def urls(app, world) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET rule, with every sample value for its arguments."""
    found, missing = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        fixed = [name for name in names if name in FIXED]
        ids = tuple(name for name in names if name not in FIXED)
        if not ids:
            id_values = [()]
        else:
            key = ids[0] if len(ids) == 1 else ids
            id_values = [v if isinstance(v, tuple) else (v,) for v in world.get(key, [])]
        fixed_values = [[]]
        for name in fixed:
            fixed_values = [[*done, (name, value)] for done in fixed_values
                            for value in FIXED[name].get(rule.endpoint, [])]
        if not id_values or not fixed_values:
            missing.append(rule.rule)
        for values in id_values:
            for extra in fixed_values:
                path = app.url_map.bind("localhost").build(rule.endpoint, dict(zip(ids, values)) | dict(extra))
                found.append((rule.endpoint, path))
                found.extend((rule.endpoint, path + query) for query in QUERIES.get(rule.endpoint, []))
    assert not missing, f"give sample values for the arguments of {missing}"
    return found


def test_no_get_request_changes_a_row(app, client, world):
    """All GET routes × all roles; each request compared before/after; every failure reported at once."""
    walk = urls(app, world)
    endpoints = {endpoint for endpoint, _url in walk}
    assert {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} == endpoints
    failures, statuses = [], set()
    for role in ROLES:
        user = world["users"].get(role)
        if user is not None:
            assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        before = snapshot()
        for endpoint, url in walk:
            try:
                status = client.get(url).status_code
            except Exception as error:  # noqa: BLE001 — e.g. ReadOnlyRequestError: report it with the others
                status = f"{type(error).__name__}: {error}"
            statuses.add(status)
            db.session.expire_all()
            after = snapshot()
            changed = changes(before, after, allowed_audit=READING_ACTIONS)
            if not isinstance(status, int) or status >= 500 or changed:
                failures.append(f"as {role}: GET {url} ({endpoint}) → {status}: {'; '.join(changed)}")
            before = after
        client.post("/auth/logout")
        client.get("/lang/zh")
    assert failures == [], "\n".join(failures)
    assert {200, 302, 403, 404} <= statuses  # the walk reached pages, redirects and refusals alike


def test_the_snapshot_sees_a_change(world):
    """The comparison the walk relies on notices a notification marked read and a business audit row."""
    before = snapshot()
    db.session.execute(db.update(Notification).values(read_at=db.func.now()))
    assert changes(before, snapshot(), allowed_audit=READING_ACTIONS) == ["notification: values changed"]
    db.session.rollback()
    from app.core import audit
    audit.record("view_partner", actor=world["users"]["enterprise"])
    assert changes(before, snapshot(), allowed_audit=READING_ACTIONS) == []
    audit.record("approve", actor=world["users"]["staff"])
    assert changes(before, snapshot(), allowed_audit=READING_ACTIONS) == ["audit_event: added ['approve']"]
    db.session.rollback()


def test_records_of_reading_are_still_written_on_get(app, client, world, login_as):
    """The exemption is used: a partner reading partner-tier text and staff exporting 附件1 leave their record."""
    def reads():
        return db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.in_(READING_ACTIONS))).all()
    before = len(reads())
    login_as(world["users"]["enterprise"])
    negotiating = world["negotiating"]
    assert client.get(f"/library/{negotiating}").status_code == 200
    client.post("/auth/logout")
    login_as(world["users"]["staff"])
    assert client.get(f"/documents/projects/{negotiating}/form.docx").status_code == 200
    assert client.get(f"/deals/{world['talks']}").status_code == 200
    assert sorted(reads()[before:]) == ["export_docx", "view_negotiation", "view_partner"]


def test_a_get_commits_only_when_it_has_something_to_store(client, world, login_as):
    """A page that stores nothing ends without a commit (its transaction is only released); a record of reading is
    committed, also when a query of the page flushed it before the response."""
    committed, flushed = [], []

    def on_commit(session):
        if has_request_context():
            committed.append(request.path)

    def on_flush(session, context):
        if has_request_context():
            flushed.append(request.path)
    login_as(world["users"]["staff"])
    talks = f"/deals/{world['talks']}"
    event.listen(Session, "after_commit", on_commit, propagate=True)
    event.listen(Session, "after_flush", on_flush, propagate=True)
    try:
        assert client.get("/library/").status_code == 200
        assert client.get("/review/").status_code == 200
        assert committed == [] and flushed == []
        assert client.get(talks).status_code == 200
        assert flushed == [talks] and committed == [talks]   # flushed by the page's queries, then committed
    finally:
        event.remove(Session, "after_commit", on_commit)
        event.remove(Session, "after_flush", on_flush)
    with db.engine.connect() as connection:  # another connection: only what was committed
        assert connection.scalar(db.select(db.func.count()).select_from(AuditEvent.__table__).where(
            AuditEvent.__table__.c.action == "view_negotiation")) == 1


# --- every write a GET used to make now happens through a POST

def test_a_thread_is_marked_read_by_the_post_its_page_sends(client, world):
    from app.deals.models import ThreadRead
    owner = world["users"]["clinician"]
    client.post("/auth/login", data={"email": owner.email, "password": PASSWORD})
    assert deals.unread_counts(owner, [world["talks"]]) == {world["talks"]: 1}
    page = client.get(f"/deals/{world['talks']}").get_data(as_text=True)
    assert f'<form hidden data-arrival method="post" action="/deals/{world["talks"]}/read">' in page
    assert db.session.get(ThreadRead, (world["talks"], owner.id)) is None  # the GET marked nothing
    response = client.post(f"/deals/{world['talks']}/read")
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert deals.unread_counts(owner, [world["talks"]]) == {}


def test_a_docking_form_is_created_by_its_first_save(client, world):
    from app.deals.models import DockingForm, Interest
    partner = world["users"]["enterprise"]
    signed = db.session.get(Interest, world["interest_id"][-1])
    assert signed.status is InterestStatus.SIGNED and signed.docking_form is None
    client.post("/auth/login", data={"email": partner.email, "password": PASSWORD})
    page = client.get(f"/deals/{signed.id}/docking").get_data(as_text=True)
    assert partner.organisation.name in page and "下载 Word 版" not in page  # prefilled, not stored
    assert "尚未保存" in page and "填写中" not in page  # and it says so, not a draft's status it does not have
    assert db.session.scalar(db.select(DockingForm).where(DockingForm.interest_id == signed.id)) is None
    assert client.post(f"/deals/{signed.id}/docking",
                       data={"company_name": partner.organisation.name, "progress_work": "样机"}).status_code == 302
    form = db.session.scalar(db.select(DockingForm).where(DockingForm.interest_id == signed.id))
    assert form is not None and form.progress_work == "样机" and form.status.value == "draft"
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_type == "docking_form",
                                                                    AuditEvent.subject_id == form.id)).all()
    assert actions == ["start_docking_form", "save_docking_form"]


def test_milestones_are_created_by_a_post(client, world):
    from app.incubation.models import Milestone
    from app.projects.models import Project
    signed = db.session.scalar(db.select(Project).where(Project.status == ProjectStatus.SIGNED))
    owner = world["users"]["clinician"]
    client.post("/auth/login", data={"email": owner.email, "password": PASSWORD})
    page = client.get(f"/incubation/projects/{signed.id}").get_data(as_text=True)
    assert 'id="start-tracking"' in page and MilestoneKind.APPROVED.label in page  # shown unsaved, with the button
    assert db.session.scalar(db.select(db.func.count()).select_from(Milestone)
                             .where(Milestone.project_id == signed.id)) == 0
    response = client.post(f"/incubation/projects/{signed.id}/milestones")
    assert response.status_code == 302 and response.location.endswith(f"/incubation/projects/{signed.id}#milestones")
    assert db.session.scalar(db.select(db.func.count()).select_from(Milestone)
                             .where(Milestone.project_id == signed.id)) == len(MilestoneKind)
    page = client.get(f"/incubation/projects/{signed.id}").get_data(as_text=True)
    assert 'id="start-tracking"' not in page and "/incubation/milestones/" in page  # each one can be updated now


def test_only_those_who_keep_the_timeline_start_it(client, world, login_as):
    from app.projects.models import Project
    signed = db.session.scalar(db.select(Project).where(Project.status == ProjectStatus.SIGNED))
    login_as(world["users"]["investor"])  # an organisation, but not the signing one
    assert client.post(f"/incubation/projects/{signed.id}/milestones").status_code == 404
