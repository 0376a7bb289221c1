"""Shared fixtures: a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL), clients, factories,
the job queue on real storage (SQLite file, and Redis via TEST_REDIS_URL), a local SMTP server."""
from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask.globals import _cv_app
from flask.testing import FlaskClient

from app import create_app
from app.accounts.models import (Affiliation, AffiliationStatus, Institution, MemberRole, Organisation,
                                 OrgStatus, Role, User)
from app.core import jobs
from app.core.audit import drop_append_only_triggers, install_append_only_triggers
from app.extensions import db, limiter
from app.projects.models import DeviceClass, IpExists, Project, ProjectStatus, ProjectType, Stage
from tests.uscc import make_uscc

PASSWORD = "demo-password-2026"  # passes the password policy (the browser tests register with it)
_counter = itertools.count(1)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (own session, own g), as in production.

    Without this, a request reuses the test's app context and with it the test's session and
    Flask-Login's cached user. The test's own work is committed before the request and its
    session expired after, so both sides see each other's writes.
    """

    def open(self, *args, **kwargs):
        if _cv_app.get(None) is not None:
            db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()
                db.session.rollback()


def _clear_database():
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            drop_append_only_triggers(connection)  # the audit trail refuses TRUNCATE, even in tests
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            install_append_only_triggers(connection)
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            drop_append_only_triggers(connection)  # DELETE fires them
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            install_append_only_triggers(connection)
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    from app.core import caching
    from app.projects import search
    caching.clear()  # keys hold the data's version; ids and times restart, so a version could repeat
    search.reindex()  # ids restart at 1: the index must not remember the previous test's projects


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance}/test.db"
    application = create_app({
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing; production uses scrypt
        "MAIL_SERVER": "",
        "JOBS_IMMEDIATE": True,  # a job runs when its transaction commits; the `queue` fixture queues them instead
        "SUGGESTIONS_REFRESH": False,  # tests recompute suggestions explicitly (or switch it on)
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade
        if db.engine.dialect.name == "postgresql":  # CI machines may be reused: start from an empty schema
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        upgrade()
    return application


@pytest.fixture(autouse=True)
def app_context(app):
    config = dict(app.config)
    with app.app_context():
        yield
        _clear_database()
        limiter.reset()  # every test signs in from 127.0.0.1: the throttle's counts start afresh
    # the app lasts the whole session: a setting a test changed without monkeypatch would change every later test
    # (PER_PAGE = 1 once moved a later test's project to page 2)
    left = sorted(name for name in config.keys() | app.config.keys() if config.get(name) != app.config.get(name))
    app.config.clear()
    app.config.update(config)
    assert not left, f"the test left settings changed (use monkeypatch.setitem): {left}"


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass(frozen=True)
class Delivery:
    """One message as the server received it: the SMTP envelope and the parsed message."""
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class MailCatcher:
    """aiosmtpd handler: keeps every message that arrives; refuse_next() answers the next DATA with an error."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.port = 0                                # set once the server listens
        self._refusals: list[str] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._arrived:
            if self._refusals:
                return self._refusals.pop(0)
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            self.deliveries.append(Delivery(envelope.mail_from, tuple(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 OK queued"

    def refuse_next(self, count: int = 1, reply: str = "451 4.3.0 try again later") -> None:
        """The next count messages are answered with reply (4xx: a temporary failure, 5xx: refused)."""
        with self._arrived:
            self._refusals.extend([reply] * count)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._arrived:
            return [delivery.message for delivery in self.deliveries]

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """The messages once at least count have arrived (or whatever arrived when the time is up)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.deliveries) < count and time.monotonic() < deadline:
                self._arrived.wait(deadline - time.monotonic())
            return [delivery.message for delivery in self.deliveries]


class LoopbackController(Controller):
    """aiosmtpd's threaded Controller on 127.0.0.1 with a port the system chooses (port 0), read back once bound."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server (aiosmtpd) on loopback that the app sends its mail to.

    The handler it yields has .messages, .deliveries (with the envelope), .wait_for(count), .port and
    .refuse_next(count, reply) for a server that fails (451: the mail job retries).
    """
    catcher = MailCatcher()
    controller = LoopbackController(catcher, hostname="127.0.0.1", port=0)
    controller.start()
    catcher.port = controller.port
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield catcher
    controller.stop()


NO_REDIS = "TEST_REDIS_URL not set: job tests against Redis skipped (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379/0)"


def pytest_collection_modifyitems(items):
    """Without TEST_REDIS_URL the [redis] job tests are skipped, one summary line per file (in CI they fail)."""
    if os.environ.get("TEST_REDIS_URL") or os.environ.get("CI"):
        return
    for item in items:
        if getattr(item, "callspec", None) and item.callspec.params.get("queue") == "redis":
            item.add_marker(pytest.mark.skip(reason=NO_REDIS))


def redis_url() -> str:
    """TEST_REDIS_URL; in CI, where .ci/run starts redis-server and sets it, its absence is a failure."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.fail("TEST_REDIS_URL not set in CI (.ci/run starts redis-server and sets it)")
    return url


class JobQueue:
    """The app's job queue on real storage with no consumer: the test looks at it and runs it."""

    def __init__(self, backend: str):
        self.backend = backend
        self.huey = jobs.huey

    def waiting(self, task=None) -> list[str]:
        """Names of the queued and scheduled jobs (of one task, if given)."""
        names = [type(t).__name__ for t in self.huey.pending() + self.huey.scheduled()]
        return [n for n in names if task is None or n == task.task_class.__name__]

    def run_all(self, limit: int = 200) -> int:
        """What a consumer does, without waiting for delays: run every queued and scheduled job; how many ran."""
        later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)  # Huey's clock: naive UTC
        ran = 0
        for _ in range(limit):
            for task in self.huey.read_schedule(later):
                self.huey.enqueue(task)
            task = self.huey.dequeue()
            if task is None:
                return ran
            self.huey.execute(task, timestamp=later)
            ran += 1
        raise AssertionError(f"jobs still queued after {limit} runs")


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, app, monkeypatch, tmp_path):
    """The job queue as in production (a SQLite file, or Redis at TEST_REDIS_URL), not immediate."""
    settings = {"JOBS_IMMEDIATE": False, "JOBS_QUEUE": f"clinbridge-test-{os.getpid()}",
                "JOBS_FILE": str(tmp_path / "jobs.db"),
                "REDIS_URL": redis_url() if request.param == "redis" else ""}
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    jobs.init_app(app)
    jobs.huey.flush()
    yield JobQueue(request.param)
    jobs.huey.flush()
    monkeypatch.undo()
    jobs.init_app(app)


@pytest.fixture
def make_user():
    def factory(role="clinician", verified=True, email=None, name=None, active=True, org_name=None,
                confirmed=None, institution=None) -> User:
        """A user of the role; clinicians come confirmed by their hospital (confirmed=False: still pending),
        officers (role "institution") with a hospital of their own unless `institution` names one."""
        role = Role(role)
        n = next(_counter)
        user = User(email=email or f"{role.value}{n}@example.test", name=name or f"用户{n}", role=role,
                    phone="13800138000", active=active, institution="福建医科大学附属协和医院" if role is Role.CLINICIAN else "",
                    department="心内科" if role is Role.CLINICIAN else "")
        user.set_password(PASSWORD)
        if role in (Role.ENTERPRISE, Role.INVESTOR):
            user.organisation = Organisation(
                kind=role, name=org_name or f"测试医疗器械有限公司{n}", uscc=make_uscc(n),
                status=OrgStatus.VERIFIED if verified else OrgStatus.PENDING)
            user.member_role = MemberRole.ADMIN  # the organisation's first (only) member
        if role in (Role.CLINICIAN, Role.INSTITUTION):
            if role is Role.INSTITUTION and institution is None:
                institution = Institution(name=f"测试医院{n}", code=make_uscc(100000 + n), city="福州市")
            confirmed = (verified if confirmed is None else confirmed) or role is Role.INSTITUTION
            user.affiliation = Affiliation(
                institution=institution, institution_name=institution.name if institution else user.institution,
                status=AffiliationStatus.CONFIRMED if confirmed else AffiliationStatus.PENDING)
            if institution is not None:
                user.institution = institution.name
        db.session.add(user)
        db.session.flush()
        return user
    return factory


@pytest.fixture
def login_as(client, make_user):
    """Sign in through the real login form as a new user of the role (or a given user)."""
    def login(who, verified=True) -> User | None:
        if who == "anonymous":
            return None
        if who == "unconfirmed":  # a clinician whose hospital has not confirmed them yet
            who = make_user("clinician", confirmed=False)
        user = who if isinstance(who, User) else make_user("enterprise" if who == "unverified" else who,
                                                             verified=verified and who != "unverified")
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user
    return login


FULL_PROJECT = dict(
    name="可调节负压引流创面治疗仪", city="福州市", lead_name="林医生", department="烧伤科",
    phone="13912345678", email="lin@example.test", project_type=ProjectType.ACTIVE.value,
    device_class=DeviceClass.II.value, stage=Stage.SAMPLE.value, stage_other="",
    structure="由主机、负压泵、引流管和敷料组成。", principle="通过持续可调负压促进创面渗液引流和肉芽生长。",
    intended_use="用于慢性难愈合创面的负压引流治疗。", clinical_prospects="可缩短住院时间，基层医院适用。",
    market="国内同类产品多为进口。", team="团队由烧伤科医生和工程师组成。", ip_exists=IpExists.PENDING.value,
    ip_status="已申请发明专利一项。", funded_programs="省卫健委青年科研项目。", current_cooperation="暂无。",
    partners_in_province="福州某医疗器械公司", partners_out_of_province="", other_notes="",
    public_summary="一种面向慢性创面的可调节负压引流治疗设备。", commitment_agreed=True, publish_consent=True,
)


@pytest.fixture
def staff(make_user):
    return make_user("staff")


# The steps that walk a new project to each state. The later ones are the project operations a deal and
# its incubation take (accept_interest starts talks, confirm_agreement signs, …), taken here without the
# interest, agreement, assessment or milestone behind them: tests that need those build them.
PATHS = {
    ProjectStatus.DRAFT: [],
    ProjectStatus.SUBMITTED: ["submit"],
    ProjectStatus.RETURNED: ["submit", "return"],
    ProjectStatus.REJECTED: ["submit", "reject"],
    ProjectStatus.PUBLISHED: ["submit", "approve"],
    ProjectStatus.WITHDRAWN: ["withdraw"],
    ProjectStatus.NEGOTIATING: ["submit", "approve", "start_negotiation"],
    ProjectStatus.SIGNED: ["submit", "approve", "start_negotiation", "sign"],
    ProjectStatus.INCUBATING: ["submit", "approve", "start_negotiation", "sign", "start_incubation"],
    ProjectStatus.LAUNCHED: ["submit", "approve", "start_negotiation", "sign", "start_incubation", "launch"],
    ProjectStatus.INSTITUTION_REVIEW: ["submit"],  # the owner's hospital has opted in to 院内审核 (see make_project)
}


def take_step(project: Project, step: str, owner: User, reviewer: User) -> None:
    """One step of PATHS, through the real operation, by the person who takes it."""
    from app.projects import operations as svc
    {
        "submit": lambda: svc.submit_project(project, owner),
        "approve": lambda: svc.approve_project(project, reviewer, ""),
        "return": lambda: svc.return_project(project, reviewer, "请补充临床数据"),
        "reject": lambda: svc.reject_project(project, reviewer, "不属于医疗器械"),
        "withdraw": lambda: svc.withdraw_project(project, owner),
        "start_negotiation": lambda: svc.start_negotiation(project, owner),
        "sign": lambda: svc.sign_project(project, owner),
        "start_incubation": lambda: svc.start_incubation(project, reviewer),
        "launch": lambda: svc.launch_project(project, owner),
    }[step]()


@pytest.fixture
def make_project(make_user):
    """A complete 附件1 project walked to the requested state through the real operations."""
    from app.projects import operations as svc

    def factory(status=ProjectStatus.DRAFT, owner=None, **fields) -> Project:
        status = ProjectStatus(status)
        if owner is None and status is ProjectStatus.INSTITUTION_REVIEW:
            officer = make_user("institution")
            officer.affiliation.institution.internal_review = True
            owner = make_user("clinician", institution=officer.affiliation.institution)
        owner = owner or make_user("clinician")
        reviewer = make_user("staff")
        project = svc.create_project(owner, dict(FULL_PROJECT, **fields))
        for step in PATHS[status]:
            take_step(project, step, owner, reviewer)
        db.session.flush()
        assert project.status is status, f"the steps to {status} led to {project.status}"
        return project
    return factory
