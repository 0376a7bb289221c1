"""Demo data: accounts for every role, about forty projects and the deals around them, all through the services.

The projects come from app/demo/data/demo_projects.jsonl, written once by
app/demo/build_demo_projects.py from real NMPA classification determinations (CC BY 4.0,
see app/demo/data/README.md); organisation profiles, intents, interests, negotiations, signings,
docking forms, assessments and milestones come from app/demo/data/demo_deals.json. Every step is a
real service call replayed at a moment in the past (see _Clock), so the audit trail, notifications
and the deal rows agree with each other. Loading is deterministic and repeatable: accounts and
projects already present are left alone.
"""
from __future__ import annotations

import hashlib
import heapq
import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from importlib import resources

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from app.accounts import institutions as hospitals
from app.accounts import operations as accounts
from app.accounts import operations as organisations
from app.accounts import people
from app.accounts.models import Institution, InstitutionLevel, Organisation, Role, User
from app.core import mail
from app.core.models import Notification, utcnow
from app.deals import operations as deal_operations
from app.deals import operations as interest_service
from app.deals import operations as negotiation
from app.deals import operations as signing
from app.deals.models import DeclineReason, Intent, IntentStatus, Interest
from app.demo import meetings as demo_meetings
from app.demo import programme as programme_demo
from app.extensions import db
from app.incubation import operations as incubation
from app.incubation.models import Indicator, Milestone, MilestoneKind, MilestoneStatus
from app.projects import operations as project_service
from app.projects import saved_searches
from app.projects.models import Project, ProjectStatus
from forms.validators import uscc_check_character

DEMO_PASSWORD = "demo-password"  # the documented password of the demo accounts (README)  # nosec B105
BEIJING = timezone(timedelta(hours=8))


# A one-page placeholder PDF standing in for a scanned business licence (营业执照) in the demo.
DEMO_LICENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
                    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
                    b"4 0 obj<</Length 58>>stream\nBT /F1 24 Tf 72 760 Td (Business licence - demo only) Tj ET\n"
                    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
                    b"trailer<</Root 1 0 R>>\n%%EOF\n")


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
    area: str = "350100"  # 登记管理机关 area code of the 统一社会信用代码 (福州 350100, 厦门 350200, 泉州 350500)


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
    DemoOrganisationMember("enterprise3@demo.test", "许志强", "13800000014", Role.ENTERPRISE,
                           "厦门鹭安医疗科技有限公司（演示）", 4, True, "350200"),
    DemoOrganisationMember("enterprise4@demo.test", "庄雅婷", "13800000015", Role.ENTERPRISE,
                           "泉州闽诊生物科技有限公司（演示）", 5, True, "350500"),
)

STAFF = ("staff@demo.test", "周敏")
ADMIN = ("admin@demo.test", "郭建国")


@dataclass(frozen=True)
class DemoHospital:
    name: str
    city: str
    level: InstitutionLevel
    area: str      # 登记管理机关 area code of the hospital's 统一社会信用代码 (事业单位: 12…)
    serial: int


L3A = InstitutionLevel.GRADE_3A
# The demo clinicians' hospitals (Fujian, 三甲 unless noted).
HOSPITALS = (
    DemoHospital("福建医科大学附属协和医院", "福州市", L3A, "350000", 1),
    DemoHospital("厦门大学附属中山医院", "厦门市", L3A, "350200", 2),
    DemoHospital("泉州市第一医院", "泉州市", L3A, "350500", 3),
    DemoHospital("漳州市医院", "漳州市", L3A, "350600", 4),
    DemoHospital("莆田学院附属医院", "莆田市", L3A, "350300", 5),
    DemoHospital("三明市第一医院", "三明市", L3A, "350400", 6),
    DemoHospital("南平市第一医院", "南平市", L3A, "350700", 7),
    DemoHospital("龙岩市第一医院", "龙岩市", L3A, "350800", 8),
    DemoHospital("宁德市医院", "宁德市", InstitutionLevel.GRADE_3B, "350900", 9),
)

# The hospital officer (医疗机构成果转化管理员) of 林晓峰's hospital: confirms its clinicians and, since a few days
# ago, reviews its projects first (院内审核: demo-13 waits for her).
OFFICER = ("institution@demo.test", "叶慧敏", "13800000021", "厦门大学附属中山医院")
INTERNAL_REVIEW_SINCE_DAYS = 3

