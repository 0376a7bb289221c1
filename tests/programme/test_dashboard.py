"""Dashboard figures of the service requests, asserted against a fixture whose times are set by hand."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.extensions import db
from app.programme.dashboard import request_figures
from app.programme.models import RequestKind, RequestStatus, ReviewDecision, SupportRequest
from app.projects.models import ProjectStatus
from app.reporting import improvements
from app.reporting.dashboard import Period, dashboard_figures

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Beijing
TODAY = date(2026, 6, 30)


def _row(project, staff, kind, status, submitted_days=0, accepted_after=None, closed_after=None, **extra):
    """A request as stored, with its times set directly (the fixture, not the operations, decides them)."""
    submitted = T0 + timedelta(days=submitted_days)
    row = SupportRequest(project=project, kind=kind, status=status, opened_by_id=project.owner_id,
                         submitted_at=submitted, fields={},
                         accepted_at=submitted + timedelta(days=accepted_after) if accepted_after is not None else None,
                         closed_at=submitted + timedelta(days=closed_after) if closed_after is not None else None,
                         assignee_id=staff.id, **extra)
    db.session.add(row)
    return row


@pytest.fixture
def fixture(make_project, staff):
    project = make_project(status=ProjectStatus.PUBLISHED)
    K, S = RequestKind, RequestStatus
    rows = [
        _row(project, staff, K.RD_SUBSIDY, S.CLOSED, 0, 2, 20, granted_wan=Decimal("50")),
        _row(project, staff, K.INDUSTRIALISATION_AWARD, S.CLOSED, 1, 4, 31, granted_wan=Decimal("120.5")),
        _row(project, staff, K.PATENT, S.CLOSED, 2, 6, 10, patent_number="ZL1"),
        _row(project, staff, K.SPECIAL_REVIEW, S.CLOSED, 3, 1, 40, decision=ReviewDecision.ACCEPTED),
        _row(project, staff, K.TESTING, S.IN_PROGRESS, 4, 3, due_on=date(2026, 6, 1)),   # overdue
        _row(project, staff, K.TESTING, S.SUBMITTED, 5, due_on=date(2026, 7, 10)),        # not yet due
        _row(project, staff, K.PRE_REVIEW, S.REFUSED, 6, None, 5, refusal_reason="不属于医疗器械"),
        _row(project, staff, K.PATENT, S.DRAFT, 7),                                        # drafts never count
    ]
    rows[-1].submitted_at = None
    db.session.flush()
    return rows


def test_request_figures(fixture):
    f = request_figures(Period().contains, TODAY)
    assert f.total == 7
    assert f.count(RequestKind.TESTING, RequestStatus.IN_PROGRESS) == 1
    assert f.count(RequestKind.PATENT, RequestStatus.CLOSED) == 1
    assert f.kind_total(RequestKind.TESTING) == 2 and f.state_total(RequestStatus.CLOSED) == 4
    assert f.median_days_to_accept == 3.0       # 2, 4, 6, 1, 3 days
    assert f.median_days_to_close == 25.5       # 20, 31, 10, 40 days
    assert f.granted_wan == Decimal("170.5")    # subsidy + award; the patent and the decision carry no money
    assert f.decisions == {("special_review", "accepted"): 1}
    assert [(o.kind, o.days_overdue) for o in f.overdue] == [("检验检测", 29)]
    assert f.refused == [("审评前置咨询", "不属于医疗器械")]


def test_request_figures_follow_the_period(fixture):
    march_first_days = Period(date(2026, 3, 2), date(2026, 3, 3))   # submissions of days 0 and 1
    f = request_figures(march_first_days.contains, TODAY)
    assert f.total == 2 and f.granted_wan == Decimal("0")           # closed later, outside the period


def test_improvements_are_drafted_from_the_figures_and_edited_by_staff(fixture, staff):
    period = Period()
    figures, requests = dashboard_figures(period, TODAY), request_figures(period.contains, TODAY)
    text, edited = improvements.current(period.label, figures, requests)
    assert not edited and "逾期" in text and "不属于医疗器械" in text
    improvements.save(period.label, "1. 检验排队长：建议随送随检。", staff)
    assert improvements.current(period.label, figures, requests) == ("1. 检验排队长：建议随送随检。", True)
    other = Period(date(2026, 1, 1), date(2026, 1, 31))
    assert improvements.current(other.label, figures, requests)[1] is False


def test_dashboard_page_and_word_report(client, login_as, fixture, staff):
    import io

    from docx import Document
    db.session.commit()
    login_as(staff)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "按事项与状态" in page and "问题分析与改进建议" in page and "170.5 万元" in page
    assert client.post("/dashboard/improvements", data={"text": ""}).status_code == 400
    assert client.post("/dashboard/improvements", data={"text": "建议：缩短受理时间。"}).status_code == 302
    report = client.get("/dashboard/summary.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(report.data)).paragraphs)
    assert "问题分析与改进建议" in text and "建议：缩短受理时间。" in text and "服务申请办理情况" in text
