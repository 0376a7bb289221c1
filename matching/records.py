"""Reading projects and enterprises in the exchange format of DESIGN.md, whatever keys they carry."""
from __future__ import annotations

import re

from .text import join_texts, normalise

# Text fields that describe the device, weighted for matching: the name and intended use say
# what the device is for; market and team text is mostly boilerplate shared by every project.
PROJECT_TEXT_WEIGHTS = {
    "name": 2.0,
    "intended_use": 1.5,
    "public_summary": 1.0,
    "structure": 1.0,
    "principle": 1.0,
    "clinical_prospects": 0.4,
    "market": 0.3,
    "funded_programs": 0.2,
    "current_cooperation": 0.2,
}
# The only project text a reason for audience "public" cites: free-text 附件1 fields of the public
# tier (DESIGN.md "What each side may see"). The tiers themselves are declared once, by the
# platform (app/projects/models.py); tests/suggestions check that these fields are public there.
PUBLIC_TEXT_FIELDS = ("name", "intended_use", "clinical_prospects", "public_summary", "department")

DEVICE_CLASSES = ("I", "II", "III", "combination")
STAGES = ("concept", "sample", "design_verification", "production_verification",
          "registration_testing", "clinical_trial", "other")
STAGE_NAMES_ZH = {
    "concept": "概念", "sample": "样品", "design_verification": "设计验证",
    "production_verification": "生产验证", "registration_testing": "注册检验",
    "clinical_trial": "临床试验", "other": "其他",
}
COOPERATION_MODES_ZH = {
    "technology_transfer": "技术转让", "equity": "技术入股", "joint_development": "联合开发",
    "commissioned_rnd": "委托研发", "expert_service": "委托团队、专家长期技术服务",
    "new_entity": "共建新研发、生产实体",
}

_TOP_LEVEL_SEPARATORS = set("；;\n")
_OPEN = "（("
_CLOSE = "）)"
_LEAD_LABEL = re.compile(r"^[^：:（(]{0,12}[：:]")
_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$")


def text_of(record: dict, key: str) -> str:
    """A record's text value for key, '' when missing or null; lists are joined."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if v)
    return str(value).strip()


def project_fields(project: dict, fields) -> dict[str, str]:
    """The named text fields of a project, missing ones as ''."""
    return {f: text_of(project, f) for f in fields}


def public_text(project: dict) -> str:
    """The project's public-tier text, the only text a shared-term reason may cite."""
    return join_texts(text_of(project, f) for f in PUBLIC_TEXT_FIELDS)


def product_text(project: dict) -> tuple[str, str]:
    """Project as (product name, description) for the category model."""
    description = join_texts(
        text_of(project, f) for f in ("structure", "principle", "intended_use", "public_summary")
    )
    return text_of(project, "name"), description


def device_class_of(project: dict) -> str | None:
    """The project's declared class (I/II/III/combination), None when undetermined or unknown."""
    value = text_of(project, "device_class")
    return value if value in DEVICE_CLASSES else None


def stage_of(project: dict) -> str | None:
    """The project's stage key, None when unknown."""
    value = text_of(project, "stage")
    return value if value in STAGES else None


def province_key(region: str | None) -> str:
    """Comparable province key: '福建省' and '福建' give the same key; '' when unknown."""
    text = normalise(region).strip()
    return _PROVINCE_SUFFIX.sub("", text) if text else ""


def as_list(value) -> list[str]:
    """A list of non-empty strings from a list, a comma/、-separated string or None."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,，、;；\s]+", value) if v.strip()]
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def as_number(value) -> float | None:
    """A positive number or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def intents_of(enterprise: dict) -> list[dict]:
    """An enterprise's intents; an enterprise without any gets one open intent (intent_index None)."""
    intents = enterprise.get("intents") or []
    return [i for i in intents if isinstance(i, dict)]


def product_lines(overview: str) -> list[tuple[str, str]]:
    """Split an enterprise overview into product lines (name, description).

    Overviews read like '公司主要产品：A（说明）；B（说明）' or free sentences; each top-level
    item (outside brackets) becomes one line, the bracketed part its description.
    """
    text = text_of({"o": overview}, "o")
    if not text:
        return []
    text = _LEAD_LABEL.sub("", text, count=1)
    items, depth, current = [], 0, []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        if depth == 0 and (ch in _TOP_LEVEL_SEPARATORS or ch == "。"):
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    lines = []
    for item in (i.strip() for i in items):
        if len(item) < 2:
            continue
        name, description = _split_name(item)
        lines.append((name, description))
    return lines


def _split_name(item: str) -> tuple[str, str]:
    for i, ch in enumerate(item):
        if ch in _OPEN and i > 0:
            inner = item[i + 1:]
            if inner and inner[-1] in _CLOSE:
                inner = inner[:-1]
            return item[:i].strip(), inner.strip()
    return item, ""
