"""Two submissions of one form key at the same moment: one creates, the other gets a clear 409 (never a 500).

Runs against the real database of the test session (an SQLite file, or PostgreSQL with TEST_DATABASE_URL):
two threads, each its own request and connection, held together past the done() check by a barrier.
"""
from __future__ import annotations

import threading

from app.core import idempotency
from app.extensions import db
from app.projects.models import Project
from tests.conftest import FULL_PROJECT
from tests.test_security import _key_of


def _second_client(app, client):
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
    return other


def test_two_simultaneous_submissions_of_one_key_create_one_project(app, client, login_as, monkeypatch):
    login_as("clinician")
    key = _key_of(client.get("/projects/new").get_data(as_text=True))
    data = dict(FULL_PROJECT, commitment_agreed="y", publish_consent="yes", submission_key=key)
    clients = [client, _second_client(app, client)]
    barrier = threading.Barrier(2, timeout=20)
    original_done = idempotency.done

    def done_then_wait(*args):
        answer = original_done(*args)
        barrier.wait()  # both have seen "not used yet" before either goes on
        return answer

    monkeypatch.setattr(idempotency, "done", done_then_wait)
    responses: list = [None, None]

    def post(index):
        responses[index] = clients[index].post("/projects/new", data=data)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], statuses
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "这份表单已经提交过" in refused
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Project)) == 1


def test_remember_refuses_the_users_own_key_already_stored(make_user):
    import pytest
    owner, other = make_user("clinician"), make_user("clinician")
    idempotency.remember("r" * 32, owner, "/projects/1")
    db.session.commit()
    with pytest.raises(idempotency.DuplicateSubmission) as refused:
        idempotency.remember("r" * 32, owner, "/projects/2")
    assert refused.value.status == 409
    db.session.rollback()
    idempotency.remember("r" * 32, other, "/projects/3")  # another user's key is skipped, as before
