"""Jinja filters and globals: Beijing time, 万元 amounts, enum lists, the navigation counts."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in Beijing time (Asia/Shanghai)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo("UTC"))
        return value.astimezone(BEIJING).strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def wan(value) -> str:
    """An amount in 万元, with thousands separators and no needless decimals."""
    if value is None or value == "":
        return ""
    number = float(value)
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return _("%(amount)s 万元", amount=text)


ACTION_LABELS = {
    "create": _l("创建草稿"), "edit": _l("修改内容"), "submit": _l("提交初核"), "approve": _l("通过初核"),
    "return": _l("退回修改"), "reject": _l("不予通过"), "withdraw": _l("撤回项目"),
    "resubmit_after_edit": _l("修改公开信息后重新提交"), "attach": _l("上传附件"), "detach": _l("删除附件"),
    "update_profile": _l("修改机构资料"), "create_intent": _l("发布投资意向"), "update_intent": _l("修改投资意向"),
    "intent_paused": _l("暂停投资意向"), "intent_resumed": _l("恢复投资意向"), "intent_closed": _l("关闭投资意向"),
    "interest_express": _l("表达合作意向"), "interest_accept": _l("接受意向"), "interest_decline": _l("婉拒意向"),
    "interest_withdraw": _l("撤回意向"), "interest_expire": _l("意向过期"), "interest_sign": _l("意向签约"),
    "interest_fail": _l("洽谈终止"), "start_negotiation": _l("进入合作洽谈"), "end_negotiation": _l("洽谈结束，回到项目库"),
    "sign": _l("签约落地"), "record_agreement": _l("登记签约"), "confirm_agreement": _l("确认签约"),
    "dispute_agreement": _l("对签约信息提出异议"), "start_docking_form": _l("开始填报对接表"),
    "save_docking_form": _l("保存对接表"), "file_docking_form": _l("报送对接表"), "view_partner": _l("查看合作方资料"),
    "view_negotiation": _l("服务站查阅洽谈"), "export_docx": _l("导出 Word 表格"),
    "open_assessment": _l("发起项目评估"), "score_assessment": _l("评估打分"), "complete_assessment": _l("完成项目评估"),
    "start_incubation": _l("进入产品培育"), "launch": _l("获批上市"), "update_milestone": _l("更新里程碑"),
    "milestone_evidence": _l("上传佐证材料"), "set_weights": _l("修改评估权重"),
    "approve_match": _l("服务站推荐对接"), "dismiss_match": _l("忽略推荐配对"),
    "report_export": _l("报送国家局器审中心"), "report_download": _l("下载报送文件"), "audit_export": _l("导出审计日志"),
    "import": _l("批量导入"), "view_partner_attachment": _l("查看附件"), "submit_paper_form": _l("代为提交纸质申报表"),
    "verify_organisation": _l("认证通过"), "reject_organisation": _l("不予认证"),
    "reopen_organisation": _l("重新提交认证"),
}


def action_label(action: str) -> str:
    """The audit action in words; demo walks show the state they reached."""
    if action.startswith("demo_"):
        return str(_l("状态推进（演示数据）"))
    return str(ACTION_LABELS.get(action, action))


def _state_enum(action: str):
    """Which life an audit row's states belong to, told by its action."""
    from app.accounts.models import OrgStatus
    from app.deals.models import AgreementStatus, DockingStatus, InterestStatus
    from app.incubation.models import AssessmentStatus, MilestoneStatus
    from app.projects.models import ProjectStatus
    from app.suggestions.models import SuggestionStatus
    if action.startswith("interest_"):
        return InterestStatus
    if action.endswith("_agreement"):
        return AgreementStatus
    if "docking" in action:
        return DockingStatus
    if action.endswith("_assessment"):
        return AssessmentStatus
    if "milestone" in action:
        return MilestoneStatus
    if action.endswith("_organisation"):
        return OrgStatus
    if action.endswith("_match"):
        return SuggestionStatus
    return ProjectStatus


def state_label(action: str, value: str) -> str:
    """An audit row's from/to state in words, in the vocabulary of the object it concerns."""
    if not value:
        return "—"
    try:
        return _state_enum(action or "")(value).label
    except ValueError:
        return value


def cooperation_label(value: str) -> str:
    from app.deals.models import CooperationMode
    try:
        return CooperationMode(value).label
    except ValueError:
        return value


def recommendation_label(value: str) -> str:
    from app.incubation.models import Recommendation
    try:
        return Recommendation(value).label
    except ValueError:
        return value


def init_app(app: Flask) -> None:
    from app.projects.models import (COMMITMENT_TEXT, FIELDS_BY_NAME, LIFE_STEPS, PROJECT_FIELDS, DeviceClass,
                                     ProjectStatus, ProjectType, Stage)

    app.jinja_env.filters["bjtime"] = beijing_time
    app.jinja_env.filters["bjdate"] = lambda v: beijing_time(v, "%Y-%m-%d")
    app.jinja_env.filters["wan"] = wan
    app.jinja_env.globals.update(action_label=action_label, state_label=state_label,
                                 cooperation_label=cooperation_label, recommendation_label=recommendation_label,
                                 PROJECT_FIELDS=PROJECT_FIELDS, FIELDS_BY_NAME=FIELDS_BY_NAME, COMMITMENT_TEXT=COMMITMENT_TEXT,
                                 ProjectStatus=ProjectStatus, ProjectType=ProjectType,
                                 DeviceClass=DeviceClass, Stage=Stage, LIFE_STEPS=LIFE_STEPS)

    @app.context_processor
    def navigation():
        from flask_babel import get_locale
        counts = {}
        arriving = False
        if current_user.is_authenticated:
            from app.core.notifications import unread_count, unread_here
            counts["notifications"] = unread_count(current_user)
            arriving = bool(counts["notifications"]) and unread_here(current_user, request.path)
            if current_user.is_staff:
                from app.projects.review import queue_counts
                counts.update(queue_counts())
        return {"nav_counts": counts, "notifications_arriving": arriving, "current_lang": str(get_locale() or "zh"),
                "languages": app.config["LANGUAGES"], "request_path": request.path,
                "session_lang": session.get("lang")}
