"""The daily job of the deals area: at 08:00 Beijing time, overdue interests expire and owners are reminded."""
from datetime import datetime, timedelta

import pytest

from app.core.jobs import huey
from app.core.models import utcnow
from app.deals import operations as interests
from app.deals.jobs import expire_interests_daily
from app.deals.models import InterestStatus
from app.extensions import db
from app.projects.models import ProjectStatus


@pytest.mark.parametrize("utc, runs", [
    (datetime(2025, 3, 3, 0, 0), True),     # 08:00 in Beijing
    (datetime(2025, 3, 3, 0, 1), False),
    (datetime(2025, 3, 3, 8, 0), False),    # 16:00 in Beijing
    (datetime(2025, 3, 2, 16, 0), False),   # midnight in Beijing
])
def test_the_expiry_runs_each_morning_at_8_beijing_time(utc, runs):
    due = [type(task).__name__ for task in huey.read_periodic(utc)]  # what the consumer's scheduler enqueues
    assert ("expire_interests_daily" in due) is runs


def test_the_daily_job_expires_overdue_interests_and_mails_both_sides(queue, app, smtp_server, make_project,
                                                                      make_user):
    project = make_project(status=ProjectStatus.PUBLISHED)
    company = make_user("enterprise")
    with app.test_request_context():
        interest = interests.express_interest(project, company, "希望联合开发。", ["joint_development"], 200, "半年")
    interest.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    queue.run_all()                                  # what the day's requests queued (the new-interest mail)
    arrived = len(smtp_server.wait_for(1))

    for task in huey.read_periodic(datetime(2025, 3, 3, 0, 0)):  # the scheduler at 08:00 Beijing time
        huey.enqueue(task)
    assert queue.waiting() == ["expire_interests_daily"]
    queue.run_all()                                  # the expiry, then the mail it asked for

    db.session.expire_all()
    assert interest.status is InterestStatus.EXPIRED
    mails = smtp_server.wait_for(arrived + 2)[arrived:]
    assert sorted(m["To"] for m in mails) == sorted([project.owner.email, company.email])
    assert all("意向已过期" in m["Subject"] and "http://127.0.0.1:5000/" in m.get_content() for m in mails)


def test_the_daily_job_in_immediate_mode(make_project, make_user, app):
    project = make_project(status=ProjectStatus.PUBLISHED)
    with app.test_request_context():
        interest = interests.express_interest(project, make_user("enterprise"), "希望合作。", ["joint_development"])
    interest.expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    expire_interests_daily()                         # as the scheduler would start it
    db.session.expire_all()
    assert interest.status is InterestStatus.EXPIRED