DEMO_ACCOUNTS: tuple[str, ...] = (
    CLINICIANS[0].email, CLINICIANS[1].email,
    *(member.email for member in ORGANISATION_MEMBERS),
    STAFF[0], ADMIN[0],
    *(clinician.email for clinician in CLINICIANS[2:]),
    OFFICER[0],
)

# The review steps, then the deal steps (driven by demo_deals.json): one timeline moment each.
DEAL_STEPS = ("accept", "sign", "incubate", "launch")

PATHS = {
    ProjectStatus.DRAFT: (),
    ProjectStatus.SUBMITTED: ("submit",),
    ProjectStatus.RETURNED: ("submit", "return"),
    ProjectStatus.REJECTED: ("submit", "reject"),
    ProjectStatus.WITHDRAWN: ("submit", "withdraw"),
    ProjectStatus.PUBLISHED: ("submit", "approve"),
    ProjectStatus.NEGOTIATING: ("submit", "approve", *DEAL_STEPS[:1]),
    ProjectStatus.SIGNED: ("submit", "approve", *DEAL_STEPS[:2]),
    ProjectStatus.INCUBATING: ("submit", "approve", *DEAL_STEPS[:3]),
    ProjectStatus.LAUNCHED: ("submit", "approve", *DEAL_STEPS),
    ProjectStatus.INSTITUTION_REVIEW: ("submit",),  # the owner's hospital reviews first (see OFFICER)
}

# Returned once and revised before approval: the history the review queue usually shows.
REVISED_PATH = ("submit", "return", "submit", "approve")
ACCOUNTS_SINCE_DAYS = 450  # before the oldest demo project
CRON_DAYS = 30             # the daily interest-expiry run is replayed for this many past days
READ_AFTER_DAYS = 14       # notifications older than this have been read


def has_data() -> bool:
    """True if any user exists (the demo is loaded only into an empty database unless forced)."""
    return db.session.scalar(db.select(User.id).limit(1)) is not None


def demo_projects() -> list[dict]:
    """The packaged demo projects (exchange format plus status, owner and review comments)."""
    text = resources.files("app.demo").joinpath("data").joinpath("demo_projects.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def demo_deals() -> dict:
    """The packaged deal data: organisation profiles and intents, saved searches, deals, loose interests."""
    return json.loads(resources.files("app.demo").joinpath("data").joinpath("demo_deals.json").read_text(encoding="utf-8"))


def demo_uscc(serial: int, area: str = "350100") -> str:
    """A well-formed 统一社会信用代码 (GB 32100-2015 check character) for a demo organisation."""
    first17 = f"91{area}MA{serial:07d}"
    return first17 + uscc_check_character(first17)


def demo_hospital_code(hospital: DemoHospital) -> str:
    """A well-formed 统一社会信用代码 of a public hospital (事业单位, 12…) for a demo hospital."""
    first17 = f"12{hospital.area}4{hospital.serial:08d}"
    return first17 + uscc_check_character(first17)


def demo_key(record_id: str) -> str:
    """The import_key of a demo project, so a second load leaves it alone."""
    return hashlib.sha256(f"demo\x1f{record_id}".encode("utf-8")).hexdigest()


def demo_pdf(title: str) -> bytes:
    """A small one-page PDF standing in for a real document (ASCII text: no fonts to embed)."""
    number = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8].upper()
    lines = ("ClinBridge demo attachment", f"Document DEMO-{number}",
             "This file stands in for a real document of the demo data (fictitious).")
    content = "BT /F1 14 Tf 72 770 Td " + " 0 -24 Td ".join(f"({line}) Tj" for line in lines) + " ET"
    objects = ("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               "/Contents 5 0 R >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number_, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number_} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def _upload(filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(demo_pdf(filename)), filename=filename, content_type="application/pdf")


# Timestamps the services take from the real clock, moved to the moment being replayed.
SERVICE_TIMES = ("status_changed_at", "submitted_at", "published_at", "verified_at", "responded_at", "closed_at",
                 "confirmed_at", "completed_at", "filed_at")

# Column defaults (utcnow) the replayed moment takes instead.
DEFAULT_TIMES = ("created_at", "opened_at", "updated_at", "status_changed_at")

# A walk is a generator: it yields the moment of its next step, then (when resumed) performs that step.
Walk = Iterator[datetime]


