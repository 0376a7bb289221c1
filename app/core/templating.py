"""Jinja filters and globals: Beijing time, 万元 amounts, enum lists, the navigation and its reader's holes, shared pages."""
from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from types import SimpleNamespace
from typing import Callable
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, get_flashed_messages, get_template_attribute, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.core.caching import cached_fragment, render_shared
from app.core.files import can_preview
from app.accounts.models import MemberRole, Role
from app.core.notifications import BADGE_CAP, unread_summary
from app.core.punctuation import fw
from app.extensions import db

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
    "submit_to_institution": _l("提交院内审核"), "institution_approve": _l("通过院内审核"),
    "institution_return": _l("院内审核退回修改"), "create_institution": _l("登记医疗机构"),
    "update_institution": _l("修改医疗机构信息"), "create_officer": _l("创建医疗机构管理员"),
    "set_internal_review": _l("设置院内审核"), "request_affiliation": _l("申请确认所在医疗机构"),
    "confirm_affiliation": _l("确认为本院人员"), "reject_affiliation": _l("不予确认"),
    "revoke_affiliation": _l("取消确认"), "reopen_affiliation": _l("重新确认所在医疗机构"),
    "resolve_affiliation": _l("服务站指定医疗机构"), "appoint_officer": _l("任命医疗机构管理员"),
    "create_staff": _l("创建工作人员账号"), "issue_reset_link": _l("生成密码重置链接"), "register": _l("注册账号"),
    "change_password": _l("修改密码"), "request_reset": _l("申请重置密码"), "reset_password": _l("重置密码"),
    "import_account": _l("导入账号"), "pass_project": _l("暂不考虑推荐项目"),
    "set_station_contact": _l("修改服务站联系方式"),
}

# User and organisation management (issue 15, people).
ACTION_LABELS.update({
    "deactivate_user": _l("停用账号"), "reactivate_user": _l("重新启用账号"), "change_role": _l("修改账号角色"),
    "upload_licence": _l("上传营业执照"),
})


def action_label(action: str) -> str:
    """The audit action in words; demo walks show the state they reached."""
    if action.startswith("demo_"):
        return str(_l("状态推进（演示数据）"))
    return str(ACTION_LABELS.get(action, action))


@lru_cache(maxsize=64)
def state_enum(subject_type: str) -> type[Enum] | None:
    """The state enum of the table an audit row concerns: the type of that model's `status` column."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == subject_type and "status" in mapper.columns:
            return getattr(mapper.columns["status"].type, "enum_class", None)
    return None


# Actions whose from/to values are not the subject's state (a switch, a member's role in the organisation, one side's
# outcome of a meeting): their own vocabulary, an enum class or a dict of labels. Areas add theirs (meetings).
ACTION_STATES: dict[str, type[Enum] | dict[str, str]] = {
    "set_internal_review": {"on": _l("已开启"), "off": _l("未开启")},
    "set_member_role": MemberRole,
}


def state_label(subject_type: str, value: str, action: str = "") -> str:
    """An audit row's from/to state in words, in the vocabulary of the object it concerns (or of its action)."""
    if not value:
        return "—"
    vocabulary = ACTION_STATES.get(action)
    if isinstance(vocabulary, dict):
        return str(vocabulary.get(value, value))
    if vocabulary is not None:
        return value_label(vocabulary, value)
    if subject_type == "user":  # a user's rows record the role (registration, role changes)
        return value_label(Role, value)
    return value_label(state_enum(subject_type or "project"), value)


def value_label(enum_cls: type[Enum] | None, value: str) -> str:
    """A stored enum value in words; the value itself when it is not one of the enum's."""
    try:
        return enum_cls(value).label
    except (TypeError, ValueError):
        return value


