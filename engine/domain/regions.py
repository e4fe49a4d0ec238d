"""Regions and service halls (R-ACD-3, R-ADM-4): names and GB/T 2260 codes, the hall tree, tiered dispatch. Pure.

A hall (服务厅, an organisation unit) sits at one level: province, city or county. Its region code is the
six-digit GB/T 2260 administrative code: 440000 广东省, 440300 深圳市, 440305 南山区. The first two digits
name the province, the first four the city (prefecture).

Tiered dispatch: a call is first offered to the agents of the caller's (or the number's) county hall; when
they are all busy, to the city hall's agents, then the province's. `tier_chain` gives that order and
`choose_tier` picks the first level with a free agent, with the reason.
"""
from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["HallLevel", "HallRef", "CallerRegion", "PROVINCES", "province_by_code", "split_description",
           "normalise_name", "names_match", "code_prefix", "region_codes", "hall_for_code", "match_hall",
           "tier_chain", "choose_tier", "TierChoice", "validate_region_code", "validate_tree"]


class HallLevel(str, enum.Enum):
    """Level of a hall in the organisation tree."""

    PROVINCE = "province"   # 省级
    CITY = "city"           # 市级 (地级市, 自治州, 地区, 盟)
    COUNTY = "county"       # 县级 (市辖区, 县, 县级市, 自治县, 旗)


_LEVEL_RANK = {HallLevel.COUNTY: 0, HallLevel.CITY: 1, HallLevel.PROVINCE: 2}


@dataclasses.dataclass(frozen=True)
class HallRef:
    """A hall as routing sees it."""

    hall_id: int
    code: str
    name: str
    level: HallLevel
    parent_id: int | None = None
    region_code: str = ""
    active: bool = True


@dataclasses.dataclass(frozen=True)
class CallerRegion:
    """Where a caller is: province and city names, the region codes known for them, and the matched hall."""

    province: str | None = None         # full name, e.g. 广东省
    city: str | None = None             # e.g. 深圳市
    codes: tuple[str, ...] = ()         # e.g. ("440000", "440300") — most general first
    hall: HallRef | None = None         # the most specific hall serving that region, if any
    kind: str = "unknown"               # mobile | landline | unknown
    description: str = ""               # the raw geocoder text, e.g. 广东省深圳市

    @property
    def known(self) -> bool:
        return bool(self.province or self.city)

    def __str__(self) -> str:
        text = "".join(p for p in (self.province, self.city if self.city != self.province else None) if p)
        return text or "unknown region"


# The 34 provincial-level divisions: GB/T 2260 code, full name, short forms used by the phone geocoder.
PROVINCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("110000", "北京市", ("北京",)), ("120000", "天津市", ("天津",)), ("130000", "河北省", ("河北",)),
    ("140000", "山西省", ("山西",)), ("150000", "内蒙古自治区", ("内蒙古",)), ("210000", "辽宁省", ("辽宁",)),
    ("220000", "吉林省", ("吉林",)), ("230000", "黑龙江省", ("黑龙江",)), ("310000", "上海市", ("上海",)),
    ("320000", "江苏省", ("江苏",)), ("330000", "浙江省", ("浙江",)), ("340000", "安徽省", ("安徽",)),
    ("350000", "福建省", ("福建",)), ("360000", "江西省", ("江西",)), ("370000", "山东省", ("山东",)),
    ("410000", "河南省", ("河南",)), ("420000", "湖北省", ("湖北",)), ("430000", "湖南省", ("湖南",)),
    ("440000", "广东省", ("广东",)), ("450000", "广西壮族自治区", ("广西",)), ("460000", "海南省", ("海南",)),
    ("500000", "重庆市", ("重庆",)), ("510000", "四川省", ("四川",)), ("520000", "贵州省", ("贵州",)),
    ("530000", "云南省", ("云南",)), ("540000", "西藏自治区", ("西藏",)), ("610000", "陕西省", ("陕西",)),
    ("620000", "甘肃省", ("甘肃",)), ("630000", "青海省", ("青海",)), ("640000", "宁夏回族自治区", ("宁夏",)),
    ("650000", "新疆维吾尔自治区", ("新疆",)), ("710000", "台湾省", ("台湾",)),
    ("810000", "香港特别行政区", ("香港",)), ("820000", "澳门特别行政区", ("澳门",)),
)
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
_CODE = re.compile(r"^\d{6}$")
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县", "地区",
             "省", "市", "区", "县", "盟", "旗")


