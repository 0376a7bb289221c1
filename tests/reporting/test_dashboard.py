"""The programme dashboard (工作专班) and the 总结评估 exports, checked figure by figure on a known fixture."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook

from app.core.models import AuditEvent
from app.deals.models import DeclineReason, Interest, InterestStatus
from app.extensions import db
from app.incubation.models import Milestone, MilestoneKind, MilestoneStatus
from app.projects import operations as svc
from app.projects.models import ProjectStatus
from app.reporting.dashboard import Period, PeriodError, dashboard_figures, parse_period, trend_months
from app.reporting.summary import REPORT_TITLE, summary_docx, summary_xlsx
from tests.conftest import FULL_PROJECT, PATHS, take_step

BEIJING = ZoneInfo("Asia/Shanghai")
BASE = datetime(2025, 1, 1, 9, 0, tzinfo=BEIJING)
TODAY = date(2025, 9, 30)
OTHER_HOSPITAL = "厦门大学附属中山医院"
S = ProjectStatus

# Fifteen projects received (submitted or later), two drafts and one withdrawn while still a draft.
# (number, status, city, project type, device class, stage, owner from the other hospital)
SPECS = [
    (1, S.SUBMITTED, "福州市", "active", "II", "sample", False),
    (2, S.SUBMITTED, "福州市", "active", "II", "sample", False),
    (3, S.SUBMITTED, "厦门市", "passive", "III", "concept", True),
    (4, S.RETURNED, "福州市", "passive", "II", "sample", False),
    (5, S.RETURNED, "泉州市", "ivd", "I", "concept", False),
    (6, S.PUBLISHED, "福州市", "active", "II", "sample", False),
    (7, S.PUBLISHED, "福州市", "active", "III", "sample", False),
    (8, S.PUBLISHED, "厦门市", "passive", "II", "sample", True),
    (9, S.PUBLISHED, "厦门市", "ivd", "II", "sample", False),
    (10, S.NEGOTIATING, "福州市", "active", "III", "clinical_trial", False),
    (11, S.NEGOTIATING, "泉州市", "passive", "II", "sample", False),
    (12, S.SIGNED, "厦门市", "active", "II", "sample", True),
    (13, S.INCUBATING, "福州市", "ivd", "undetermined", "concept", False),
    (14, S.LAUNCHED, "福州市", "active", "III", "clinical_trial", False),
    (15, S.REJECTED, "厦门市", "passive", "I", "sample", False),
    (16, S.DRAFT, "南平市", "active", "II", "sample", False),
    (17, S.DRAFT, "南平市", "active", "II", "sample", False),
    (18, S.WITHDRAWN, "南平市", "active", "II", "sample", False),
]


def bj(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


def stay_days(i: int) -> list[float]:
    """Project i's days in each state it left: draft i, submitted i-3, published i, negotiating, signed, incubating."""
    return [i, i - 3, i, 20 + 2 * (i - 12), 30 + (i - 13), 40]


def _stamp_new_rows(moment: datetime) -> None:
    """Date the audit rows not yet written: set before their INSERT, as the trail is append-only."""
    for row in db.session.new:
        if isinstance(row, AuditEvent) and row.created_at is None:
            row.created_at = moment


def walk(status, owner, reviewer, times: list[datetime], **fields):
    """A 附件1 project walked to `status` through the real services, its state changes dated times[0], times[1]…"""
    with db.session.no_autoflush:
        project = svc.create_project(owner, dict(FULL_PROJECT, **fields))
        _stamp_new_rows(times[0])
        for step, moment in zip(PATHS[status], times[1:]):
            take_step(project, step, owner, reviewer)
            _stamp_new_rows(moment)
    db.session.flush()
    return project


def timeline(i: int, status) -> list[datetime]:
    """Project i: created BASE + 10(i-1) days, then stay_days(i) apart (a draft withdrawn after 3 days)."""
    moments = [BASE + timedelta(days=10 * (i - 1)) if i <= 15 else BASE]
    for days in ([3] if status is S.WITHDRAWN else stay_days(i))[:len(PATHS[status])]:
        moments.append(moments[-1] + timedelta(days=days))
    return moments