class Columns:
    """A list table's column labels, written once: `head()` is the header row, `cols.name` a cell's data-label.

    On a phone (CSS `table.stack-on-phone`) each row becomes a card and each cell shows its label before it. A column
    given `None` is the row's actions: no visible heading and no label on the card.
    """

    def __init__(self, labels: dict[str, str | None]):
        self._labels = labels

    def head(self) -> Markup:
        """The table's <thead>."""
        cells = Markup("").join(Markup('<th scope="col">{}</th>').format(label) if label is not None
                                else Markup('<th scope="col"><span class="visually-hidden">{}</span></th>').format(_("操作"))
                                for label in self._labels.values())
        return Markup("<thead><tr>{}</tr></thead>").format(cells)

    def without(self, *names: str) -> "Columns":
        """The same table without some columns (those a template shows only to some readers)."""
        return Columns({name: label for name, label in self._labels.items() if name not in names})

    def __getattr__(self, name: str) -> Markup:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._labels:  # a typo must fail loudly, not render an unlabelled cell
            raise LookupError(f"no column {name!r}: {', '.join(self._labels)}")
        label = self._labels[name]
        return Markup("") if label is None else Markup('data-label="{}"').format(label)


def card_columns(**labels: str | None) -> Columns:
    """The columns of a list table, in order (see Columns)."""
    return Columns(labels)


def reader_kind() -> dict[str, bool]:
    """What the layout shows differently by reader, the name aside: signed in or not, and the roles. Readers of
    one kind see the same menu and, on a shared page, the same page (see shared_page)."""
    user = current_user._get_current_object()  # eight questions: one look-up through the proxy, not eight
    signed_in = bool(user.is_authenticated)
    return {"authenticated": signed_in, "verified": signed_in and user.is_verified,
            "clinician": signed_in and user.is_clinician, "officer": signed_in and user.is_institution_officer,
            "member": signed_in and user.is_organisation_member, "organisation": signed_in and user.organisation is not None,
            "staff": signed_in and user.is_staff, "admin": signed_in and user.is_admin}


def main_menu(queue_counts: dict) -> Markup:
    """The navigation's main menu: the same for every reader with the same roles (and, for staff, the same
    queue counts), so it is rendered once per kind of reader and language, from `who` alone."""
    queue_counts = queue_counts or {}
    who = {**reader_kind(), "review": queue_counts.get("review", 0),
           "organisations": queue_counts.get("organisations", 0)}
    parts = cached_fragment(("menu", *sorted(who.items())),
                            lambda: {"menu": render_shared("_menu.html", who=SimpleNamespace(**who))})
    return parts["menu"]


# The layout's parts that belong to one reader (templates/_holes.html): rendered per request, on every page,
# and left as holes in a shared page's cached copy (see shared_page).
HOLES = ("account", "badge", "phone_badge", "flashes", "arrival", "csrf")


def _nav_counts() -> dict:
    """The reader's unread count (the badge says 99+ past BADGE_CAP) and whether some point to this page;
    asked once per request, whichever hole asks first."""
    if "_nav_counts" not in g:
        counts = {"notifications": 0, "badge": "", "arriving": False}
        user = current_user._get_current_object()
        if user.is_authenticated:
            count, counts["arriving"] = unread_summary(user, request.path)
            counts.update(notifications=count, badge=f"{BADGE_CAP}+" if count > BADGE_CAP else str(count))
        g._nav_counts = counts
    return g._nav_counts


def _fill(name: str) -> Markup:
    """One hole, for the reader of this request."""
    if name == "csrf":
        return Markup(_csrf_token())  # nosec B704 — a URL-safe token, no markup
    if name == "account":
        user = current_user._get_current_object()
        return _rendered("account", _language(), user.name, user.role)
    if name == "flashes":
        messages = get_flashed_messages(with_categories=True)
        return get_template_attribute("_holes.html", "flashes")(messages) if messages else Markup("")
    if name == "arrival":
        return get_template_attribute("_holes.html", "arrival")(request.path) if _nav_counts()["arriving"] else Markup("")
    counts = _nav_counts()
    return _rendered(name, _language(), counts["badge"]) if counts["notifications"] else Markup("")


def _csrf_token() -> str:
    """This session's CSRF token for a hole. Tokens carry no age limit here (WTF_CSRF_TIME_LIMIT None: Flask-WTF
    checks a token against the session's own only), so one signed token per session token serves every page of
    the session, signed once per process (it cost ~0.05 ms of each page); with a limit set, each page signs its
    own, as Flask-WTF does."""
    config = current_app.config
    raw = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not raw or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    key = (config.get("WTF_CSRF_SECRET_KEY") or config["SECRET_KEY"], raw)
    token = _signed_tokens.get(key)
    if token is None:
        if len(_signed_tokens) >= 4096:   # bounded: one entry per session seen by this process
            _signed_tokens.clear()
        token = _signed_tokens[key] = generate_csrf()
    return token