def province_by_code(code: str) -> tuple[str, str] | None:
    """(code, full name) of the province a six-digit code belongs to."""
    prefix = str(code)[:2]
    for pcode, name, _short in PROVINCES:
        if pcode[:2] == prefix:
            return pcode, name
    return None


def _province_by_name(name: str) -> tuple[str, str] | None:
    key = normalise_name(name)
    for pcode, full, short in PROVINCES:
        if key == normalise_name(full) or key in short:
            return pcode, full
    return None


def validate_region_code(code: str) -> str | None:
    """None when `code` is a plausible GB/T 2260 code, else the problem."""
    if not _CODE.match(str(code or "")):
        return f'region code "{code}" must be six digits (GB/T 2260, e.g. 440305)'
    if province_by_code(code) is None:
        return f'region code "{code}" does not start with a province code (11..82)'
    return None


def split_description(text: str) -> tuple[str | None, str | None]:
    """Geocoder text to (province full name, city name).

    "广东省深圳市" -> ("广东省", "深圳市"); "北京市" -> ("北京市", "北京市"); "内蒙古呼和浩特市" ->
    ("内蒙古自治区", "呼和浩特市"); "广西壮族自治区南宁市、崇左市" -> ("广西壮族自治区", "南宁市");
    "中国" or "" -> (None, None).
    """
    text = (text or "").strip()
    for pcode, full, short in PROVINCES:
        for form in (full, *short):
            if text.startswith(form):
                rest = text[len(form):].split("、")[0].strip()
                if pcode in MUNICIPALITIES:
                    return full, full
                return full, rest or None
    return None, None


def normalise_name(name: str | None) -> str:
    """A place name without its administrative suffix, for comparison: 深圳市 -> 深圳, 广东省 -> 广东."""
    text = re.sub(r"\s+", "", name or "")
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def names_match(a: str | None, b: str | None) -> bool:
    """Same place, ignoring suffixes (深圳 == 深圳市, 广东 == 广东省, 内蒙古 == 内蒙古自治区)."""
    if not a or not b:
        return False
    if normalise_name(a) == normalise_name(b):
        return True
    pa, pb = _province_by_name(a), _province_by_name(b)
    return pa is not None and pa == pb


def code_prefix(code: str) -> str:
    """The significant part of a region code: 440000 -> 44, 440300 -> 4403, 440305 -> 440305."""
    code = str(code)
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def region_codes(code: str) -> tuple[str, ...]:
    """A code and the codes above it, most general first: 440305 -> (440000, 440300, 440305)."""
    if not _CODE.match(str(code or "")):
        return ()
    out = [code[:2] + "0000"]
    if code[2:4] != "00":
        out.append(code[:4] + "00")
    if code[4:] != "00":
        out.append(code)
    return tuple(dict.fromkeys(out))


def hall_for_code(code: str, halls: Iterable[HallRef]) -> HallRef | None:
    """The most specific active hall for a region code: the county's, else its city's, else its province's."""
    by_code: dict[str, HallRef] = {}
    for hall in halls:
        if hall.active and hall.region_code:
            by_code.setdefault(hall.region_code, hall)
    for candidate in reversed(region_codes(code)):
        if candidate in by_code:
            return by_code[candidate]
    return None