@pytest.fixture
def programme(make_user, staff):
    """The known programme: projects, interests (with decline reasons) and milestones."""
    home = make_user("clinician")
    other = make_user("clinician")
    other.institution = OTHER_HOSPITAL
    projects = {}
    for i, status, city, kind, device_class, stage, other_owner in SPECS:
        projects[i] = walk(status, other if other_owner else home, staff, timeline(i, status), name=f"项目{i:02d}",
                           city=city, project_type=kind, device_class=device_class, stage=stage)

    company = make_user("enterprise")

    def interest(i, status, created, responded=None, reason=None):
        db.session.add(Interest(project_id=projects[i].id, organisation_id=company.organisation_id,
                                created_by_id=company.id, status=status, decline_reason=reason,
                                created_at=bj(created), responded_at=bj(responded) if responded else None))

    interest(6, InterestStatus.DECLINED, "2025-05-05", "2025-05-06", DeclineReason.MODE)
    interest(6, InterestStatus.DECLINED, "2025-05-07", "2025-05-08", DeclineReason.BUDGET)
    interest(7, InterestStatus.PENDING, "2025-05-10")
    interest(8, InterestStatus.DECLINED, "2025-06-01", "2025-06-02", DeclineReason.MODE)
    interest(8, InterestStatus.FAILED, "2025-06-03", "2025-06-04")      # accepted, then the talks failed
    interest(10, InterestStatus.ACCEPTED, "2025-04-25", "2025-04-28")

    def milestone(i, kind, status, planned):
        db.session.add(Milestone(project_id=projects[i].id, kind=kind, position=list(MilestoneKind).index(kind),
                                 status=status, planned_on=date.fromisoformat(planned) if planned else None))

    milestone(12, MilestoneKind.FINALISATION, MilestoneStatus.NOT_STARTED, "2025-09-01")          # 29 days late
    milestone(12, MilestoneKind.TRIAL_DONE, MilestoneStatus.NOT_APPLICABLE, "2025-07-02")        # set aside
    milestone(13, MilestoneKind.REGISTRATION_TESTING, MilestoneStatus.IN_PROGRESS, "2025-08-31")  # 30 days late
    milestone(13, MilestoneKind.TRIAL_START, MilestoneStatus.NOT_STARTED, "2025-09-30")          # due today
    milestone(14, MilestoneKind.APPROVED, MilestoneStatus.DONE, "2025-06-30")
    milestone(14, MilestoneKind.HOSPITAL_USE, MilestoneStatus.NOT_STARTED, None)
    milestone(6, MilestoneKind.FINALISATION, MilestoneStatus.NOT_STARTED, "2025-01-01")          # not signed
    db.session.commit()
    return projects


def shares(figures, key):
    return [(s.label, s.count) for s in figures.breakdowns[key]]


# --- the figures, all time ------------------------------------------------------------------

def test_funnel_counts_and_conversion_rates(programme):
    figures = dashboard_figures(Period(), TODAY)
    assert [(s.key, s.count) for s in figures.funnel] == [
        ("submitted", 15), ("published", 9), ("interest", 8), ("accepted", 6), ("signed", 3), ("incubating", 2),
        ("launched", 1)]
    assert [s.rate for s in figures.funnel] == [None, 60.0, 88.9, 75.0, 50.0, 66.7, 50.0]
    assert [s.overall for s in figures.funnel] == [100.0, 60.0, 53.3, 40.0, 20.0, 13.3, 6.7]
    assert [s.label for s in figures.funnel] == ["提交受理", "入库发布", "收到合作意向", "意向被接受", "签约落地",
                                                 "产品培育", "获批上市"]
    assert figures.interests == 6


