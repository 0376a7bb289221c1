"""The job queue: work that can wait (search index, suggestion refresh, mail, the daily expiry) runs as Huey tasks.

One Huey instance for the process, pointed at its storage by create_app from the Flask config: Redis when
REDIS_URL is set (several machines share it), else a SQLite file in the instance folder (jobs survive a
restart). JOBS_IMMEDIATE runs each job in the process that enqueues it, when it is enqueued (the tests do).
A consumer (`flask --app wsgi jobs consume`) runs the queued jobs and the periodic ones; each job runs in an
app and request context of the platform (links resolve to BASE_URL) and commits once at the end.

after_commit(task, *args) enqueues only once the current database transaction commits; a rollback (of the
transaction or of the savepoint it was asked in) forgets the job. A debounced task waits a few seconds in the
queue, and requests for it meanwhile join the waiting run: a burst of changes runs it once. A lock in the
storage keeps its runs from overlapping; a run that finds it held follows the running one.
"""
from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session
from huey import Huey, crontab, signals
from huey.exceptions import RetryTask, TaskLockedException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event

from app.extensions import db

log = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")

STALE_AFTER = 3600  # seconds: a debounced run not started by then is presumed lost, and a new one is queued

_PENDING = "clinbridge_jobs_pending"      # session.info: jobs asked for in the open transaction
JOB_ENVIRON = "clinbridge.job"  # set in the request context a job runs in, so a job can be told from a request
_COMMITTED = "clinbridge_jobs_committed"  # session.info: jobs of the root transaction that just committed

# Configured by init_app; until then (a script importing a task without an app) jobs run where they are asked.
huey = Huey("clinbridge", results=False, immediate=True, immediate_use_memory=False, storage_class=MemoryStorage)

_app: Flask | None = None  # the app a consumer's worker threads run jobs in (they have no context of their own)


_settings: dict = {}  # what the storage was made from


def init_app(app: Flask) -> None:
    """Keep the queue settings of the app's config, point the queue at them, run consumer jobs in this app."""
    config = app.config
    app.extensions["clinbridge_jobs"] = _normalised(config["JOBS_IMMEDIATE"], config["JOBS_QUEUE"],
                                                    config["REDIS_URL"], config["JOBS_FILE"])
    use(app)


def use(app: Flask) -> None:
    """Point the queue at this app's storage unless it is there already (a process serves one app, tests several)."""
    global _app
    settings = app.extensions["clinbridge_jobs"]
    if settings != _settings:
        configure(**settings)
    _app = app


def configure(*, immediate: bool, queue: str = "clinbridge", redis_url: str = "", sqlite_file: str = "") -> None:
    """Use memory (immediate mode), Redis (when a URL is given) or the SQLite file for the queue named queue."""
    global _settings
    _settings = _normalised(immediate, queue, redis_url, sqlite_file)
    if immediate:
        storage = MemoryStorage(queue)
    elif redis_url:
        storage = RedisStorage(queue, url=redis_url)
    else:
        storage = SqliteStorage(queue, filename=sqlite_file)
    previous, huey.storage = huey.storage, storage
    huey.immediate = immediate
    if isinstance(previous, SqliteStorage):
        previous.close()
    elif isinstance(previous, RedisStorage):
        previous.pool.disconnect()


def _normalised(immediate: bool, queue: str, redis_url: str, sqlite_file: str) -> dict:
    if immediate:
        return {"immediate": True, "queue": queue}
    if redis_url:
        return {"immediate": False, "queue": queue, "redis_url": redis_url}
    return {"immediate": False, "queue": queue, "sqlite_file": sqlite_file}


@contextmanager
def job_context():
    """A fresh app and request context of the platform for one job: commit at the end, roll back on error."""
    if has_app_context():  # immediate mode: the app that enqueued it, but not its session
        app = current_app._get_current_object()
    elif _app is not None:
        app = _app
    else:
        raise RuntimeError("no application for this job: run jobs with `flask --app wsgi jobs consume`")
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"],
                                                     environ_overrides={JOB_ENVIRON: True}):
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def task(*, debounce: float = 0, **settings):
    """Declare a job: a Huey task (retries=…, retry_delay=… as Huey's) that runs in job_context.

    debounce (seconds, for a task without arguments): a run waits that long in the queue, and requests for
    the task while it waits join it; runs never overlap.
    """
    def decorate(fn):
        run = _in_context(fn)
        if debounce:
            run = _one_at_a_time(fn.__name__, debounce, run)
        wrapper = huey.task(**settings)(run)
        wrapper.debounce = debounce
        return wrapper
    return decorate


def periodic_task(validate_datetime, **settings):
    """Declare a job that the consumer's scheduler starts whenever validate_datetime (see beijing_crontab) holds."""
    def decorate(fn):
        return huey.periodic_task(validate_datetime, **settings)(_in_context(fn))
    return decorate


def beijing_crontab(minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """Huey's crontab read on the Beijing clock (the scheduler passes the time in UTC)."""
    matches = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)

    def validate(timestamp: datetime) -> bool:
        local = timestamp.replace(tzinfo=timezone.utc).astimezone(BEIJING).replace(tzinfo=None)
        return matches(local)
    return validate