def match_hall(province: str | None, city: str | None, halls: Iterable[HallRef]) -> HallRef | None:
    """The hall serving a (province, city) given by name: a city hall of that name in that province, else the
    province hall, else None. Names are compared without suffixes; codes decide which province a hall is in."""
    halls = [h for h in halls if h.active]
    prov = _province_by_name(province) if province else None
    prefix = prov[0][:2] if prov else None

    def in_province(h: HallRef) -> bool:
        return prefix is None or (h.region_code[:2] == prefix if h.region_code else True)

    if city:
        for hall in halls:
            if hall.level is HallLevel.CITY and names_match(hall.name, city) and in_province(hall):
                return hall
        for hall in halls:   # a hall named after its region ("深圳市税务局") still matches by name prefix
            if (hall.level is HallLevel.CITY and in_province(hall)
                    and normalise_name(city) and hall.name.startswith(normalise_name(city))):
                return hall
    if prov:
        for hall in halls:
            if hall.level is HallLevel.PROVINCE and (
                    (hall.region_code and hall.region_code[:2] == prefix) or names_match(hall.name, prov[1])):
                return hall
    return None


def tier_chain(hall: HallRef, halls: Iterable[HallRef]) -> list[HallRef]:
    """The hall and its ancestors, lowest level first: [county, city, province]. Inactive halls are walked
    through but left out; a broken parent link or a cycle ends the chain."""
    by_id = {h.hall_id: h for h in halls}
    chain: list[HallRef] = []
    seen: set[int] = set()
    current: HallRef | None = by_id.get(hall.hall_id, hall)
    while current is not None and current.hall_id not in seen:
        seen.add(current.hall_id)
        if current.active:
            chain.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return chain


@dataclasses.dataclass(frozen=True)
class TierChoice:
    """Which level takes the call, and why (for the offer log)."""

    hall: HallRef | None
    reason: str


def choose_tier(chain: Sequence[HallRef], free_agents: Mapping[int, int]) -> TierChoice:
    """The first hall in the chain (county → city → province) with at least one free agent.

    free_agents: hall id -> number of agents ready for this call. When every level is busy, hall is None and
    the call waits for the first agent freed anywhere in the chain.
    """
    busy: list[str] = []
    for hall in chain:
        free = free_agents.get(hall.hall_id, 0)
        if free > 0:
            prefix = f"{'、'.join(busy)} busy; " if busy else ""
            return TierChoice(hall, f"{prefix}{hall.name} ({hall.level.value}) has {free} free agent(s)")
        busy.append(hall.name)
    if not chain:
        return TierChoice(None, "no hall for this call")
    return TierChoice(None, f"all levels busy ({'、'.join(busy)}): waiting for the first free agent of the chain")


def validate_tree(halls: Sequence[HallRef]) -> list[str]:
    """Problems of a hall tree, each naming the hall: levels must descend (province > city > county), codes
    must be six digits and lie inside the parent's, no cycles, codes unique."""
    problems: list[str] = []
    by_id = {h.hall_id: h for h in halls}
    seen_codes: dict[str, str] = {}
    for hall in halls:
        if hall.code in seen_codes:
            problems.append(f"hall {hall.code}: code used twice")
        seen_codes[hall.code] = hall.name
        if hall.region_code and (err := validate_region_code(hall.region_code)):
            problems.append(f"hall {hall.code}: {err}")
        parent = by_id.get(hall.parent_id) if hall.parent_id is not None else None
        if hall.parent_id is not None and parent is None:
            problems.append(f"hall {hall.code}: parent {hall.parent_id} does not exist")
        if hall.level is HallLevel.PROVINCE and hall.parent_id is not None:
            problems.append(f"hall {hall.code}: a province hall has no parent")
        if parent is not None:
            if _LEVEL_RANK[parent.level] <= _LEVEL_RANK[hall.level]:
                problems.append(f"hall {hall.code}: parent {parent.code} ({parent.level.value}) must be above "
                                f"{hall.level.value}")
            if hall.region_code and parent.region_code and not hall.region_code.startswith(
                    code_prefix(parent.region_code)):
                problems.append(f"hall {hall.code}: region {hall.region_code} is not inside its parent's "
                                f"{parent.region_code}")
        seen: set[int] = set()
        current: HallRef | None = hall
        while current is not None and current.parent_id is not None:
            if current.hall_id in seen:
                problems.append(f"hall {hall.code}: parent links form a cycle")
                break
            seen.add(current.hall_id)
            current = by_id.get(current.parent_id)
    return problems