def test_breakdowns_count_received_projects_only(programme):
    figures = dashboard_figures(Period(), TODAY)
    assert figures.received == 15
    assert shares(figures, "city") == [("福州市", 8), ("厦门市", 5), ("泉州市", 2)]
    assert shares(figures, "institution") == [("福建医科大学附属协和医院", 12), (OTHER_HOSPITAL, 3)]
    assert shares(figures, "project_type") == [("有源", 7), ("无源", 5), ("体外诊断试剂", 3)]
    assert shares(figures, "device_class") == [("Ⅰ类医疗器械", 2), ("Ⅱ类医疗器械", 8), ("Ⅲ类医疗器械", 4),
                                               ("药械组合", 0), ("待确定", 1)]
    assert shares(figures, "stage") == [("概念阶段", 3), ("样品阶段", 10), ("设计验证阶段", 0), ("生产验证阶段", 0),
                                        ("注册检验阶段", 0), ("临床试验阶段", 2), ("其他", 0)]


def test_median_days_in_each_state(programme):
    figures = dashboard_figures(Period(), TODAY)
    stays = {s.state: (s.median_days, s.stays) for s in figures.stays}
    assert stays == {
        "draft": (7.5, 16),         # 1..15 days, and 3 days for the project withdrawn as a draft
        "submitted": (6.5, 12),     # 1..12 days: returned, published or rejected
        "returned": (None, 0),      # nobody has left 退回修改 yet
        "published": (12.0, 5),     # 10..14 days before talks began
        "negotiating": (22.0, 3),   # 20, 22, 24
        "signed": (30.5, 2),        # 30, 31
        "incubating": (40.0, 1),
    }
    assert [s.label for s in figures.stays][:2] == ["草稿", "待初核"]


def test_decline_reasons(programme):
    figures = dashboard_figures(Period(), TODAY)
    assert [(s.label, s.count) for s in figures.declines] == [
        ("合作方式不合适", 2), ("报价或预算不匹配", 1), ("已有合作意向方", 0), ("企业能力不匹配", 0), ("其他", 0)]
    assert figures.declined == 3


def test_monthly_trend_last_twelve_months(programme):
    figures = dashboard_figures(Period(), TODAY)
    assert [m.month for m in figures.trend] == [f"2024-{m}" for m in ("10", "11", "12")] + [
        f"2025-{m:02d}" for m in range(1, 10)]
    assert [m.submitted for m in figures.trend] == [0, 0, 0, 3, 3, 3, 2, 3, 1, 0, 0, 0]
    assert [m.published for m in figures.trend] == [0, 0, 0, 0, 0, 3, 3, 2, 1, 0, 0, 0]
    assert [m.signed for m in figures.trend] == [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0]


def test_overdue_milestones(programme):
    figures = dashboard_figures(Period(), TODAY)
    assert [(o.project_name, o.milestone, o.planned_on, o.days_overdue, o.status) for o in figures.overdue] == [
        ("项目13", "注册检验", date(2025, 8, 31), 30, "进行中"),
        ("项目12", "产品定型", date(2025, 9, 1), 29, "未开始"),
    ]
    assert dashboard_figures(Period(), date(2025, 9, 1)).overdue[0].days_overdue == 1


# --- the period -----------------------------------------------------------------------------

def test_period_filters_funnel_breakdowns_trend_stays_and_declines(programme):
    figures = dashboard_figures(Period(date(2025, 3, 1), date(2025, 4, 30)), TODAY)
    # first arrivals in March–April: submitted 7–11, published 6–11, P10 interest 25 Apr and accepted 28 Apr
    assert [(s.key, s.count) for s in figures.funnel] == [
        ("submitted", 5), ("published", 6), ("interest", 1), ("accepted", 1), ("signed", 0), ("incubating", 0),
        ("launched", 0)]
    assert figures.funnel[1].rate == 120.0  # a flow, not a cohort: P6 was submitted in February
    assert shares(figures, "city") == [("厦门市", 2), ("福州市", 2), ("泉州市", 1)]
    assert [(m.month, m.submitted, m.published, m.signed) for m in figures.trend] == [
        ("2025-03", 3, 3, 0), ("2025-04", 2, 3, 0)]
    stays = {s.state: (s.median_days, s.stays) for s in figures.stays}
    assert stays["draft"] == (9.0, 5) and stays["submitted"] == (5.5, 6) and stays["published"] == (10.0, 1)
    assert figures.declined == 0
    assert len(figures.overdue) == 2  # overdue is always as of today


