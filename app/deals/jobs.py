"""Jobs of the deals area: the morning run that expires overdue interests and reminds owners halfway."""
from __future__ import annotations

from flask import current_app

from app.core import jobs
from app.deals.operations import expire_interests


@jobs.periodic_task(jobs.beijing_crontab(minute="0", hour="8"))
def expire_interests_daily() -> None:
    """At 08:00 Beijing time: expire pending interests past their date, remind owners halfway (意向提醒)."""
    expired, reminded = expire_interests()
    current_app.logger.info("interests: expired %d, reminded %d", expired, reminded)