def _in_context(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with job_context():
            return fn(*args, **kwargs)
    return run


def _pending_key(name: str) -> str:
    return f"{huey.name}.pending.{name}"


def _one_at_a_time(name: str, delay: float, run):
    lock = huey.lock_task(name)  # made at import, so that a consumer flushes it when it starts after a crash

    @functools.wraps(run)
    def debounced():
        if huey.immediate:  # nothing waits in immediate mode: each request runs it at once
            return run()
        try:
            lock.acquire()
        except TaskLockedException:
            raise RetryTask(delay=delay)  # a run is under way: this one follows it, the waiting flag left set
        try:
            huey.delete(_pending_key(name))  # from here on a change asks for a new run, which this one may miss
            return run()
        finally:
            lock.release()
    return debounced


@dataclass(frozen=True)
class _Job:
    key: tuple           # (task name, arguments): a transaction enqueues each once
    task: object
    args: tuple
    transaction: object  # where it was asked: the root transaction or a savepoint


def after_commit(task, *args) -> None:
    """Enqueue task(*args) once the current transaction commits (once per task and arguments); none on rollback.

    The arguments are plain values (ids, strings): the job reads the rows it needs when it runs.
    """
    key = (f"{task.task_class.__module__}.{task.task_class.__name__}", args)
    hash(key)  # unhashable arguments fail here, in the caller, not in the commit
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append(_Job(key, task, args, transaction))


def discard(task) -> None:
    """Forget the jobs of this task asked for in the open transaction."""
    pending = db.session.info.get(_PENDING)
    if pending:
        pending[:] = [job for job in pending if job.task is not task]


def pending(task=None) -> list[tuple]:
    """The (task name, arguments) asked for in the open transaction, optionally of one task."""
    return [job.key for job in db.session.info.get(_PENDING, []) if task is None or job.task is task]


@event.listens_for(Session, "after_commit", propagate=True)
def _committed(session):
    if not session.in_nested_transaction():  # a released savepoint hands its jobs to the enclosing transaction
        session.info[_COMMITTED] = session.info.pop(_PENDING, [])


@event.listens_for(Session, "after_soft_rollback", propagate=True)
def _rolled_back(session, previous_transaction):
    jobs = session.info.get(_PENDING)
    if jobs:
        jobs[:] = [job for job in jobs if not _within(job.transaction, previous_transaction)]


@event.listens_for(Session, "after_transaction_end", propagate=True)
def _transaction_ended(session, transaction):
    if transaction.parent is not None:
        return
    session.info.pop(_PENDING, None)  # a root transaction closed without a commit
    committed = session.info.pop(_COMMITTED, [])
    if committed and has_app_context():
        use(current_app._get_current_object())  # the queue of the app that committed
    seen = set()
    for job in committed:
        if job.key not in seen:
            seen.add(job.key)
            _enqueue(job)


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _enqueue(job: _Job) -> None:
    """Hand a committed job to the queue; the commit stands even if the queue fails (it is logged)."""
    try:
        if job.task.debounce and not huey.immediate:
            _enqueue_debounced(job.task)
        else:
            job.task(*job.args)
    except Exception:  # noqa: BLE001 — the request that asked for it has committed: never fail it now
        log.exception("could not enqueue job %s%r", job.key[0], job.args)


def _enqueue_debounced(task) -> None:
    key, now = _pending_key(task.task_class.__name__), time.time()
    if not huey.put_if_empty(key, now):
        waiting_since = huey.get(key, peek=True)
        if waiting_since is not None and now - waiting_since < STALE_AFTER:
            return  # a run is waiting in the queue: it will read this change
        huey.put(key, now)
    task.schedule(delay=task.debounce)


@huey.signal(signals.SIGNAL_INTERRUPTED)
def _requeue_interrupted(signal, task, *args, **kwargs):
    """A job cut short by a consumer shutdown runs again when a consumer next starts."""
    huey.enqueue(task)


def consumer(workers: int = 2):
    """A consumer of this process's queue: worker threads, the scheduler of delayed and periodic jobs.

    Locks left by a consumer that was killed are flushed when it starts; SIGINT stops it after the running
    jobs (at most 30 s, then they are interrupted and queued again), SIGTERM at once.
    """
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=True, flush_locks=True,
                                shutdown_timeout=30)


CHILD_TIMEOUT = 3 * 3600  # seconds a job's child process may take (a full suggestion recompute of 10k: ~5–15 min)


def can_fork() -> bool:
    """Whether work can run in a forked child process here (Linux and alike)."""
    return "fork" in multiprocessing.get_all_start_methods()


def apart(work, setting: str) -> None:
    """work() in a forked child (in_child_process) when the app's `setting` is on (by default everywhere but in the
    tests) and this platform can fork; else here."""
    if current_app.config.get(setting, not current_app.testing) and can_fork():
        in_child_process(work)
    else:
        work()


def in_child_process(work) -> None:
    """work() in a forked child that commits its own transaction; RuntimeError (the job retries) when it failed.

    For a job whose memory should not stay with the process that runs it (the suggestion refresh: jieba, the
    knowledge base, the corpus's matrices): the child's memory returns when it exits. The caller's session is
    committed and closed first, so no connection crosses the fork; the child drops the pool it inherited.
    """
    db.session.commit()
    db.session.close()
    process = multiprocessing.get_context("fork").Process(target=_child, args=(work,), name="clinbridge-job-child")
    process.start()
    process.join(CHILD_TIMEOUT)
    if process.is_alive():
        process.kill()
        process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the job's work failed in its child process (exit code {process.exitcode})")


def _child(work) -> None:
    db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's: the child opens its own
    code = 0
    try:
        work()
        db.session.commit()
    except BaseException:  # noqa: BLE001 - reported to the parent by the exit code, logged here
        log.exception("a job's work failed in its child process")
        db.session.rollback()
        code = 1
    finally:
        db.session.close()
        os._exit(code)  # nothing of the parent's (atexit handlers, buffers) runs twice
