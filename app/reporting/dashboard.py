"""The programme dashboard (工作专班): funnel, breakdowns, stays, decline reasons, trend, overdue milestones.

Pure reads. Every figure is computed for a period of Beijing dates (both ends inclusive, either
open) and, for what is overdue, a given `today`, so tests can pin both.

How a project "reaches" a funnel step, and when it first did:
- submitted, published, signed, incubating, launched: the first project-transition audit row
  whose to_state is that state (create/import/demo rows included, interest rows excluded);
- interest: the first Interest expressed on it;
- accepted: the first interest acceptance (an ``interest_accept`` audit row, an interest in
  accepted/signed/failed, or the project entering ``negotiating``, which only an acceptance does);
- reaching a step implies every earlier one: a step's first date is never later than the next
  step's (imported or demo projects may lack the interest records of the steps they passed).
A project counts for a step in a period when its first arrival at the step falls in the period.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.core.models import AuditEvent
from app.deals.models import DeclineReason, Interest, InterestStatus, PassReason, ProjectPass, Side
from app.extensions import db
from app.incubation.operations import beijing_today, overdue_milestones
from app.projects.models import DeviceClass, Project, ProjectStatus, ProjectType, Stage

BEIJING = ZoneInfo("Asia/Shanghai")
TREND_MONTHS = 12
S = ProjectStatus

FUNNEL_STEPS: tuple[tuple[str, object], ...] = (
    ("submitted", _l("提交受理")),
    ("published", _l("入库发布")),
    ("interest", _l("收到合作意向")),
    ("accepted", _l("意向被接受")),
    ("signed", _l("签约落地")),
    ("incubating", _l("产品培育")),
    ("launched", _l("获批上市")),
)

# States a project can leave, in the order of its life: the ones with a "days spent" figure.
STAY_STATES = (S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED, S.NEGOTIATING, S.SIGNED, S.INCUBATING)
ACCEPTED_INTEREST_STATES = (InterestStatus.ACCEPTED, InterestStatus.SIGNED, InterestStatus.FAILED)

BREAKDOWNS: tuple[tuple[str, object], ...] = (
    ("city", _l("所在城市")),
    ("institution", _l("申报机构")),
    ("project_type", _l("项目类型")),
    ("device_class", _l("产品分类")),
    ("stage", _l("项目所处阶段")),
)

_STATUS_VALUES = tuple(s.value for s in ProjectStatus)


class PeriodError(ValueError):
    """A period the user typed that is not a date range; the message is shown on the page."""


@dataclass(frozen=True)
class Period:
    """Beijing calendar dates, both ends inclusive; None means open."""

    start: date | None = None
    end: date | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        day = beijing_date(moment)
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    @property
    def label(self) -> str:
        if self.is_all_time:
            return _("全部时间")
        start = self.start.isoformat() if self.start else _("开始")
        end = self.end.isoformat() if self.end else _("至今")
        return _("%(start)s 至 %(end)s", start=start, end=end)

    def query_args(self) -> dict[str, str]:
        """The period as the dashboard's query string (from/to)."""
        args = {}
        if self.start:
            args["from"] = self.start.isoformat()
        if self.end:
            args["to"] = self.end.isoformat()
        return args


def parse_period(start_text: str | None, end_text: str | None) -> Period:
    """A period from the form's from/to (YYYY-MM-DD); blank means open. Raises PeriodError."""
    start = _parse_date(start_text, _("开始日期"))
    end = _parse_date(end_text, _("结束日期"))
    if start and end and start > end:
        raise PeriodError(_("开始日期（%(start)s）晚于结束日期（%(end)s），请重新选择统计期间",
                            start=start.isoformat(), end=end.isoformat()))
    return Period(start, end)


