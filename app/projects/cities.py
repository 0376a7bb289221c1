"""The programme's province and its cities, for 附件1's 所在城市 (one list, in one place).

The stored value stays the city's name as typed on the paper form (the exchange record's `city` is text):
a listed city is stored as its name (福州市), 其他 as the words the clinician typed. A province without a
list here offers only 其他 with free text.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

OTHER = "other"  # the choice's value; never stored

# Prefecture-level cities (设区市) in the order of the province's own listings, then 平潭综合实验区, which the
# province administers as a city of its own in its statistics and programmes.
CITIES_BY_PROVINCE: dict[str, tuple[tuple[str, object], ...]] = {
    "福建省": (
        ("福州市", _l("福州市")), ("厦门市", _l("厦门市")), ("莆田市", _l("莆田市")), ("三明市", _l("三明市")),
        ("泉州市", _l("泉州市")), ("漳州市", _l("漳州市")), ("南平市", _l("南平市")), ("龙岩市", _l("龙岩市")),
        ("宁德市", _l("宁德市")), ("平潭综合实验区", _l("平潭综合实验区")),
    ),
}


def province_cities(province: str) -> tuple[tuple[str, object], ...]:
    """(stored name, label) of the province's cities; empty when the province has no list."""
    return CITIES_BY_PROVINCE.get(province, ())


def listed_city(province: str, text: str) -> str:
    """The listed city a typed name means (福州 → 福州市), or "" when it is not one of the province's."""
    text = (text or "").strip()
    if not text:
        return ""
    for name, _label in province_cities(province):
        if text == name or text + "市" == name or (name.endswith("市") and text == name[:-1]):
            return name
    return ""
