"""Jobs of the programme area: the article search index after commits, the morning SLA reminders."""
from __future__ import annotations

from flask import current_app

from app.core import jobs
from app.programme import search
from app.programme.requests import remind_overdue


@jobs.task(retries=3, retry_delay=30)
def index_article(article_id: int) -> None:
    """Bring one article's search document up to date (dropped when it is no longer published)."""
    search.update_articles({article_id})


@jobs.periodic_task(jobs.beijing_crontab(minute="30", hour="8"))
def remind_overdue_requests_daily() -> None:
    """At 08:30 Beijing time on every day: remind the assignees of overdue service requests (服务时限提醒)."""
    reminded = remind_overdue()
    current_app.logger.info("service requests: reminded %d overdue", reminded)