class _Clock:
    """The moment being replayed: rows the services add or change are dated to it when they are flushed.

    Audit rows are append-only (an ORM guard refuses updates), so they must carry their date before
    their INSERT; a flush listener dates them, and everything else the services stamp, on the way out.
    """

    def __init__(self, real_start: datetime):
        self.real_start = real_start
        self.moment: datetime | None = None

    @contextmanager
    def at(self, moment: datetime):
        self.moment = moment
        try:
            yield moment
            db.session.flush()
        finally:
            self.moment = None

    def before_flush(self, session, _flush_context, _instances) -> None:
        if self.moment is None:
            return
        for obj in list(session.new):
            for name in DEFAULT_TIMES:
                if hasattr(type(obj), name) and getattr(obj, name) is None:
                    setattr(obj, name, self.moment)
        for obj in [*session.new, *session.dirty]:
            if obj in session.dirty and hasattr(type(obj), "updated_at") and session.is_modified(obj):
                obj.updated_at = self.moment
            for name in SERVICE_TIMES:
                value = getattr(obj, name, None)
                if isinstance(value, datetime) and value >= self.real_start:
                    setattr(obj, name, self.moment)


class _Replay:
    """Runs every walk's steps in time order, across walks, so row ids follow time as they would for real."""

    def __init__(self, clock: _Clock):
        self.clock = clock
        self.queue: list[tuple[datetime, int, Walk]] = []
        self.order = itertools.count()

    def add(self, walk: Walk | None) -> None:
        if walk is None:
            return
        moment = next(walk, None)  # a walk does no writing before its first moment
        if moment is not None:
            heapq.heappush(self.queue, (moment, next(self.order), walk))

    def run(self) -> None:
        while self.queue:
            moment, _order, walk = heapq.heappop(self.queue)
            with self.clock.at(moment):
                following = next(walk, None)
            if following is not None:
                if following < moment:
                    raise ValueError(f"demo step at {following} comes after one at {moment}")
                heapq.heappush(self.queue, (following, next(self.order), walk))


