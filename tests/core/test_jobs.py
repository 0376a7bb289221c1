"""The job queue (app/core/jobs.py): enqueued only after a commit, run in an app context, debounced, consumed.

The `queue` fixture puts the queue on real storage as in production, a SQLite file and (with TEST_REDIS_URL)
Redis, with no consumer: each test looks at what waits and runs it (or starts a real consumer process).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import has_request_context, url_for

from app.core import jobs
from app.core.mail import send_mail
from app.core.models import Notification
from app.core.notifications import tell
from app.extensions import db
from app.projects import operations as project_service
from app.projects import search
from app.projects.jobs import index_project
from app.projects.models import Project, ProjectStatus

ROOT = Path(__file__).resolve().parents[2]

visits: list[tuple] = []
refreshes: list[int] = []


@jobs.task()
def record_visit(label: str, user_id: int | None = None, fail: bool = False) -> None:
    """A probe: records where it ran; with a user, leaves a notification (rolled back if it fails)."""
    visits.append((label, has_request_context(), url_for("main.index", _external=True)))
    if user_id is not None:
        db.session.add(Notification(user_id=user_id, kind="probe", title=label))
    if fail:
        raise RuntimeError("probe failed")


@jobs.task(debounce=5)
def recount() -> None:
    """A debounced probe."""
    refreshes.append(1)


@pytest.fixture(autouse=True)
def forget_probes():
    visits.clear()
    refreshes.clear()


def test_a_job_is_enqueued_only_once_its_transaction_commits(queue, app, make_user):
    make_user("staff")
    jobs.after_commit(record_visit, "after commit")
    db.session.flush()
    assert queue.waiting() == []
    db.session.commit()
    assert queue.waiting() == ["record_visit"] and visits == []
    assert queue.run_all() == 1
    assert visits == [("after commit", True, app.config["BASE_URL"] + "/")]  # links resolve to the platform


def test_a_rollback_enqueues_nothing_not_even_at_a_later_commit(queue, make_user):
    make_user("staff")
    jobs.after_commit(record_visit, "rolled back")
    db.session.rollback()
    make_user("staff")
    db.session.commit()
    assert queue.waiting() == [] and queue.run_all() == 0 and visits == []


def test_a_closed_session_forgets_its_jobs(queue, make_user):
    make_user("staff")
    jobs.after_commit(record_visit, "closed")
    db.session.close()
    db.session.commit()
    assert queue.waiting() == []


def test_a_rolled_back_savepoint_forgets_only_its_own_jobs(queue, make_user):
    make_user("staff")
    jobs.after_commit(record_visit, "before")
    savepoint = db.session.begin_nested()
    jobs.after_commit(record_visit, "inside")
    savepoint.rollback()
    with db.session.begin_nested():
        jobs.after_commit(record_visit, "released")
    assert queue.waiting() == []                     # a released savepoint is not a commit
    db.session.commit()
    queue.run_all()
    assert sorted(label for label, *_ in visits) == ["before", "released"]


def test_the_same_job_asked_twice_in_a_transaction_runs_once(queue, make_user):
    make_user("staff")
    for _ in range(3):
        jobs.after_commit(record_visit, "twice")
    jobs.after_commit(record_visit, "other")
    db.session.commit()
    assert queue.run_all() == 2


def test_a_job_commits_its_work_and_a_failing_job_leaves_none(queue, make_user):
    user = make_user("clinician")
    jobs.after_commit(record_visit, "kept", user.id)
    jobs.after_commit(record_visit, "dropped", user.id, True)
    db.session.commit()
    queue.run_all()
    db.session.expire_all()
    titles = db.session.scalars(db.select(Notification.title).where(Notification.kind == "probe")).all()
    assert titles == ["kept"]


def test_a_job_run_by_a_thread_without_a_context_runs_in_the_registered_app(queue, make_user):
    make_user("staff")
    jobs.after_commit(record_visit, "worker thread")
    db.session.commit()
    task = queue.huey.dequeue()
    worker = threading.Thread(target=queue.huey.execute, args=(task,))  # as a consumer's worker thread does
    worker.start()
    worker.join(10)
    assert [label for label, *_ in visits] == ["worker thread"]


def test_immediate_mode_runs_a_job_in_the_commit(app, make_user):
    assert jobs.huey.immediate  # the test app's setting
    make_user("staff")
    jobs.after_commit(record_visit, "immediate")
    assert visits == []
    db.session.commit()
    assert [label for label, *_ in visits] == ["immediate"]


def test_a_request_that_fails_enqueues_nothing(queue, app, client, login_as, make_project, monkeypatch):
    failing, passing = make_project(status=ProjectStatus.SUBMITTED), make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as("staff")

    def broken(project):  # an error after the approval has asked for its index job
        raise RuntimeError("saved-search matching broke")
    monkeypatch.setattr(project_service.saved_searches, "notify_matches", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert client.post(f"/review/{failing.id}/approve", data={"approve-comment": ""}).status_code == 500
    assert queue.waiting() == []
    assert db.session.get(Project, failing.id).status is ProjectStatus.SUBMITTED

    monkeypatch.undo()
    assert client.post(f"/review/{passing.id}/approve", data={"approve-comment": ""}).status_code == 302
    assert queue.waiting(index_project) == ["index_project"]


def test_debounce_a_burst_of_requests_runs_once(queue, make_user):
    for _ in range(5):  # five transactions, as five requests
        make_user("staff")
        jobs.after_commit(recount)
        db.session.commit()
    assert queue.waiting() == ["recount"]
    assert queue.run_all() == 1 and refreshes == [1]

    make_user("staff")
    jobs.after_commit(recount)                       # after the run: a new one
    db.session.commit()
    assert queue.waiting() == ["recount"]


def test_debounce_a_run_under_way_is_followed_not_overlapped(queue, make_user):
    make_user("staff")
    jobs.after_commit(recount)
    db.session.commit()
    lock = queue.huey.lock_task("recount")
    lock.acquire()                                   # another worker is running it
    try:
        later = queue.huey.dequeue()
        queue.huey.execute(later)
        assert refreshes == [] and queue.waiting() == ["recount"]  # it waits for the running one
    finally:
        lock.release()
    queue.run_all()
    assert refreshes == [1]


def test_debounce_a_lost_run_is_replaced(queue, make_user):
    make_user("staff")
    jobs.after_commit(recount)
    db.session.commit()
    queue.huey.flush()                               # the waiting run vanished (a crash), its flag stayed
    queue.huey.put(jobs._pending_key("recount"), time.time() - jobs.STALE_AFTER - 1)
    make_user("staff")
    jobs.after_commit(recount)
    db.session.commit()
    assert queue.waiting() == ["recount"]


def test_mail_is_a_job_delivered_to_the_smtp_server(queue, smtp_server, make_user):
    user = make_user("clinician")
    tell(user, "project_published", "/deals/", project="意向提醒", comment="有新的合作意向。")
    assert smtp_server.messages == []
    db.session.commit()
    assert queue.waiting() == ["send_mail"] and smtp_server.messages == []
    queue.run_all()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == user.email and message["Subject"] == "[ClinBridge] 项目已通过初核：意向提醒"
    assert "有新的合作意向。" in message.get_content()
    (delivery,) = smtp_server.deliveries             # the envelope the job gave the server, not only the headers
    assert delivery.rcpt_tos == (user.email,) and delivery.mail_from in message["From"]


def test_a_failing_mail_server_makes_the_mail_job_retry(queue, app, make_user, monkeypatch, caplog):
    with socket_closed_port() as port:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        tell(make_user("clinician"), "project_published", project="标题")
        db.session.commit()
        queue.huey.execute(queue.huey.dequeue())
    assert queue.waiting() == ["send_mail"]          # scheduled again, retry_delay later
    assert queue.huey.scheduled()[0].retries == send_mail.retries - 1


def test_a_mail_the_server_defers_is_retried_until_it_arrives(queue, app, smtp_server, make_user):
    smtp_server.refuse_next(1, "451 4.3.0 mailbox busy, try again later")
    user = make_user("clinician")
    tell(user, "project_published", project="重试")
    db.session.commit()
    queue.huey.execute(queue.huey.dequeue())         # the server answers 451: the job fails and is rescheduled
    assert smtp_server.messages == [] and queue.waiting() == ["send_mail"]
    assert queue.huey.scheduled()[0].retries == send_mail.retries - 1
    queue.run_all()                                  # the retry, retry_delay later
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == user.email and message["Subject"] == "[ClinBridge] 项目已通过初核：重试"


class socket_closed_port:
    """A loopback port nothing listens on."""

    def __enter__(self) -> int:
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def __exit__(self, *exc):
        return False


def test_the_consumer_command_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["jobs", "consume"])
    assert result.exit_code != 0 and "CLINBRIDGE_JOBS_IMMEDIATE" in result.output


def test_the_consumer_process_runs_what_requests_queued(queue, app, smtp_server, make_project, make_user, tmp_path):
    """`flask --app wsgi jobs consume` in its own process, as in production: mail leaves, the index follows."""
    project = make_project(status=ProjectStatus.PUBLISHED, name="电动痔疮套扎系统",
                           intended_use="用于对各期内痔及混合痔的套扎治疗。")
    tell(make_user("clinician"), "project_published", project="消费者测试")
    db.session.commit()
    assert sorted(set(queue.waiting())) == ["index_project", "send_mail"]

    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLINBRIDGE_", "TEST_"))}
    env.update(CLINBRIDGE_INSTANCE_PATH=app.instance_path, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="consumer-test", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_server.port),
               CLINBRIDGE_JOBS_FILE=app.config["JOBS_FILE"], CLINBRIDGE_JOBS_QUEUE=app.config["JOBS_QUEUE"],
               REDIS_URL=app.config["REDIS_URL"], CLINBRIDGE_MATCHING_CACHE="off")
    log = tmp_path / "consumer.log"
    with log.open("w") as output:
        consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "consume", "--workers", "1"],
                                    cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        assert len(smtp_server.wait_for(2, timeout=60)) == 2, log.read_text()  # the owner's approval, the probe
        deadline = time.monotonic() + 30
        while not search.search_projects("痔疮").hits and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [hit.project_id for hit in search.search_projects("痔疮").hits] == [project.id], log.read_text()
        assert "[ClinBridge] 项目已通过初核：消费者测试" in [m["Subject"] for m in smtp_server.messages]
    finally:
        consumer.send_signal(signal.SIGINT)          # graceful: finish the running jobs, then stop
        try:
            consumer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()
    assert consumer.returncode == 0, log.read_text()
    assert queue.waiting() == []