def _parse_date(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(_("%(what)s“%(text)s”不是有效日期，请使用“年-月-日”格式，例如 2025-06-30",
                            what=what, text=text[:20])) from None
    if not 2000 <= value.year <= 2100:
        raise PeriodError(_("%(what)s“%(text)s”超出可统计的范围", what=what, text=text[:20]))
    return value


def this_year(today: date) -> Period:
    """1 January to 31 December of today's year."""
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def beijing_date(moment: datetime) -> date:
    return _beijing(moment).date()


def _beijing(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(BEIJING)


@dataclass
class FunnelStep:
    key: str
    label: str
    count: int
    rate: float | None        # percent of the previous step; None for the first step or after 0
    overall: float | None     # percent of the first step


@dataclass
class Share:
    label: str
    count: int


@dataclass
class Stay:
    state: str
    label: str
    median_days: float | None
    stays: int


@dataclass
class TrendMonth:
    month: str                # YYYY-MM, Beijing time
    submitted: int
    published: int
    signed: int


@dataclass
class OverdueItem:
    project_id: int
    project_name: str
    milestone: str
    planned_on: date
    days_overdue: int
    status: str


@dataclass
class DashboardFigures:
    period: Period
    today: date
    funnel: list[FunnelStep]
    breakdowns: dict[str, list[Share]]
    breakdown_labels: dict[str, str]
    stays: list[Stay]
    declines: list[Share]
    trend: list[TrendMonth]
    overdue: list[OverdueItem]
    organisation_reasons: list[Share] = field(default_factory=list)  # talks ended by organisations, passes
    interests: int = 0        # interests expressed in the period
    generated_at: datetime | None = None

    def step(self, key: str) -> int:
        return next(s.count for s in self.funnel if s.key == key)

    @property
    def received(self) -> int:
        """Projects received (first submitted) in the period: the population of the breakdowns."""
        return self.step("submitted")

    @property
    def declined(self) -> int:
        return sum(s.count for s in self.declines)

    @property
    def organisation_reason_count(self) -> int:
        return sum(s.count for s in self.organisation_reasons)

    @property
    def has_activity(self) -> bool:
        return bool(self.received or self.interests or any(s.count for s in self.funnel))

    def overview(self) -> list[tuple[str, object]]:
        """Each headline figure with its label, as 概览 shows it."""
        rows: list[tuple[str, object]] = [(_("统计期间"), self.period.label),
                                          (_("统计日期（北京时间）"), self.today.isoformat())]
        rows += [(_("%(step)s（项目数）", step=s.label), s.count) for s in self.funnel]
        signed = self.step("signed")
        rows.append((_("提交受理至签约落地转化率"), percent_text(_rate(signed, self.received))))
        rows.append((_("合作意向（条）"), self.interests))
        rows.append((_("婉拒意向（条）"), self.declined))
        rows.append((_("逾期未完成的里程碑（个）"), len(self.overdue)))
        return rows

    def narrative(self) -> str:
        """A short summary in words for the Word report."""
        f = {s.key: s.count for s in self.funnel}
        text = _("本期共受理项目%(received)d个，入库发布%(published)d个，%(interest)d个项目收到合作意向，"
                 "%(accepted)d个项目的意向被接受，签约%(signed)d个，进入产品培育%(incubating)d个，"
                 "获批上市%(launched)d个。", received=f["submitted"], published=f["published"],
                 interest=f["interest"], accepted=f["accepted"], signed=f["signed"],
                 incubating=f["incubating"], launched=f["launched"])
        rate = _rate(f["signed"], f["submitted"])
        if rate is not None:
            text += _("受理项目至签约的总体转化率为%(rate)s。", rate=percent_text(rate))
        if self.declined:
            top = max(self.declines, key=lambda s: s.count)
            text += _("共婉拒意向%(n)d条，最常见的原因是“%(reason)s”（%(count)d条）。",
                      n=self.declined, reason=top.label, count=top.count)
        slowest = max((s for s in self.stays if s.median_days is not None), key=lambda s: s.median_days,
                      default=None)
        if slowest is not None:
            text += _("停留时间最长的阶段是“%(state)s”，中位数%(days)s天。", state=slowest.label,
                      days=days_text(slowest.median_days))
        if self.overdue:
            text += _("截至%(today)s，有%(n)d个里程碑逾期未完成，需重点跟踪。", today=self.today.isoformat(),
                      n=len(self.overdue))
        else:
            text += _("截至%(today)s，没有逾期未完成的里程碑。", today=self.today.isoformat())
        return text

    def chart_data(self) -> dict:
        """What the page's charts draw (sent as JSON; static/js/dashboard.js draws it)."""
        return {
            "units": {"projects": _("项目数"), "days": _("中位数（天）"), "declines": _("条")},
            "funnel": {"labels": [s.label for s in self.funnel], "counts": [s.count for s in self.funnel],
                       "rates": [s.rate for s in self.funnel]},
            "breakdowns": {key: {"title": self.breakdown_labels[key], "labels": [s.label for s in shares],
                                 "counts": [s.count for s in shares]}
                           for key, shares in self.breakdowns.items()},
            "stays": {"labels": [s.label for s in self.stays], "days": [s.median_days for s in self.stays]},
            "declines": {"labels": [s.label for s in self.declines], "counts": [s.count for s in self.declines]},
            "organisation_reasons": {"labels": [s.label for s in self.organisation_reasons],
                                     "counts": [s.count for s in self.organisation_reasons]},
            "trend": {"labels": [m.month for m in self.trend],
                      "series": [{"label": _("提交受理"), "data": [m.submitted for m in self.trend]},
                                 {"label": _("入库发布"), "data": [m.published for m in self.trend]},
                                 {"label": _("签约落地"), "data": [m.signed for m in self.trend]}]},
        }


def percent_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1f}%"


def days_text(days: float | None) -> str:
    return "—" if days is None else f"{days:.1f}"


def _rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else round(100.0 * numerator / denominator, 1)


def dashboard_figures(period: Period | None = None, today: date | None = None) -> DashboardFigures:
    """Every figure of the dashboard and the 总结评估 for a period, as of `today` (Beijing)."""
    period = period or Period()
    today = today or beijing_today()
    transitions = _transition_rows()
    first = _first_reached(transitions)
    received_ids = [pid for pid, steps in first.items() if period.contains(steps.get("submitted"))]
    return DashboardFigures(
        period=period, today=today,
        funnel=_funnel(first, period),
        breakdowns=_breakdowns(received_ids),
        breakdown_labels={key: str(label) for key, label in BREAKDOWNS},
        stays=_stays(transitions, period),
        declines=_declines(period),
        organisation_reasons=_organisation_reasons(period),
        trend=_trend(first, period, today),
        overdue=_overdue(today),
        interests=sum(1 for created in db.session.scalars(db.select(Interest.created_at))
                      if period.contains(created)),
        generated_at=datetime.now(BEIJING),
    )


def _transition_rows() -> dict[int, list[AuditEvent]]:
    """Each project's state changes (its own audit rows with a project state as to_state), oldest first."""
    rows = db.session.execute(
        db.select(AuditEvent.project_id, AuditEvent.from_state, AuditEvent.to_state, AuditEvent.created_at)
        .where(AuditEvent.project_id.is_not(None), AuditEvent.subject_type == "project",
               AuditEvent.to_state.in_(_STATUS_VALUES))
        .order_by(AuditEvent.project_id, AuditEvent.created_at, AuditEvent.id)).all()
    by_project: dict[int, list] = defaultdict(list)
    for row in rows:
        by_project[row.project_id].append(row)
    return by_project


def _first_reached(transitions: dict[int, list]) -> dict[int, dict[str, datetime]]:
    """project id → funnel step → when the project first reached it (see the module docstring)."""
    direct: dict[int, dict[str, datetime]] = defaultdict(dict)

    def seen(project_id: int, step: str, moment: datetime | None) -> None:
        if moment is None:
            return
        known = direct[project_id].get(step)
        if known is None or moment < known:
            direct[project_id][step] = moment

    state_steps = {"submitted": "submitted", "published": "published", "negotiating": "accepted",
                   "signed": "signed", "incubating": "incubating", "launched": "launched"}
    for project_id, rows in transitions.items():
        for row in rows:
            if row.to_state in state_steps:
                seen(project_id, state_steps[row.to_state], row.created_at)
    for project_id, created, status, responded in db.session.execute(
            db.select(Interest.project_id, Interest.created_at, Interest.status, Interest.responded_at)):
        seen(project_id, "interest", created)
        if status in ACCEPTED_INTEREST_STATES:
            seen(project_id, "accepted", responded or created)
    for project_id, created in db.session.execute(
            db.select(AuditEvent.project_id, AuditEvent.created_at)
            .where(AuditEvent.action == "interest_accept", AuditEvent.project_id.is_not(None))):
        seen(project_id, "accepted", created)

    first: dict[int, dict[str, datetime]] = {}
    keys = [key for key, _label in FUNNEL_STEPS]
    for project_id, steps in direct.items():
        reached: dict[str, datetime] = {}
        later: datetime | None = None
        for key in reversed(keys):
            moment = steps.get(key)
            if later is not None and (moment is None or later < moment):
                moment = later
            if moment is not None:
                reached[key] = moment
            later = moment
        first[project_id] = reached
    return first


def _funnel(first: dict[int, dict[str, datetime]], period: Period) -> list[FunnelStep]:
    counts = Counter()
    for steps in first.values():
        for key, moment in steps.items():
            if period.contains(moment):
                counts[key] += 1
    funnel, previous, top = [], None, None
    for key, label in FUNNEL_STEPS:
        count = counts[key]
        top = count if top is None else top
        funnel.append(FunnelStep(key, str(label), count, None if previous is None else _rate(count, previous),
                                 _rate(count, top)))
        previous = count
    return funnel


def _breakdowns(project_ids: list[int]) -> dict[str, list[Share]]:
    """Counts of the received projects by city, owner's institution, type, class and stage."""
    unknown = _("未填写")
    projects = []
    if project_ids:
        projects = db.session.execute(
            db.select(Project.city, User.institution, Project.project_type, Project.device_class, Project.stage)
            .join(User, Project.owner_id == User.id).where(Project.id.in_(project_ids))).all()

    def free_text(values) -> list[Share]:
        counts = Counter((v or "").strip() or unknown for v in values)
        return [Share(label, n) for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]

    def enumerated(enum_cls, values) -> list[Share]:
        counts = Counter(values)
        shares = [Share(member.label, counts.get(member, 0)) for member in enum_cls]
        if counts.get(None):
            shares.append(Share(unknown, counts[None]))
        return shares

    return {
        "city": free_text(p.city for p in projects),
        "institution": free_text(p.institution for p in projects),
        "project_type": enumerated(ProjectType, [p.project_type for p in projects]),
        "device_class": enumerated(DeviceClass, [p.device_class for p in projects]),
        "stage": enumerated(Stage, [p.stage for p in projects]),
    }


def _stays(transitions: dict[int, list], period: Period) -> list[Stay]:
    """Median days from entering each state to leaving it; completed stays that ended in the period."""
    days: dict[str, list[float]] = defaultdict(list)
    for rows in transitions.values():
        state, entered = None, None
        for row in rows:
            if row.to_state == state:
                continue  # a second row for the same state (an import after its create): no change
            if state is not None and row.from_state in ("", state) and period.contains(row.created_at):
                days[state].append((row.created_at - entered).total_seconds() / 86400)
            state, entered = row.to_state, row.created_at
    return [Stay(s.value, s.label, round(statistics.median(days[s.value]), 1) if days[s.value] else None,
                 len(days[s.value])) for s in STAY_STATES]


def _declines(period: Period) -> list[Share]:
    """Declined interests by reason code, declined within the period."""
    counts = Counter()
    for reason, responded, created in db.session.execute(
            db.select(Interest.decline_reason, Interest.responded_at, Interest.created_at)
            .where(Interest.status == InterestStatus.DECLINED)):
        if period.contains(responded or created):
            counts[reason] += 1
    shares = [Share(reason.label, counts.get(reason, 0)) for reason in DeclineReason]
    if counts.get(None):
        shares.append(Share(_("未注明"), counts[None]))
    return shares


def _organisation_reasons(period: Period) -> list[Share]:
    """Reasons organisations gave, from their own list: talks they ended and suggested projects they passed on."""
    counts = Counter()
    for code, closed in db.session.execute(
            db.select(Interest.end_reason_code, Interest.closed_at)
            .where(Interest.status == InterestStatus.FAILED, Interest.ended_by_side == Side.ORGANISATION)):
        if period.contains(closed):
            counts[code] += 1
    for reason, created in db.session.execute(db.select(ProjectPass.reason, ProjectPass.created_at)):
        if period.contains(created):
            counts[reason.value] += 1
    return [Share(reason.label, counts.get(reason.value, 0)) for reason in PassReason]


def trend_months(period: Period, today: date) -> list[str]:
    """The (at most twelve) Beijing months the trend shows: up to the period's end, or this month."""
    end = period.end or today
    year, month = end.year, end.month
    months = []
    for _i in range(TREND_MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if period.start is not None:
        first = f"{period.start.year:04d}-{period.start.month:02d}"
        months = [m for m in months if m >= first]
    return list(reversed(months))


def _trend(first: dict[int, dict[str, datetime]], period: Period, today: date) -> list[TrendMonth]:
    months = trend_months(period, today)
    counts = {key: Counter() for key in ("submitted", "published", "signed")}
    for steps in first.values():
        for key in counts:
            moment = steps.get(key)
            if moment is not None and period.contains(moment):
                counts[key][_beijing(moment).strftime("%Y-%m")] += 1
    return [TrendMonth(m, counts["submitted"][m], counts["published"][m], counts["signed"][m]) for m in months]


def _overdue(today: date) -> list[OverdueItem]:
    return [OverdueItem(m.project_id, m.project.display_name, m.kind.label, m.planned_on,
                        (today - m.planned_on).days, m.status.label)
            for m in overdue_milestones(today)]
