"""Jobs of the accounts area: the morning digest of notices for users who chose one mail a day."""
from __future__ import annotations

from flask import current_app

from app.core import jobs
from app.core.notifications import send_digests


# After the 08:00 expiry run, so that the day's reminders are in the digest.
@jobs.periodic_task(jobs.beijing_crontab(minute="5", hour="8"))
def mail_digests_daily() -> None:
    """At 08:05 Beijing time: one e-mail per digest user with their unread notices not yet mailed."""
    current_app.logger.info("digests: %d mailed", send_digests())