def test_period_uses_beijing_days_and_months(make_user, staff):
    utc = ZoneInfo("UTC")
    times = [bj("2025-03-20"),
             datetime(2025, 3, 31, 15, 30, tzinfo=utc),   # submitted 31 March 23:30 in Beijing
             datetime(2025, 3, 31, 16, 30, tzinfo=utc)]   # published 1 April 00:30 in Beijing
    walk(S.PUBLISHED, make_user("clinician"), staff, times)
    db.session.commit()
    figures = dashboard_figures(Period(date(2025, 4, 1), date(2025, 4, 30)), TODAY)
    assert (figures.step("submitted"), figures.step("published")) == (0, 1)
    figures = dashboard_figures(Period(), date(2025, 4, 15))
    assert [(m.month, m.submitted, m.published) for m in figures.trend[-2:]] == [("2025-03", 1, 0),
                                                                                 ("2025-04", 0, 1)]


def test_parse_period():
    assert parse_period("", None) == Period()
    assert parse_period("2025-01-01", "2025-12-31") == Period(date(2025, 1, 1), date(2025, 12, 31))
    for start, end in (("2025-13-01", ""), ("abc", ""), ("", "2025/01/01"), ("2025-06-01", "2025-05-01"),
                       ("1900-01-01", "")):
        with pytest.raises(PeriodError):
            parse_period(start, end)
    assert trend_months(Period(date(2025, 11, 15), None), date(2026, 2, 3)) == ["2025-11", "2025-12", "2026-01",
                                                                                "2026-02"]


def test_real_interest_services_feed_the_funnel_and_reasons(app, make_project, make_user):
    from app.deals import operations as interests
    accepted_project, declined_project = make_project(status=S.PUBLISHED), make_project(status=S.PUBLISHED)
    first, second, third = make_user("enterprise"), make_user("investor"), make_user("enterprise")
    with app.test_request_context():
        interests.accept_interest(interests.express_interest(accepted_project, first, "意向", ["tech_transfer"]),
                                  accepted_project.owner)
        interests.decline_interest(interests.express_interest(declined_project, second, "意向", []),
                                   declined_project.owner, DeclineReason.HAS_PARTNER)
        interests.withdraw_interest(interests.express_interest(declined_project, third, "意向", []), third)
    db.session.commit()
    figures = dashboard_figures(Period(), TODAY)
    assert [s.count for s in figures.funnel][:5] == [2, 2, 2, 1, 0]
    assert dict((s.label, s.count) for s in figures.declines)["已有合作意向方"] == 1
    # an interest's own states (withdrawn, accepted) are not project states: no project stay recorded for them
    assert {s.state: s.stays for s in figures.stays}["published"] == 1


def test_empty_programme():
    figures = dashboard_figures(Period(), TODAY)
    assert [s.count for s in figures.funnel] == [0] * 7
    assert all(s.rate is None for s in figures.funnel[1:])
    assert figures.breakdowns["city"] == [] and figures.overdue == [] and figures.declined == 0
    assert "本期共受理项目0个" in figures.narrative()


# --- the exports ----------------------------------------------------------------------------

