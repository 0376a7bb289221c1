"""Staff tools for the review queue: search, filters, order, days waiting, and what changed since the last submission."""
from __future__ import annotations

from datetime import timedelta

from app.core.models import utcnow
from app.extensions import db
from app.projects import operations as svc
from app.projects.models import DeviceClass, ProjectStatus


def _queue(client, **args):
    return client.get("/review/", query_string=args).get_data(as_text=True)


def test_the_queue_searches_filters_sorts_and_shows_days_waiting(client, login_as, make_project, make_user):
    other_hospital = make_user("clinician")
    other_hospital.institution = "厦门大学附属第一医院"
    old = make_project(status=ProjectStatus.SUBMITTED, name="旧的骨科项目", city="泉州市", device_class="III")
    new = make_project(status=ProjectStatus.SUBMITTED, name="新的眼科项目", city="厦门市", device_class="II",
                       owner=other_hospital)
    old.submitted_at = utcnow() - timedelta(days=12)
    new.submitted_at = utcnow() - timedelta(days=2)
    db.session.commit()
    login_as("staff")
    page = _queue(client)
    assert page.index("旧的骨科项目") < page.index("新的眼科项目")            # longest waiting first
    assert "12 天" in page and "2 天" in page
    assert "新的眼科项目" not in _queue(client, q="骨科")
    assert "旧的骨科项目" not in _queue(client, city="厦门")
    assert "旧的骨科项目" not in _queue(client, hospital="厦门大学")
    assert "新的眼科项目" not in _queue(client, device_class=DeviceClass.III.value)
    assert "新的眼科项目" not in _queue(client, min_days="7")
    newest_first = _queue(client, sort="newest")
    assert newest_first.index("新的眼科项目") < newest_first.index("旧的骨科项目")
    assert "清除筛选（2）" in _queue(client, q="骨科", city="泉州")
    assert client.get("/review/", query_string={"min_days": "abc", "sort": "nonsense"}).status_code == 200


def test_the_review_page_shows_what_changed_since_the_last_submission_by_label(client, login_as, make_project,
                                                                              staff):
    project = make_project(status=ProjectStatus.RETURNED)
    svc.update_project(project, project.owner, {"market": "补充的市场分析ZD1", "device_class": "II"})
    svc.submit_project(project, project.owner)
    db.session.commit()
    login_as("staff")
    page = client.get(f"/review/{project.id}").get_data(as_text=True)
    assert 'id="changes-since-last"' in page
    assert "行业及市场情况" in page and "补充的市场分析ZD1" in page and "Ⅱ类医疗器械" in page
    section = page[page.index('id="changes-since-last"'):page.index("医疗机构临床研究成果转化项目需求表")]
    assert "market" not in section and "device_class" not in section


def test_a_first_submission_shows_no_changes_block(client, login_as, make_project):
    project = make_project(status=ProjectStatus.SUBMITTED)
    db.session.commit()
    login_as("staff")
    assert 'id="changes-since-last"' not in client.get(f"/review/{project.id}").get_data(as_text=True)