_signed_tokens: dict[tuple[str, str], str] = {}


def _language() -> str:
    return str(get_locale() or "zh")


@lru_cache(maxsize=4096)
def _rendered(name: str, language: str, *values) -> Markup:
    """A hole that shows only its arguments (a name and role, a badge's count), in one language: the same
    arguments give the same markup, so each is rendered once per process (a macro call costs more than the
    look-up, and every page has them)."""
    macro = get_template_attribute("_holes.html", name)
    if name == "account":
        user_name, role = values
        return macro(SimpleNamespace(name=user_name, role=role))
    return macro({"notifications": 1, "badge": values[0]})


def hole(name: str) -> Markup:
    """In a template: this reader's part of the layout, or, while a shared page is rendered, a mark where it goes."""
    mark = g.get("_shared_page_mark")
    return Markup(f"<!--{mark}:{name}-->") if mark else _fill(name)  # nosec B704 — a hex nonce and a known name


def shared_page(key: tuple, render: Callable[[], str], keep: Callable[[], bool] = lambda: True) -> str | bytes:
    """A page that is the same for every reader of one kind (reader_kind) at this address, in this language, but
    for the layout's holes: rendered once with marks for the holes (and for the CSRF token, wherever a form put
    it), cached under `key` (which must hold the version of everything else the page shows), and served by
    filling in the holes for each reader. Staff pages carry queue counts and are rendered every time; a page
    that `keep` (asked after rendering) refuses, such as a failed search, is served once and not kept.

    Nothing of the reader who happened to render the copy stays in it: the name, the badge, the messages and
    the arrival form are holes, and their CSRF token is replaced by a mark (tests/core/test_shared_page.py).
    The copy keeps the page's text encoded (UTF-8, as the response sends it), so a page served from it is the
    holes' few bytes encoded and joined, not 40 KB of text encoded again.
    """
    kind = reader_kind()
    if kind["staff"]:
        return render()

    def compose() -> dict:
        mark = secrets.token_hex(8)
        g._shared_page_mark = mark
        try:
            html = render()
        finally:
            g.pop("_shared_page_mark", None)
        html = html.replace(generate_csrf(), f"<!--{mark}:csrf-->")
        parts = re.split(f"<!--{mark}:({'|'.join(HOLES)})-->", html)
        return {"parts": [part.encode() if i % 2 == 0 else part for i, part in enumerate(parts)], "keep": keep()}
    parts = cached_fragment(("page-utf8", request.full_path, *sorted(kind.items()), *key), compose,
                            keep=lambda page: page["keep"])["parts"]
    filled: dict[str, bytes] = {}   # a hole that recurs (the CSRF token of every form on the page) is made once

    def fill(name: str) -> bytes:
        encoded = filled.get(name)
        if encoded is None:
            encoded = filled[name] = _fill(name).encode()
        return encoded
    return b"".join(part if i % 2 == 0 else fill(part) for i, part in enumerate(parts))


def init_app(app: Flask) -> None:
    """Filters and globals every template may use; the areas add their own from their blueprints."""
    app.jinja_env.filters["bjtime"] = beijing_time
    app.jinja_env.filters["bjdate"] = lambda v: beijing_time(v, "%Y-%m-%d")
    app.jinja_env.filters["wan"] = wan
    app.jinja_env.globals.update(action_label=action_label, state_label=state_label, value_label=value_label)
    app.jinja_env.globals["can_preview"] = can_preview  # a stored file the browser may show inline (PDF, pictures)
    app.jinja_env.globals["card_columns"] = card_columns
    app.jinja_env.globals["fw"] = fw
    app.jinja_env.globals["main_menu"] = main_menu
    app.jinja_env.globals["hole"] = hole

    @app.context_processor
    def navigation():
        return {"current_lang": str(get_locale() or "zh"), "languages": app.config["LANGUAGES"]}
