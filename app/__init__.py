"""ClinBridge 临床研究成果转化对接平台: the application factory."""
from __future__ import annotations

import os
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from flask import Flask, has_request_context, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, event
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli
from app import config as config_module
from app.accounts.models import Affiliation, Organisation, User
from app.core import audit  # noqa: F401 — importing it installs the append-only guard on audit rows
from app.core import (caching, headers, jobs, notifications, page_reads, session_cookie, templating, throttle,
                      translation, unit_of_work)
from app.core.links import BoundedIntConverter
from app.core.models import render_migration_item
from app.extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# Feature areas, each a package with models.py and views.py (its blueprints), and jobs.py where it has jobs;
# core holds the shared parts.
AREAS = ("accounts", "projects", "deals", "suggestions", "incubation", "reporting", "meetings", "programme")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask application; test_config overrides everything (INSTANCE_PATH moves the instance)."""
    test_config = dict(test_config or {})
    instance_path = (test_config.pop("INSTANCE_PATH", None) or os.environ.get("CLINBRIDGE_INSTANCE_PATH")
                     or str(ROOT / "instance"))
    instance_path = str(Path(instance_path).resolve())
    Path(instance_path).mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.update(config_module.from_environment(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(test_config)
    for folder in (app.config["UPLOAD_FOLDER"], app.config["SEARCH_INDEX_DIR"]):
        Path(folder).mkdir(parents=True, exist_ok=True)

    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)  # government intranets have no CDN
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "app" / "translations"))

    db.init_app(app)
    caching.init_app(app)
    unit_of_work.init_app(app)  # first, so that its after_request hook (the commit) runs after every other
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=render_migration_item)
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Shanghai")
    translation.install(app)
    session_cookie.init_app(app)
    _init_login(app)
    if app.config.get("PROXY_HOPS"):  # the client's address behind nginx, for throttling and logs
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])
    throttle.init_app(app)
    headers.init_app(app)

    templating.init_app(app)
    jobs.init_app(app)
    for area in AREAS:
        for blueprint in import_module(f"app.{area}.views").BLUEPRINTS:
            app.register_blueprint(blueprint)
        if find_spec(f"app.{area}.jobs"):  # its tasks, registered with the queue (a consumer must know them all)
            import_module(f"app.{area}.jobs")
    cli.init_app(app)
    _register_error_pages(app)
    return app


def _select_locale() -> str:
    if not has_request_context():  # CLI and background work speak the default language
        return "zh"
    lang = request.args.get("lang") or session.get("lang")
    return lang if lang in ("zh", "en") else "zh"


def _init_login(app: Flask) -> None:


    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "warning"
    # "strong" signs a phone out when it moves from Wi-Fi to 4G; revocation is the session version (get_id).
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(alternative_id: str):
        user_id, _sep, version = (alternative_id or "").partition(":")
        if not (user_id.isdigit() and version.isdigit()) or int(user_id) > 2**31 - 1:
            return None  # a cookie from before session versions, or forged
        page_view = request.method in unit_of_work.SAFE_METHODS   # a page view: its unread badge in the same statement
        if page_view:
            statement, asked = page_reads.user_statement(USER_FOR_PAGE, request.endpoint)
            user, columns = user_row(statement, {"user_id": int(user_id), "path": request.path})
        else:
            user, columns = user_row(USER_WITH_ORGANISATION, {"user_id": int(user_id)})
        if user is None or not user.active or user.session_version != int(version):
            return None
        if page_view:
            count, here, *answer = columns
            notifications.note_unread_summary(user.id, request.path, count, here)
            if asked:
                page_reads.note(request.endpoint, answer)
        return user


# Every signed-in request loads its user: with the organisation (the menu of every page asks whether it is verified)
# and the hospital tie (a clinician's, likewise) in the same statement, built once (a session.get builds its
# statement each time: 0.32 against 0.22 ms here). They come as entities of the row and are handed to the user
# (user_row): the ORM's joined eager loading of the same cost ~0.05 ms more, an adapter and loaders per relationship
# on every execution. A page view (GET) also reads the navigation's unread summary in it (one statement fewer on
# every page), and what its page asked for (app/core/page_reads.py: the library's and 为您推荐's versions).
def _user_statement(*columns):
    return (db.select(User, Organisation, Affiliation, *columns)
            .outerjoin(Organisation, User.organisation_id == Organisation.id)
            .outerjoin(Affiliation, Affiliation.user_id == User.id)
            .options(lazyload(User.organisation), lazyload(User.affiliation))   # handed over below, not loaded again
            .where(User.id == bindparam("user_id")))


USER_WITH_ORGANISATION = _user_statement()
USER_FOR_PAGE = _user_statement(*notifications.unread_columns())


def user_row(statement, params: dict) -> tuple:
    """The user a user statement reads (None when there is none) and the statement's other columns."""
    row = db.session.execute(statement, params).one_or_none()
    if row is None:
        return None, ()
    user, organisation, affiliation, *columns = row
    set_committed_value(user, "organisation", organisation)
    set_committed_value(user, "affiliation", affiliation)
    return user, columns


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout keep SQLite usable under several workers (FIELD-NOTES)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _register_error_pages(app: Flask) -> None:

    messages = {
        400: lambda: _("请求无效"),
        403: lambda: _("您没有权限访问此页面"),
        404: lambda: _("页面不存在或已删除"),
        413: lambda: _("上传的文件过大"),
        429: lambda: _("尝试过于频繁，请稍后再试（如忘记密码，可通过“忘记密码”重置）"),
        500: lambda: _("服务器出错了，请稍后再试"),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        return render_template("error.html", code=code, message=messages.get(code, messages[500])()), code

    for code in messages:
        app.register_error_handler(code, handler)


    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        message = _("页面已过期或安全校验未通过（CSRF），请返回上一页刷新后重新提交")
        if request.is_json:  # a script's POST (autosave) reads the reason
            return jsonify(ok=False, error=message), 400
        return render_template("error.html", code=400, message=message), 400
