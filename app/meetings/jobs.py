"""Jobs of the meetings area: reminders the day before and an hour before each meeting."""
from __future__ import annotations

from flask import current_app

from app.core import jobs
from app.meetings.operations import send_reminders


# Every five minutes, off the hour (at :02, :07 …): the hour's marks belong to the daily jobs.
EVERY_FIVE_MINUTES = ",".join(str(m) for m in range(2, 60, 5))


@jobs.periodic_task(jobs.beijing_crontab(minute=EVERY_FIVE_MINUTES))
def send_meeting_reminders() -> None:
    """Every five minutes: the day-before message of each participant and the one-hour reminder of each meeting."""
    day, hour = send_reminders()
    if day or hour:
        current_app.logger.info("meeting reminders: day %d, hour %d", day, hour)
