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
    "import": _l("批量导入"), "view_partner_attachment": _l("查看附件"), "submit_paper_form": _l("代为提交纸质申报表"),
}


def action_label(action: str) -> str:
    """The audit action in words; demo walks show the state they reached."""
    if action.startswith("demo_"):
        return str(_l("状态推进（演示数据）"))
    return str(ACTION_LABELS.get(action, action))


def status_label(value: str) -> str:
    from app.models import ProjectStatus
    try:
        return ProjectStatus(value).label
    except ValueError:
        return value or "—"


def cooperation_label(value: str) -> str:
    from app.models import CooperationMode
    try:
        return CooperationMode(value).label
    except ValueError:
        return value


def init_app(app: Flask) -> None:
    from app.models import DeviceClass, ProjectStatus, ProjectType, Stage
    from app.models.project import COMMITMENT_TEXT, FIELDS_BY_NAME, LIFE_STEPS, PROJECT_FIELDS

    app.jinja_env.filters["bjtime"] = beijing_time
    app.jinja_env.filters["bjdate"] = lambda v: beijing_time(v, "%Y-%m-%d")
    app.jinja_env.filters["wan"] = wan
    app.jinja_env.globals.update(action_label=action_label, status_label=status_label,
                                 cooperation_label=cooperation_label,
                                 PROJECT_FIELDS=PROJECT_FIELDS, FIELDS_BY_NAME=FIELDS_BY_NAME, COMMITMENT_TEXT=COMMITMENT_TEXT,
                                 ProjectStatus=ProjectStatus, ProjectType=ProjectType,
                                 DeviceClass=DeviceClass, Stage=Stage, LIFE_STEPS=LIFE_STEPS)

    @app.context_processor
    def navigation():
        from flask_babel import get_locale
        counts = {}
        if current_user.is_authenticated:
            from app.services.notify import unread_count
            counts["notifications"] = unread_count(current_user)
            if current_user.is_staff:
                from app.services.review import queue_counts
                counts.update(queue_counts())
        return {"nav_counts": counts, "current_lang": str(get_locale() or "zh"),
                "languages": app.config["LANGUAGES"], "url_rules": app.view_functions, "request_path": request.path,
                "session_lang": session.get("lang")}