def load_demo() -> dict[str, int]:
    """Create the demo accounts, projects and deals through the services; the caller commits."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale("zh"):
        db.session.flush()  # only the demo's own rows are pending from here on, to be dated
        session = db.session()
        loader = _DemoLoad(_Clock(utcnow()))
        event.listen(session, "before_flush", loader.clock.before_flush)
        try:
            summary = loader.run()
        finally:
            event.remove(session, "before_flush", loader.clock.before_flush)
        # Policy articles and service providers (their own counts are not part of the summary).
        programme_demo.load(db.session.scalar(db.select(User).where(User.email == STAFF[0])))
        # Demo addresses are on the reserved .test domain: no mail leaves for them.
        mail.discard_pending()
        return summary


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _since(now: datetime, days: float, seed: str = "") -> datetime:
    """The day `days` before now, at a time in Beijing office hours (09:00–17:00) picked by seed."""
    return _office(now - timedelta(days=days), f"{seed}{days}")


def _office(moment: datetime, seed: str) -> datetime:
    """The same Beijing day as moment, at an office-hours time picked by seed."""
    day = moment.astimezone(BEIJING)
    minutes = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:6], 16) % 480
    return (day.replace(hour=9, minute=0, second=0, microsecond=0)
            + timedelta(minutes=minutes)).astimezone(timezone.utc)


def _after(previous: datetime, days: float, seed: str) -> datetime:
    """An office-hours moment about `days` after previous, and always after it."""
    moment = _office(previous + timedelta(days=days), seed)
    return moment if moment > previous else previous + timedelta(minutes=20)


def _beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


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


def _profile_values(spec: dict) -> dict:
    values = dict(spec)
    if "registered_capital_wan" in values:
        values["registered_capital_wan"] = _decimal(values["registered_capital_wan"])
    if values.get("registered_on"):
        values["registered_on"] = date.fromisoformat(values["registered_on"])
    return values


class _DemoLoad:
    """One run of the loader: who is who, what is new, and the walks to replay."""

    def __init__(self, clock: _Clock):
        self.clock = clock
        self.now = clock.real_start.replace(second=0, microsecond=0)
        self.today = _beijing_date(self.now)
        self.data = demo_deals()
        self.users: dict[str, User | None] = {}
        self.new_accounts: set[str] = set()
        self.fresh: set[str] = set()   # demo project ids created by this run
        self.interests = 0

    def ago(self, days: float, seed: str = "") -> datetime:
        return _since(self.now, days, seed)

    def day(self, days_ago: float | None) -> date | None:
        return None if days_ago is None else self.today - timedelta(days=days_ago)

    def run(self) -> dict[str, int]:
        users_before, organisations_before = _count(User), _count(Organisation)
        notifications_before = db.session.scalar(db.select(db.func.max(Notification.id))) or 0
        replay = _Replay(self.clock)
        replay.add(self._staff_accounts())
        replay.add(self._hospitals())
        for clinician in CLINICIANS:
            replay.add(self._clinician(clinician))
        for member in ORGANISATION_MEMBERS:
            replay.add(self._organisation_member(member))
        for spec in self.data["saved_searches"]:
            replay.add(self._saved_search(spec))
        for record in demo_projects():
            replay.add(self._project(record))
        loose = [spec for spec in self.data["interests"] if spec["project"] in self.fresh]
        for spec in loose:
            replay.add(self._loose_interest(spec))
        if loose:
            replay.add(self._expiry_runs())
        replay.add(demo_meetings.past_walk(self))
        replay.add(demo_meetings.upcoming_walk(self))
        replay.run()
        self._read_old_notifications(notifications_before)
        db.session.flush()
        return {"users": _count(User) - users_before,
                "organisations": _count(Organisation) - organisations_before,
                "projects": len(self.fresh), "interests": self.interests}

    # --- accounts and organisations ------------------------------------------------------------

    def _account(self, email: str) -> bool:
        """Look the account up; True if this run creates it."""
        self.users[email] = accounts.find_user(email)
        if self.users[email] is None:
            self.new_accounts.add(email)
        return email in self.new_accounts

    def _staff_accounts(self) -> Walk:
        created_at = self.ago(ACCOUNTS_SINCE_DAYS + 5)
        new_admin, new_staff = self._account(ADMIN[0]), self._account(STAFF[0])
        if new_admin:
            yield created_at
            self.users[ADMIN[0]] = accounts.create_staff(ADMIN[0], DEMO_PASSWORD, ADMIN[1], Role.ADMIN)
        if new_staff:
            yield created_at + timedelta(minutes=10)
            self.users[STAFF[0]] = accounts.create_staff(STAFF[0], DEMO_PASSWORD, STAFF[1], Role.STAFF,
                                                         actor=self.users[ADMIN[0]])

    @property
    def staff(self) -> User:
        return self.users[STAFF[0]]

    def _hospitals(self) -> Walk:
        """Staff record the hospitals and create the officer; a few days ago she turned on 院内审核."""
        created_at = self.ago(ACCOUNTS_SINCE_DAYS + 4)
        missing = [h for h in HOSPITALS
                   if db.session.scalar(db.select(Institution.id).where(Institution.name == h.name)) is None]
        new_officer = self._account(OFFICER[0])
        if not (missing or new_officer):
            return
        yield created_at
        for hospital in missing:
            hospitals.create_institution(self.staff, {"name": hospital.name, "code_kind": "uscc",
                                                      "code": demo_hospital_code(hospital), "city": hospital.city,
                                                      "level": hospital.level.value})
        if not new_officer:
            return
        yield created_at + timedelta(hours=2)
        institution = self.hospital(OFFICER[3])
        self.users[OFFICER[0]] = hospitals.create_officer(institution, self.staff, OFFICER[0], DEMO_PASSWORD,
                                                          OFFICER[1], OFFICER[2])
        yield self.ago(INTERNAL_REVIEW_SINCE_DAYS)
        hospitals.set_internal_review(institution, self.users[OFFICER[0]], True)

    @staticmethod
    def hospital(name: str) -> Institution | None:
        return db.session.scalar(db.select(Institution).where(Institution.name == name))

    def _clinician(self, clinician: DemoClinician) -> Walk:
        if self._account(clinician.email):
            registered = self.ago(ACCOUNTS_SINCE_DAYS - CLINICIANS.index(clinician) * 3)
            yield registered
            institution = self.hospital(clinician.hospital)
            user = hospitals.register_clinician(
                clinician.email, DEMO_PASSWORD, clinician.name, clinician.phone,
                institution.id if institution else None, clinician.hospital, clinician.department)
            self.users[clinician.email] = user
            yield _after(registered, 1, clinician.email)
            # the hospital's officer confirms, or staff where it has none
            officer = self.users.get(OFFICER[0])
            hospitals.confirm_affiliation(user.affiliation, officer if clinician.hospital == OFFICER[3] and officer
                                          else self.staff)

    def _registered(self, member: DemoOrganisationMember) -> tuple[datetime, datetime]:
        """When the member registered the organisation, and when staff verified it."""
        created_at = self.ago(ACCOUNTS_SINCE_DAYS - 20 - member.serial * 7)
        return created_at, created_at + timedelta(days=2, hours=1)

    def _organisation_member(self, member: DemoOrganisationMember) -> Walk:
        if not self._account(member.email):
            return
        created_at, verified_at = self._registered(member)
        yield created_at
        user = accounts.register_organisation_member(member.email, DEMO_PASSWORD, member.name, member.phone,
                                                     member.role, member.organisation,
                                                     demo_uscc(member.serial, member.area))
        self.users[member.email] = user
        spec = self.data["organisations"].get(member.email, {})
        if spec.get("profile"):
            yield created_at + timedelta(hours=2)
            organisations.update_profile(user.organisation, user, _profile_values(spec["profile"]))
        # Every demo organisation files a (placeholder) 营业执照, so staff can verify the pending ones in the demo.
        if user.organisation is not None and not user.organisation.has_licence:
            people.upload_licence(user.organisation, user, FileStorage(io.BytesIO(DEMO_LICENCE_PDF),
                                                                       filename="营业执照（演示）.pdf"))
        if not member.verified or user.organisation.is_verified:
            return
        yield verified_at
        accounts.verify_organisation(user.organisation, self.staff)
        intents = []
        for intent in spec.get("intents", ()):
            intents.append((self.ago(intent["created_days_ago"], intent["title"]), "create", intent))
            if "paused_days_ago" in intent:
                intents.append((self.ago(intent["paused_days_ago"], intent["title"]), "pause", intent))
        made = {}
        for moment, action, intent in sorted(intents, key=lambda step: step[0]):
            yield moment
            if action == "create":
                values = {name: intent[name] for name in deal_operations.INTENT_FIELDS if name in intent}
                for name in ("budget_min_wan", "budget_max_wan"):
                    values[name] = _decimal(values.get(name))
                made[intent["title"]] = deal_operations.create_intent(user.organisation, user, values)
            else:
                deal_operations.set_intent_status(made[intent["title"]], user, IntentStatus.PAUSED)

    def _saved_search(self, spec: dict) -> Walk | None:
        member = next(m for m in ORGANISATION_MEMBERS if m.email == spec["owner"])
        if spec["owner"] not in self.new_accounts or not member.verified:  # saved with the account only
            return None
        return self._save_search(spec, _after(self._registered(member)[1], spec["days_after_verification"],
                                              spec["name"]))

    def _save_search(self, spec: dict, moment: datetime) -> Walk:
        yield moment
        saved_searches.save_search(self.users[spec["owner"]], spec["name"], spec["query"], spec["filters"])

    # --- projects -------------------------------------------------------------------------------

    def _project(self, record: dict) -> Walk | None:
        """The walk of one demo project to its state; None if it is already there."""
        key = demo_key(record["id"])
        if db.session.scalar(db.select(Project.id).where(Project.import_key == key)) is not None:
            return None
        status = ProjectStatus(record["status"])
        path = REVISED_PATH if record.get("revised") and status is ProjectStatus.PUBLISHED else PATHS[status]
        deal = self.data["deals"].get(record["id"])
        if deal is None and set(path) & set(DEAL_STEPS):
            raise ValueError(f"demo project {record['id']} is {status.value}: demo_deals.json needs its deal")
        self.fresh.add(record["id"])
        return self._walk_project(record, key, path, deal)

    def _walk_project(self, record: dict, key: str, path: tuple, deal: dict | None) -> Walk:
        times = _timeline(self.now, record, len(path))
        yield times[0]
        owner = self.users[record["owner"]]
        values = {name: record[name] for name in project_service.EDITABLE_FIELDS if name in record}
        project = project_service.create_project(owner, values)
        project.import_key = key
        returned = 0
        for step, moment in zip(path, times[1:]):
            if step in DEAL_STEPS:
                break
            yield moment
            if step == "submit":
                project_service.submit_project(project, owner)
            elif step == "approve":
                project_service.approve_project(project, self.staff, record.get("approval_comment", ""))
            elif step == "return":
                comments = record["return_comments"]
                project_service.return_project(project, self.staff, comments[min(returned, len(comments) - 1)])
                returned += 1
            elif step == "reject":
                project_service.reject_project(project, self.staff, record["reject_reason"])
            elif step == "withdraw":
                project_service.withdraw_project(project, owner, record["withdraw_reason"])
        if deal is not None:
            yield from _Deal(self, project, record, deal, times).walk()

    # --- interests that did not (yet) lead anywhere ----------------------------------------------

    def project_of(self, record_id: str) -> Project:
        return db.session.scalar(db.select(Project).where(Project.import_key == demo_key(record_id)))

    def express(self, project: Project, member: User, spec: dict) -> Interest:
        """express_interest at the moment being replayed, its expiry counted from then."""
        intent_id = db.session.scalar(db.select(Intent.id).where(
            Intent.organisation_id == member.organisation_id, Intent.title == spec.get("intent")))
        interest = interest_service.express_interest(
            project, member, spec["message"], spec["cooperation_modes"], _decimal(spec.get("amount_wan")),
            spec.get("timeline", ""), intent_id)
        interest.expires_at = self.clock.moment + timedelta(days=current_app.config["INTEREST_EXPIRY_DAYS"])
        self.interests += 1
        return interest

    def _loose_interest(self, spec: dict) -> Walk:
        """A pending interest, or one declined, withdrawn or (by the daily run) expired."""
        seed = spec["project"] + spec["partner"]
        yield self.ago(spec["days_ago"], seed)
        member = self.users[spec["partner"]]
        project = self.project_of(spec["project"])
        interest = self.express(project, member, spec)
        if "respond_days_ago" not in spec:
            return
        yield self.ago(spec["respond_days_ago"], seed)
        if "decline" in spec:
            reason, note = spec["decline"]
            interest_service.decline_interest(interest, project.owner, DeclineReason(reason), note)
        elif spec.get("withdraw"):
            interest_service.withdraw_interest(interest, member)

    def _expiry_runs(self) -> Walk:
        """The daily job (expire_interests_daily) at 08:00 each morning: expiries and halfway reminders."""
        for days in range(CRON_DAYS, 0, -1):
            morning = datetime.combine(self.today - timedelta(days=days), time(8), BEIJING).astimezone(timezone.utc)
            yield morning
            interest_service.expire_interests(morning)

    def _read_old_notifications(self, after_id: int) -> None:
        """What happened weeks ago has been read; the last fortnight is still unread."""
        cutoff = self.now - timedelta(days=READ_AFTER_DAYS)
        for notification in db.session.scalars(db.select(Notification).where(
                Notification.id > after_id, Notification.created_at < cutoff, Notification.read_at.is_(None))):
            notification.read_at = notification.created_at + timedelta(hours=2)


class _Deal:
    """One project's deal from demo_deals.json: interest, talks, signing, 附件2, assessment, milestones."""

    def __init__(self, load: _DemoLoad, project: Project, record: dict, spec: dict, times: list[datetime]):
        self.load, self.project, self.spec, self.times = load, project, spec, times
        self.owner = project.owner
        self.member = load.users[spec["partner"]]
        self.seed = record["id"]

    def side(self, name: str) -> User:
        return {"org": self.member, "owner": self.owner, "staff": self.load.staff}[name]

    def walk(self) -> Walk:
        spec = self.spec
        accept = self.times[3] if len(self.times) > 3 else self.load.ago(spec["accept_days_ago"], self.seed)
        yield _office(accept - timedelta(days=6), self.seed)
        self.interest = self.load.express(self.project, self.member, spec)
        yield accept
        interest_service.accept_interest(self.interest, self.owner)
        ended = self.load.ago(spec["end_days_ago"], self.seed) if "ended" in spec else None
        if "agreement" in spec:
            talks_end = self.times[4] - timedelta(days=3)
        elif ended is not None:
            talks_end = ended - timedelta(days=1)
        else:
            talks_end = self.load.now - timedelta(days=1)
        yield from self._talks(accept, talks_end)
        if ended is not None:
            side, reason = spec["ended"]
            yield ended
            interest_service.end_negotiation(self.interest, self.side(side), reason)
        if "agreement" in spec:
            yield from self._sign(self.times[4])
        if "assessment" in spec:
            yield from self._assess()
        if "milestones" in spec:
            yield from self._milestones(self.times[5])

    def _talks(self, start: datetime, end: datetime) -> Walk:
        """The negotiation thread, spread between the acceptance and the end of talks."""
        thread = self.spec["thread"]
        span = (end - start) / max(len(thread), 1)
        moment = start
        for i, (side, body, *attachment) in enumerate(thread):
            moment = max(_after(start + span * i, 1, f"{self.seed}msg{i}"), moment + timedelta(minutes=17))
            yield moment
            negotiation.post_message(self.interest, self.side(side), body,
                                     _upload(attachment[0]) if attachment else None)

    def _sign(self, signed: datetime) -> Walk:
        """One side records the agreement, the other confirms it; the enterprise files 附件2."""
        spec = self.spec["agreement"]
        recorder = self.side(spec["recorded_by"])
        confirmer = self.owner if recorder is self.member else self.member
        recorded = _office(signed - timedelta(days=2), self.seed + "record")
        yield recorded
        agreement = signing.record_agreement(
            self.interest, recorder, spec["cooperation_modes"], _decimal(spec.get("amount_wan")),
            _beijing_date(recorded), spec["summary"], _upload(spec["contract"]))
        yield signed
        signing.confirm_agreement(agreement, confirmer)
        negotiation.mark_read(self.interest, self.owner)
        negotiation.mark_read(self.interest, self.member)
        yield _after(signed, 4, self.seed + "docking")
        form = signing.start_docking_form(self.interest, self.member)
        signing.save_docking_form(form, self.member, self.spec["docking"], file=True)

    def _assess(self) -> Walk:
        """Two staff assessors score; a completed assessment starts incubation (an open one waits)."""
        spec = self.spec["assessment"]
        completed = self.times[5] if len(self.times) > 5 else None
        opened = _office(completed - timedelta(days=14), self.seed) if completed else \
            self.load.ago(spec["open_days_ago"], self.seed)
        yield opened
        assessment = incubation.open_assessment(self.project, self.load.staff)
        comments = self.load.data["indicator_comments"]
        moment = opened
        for email, scores in spec["scores"].items():
            moment = _after(moment, 3, self.seed + email)
            values = dict(zip((i.value for i in Indicator), scores))
            notes = {name: comments[name][0 if score < 75 else 1 if score < 88 else 2]
                     for name, score in values.items()}
            yield moment
            incubation.record_scores(assessment, self.load.users[email], values, notes)
        if completed:
            yield completed
            incubation.complete_assessment(assessment, self.load.staff, spec["recommendations"],
                                           spec["support_plan"], self.load.staff,
                                           self.load.today + timedelta(days=spec["next_review_days"]))

    def _milestones(self, incubated: datetime) -> Walk:
        """The nine milestones: planned and actual dates, in the order they were recorded; 获批上市 launches."""
        planning = _after(incubated, 1, self.seed + "plan")
        launched = self.times[6] if len(self.times) > 6 else None
        steps = []
        for i, (kind, status, planned, actual, side, notes, evidence) in enumerate(self.spec["milestones"]):
            kind, status = MilestoneKind(kind), MilestoneStatus(status)
            actual_on = self.load.day(actual)
            moment = planning + timedelta(minutes=10 * i)
            if kind is MilestoneKind.APPROVED and status is MilestoneStatus.DONE and launched:
                moment, actual_on = launched, _beijing_date(launched)
            elif actual_on is not None:
                moment = max(moment, _office(datetime.combine(actual_on + timedelta(days=1), time(9), BEIJING),
                                             f"{self.seed}{kind.value}"))
            moment = min(moment, self.load.now - timedelta(hours=1))
            steps.append((moment, 2 * i, kind, (self.side(side), status, self.load.day(planned), actual_on, notes)))
            if evidence:
                steps.append((moment + timedelta(minutes=30), 2 * i + 1, kind, (self.side(side), evidence)))
        for moment, _order, kind, args in sorted(steps, key=lambda step: step[:2]):
            yield moment
            milestone = db.session.scalar(db.select(Milestone).where(Milestone.project_id == self.project.id,
                                                                     Milestone.kind == kind))
            if len(args) == 2:
                incubation.add_evidence(milestone, args[0], _upload(args[1]))
            else:
                incubation.update_milestone(milestone, *args)
