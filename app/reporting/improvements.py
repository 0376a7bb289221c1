"""总结评估's 问题分析与改进建议: drafted from the figures, edited by staff, filed with the Word report."""
from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.errors import ValidationError, require
from app.extensions import db
from app.core.models import Setting
from app.programme.dashboard import RequestFigures
from app.reporting.dashboard import DashboardFigures, days_text

SETTING_KEY = "summary_improvements"
SLOW_DAYS = 14  # a stage whose median stay is longer than this is named as slow


def draft(figures: DashboardFigures, requests: RequestFigures) -> str:
    """A first draft: slow stages, overdue requests and milestones, decline and refusal reasons, with a suggestion each."""
    lines = []
    slow = sorted((s for s in figures.stays if s.median_days is not None and s.median_days > SLOW_DAYS),
                  key=lambda s: -s.median_days)
    for stay in slow[:3]:
        lines.append(_("“%(state)s”阶段停留时间中位数为%(days)s天，偏长。建议：明确该环节办理时限，服务站定期跟进提醒。",
                       state=stay.label, days=days_text(stay.median_days)))
    if requests.overdue:
        kinds = "、".join(sorted({o.kind for o in requests.overdue}))
        lines.append(_("有%(n)d件服务申请逾期未办（%(kinds)s）。建议：指定经办人，按事项时限每日督办。",
                       n=len(requests.overdue), kinds=kinds))
    if requests.median_days_to_accept is not None and requests.median_days_to_accept > 7:
        lines.append(_("服务申请受理用时中位数为%(days)s天。建议：简化受理前的材料核对。",
                       days=days_text(requests.median_days_to_accept)))
    if figures.overdue:
        names = "、".join(sorted({o.milestone for o in figures.overdue}))
        lines.append(_("有%(n)d个里程碑逾期未完成（%(names)s）。建议：对相关项目开展一企一策专项帮扶。",
                       n=len(figures.overdue), names=names))
    if figures.declined:
        top = max(figures.declines, key=lambda s: s.count)
        lines.append(_("意向婉拒最常见的原因是“%(reason)s”（%(count)d条）。建议：对接前加强供需双方信息核实与预匹配。",
                       reason=top.label, count=top.count))
    if requests.refused:
        reasons = "；".join(f"{kind}：{reason}" for kind, reason in requests.refused[:5])
        lines.append(_("不予受理的服务申请%(n)d件（%(reasons)s）。建议：在政策与指南中补充常见问题答疑。",
                       n=len(requests.refused), reasons=reasons))
    if not lines:
        lines.append(_("本期各环节运行顺畅，未发现明显问题。建议：继续保持。"))
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def saved(period_label: str) -> str | None:
    """Staff's edited text for this period, if they saved one."""
    setting = db.session.get(Setting, SETTING_KEY)
    value = setting.value if setting else None
    return value.get("text") if value and value.get("period") == period_label else None


def current(period_label: str, figures: DashboardFigures, requests: RequestFigures) -> tuple[str, bool]:
    """The text to show and file, and whether it is staff's edit (else a fresh draft)."""
    text = saved(period_label)
    return (text, True) if text is not None else (draft(figures, requests), False)


def save(period_label: str, text: str, staff: User) -> None:
    """Keep staff's edited 问题分析与改进建议 for the period (the Word report files it)."""
    require(staff.is_staff, _("只有服务站工作人员可以修改总结评估"))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("请填写内容"), field="text")
    setting = db.session.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY)
    setting.value = {"period": period_label, "text": text}
    setting.updated_by_id = staff.id
    db.session.add(setting)
    audit.record("save_improvements", actor=staff, subject=None, comment=f"{period_label}: {text[:200]}")
