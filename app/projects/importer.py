"""Bulk import of 附件1 projects filed on paper: JSON lines (exchange format) or .xlsx.

JSON lines: one object per line with the exchange keys of DESIGN.md — id, name, city, lead_name,
department, phone, email, project_type, device_class, stage, stage_other, structure, principle,
intended_use, clinical_prospects, market, team, ip_status, funded_programs, current_cooperation,
partners_in_province, partners_out_of_province, other_notes, commitment_agreed, publish_consent,
public_summary (and optionally ip_exists). Any key may be missing or null; unknown keys are ignored.

.xlsx: the first sheet, one row per project, one column per 附件1 field. The header row (found in
the first ten rows) may use the exchange keys or the form's Chinese labels:

    编号 | 项目名称 | 所在城市 | 项目负责人 | 所在部门（科室） | 联系电话 | 电子邮箱 | 项目类型 |
    产品分类 | 项目所处阶段 | 其他阶段说明 | 产品结构组成 | 工作原理/作用机理 | 适用范围/预期用途 |
    临床运用前景 | 行业及市场情况 | 研究团队情况 | 是否已有知识产权 | 知识产权情况 |
    列入国家、省、市立项情况 | 目前合作情况 | 意向合作企业（省内） | 意向合作企业（省外） |
    其他需说明的情况 | 承诺书 | 是否愿意在平台发布 | 公开摘要

Cells (and JSON values) may hold the codes or the form's Chinese options: 有源/无源/体外诊断试剂;
Ⅰ类/Ⅱ类/Ⅲ类 (also I类, 一类, 第一类…), 药械组合, 待确定; 概念阶段/样品阶段/…/其他;
已授权/申请中/暂无; 同意/是/否 for 承诺书 and 是否愿意在平台发布.

A row needs at least 项目名称 and a valid 电子邮箱: the project belongs to the clinician account
with that address, created inactive (claimed through password reset) when there is none.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import force_locale

from app.accounts.models import Role, User
from app.accounts.operations import find_user, normalise_email
from app.core import audit
from app.core.errors import ServiceError, require
from app.core.exchange import BOOLEAN_FIELDS
from app.extensions import db
from app.projects.jobs import coalesce_index_jobs
from app.projects.models import ENUM_FIELDS, PROJECT_FIELDS, Project
from app.projects.saved_searches import notify_matches_many
from app.projects.operations import approve_project, create_project, submit_paper_form
from forms.validators import is_mainland_phone, normalise_phone

SYSTEM_EMAIL = "system@clinbridge.local"
SYSTEM_NAME = "系统导入"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and line breaks are text

# Column sizes of Project: longer values would fail on PostgreSQL, so they are row errors.
MAX_LENGTHS = {"name": 200, "city": 50, "lead_name": 100, "department": 100, "phone": 30,
               "email": 254, "stage_other": 200}

# Header aliases beyond the exchange keys and the labels of PROJECT_FIELDS.
HEADER_ALIASES = {
    "id": "id", "编号": "id", "项目编号": "id",
    "所在部门": "department", "所在科室": "department", "科室": "department",
    "产品分类": "device_class", "产品类别": "device_class", "管理类别": "device_class",
    "其他阶段": "stage_other", "阶段说明": "stage_other",
    "工作原理": "principle", "作用机理": "principle",
    "适用范围": "intended_use", "预期用途": "intended_use",
    "邮箱": "email", "电话": "phone", "手机": "phone", "负责人": "lead_name",
    "承诺": "commitment_agreed", "承诺书（同意）": "commitment_agreed",
    "是否发布": "publish_consent", "是否同意发布": "publish_consent",
    "是否有知识产权": "ip_exists",
}

# Option spellings beyond the codes and the enums' own Chinese labels (the one alias table).
OPTION_ALIASES = {
    "project_type": {"体外诊断": "ivd", "ivd": "ivd", "体外诊断试剂类": "ivd", "有源器械": "active",
                     "无源器械": "passive", "有源医疗器械": "active", "无源医疗器械": "passive"},
    "device_class": {
        "i类": "I", "ii类": "II", "iii类": "III", "1类": "I", "2类": "II", "3类": "III",
        "一类": "I", "二类": "II", "三类": "III", "第一类": "I", "第二类": "II", "第三类": "III",
        "第一类医疗器械": "I", "第二类医疗器械": "II", "第三类医疗器械": "III",
        "一类医疗器械": "I", "二类医疗器械": "II", "三类医疗器械": "III",
        "药械组合产品": "combination", "组合产品": "combination", "未确定": "undetermined",
        "不确定": "undetermined", "待定": "undetermined",
    },
    "stage": {"概念": "concept", "样品": "sample", "设计验证": "design_verification",
              "生产验证": "production_verification", "注册检验": "registration_testing",
              "临床试验": "clinical_trial", "其它": "other"},
    "ip_exists": {"有": "granted", "已授权": "granted", "授权": "granted", "申请中": "pending",
                  "已申请": "pending", "无": "none", "没有": "none", "暂无": "none"},
}

TRUE_WORDS = {"true", "1", "yes", "y", "是", "同意", "愿意", "已同意", "已签署", "√", "✓"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "不同意", "不愿意", "未同意", "×"}


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    accounts_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line/row number, reason)


@dataclass
class _Row:
    line: int
    values: dict
    email: str
    key: str


def _norm(text) -> str:
    """Compare spellings loosely: NFKC (full-width brackets, Ⅰ→I), no spaces, case-folded."""
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", text).strip("*:：").casefold()


def header_map() -> dict[str, str]:
    """Normalised column header → exchange key (keys, 附件1 labels and aliases)."""
    mapping = {_norm(f.name): f.name for f in PROJECT_FIELDS}
    with force_locale("zh"):
        mapping.update({_norm(f.label): f.name for f in PROJECT_FIELDS})
    mapping.update({_norm(alias): key for alias, key in HEADER_ALIASES.items()})
    return mapping


def option_map() -> dict[str, dict[str, str]]:
    """For each enum field: normalised spelling (code, Chinese label, alias) → code."""
    mapping = {}
    with force_locale("zh"):
        for name, enum_cls in ENUM_FIELDS.items():
            spellings = {}
            for member in enum_cls:
                for spelling in (member.value, member.name, member.label):
                    spellings[_norm(spelling)] = member.value
            spellings.update({_norm(alias): code for alias, code in OPTION_ALIASES.get(name, {}).items()})
            mapping[name] = spellings
    return mapping


def export_cell(name: str, value) -> str:
    """A project value as an .xlsx cell this importer reads back: option labels (有源, Ⅱ类医疗器械…), 是/否."""
    if name in ENUM_FIELDS and value not in (None, ""):
        with force_locale("zh"):
            return ENUM_FIELDS[name].coerce(value).label
    return _cell_text(getattr(value, "value", value))


def import_key(email: str, record_id, name: str) -> str:
    """The stable identity of an imported record: its id within the owner's e-mail, else e-mail + name."""
    if record_id not in (None, ""):
        basis = f"id\x1f{email}\x1f{_cell_text(record_id)}"
    else:
        basis = f"name\x1f{email}\x1f{_norm(name)}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def import_projects(path: Path, publish: bool = False, skip_invalid: bool = False, actor=None) -> ImportReport:
    """Import 附件1 projects; all or nothing unless skip_invalid. The caller commits."""
    path = Path(path)
    report = ImportReport()
    with force_locale("zh"):
        require(actor is None or actor.is_staff, "只有服务站工作人员可以批量导入项目")
        try:
            records = _read(path)
        except ServiceError as error:
            report.errors.append((0, str(error)))
            return report
        options = option_map()
        labels = {f.name: str(f.label) for f in PROJECT_FIELDS}
        users = _users_by_email(records)
        rows = []
        for line, record in records:
            if isinstance(record, str):
                report.errors.append((line, record))
                continue
            try:
                rows.append(_validate(line, record, publish, options, labels, users))
            except ServiceError as error:
                report.errors.append((line, str(error)))
        if report.errors and not skip_invalid:
            return report
        _create(rows, path, publish, actor, report, users)
    return report


