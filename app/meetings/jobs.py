"""Jobs of the meetings area: reminders the day before and an hour before each meeting."""
from __future__ import annotations

from flask import current_app

from app.core import jobs
from app.meetings.operations import send_reminders


@jobs.periodic_task(jobs.beijing_crontab(minute="*/5"))
def send_meeting_reminders() -> None:
    """Every five minutes: the day-before message of each participant and the one-hour reminder of each meeting."""
    day, hour = send_reminders()
    if day or hour:
        current_app.logger.info("meeting reminders: day %d, hour %d", day, hour)
