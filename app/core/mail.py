"""Outgoing e-mail: a job enqueued after the database commit; a failing server never blocks the caller."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from app.core import jobs


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_after_commit(to: str, subject: str, body: str) -> None:
    """Queue a message that leaves only once the current transaction has committed."""
    if not mail_configured() or not to:
        return
    jobs.after_commit(send_mail, to, subject, body)


def discard_pending() -> None:
    """Drop the messages queued in this transaction (e.g. demo data addressed to *.test)."""
    jobs.discard(send_mail)


@jobs.task(retries=3, retry_delay=60)
def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message through the configured server; an SMTP or network error makes the job retry."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        current_app.logger.warning("mail to %s dropped: MAIL_SERVER is not set where jobs run", to)
        return
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