def test_summary_workbook(programme):
    workbook = load_workbook(io.BytesIO(summary_xlsx(dashboard_figures(Period(), TODAY))))
    assert workbook.sheetnames == ["概览", "漏斗", "分布", "各阶段停留天数", "婉拒原因", "月度趋势", "逾期里程碑", "说明"]
    overview = {row[0]: row[1] for row in workbook["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["统计期间"] == "全部时间"
    assert overview["提交受理（项目数）"] == 15 and overview["签约落地（项目数）"] == 3
    assert overview["提交受理至签约落地转化率"] == "20.0%"
    assert overview["婉拒意向（条）"] == 3 and overview["逾期未完成的里程碑（个）"] == 2

    funnel = workbook["漏斗"]
    assert [c.value for c in funnel[1]] == ["环节", "项目数", "较上一环节转化率", "占提交受理比例"]
    assert [c.value for c in funnel[2]] == ["提交受理", 15, "—", 1.0]
    assert [c.value for c in funnel[3]] == ["入库发布", 9, 0.6, 0.6]
    assert funnel["C3"].number_format == "0.0%"
    assert funnel.column_dimensions["A"].width == 18

    spread = [row for row in workbook["分布"].iter_rows(min_row=2, values_only=True)]
    assert ("所在城市", "福州市", 8) == spread[0][:3]
    assert ("所在城市", "合计", 15) == spread[3][:3]
    assert ("申报机构", OTHER_HOSPITAL, 3) in [r[:3] for r in spread]
    assert ("产品分类", "Ⅲ类医疗器械", 4) in [r[:3] for r in spread]
    assert ("项目所处阶段", "临床试验阶段", 2) in [r[:3] for r in spread]

    stays = {row[0]: row[1:] for row in workbook["各阶段停留天数"].iter_rows(min_row=2, values_only=True)}
    assert stays["草稿"] == (7.5, 16) and stays["退回修改"] == ("—", 0) and stays["签约落地"] == (30.5, 2)

    reasons = {row[0]: row[1] for row in workbook["婉拒原因"].iter_rows(min_row=2, values_only=True)}
    assert reasons == {"合作方式不合适": 2, "报价或预算不匹配": 1, "已有合作意向方": 0, "企业能力不匹配": 0, "其他": 0, "合计": 3}

    trend = {row[0]: row[1:] for row in workbook["月度趋势"].iter_rows(min_row=2, values_only=True)}
    assert trend["2025-03"] == (3, 3, 0) and trend["2025-06"] == (1, 1, 2) and trend["合计"] == (15, 9, 3)

    overdue = list(workbook["逾期里程碑"].iter_rows(min_row=2, values_only=True))
    assert overdue[0][1:3] == ("项目13", "注册检验") and overdue[0][4] == 30
    assert overdue[0][3].date() == date(2025, 8, 31)
    assert overdue[2][:2] == ("合计", "2 个")


def test_summary_report(programme):
    document = Document(io.BytesIO(summary_docx(dashboard_figures(Period(date(2025, 1, 1), date(2025, 12, 31)),
                                                                   TODAY))))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == REPORT_TITLE == "医疗器械临床研究成果转化工作总结评估"
    assert "统计期间：2025-01-01 至 2025-12-31" in texts
    narrative = next(t for t in texts if t.startswith("本期共受理项目"))
    assert narrative.startswith("本期共受理项目15个，入库发布9个，8个项目收到合作意向，6个项目的意向被接受，签约3个")
    assert "最常见的原因是“合作方式不合适”（2条）" in narrative and "有2个里程碑逾期未完成" in narrative
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["一、总体情况", "二、转化漏斗", "三、项目分布"]
    funnel = document.tables[1]
    assert [c.text for c in funnel.rows[2].cells] == ["入库发布", "9", "60.0%", "60.0%"]
    overdue = document.tables[-1]
    assert [c.text for c in overdue.rows[1].cells] == ["项目13", "注册检验", "2025-08-31", "30"]
    title_run = document.paragraphs[0].runs[0]
    fonts = title_run._element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    body_run = document.tables[1].rows[1].cells[0].paragraphs[0].runs[0]
    assert body_run._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "宋体"


def test_empty_exports_say_no_data():
    figures = dashboard_figures(Period(), TODAY)
    document = Document(io.BytesIO(summary_docx(figures)))
    assert "暂无数据" in [p.text for p in document.paragraphs]
    workbook = load_workbook(io.BytesIO(summary_xlsx(figures)))
    assert workbook["逾期里程碑"]["A2"].value == "暂无数据"


# --- the routes -----------------------------------------------------------------------------

ROUTES = ("/dashboard/", "/dashboard/summary.xlsx", "/dashboard/summary.docx")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("clinician", 403), ("enterprise", 403),
                                            ("investor", 403), ("unverified", 403), ("staff", 200),
                                            ("admin", 200)])
