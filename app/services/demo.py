"""Demo data: accounts for every role and about forty projects walked through the real transitions.

The projects come from app/demo_data/demo_projects.jsonl, written once by
app/demo_data/build_demo_projects.py from real NMPA classification determinations (CC BY 4.0,
see app/demo_data/README.md). Loading is deterministic and repeatable: accounts and projects
already present are left alone.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources

from flask_babel import force_locale

from app.extensions import db
from app.models import AuditEvent, Organisation, Project, ProjectStatus, Role, User, utcnow
from app.services import accounts
from app.services import projects as project_service
from forms.validators import uscc_check_character

DEMO_PASSWORD = "demo-password"
BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class DemoClinician:
    email: str
    name: str
    title: str
    phone: str
    hospital: str
    department: str
    city: str


@dataclass(frozen=True)
class DemoOrganisationMember:
    email: str
    name: str
    phone: str
    role: Role
    organisation: str
    serial: int          # makes the organisation's 统一社会信用代码
    verified: bool


CLINICIANS = (
    DemoClinician("clinician@demo.test", "陈志远", "主任医师", "13800000001", "福建医科大学附属协和医院",
                  "心血管内科", "福州市"),
    DemoClinician("clinician2@demo.test", "林晓峰", "副主任医师", "13800000002", "厦门大学附属中山医院",
                  "骨科", "厦门市"),
    DemoClinician("clinician3@demo.test", "黄丽娟", "主任技师", "13800000003", "泉州市第一医院", "检验科", "泉州市"),
    DemoClinician("clinician4@demo.test", "郑文斌", "主任医师", "13800000004", "漳州市医院", "眼科", "漳州市"),
    DemoClinician("clinician5@demo.test", "吴海燕", "副主任医师", "13800000005", "莆田学院附属医院", "妇产科",
                  "莆田市"),
    DemoClinician("clinician6@demo.test", "张建华", "主任医师", "13800000006", "三明市第一医院", "普通外科",
                  "三明市"),
    DemoClinician("clinician7@demo.test", "李秀英", "主治医师", "13800000007", "南平市第一医院", "口腔科", "南平市"),
    DemoClinician("clinician8@demo.test", "王德明", "主任医师", "13800000008", "龙岩市第一医院",
                  "呼吸与危重症医学科", "龙岩市"),
    DemoClinician("clinician9@demo.test", "刘雅琴", "副主任治疗师", "13800000009", "宁德市医院", "康复医学科",
                  "宁德市"),
)
ORGANISATION_MEMBERS = (
    DemoOrganisationMember("enterprise@demo.test", "林振华", "13800000011", Role.ENTERPRISE,
                           "榕康医疗器械有限公司（演示）", 1, True),
    DemoOrganisationMember("investor@demo.test", "苏文清", "13800000012", Role.INVESTOR,
                           "海峡健康产业投资基金（演示）", 2, True),
    DemoOrganisationMember("enterprise2@demo.test", "蔡明辉", "13800000013", Role.ENTERPRISE,
                           "闽南精密医疗科技有限公司（演示）", 3, False),
)
STAFF = ("staff@demo.test", "周敏")
ADMIN = ("admin@demo.test", "郭建国")

DEMO_ACCOUNTS: tuple[str, ...] = (
    CLINICIANS[0].email, CLINICIANS[1].email,
    *(member.email for member in ORGANISATION_MEMBERS),
    STAFF[0], ADMIN[0],
    *(clinician.email for clinician in CLINICIANS[2:]),
)

# What staff write when they move a demo project along (the matchmaking steps are not modelled yet).
STEP_COMMENTS = {
    ProjectStatus.NEGOTIATING: "榕康医疗器械有限公司（演示）的合作意向已获项目负责人接受，进入合作洽谈。",
    ProjectStatus.SIGNED: "双方已签署技术转让及联合开发合同，服务站已备案对接表。",
    ProjectStatus.INCUBATING: "经服务站评估纳入产品培育，已制定注册检验与临床评价计划。",
    ProjectStatus.LAUNCHED: "产品已取得医疗器械注册证并上市销售。",
}
PATHS = {
    ProjectStatus.DRAFT: (),
    ProjectStatus.SUBMITTED: ("submit",),
    ProjectStatus.RETURNED: ("submit", "return"),
    ProjectStatus.REJECTED: ("submit", "reject"),
    ProjectStatus.WITHDRAWN: ("submit", "withdraw"),
    ProjectStatus.PUBLISHED: ("submit", "approve"),
    ProjectStatus.NEGOTIATING: ("submit", "approve", ProjectStatus.NEGOTIATING),
    ProjectStatus.SIGNED: ("submit", "approve", ProjectStatus.NEGOTIATING, ProjectStatus.SIGNED),
    ProjectStatus.INCUBATING: ("submit", "approve", ProjectStatus.NEGOTIATING, ProjectStatus.SIGNED,
                               ProjectStatus.INCUBATING),
    ProjectStatus.LAUNCHED: ("submit", "approve", ProjectStatus.NEGOTIATING, ProjectStatus.SIGNED,
                             ProjectStatus.INCUBATING, ProjectStatus.LAUNCHED),
}
# Returned once and revised before approval: the history the review queue usually shows.
REVISED_PATH = ("submit", "return", "submit", "approve")
ACCOUNTS_SINCE_DAYS = 450  # before the oldest demo project


def has_data() -> bool:
    """True if any user exists (the demo is loaded only into an empty database unless forced)."""
    return db.session.scalar(db.select(User.id).limit(1)) is not None


def demo_projects() -> list[dict]:
    """The packaged demo projects (exchange format plus status, owner and review comments)."""
    text = resources.files("app.demo_data").joinpath("demo_projects.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def demo_uscc(serial: int) -> str:
    """A well-formed 统一社会信用代码 (GB 32100-2015 check character) for a demo organisation."""
    first17 = f"91350100MA{serial:07d}"
    return first17 + uscc_check_character(first17)


def load_demo() -> dict[str, int]:
    """Create the demo accounts and projects through the services; the caller commits."""
    now = utcnow().replace(second=0, microsecond=0)
    db.session.flush()  # only the demo's own audit rows are pending from here on, to be dated
    with force_locale("zh"):
        users_before = _count(User)
        organisations_before = _count(Organisation)
        admin, staff = _staff_accounts(now)
        owners = {clinician.email: _clinician(clinician, now) for clinician in CLINICIANS}
        for member in ORGANISATION_MEMBERS:
            _organisation_member(member, staff, now)
        created = 0
        for record in demo_projects():
            created += _project(record, owners[record["owner"]], staff, now)
        db.session.flush()
        return {"users": _count(User) - users_before,
                "organisations": _count(Organisation) - organisations_before,
                "projects": created}


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _since(now: datetime, days: float, seed: str = "") -> datetime:
    """The day `days` before now, at a time in Beijing office hours (09:00–17:00) picked by seed."""
    day = (now - timedelta(days=days)).astimezone(BEIJING)
    minutes = int(hashlib.sha256(f"{seed}{days}".encode("utf-8")).hexdigest()[:6], 16) % 480
    return (day.replace(hour=9, minute=0, second=0, microsecond=0)
            + timedelta(minutes=minutes)).astimezone(timezone.utc)


def _stamp_pending_events(times: list[datetime]) -> None:
    """Date the audit rows still waiting to be written, in the order they were added.

    Rows are dated before their INSERT, so the append-only trail is never updated.
    """
    pending = [obj for obj in db.session.new if isinstance(obj, AuditEvent) and obj.created_at is None]
    for event, moment in zip(pending, _spread(times, len(pending))):
        event.created_at = moment


def _spread(times: list[datetime], count: int) -> list[datetime]:
    if count <= len(times):
        return times[:count]
    return times + [times[-1] + timedelta(minutes=i + 1) for i in range(count - len(times))]


def _staff_accounts(now: datetime) -> tuple[User, User]:
    created_at = _since(now, ACCOUNTS_SINCE_DAYS + 5)
    admin = accounts.find_user(ADMIN[0])
    if admin is None:
        with db.session.no_autoflush:
            admin = accounts.create_staff(ADMIN[0], DEMO_PASSWORD, ADMIN[1], Role.ADMIN)
            _stamp_pending_events([created_at])
        admin.created_at = created_at
    staff = accounts.find_user(STAFF[0])
    if staff is None:
        with db.session.no_autoflush:
            staff = accounts.create_staff(STAFF[0], DEMO_PASSWORD, STAFF[1], Role.STAFF, actor=admin)
            _stamp_pending_events([created_at + timedelta(minutes=10)])
        staff.created_at = created_at + timedelta(minutes=10)
    return admin, staff


def _clinician(clinician: DemoClinician, now: datetime) -> User:
    user = accounts.find_user(clinician.email)
    if user is None:
        created_at = _since(now, ACCOUNTS_SINCE_DAYS - CLINICIANS.index(clinician) * 3)
        with db.session.no_autoflush:
            user = accounts.register_clinician(clinician.email, DEMO_PASSWORD, clinician.name, clinician.phone,
                                               clinician.hospital, clinician.department)
            _stamp_pending_events([created_at])
        user.created_at = created_at
    return user


def _organisation_member(member: DemoOrganisationMember, staff: User, now: datetime) -> User:
    user = accounts.find_user(member.email)
    if user is not None:
        return user
    created_at = _since(now, ACCOUNTS_SINCE_DAYS - 20 - member.serial * 7)
    with db.session.no_autoflush:
        user = accounts.register_organisation_member(member.email, DEMO_PASSWORD, member.name, member.phone,
                                                     member.role, member.organisation, demo_uscc(member.serial))
        times = [created_at]
        if member.verified and not user.organisation.is_verified:
            accounts.verify_organisation(user.organisation, staff)
            times.append(created_at + timedelta(days=2, hours=1))
        _stamp_pending_events(times)
    user.created_at = created_at
    user.organisation.created_at = created_at
    if len(times) > 1:
        user.organisation.verified_at = times[-1]
    return user


def demo_key(record_id: str) -> str:
    """The import_key of a demo project, so a second load leaves it alone."""
    return hashlib.sha256(f"demo\x1f{record_id}".encode("utf-8")).hexdigest()


def _project(record: dict, owner: User, staff: User, now: datetime) -> int:
    """Create one demo project and walk it to its state; 0 if it is already there."""
    key = demo_key(record["id"])
    if db.session.scalar(db.select(Project.id).where(Project.import_key == key)) is not None:
        return 0
    status = ProjectStatus(record["status"])
    path = REVISED_PATH if record.get("revised") and status is ProjectStatus.PUBLISHED else PATHS[status]
    values = {name: record[name] for name in project_service.EDITABLE_FIELDS if name in record}
    with db.session.no_autoflush:
        project = project_service.create_project(owner, values)
        project.import_key = key
        returned = 0
        for step in path:
            if step == "submit":
                project_service.submit_project(project, owner)
            elif step == "approve":
                project_service.approve_project(project, staff, record.get("approval_comment", ""))
            elif step == "return":
                comments = record["return_comments"]
                project_service.return_project(project, staff, comments[min(returned, len(comments) - 1)])
                returned += 1
            elif step == "reject":
                project_service.reject_project(project, staff, record["reject_reason"])
            elif step == "withdraw":
                project_service.withdraw_project(project, owner, record["withdraw_reason"])
            else:
                project_service.move_for_demo(project, step, staff, STEP_COMMENTS[step])
        times = _timeline(now, record, len(path))
        _stamp_pending_events(times)
    _date_project(project, path, times)
    return 1


def _timeline(now: datetime, record: dict, steps: int) -> list[datetime]:
    """The creation time and one time per step, spread between creation and the last change."""
    first, last = record["created_days_ago"], record["last_change_days_ago"]
    times = []
    for i in range(steps + 1):
        moment = _since(now, first - (first - last) * i / max(steps, 1), seed=record["id"])
        if times and moment <= times[-1]:
            moment = times[-1] + timedelta(minutes=20)
        times.append(moment)
    return times


def _date_project(project: Project, path: tuple, times: list[datetime]) -> None:
    project.created_at = times[0]
    project.status_changed_at = times[-1]
    project.updated_at = times[-1]
    for step, moment in zip(path, times[1:]):
        if step == "submit":
            project.submitted_at = moment
        elif step == "approve":
            project.published_at = moment
