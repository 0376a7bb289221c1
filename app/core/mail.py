"""Outgoing e-mail, sent only after the database commit; a failing server never blocks the caller."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from app.extensions import db

_PENDING_KEY = "clinbridge_pending_mail"


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver(to: str, subject: str, body: str) -> bool:
    """Send one message now; False (and a log line) when the server fails."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("mail to %s failed: %s", to, error)
        return False


def send_after_commit(to: str, subject: str, body: str) -> None:
    """Queue a message that leaves only once the current transaction has committed."""
    if not mail_configured() or not to:
        return
    db.session.info.setdefault(_PENDING_KEY, []).append((to, subject, body))


def discard_pending() -> None:
    """Drop the messages queued in this transaction (e.g. demo data addressed to *.test)."""
    db.session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_commit", propagate=True)
def _flush_mail(session):
    pending = session.info.pop(_PENDING_KEY, [])
    for to, subject, body in pending:
        deliver(to, subject, body)


@event.listens_for(Session, "after_rollback", propagate=True)
def _drop_mail(session):
    session.info.pop(_PENDING_KEY, None)