def test_access(client, login_as, route, role, expected):
    login_as(role)
    assert client.get(route).status_code == expected


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr("app.reporting.views.beijing_today", lambda: TODAY)


def chart_json(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_page_shows_figures_charts_and_tables(client, login_as, programme, pinned_today):
    login_as("staff")
    response = client.get("/dashboard/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    data = chart_json(html)
    assert data["funnel"]["counts"] == [15, 9, 8, 6, 3, 2, 1]
    assert data["breakdowns"]["city"]["labels"] == ["福州市", "厦门市", "泉州市"]
    assert data["trend"]["series"][2]["data"][-4:] == [2, 1, 0, 0]
    assert data["declines"]["counts"] == [2, 1, 0, 0, 0]
    for name in ("funnel", "trend", "city", "institution", "project_type", "device_class", "stage", "stays",
                 "declines"):
        assert f'data-chart="{name}"' in html
    assert "/static/vendor/chart/chart.umd.min.js" in html and "/static/js/dashboard.js" in html
    assert "88.9%" in html and "项目13" in html and "注册检验" in html and "2025-08-31" in html
    assert "投屏模式" in html and "/static/css/dashboard.css" in html  # a file: the CSP allows no inline style
    assert "@media print" in client.get("/static/css/dashboard.css").get_data(as_text=True)
    assert client.get("/static/vendor/chart/chart.umd.min.js").status_code == 200


def test_page_filtered_by_period(client, login_as, programme, pinned_today):
    login_as("admin")
    html = client.get("/dashboard/?from=2025-03-01&to=2025-04-30").get_data(as_text=True)
    assert chart_json(html)["funnel"]["counts"] == [5, 6, 1, 1, 0, 0, 0]
    assert "2025-03-01 至 2025-04-30" in html


def test_empty_page_says_no_data(client, login_as):
    login_as("staff")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "暂无数据" in html and "data-chart=" not in html
    assert client.get("/dashboard/?lang=en").status_code == 200


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("query, message", [("from=2025-13-01", "不是有效日期"), ("to=yesterday", "不是有效日期"),
                                            ("from=2025-06-01&to=2025-05-01", "晚于结束日期")])
def test_bad_dates_show_the_page_with_a_message(client, login_as, route, query, message):
    login_as("staff")
    response = client.get(f"{route}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_downloads(client, login_as, programme, pinned_today):
    login_as("staff")
    response = client.get("/dashboard/summary.xlsx?from=2025-01-01&to=2025-12-31")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith(
        "%E8%87%B32025-12-31.xlsx")  # …总结评估-2025-01-01至2025-12-31.xlsx
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook["漏斗"]["B2"].value == 15
    assert workbook["概览"]["B2"].value == "2025-01-01 至 2025-12-31"

    response = client.get("/dashboard/summary.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == REPORT_TITLE
    assert "统计期间：全部时间" in [p.text for p in document.paragraphs]


def test_exports_stay_chinese_for_an_english_reader(client, login_as, programme, pinned_today):
    login_as("staff")
    with client.session_transaction() as session:
        session["lang"] = "en"
    workbook = load_workbook(io.BytesIO(client.get("/dashboard/summary.xlsx").data))
    assert workbook["漏斗"]["A2"].value == "提交受理"
    assert workbook["分布"]["A2"].value == "所在城市"
