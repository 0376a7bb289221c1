"""The request is the unit of work: views call operations and never commit; the request commits once or rolls back.

- A response with a status below 400 commits, once, after the view and before the response leaves: a redirect
  after a POST is sent only when its writes are stored. A commit that fails rolls back and answers 500 with
  "nothing was saved", never a success page over a lost write.
- A response of 400 or above rolls back, and so does any exception. A `ServiceError` from an operation becomes
  a flashed message on a page with its status (errors.py has the table); a view that wants the message next to
  a field catches the error and re-renders its form with 400, which rolls back too. So a refusal after some
  writes leaves no row.
- A GET (HEAD, OPTIONS) changes no row. The one thing it may add is a record of reading (audit.READING_ACTIONS:
  a partner reading confidential text, staff reading a negotiation, exports and downloads): the
  confidentiality rules require the record, and it is an append-only audit row, not business data. Any other
  write in a GET raises ReadOnlyRequestError before it reaches the database. A GET with nothing to store (no
  pending object, no flush) is not committed: its transaction is released when the session ends.
"""
from __future__ import annotations

from flask import Flask, current_app, flash, jsonify, make_response, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from app.core import audit
from app.core.errors import ServiceError
from app.core.models import AuditEvent
from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_READ_ONLY = "clinbridge_read_only_request"
_FLUSHED = "clinbridge_flushed"


class ReadOnlyRequestError(RuntimeError):
    """A GET request tried to change a row."""


def init_app(app: Flask) -> None:
    """Install the unit of work; call before anything else registers after_request hooks (it must run last)."""
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)
    app.register_error_handler(ServiceError, refused)


def _begin() -> None:
    if request.method in SAFE_METHODS:
        db.session.info[_READ_ONLY] = True


def _end(response):
    try:
        if response.status_code >= 400:
            db.session.rollback()
            return response
        if request.method in SAFE_METHODS and not _has_writes(db.session):
            return response  # nothing to store: the session's end releases the connection, no commit needed
        try:
            db.session.commit()
        except Exception:  # noqa: BLE001 — any failure to store must reach the user as an error
            db.session.rollback()
            current_app.logger.exception("commit failed: %s %s", request.method, request.path)
            return _commit_failed()
        return response
    finally:
        _forget()


def _has_writes(session) -> bool:
    """Whether the session holds something to commit: pending objects, or a flush earlier in the request."""
    return bool(session.info.get(_FLUSHED) or session.new or session.dirty or session.deleted)


def _forget(_error=None) -> None:
    """Drop the request's marks from the session (after the response; at teardown, for a request that raised).
    The session ends with the app context; this only matters when a test shares one context over requests."""
    db.session.info.pop(_READ_ONLY, None)
    db.session.info.pop(_FLUSHED, None)


def _unsay() -> None:
    """Drop what the view already flashed (its success): the action did not happen, and one message says so."""
    session.pop("_flashes", None)


def _commit_failed():
    _unsay()
    message = _("未能保存：您的操作没有生效，请稍后重试")
    return make_response(render_template("error.html", code=500, message=message), 500)


def back_target() -> str:
    """Where the user came from on this site (the page to go back to after a refusal), or the home page."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else url_for("main.index")


def refused(error: ServiceError):
    """An operation refused: roll back now (the page below must read the state as stored), say why, with its status."""
    db.session.rollback()
    status = getattr(error, "status", 400)
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=str(error)), status
    _unsay()
    flash(str(error), "danger")
    return render_template("refused.html", code=status, back=back_target()), status


def _is_reading_record(instance) -> bool:
    return isinstance(instance, AuditEvent) and instance.action in audit.READING_ACTIONS


@event.listens_for(Session, "before_flush", propagate=True)
def _refuse_writes_in_read_only_request(session, flush_context, instances):
    if not session.info.get(_READ_ONLY):
        return
    changed = [o for o in session.new if not _is_reading_record(o)]
    changed += [o for o in session.dirty if session.is_modified(o)]
    changed += list(session.deleted)
    if changed:
        names = sorted({type(o).__name__ for o in changed})
        raise ReadOnlyRequestError(f"{request.method} {request.path} may not change rows: {', '.join(names)}")


@event.listens_for(Session, "after_flush", propagate=True)
def _note_flush(session, flush_context):
    session.info[_FLUSHED] = True


@event.listens_for(Session, "do_orm_execute", propagate=True)
def _refuse_statements_in_read_only_request(state):
    if state.session.info.get(_READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlyRequestError(f"{request.method} {request.path} may not run INSERT, UPDATE or DELETE")