def _users_by_email(records) -> dict[str, User]:
    """The accounts the rows name, read in a few queries rather than two per row."""
    emails = sorted({normalise_email(str(record.get("email") or "")) for _line, record in records
                     if isinstance(record, dict)} - {""})
    users: dict[str, User] = {}
    for start in range(0, len(emails), 500):
        for user in db.session.scalars(db.select(User).where(User.email.in_(emails[start:start + 500]))):
            users[user.email] = user
    return users


def _read(path: Path) -> list[tuple[int, dict | str]]:
    """(line, record) pairs; a record that cannot be read is a string saying why."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".xls", ".csv", ".docx"):
        raise ServiceError(f"不支持 {suffix} 文件，请另存为 .xlsx 或 JSON lines")
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> list[tuple[int, dict | str]]:
    records = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("文件不是 UTF-8 编码的 JSON lines")
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            records.append((line, f"JSON 格式错误：{error.msg}（第 {error.colno} 列）"))
            continue
        records.append((line, record if isinstance(record, dict) else "每行应为一个 JSON 对象"))
    return records


def _read_xlsx(path: Path) -> list[tuple[int, dict | str]]:
    from openpyxl import load_workbook  # openpyxl only where a workbook is read (memory)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl's complaints about foreign styles
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ServiceError(f"无法读取 Excel 文件：{error}")
        try:
            all_rows = [(number, list(values)) for number, values in
                        enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)]
        finally:
            workbook.close()
    headers = header_map()
    for index, (number, values) in enumerate(all_rows[:10]):
        columns = {position: headers.get(_norm(value)) for position, value in enumerate(values)
                   if value not in (None, "")}
        columns = {position: key for position, key in columns.items() if key}
        if len(columns) >= 2:
            break
    else:
        raise ServiceError("前10行中没有找到表头（如 项目名称、电子邮箱）")
    records = []
    for number, values in all_rows[index + 1:]:
        if all(value in (None, "") or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        records.append((number, {key: values[position] for position, key in columns.items()
                                 if position < len(values)}))
    return records


def _cell_text(value) -> str:
    """A cell or JSON value as text: numbers without a trailing .0 (phones typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _boolean(label: str, value) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = _norm(_cell_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ServiceError(f"{label}的值“{_cell_text(value)}”无效，应为 是/否（同意/不同意）")


def _validate(line: int, record: dict, publish: bool, options: dict, labels: dict,
              users: dict[str, User] | None = None) -> _Row:
    """Check one record and turn it into create_project values; raises ServiceError with the reason."""
    values = {}
    for spec in PROJECT_FIELDS:
        name = spec.name
        raw = record.get(name)
        if name in BOOLEAN_FIELDS:
            values[name] = _boolean(labels[name], raw)
        elif name in ENUM_FIELDS:
            text = _cell_text(raw)
            if not text:
                values[name] = None
            elif _norm(text) in options[name]:
                values[name] = options[name][_norm(text)]
            else:
                raise ServiceError(f"{labels[name]}的值“{text}”无效")
        else:
            values[name] = _cell_text(raw)
    values["commitment_agreed"] = bool(values["commitment_agreed"])
    for name, value in values.items():  # PostgreSQL refuses NUL in text; .docx refuses the rest
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise ServiceError(f"{labels[name]}含有不允许的控制字符")
    if not values["name"]:
        raise ServiceError("缺少项目名称")
    email = normalise_email(values["email"])
    if not email:
        raise ServiceError("缺少电子邮箱（项目归属的医务人员账号）")
    if not EMAIL.match(email):
        raise ServiceError(f"电子邮箱“{values['email']}”格式不正确")
    values["email"] = email
    if values["phone"]:
        if not is_mainland_phone(values["phone"]):
            raise ServiceError(f"联系电话“{values['phone']}”不是有效的手机号或带区号的固话")
        values["phone"] = normalise_phone(values["phone"])
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            raise ServiceError(f"{labels[name]}过长（最多 {limit} 字）")
    owner = users.get(email) if users is not None else find_user(email)
    if owner is not None and not owner.is_clinician:
        raise ServiceError(f"邮箱 {email} 属于非医务人员账号，不能作为项目负责人")
    if publish and not values["commitment_agreed"]:
        raise ServiceError("承诺书未同意，不能发布")
    return _Row(line, values, email, import_key(email, record.get("id"), values["name"]))


def _create(rows: list[_Row], path: Path, publish: bool, actor, report: ImportReport,
            users: dict[str, User] | None = None) -> None:
    """Create the projects of valid rows (and their owners' accounts); duplicates are left alone."""
    if not rows:
        return
    keys = {row.key for row in rows}
    present = set(db.session.scalars(db.select(Project.import_key).where(Project.import_key.in_(keys))))
    importer = actor or system_account()
    owners: dict[str, User] = dict(users or {})
    published: list[Project] = []
    with db.session.no_autoflush:  # rows reach the database with the next explicit flush, in bulk
        for row in rows:
            _create_one(row, path, publish, importer, report, owners, present, users, published)
    db.session.flush()
    # Per batch rather than per row: one saved-search pass over the published projects, one index job.
    notify_matches_many(published)
    coalesce_index_jobs()


def _create_one(row: _Row, path: Path, publish: bool, importer: User, report: ImportReport,
                owners: dict[str, User], present: set[str], users, published: list[Project]) -> None:
    """One valid row: its owner (found or created), the project, its audit row, and its publication."""
    if row.key in present:
        report.duplicates += 1
        return
    present.add(row.key)
    owner = owners.get(row.email) or (find_user(row.email) if users is None else None)
    if owner is None:
        owner = _inactive_clinician(row, importer)
        report.accounts_created += 1
    owners[row.email] = owner
    project = create_project(owner, row.values)
    project.import_key = row.key
    audit.record("import", actor=importer, project=project, to_state=project.status.value,
                 comment=f"{path.name} 第 {row.line} 行")
    if publish:
        # The paper form was the submission: staff enter it on the owner's behalf.
        submit_paper_form(project, importer, "纸质申报表（批量导入）")
        approve_project(project, importer, "纸质材料已初核，批量导入发布", saved_search_probe=False)
        published.append(project)
    report.created += 1


def _inactive_clinician(row: _Row, importer: User) -> User:
    """An account for an imported project's owner, claimed later through password reset."""
    values = row.values
    user = User(email=row.email, name=values["lead_name"] or row.email.split("@")[0], phone=values["phone"],
                role=Role.CLINICIAN, department=values["department"], active=False,
                password_hash="")  # no hash: no password signs in until the owner sets one by reset  # nosec B106
    db.session.add(user)
    db.session.flush()
    audit.record("import_account", actor=importer, subject=user, to_state=Role.CLINICIAN.value,
                 comment="批量导入项目时创建，待本人通过找回密码激活")
    return user


def system_account() -> User:
    """The inactive staff account that imports and approves when no staff member is named."""
    user = find_user(SYSTEM_EMAIL)
    if user is None:
        user = User(email=SYSTEM_EMAIL, name=SYSTEM_NAME, role=Role.STAFF, active=False,
                    password_hash="")  # no hash: this inactive account can never sign in  # nosec B106
        db.session.add(user)
        db.session.flush()
        audit.record("create_staff", subject=user, to_state=Role.STAFF.value, comment="系统导入账号（不可登录）")
    return user
