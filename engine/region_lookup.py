"""Where is the caller? Caller number -> province and city (phonenumbers' Chinese geocoder), and the hall.

Mobiles (1[3-9]xxxxxxxxx) are located by their number-segment (号段) data; landlines by their area code
(010, 02x, 0xxx). Numbers may arrive as +86..., 0086..., 86 + mobile, or with the trunk 0 before a mobile.
Unknown, foreign, short and withheld numbers give an empty CallerRegion (kind "unknown").
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import geocoder

from engine.domain.regions import (PROVINCES, CallerRegion, HallRef, match_hall, region_codes, split_description,
                                   tier_chain)
from engine.domain.rules import normalise_number

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}\d{5,8}$")


def area_code(number: str) -> str | None:
    """The landline area code of a national number: 010 and 020–029 have three digits, the others four."""
    digits = normalise_number(number)
    if not digits.startswith("0") or len(digits) < 4:
        return None
    if digits.startswith(("010", "02")):
        return digits[:3]
    return digits[:4]


def describe(number: str) -> tuple[str, str]:
    """(kind, geocoder description in Chinese) of a caller number; kind is mobile, landline or unknown.
    A mobile number's region is that of its first seven digits (号段, the geocoder's own prefix keys), so the
    lookup is cached per prefix: every caller is a different number, but there are few prefixes."""
    digits = normalise_number(number)
    if _MOBILE.match(digits):
        return _describe(digits[:7] + "0000")
    return _describe(digits)


@functools.lru_cache(maxsize=8192)
def _describe(digits: str) -> tuple[str, str]:
    if _MOBILE.match(digits):
        kind, national = "mobile", digits
    elif _LANDLINE.match(digits) and (code := area_code(digits)):
        kind = "landline"
        subscriber = digits[len(code):]
        # the geocoder keys on the area code; pad short/odd subscriber numbers so the prefix is still read
        national = code + (subscriber if 7 <= len(subscriber) <= 8 else "2000000")
    else:
        return "unknown", ""
    try:
        parsed = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return "unknown", ""
    text = geocoder.description_for_valid_number(parsed, "zh") or ""
    return kind, ("" if text == "中国" else text)


def lookup_region(number: str, halls: Iterable[HallRef] = ()) -> CallerRegion:
    """Province, city, region codes and (if the names match the hall tree) the hall serving the caller."""
    kind, text = describe(str(number or ""))
    return _region(kind, text, tuple(halls))


@functools.lru_cache(maxsize=4096)
def _region(kind: str, text: str, halls: tuple) -> CallerRegion:
    """The region of a geocoder description (few distinct ones: cached)."""
    province, city = split_description(text)
    if province is None:
        return CallerRegion(kind=kind, description=text)
    halls = list(halls)
    hall = match_hall(province, city, halls)
    codes: tuple[str, ...] = ()
    if hall is not None:
        chain = tier_chain(hall, halls)
        codes = tuple(dict.fromkeys(c for h in reversed(chain) for c in region_codes(h.region_code)))
    else:
        codes = tuple(code for code, name, _ in PROVINCES if name == province)
    return CallerRegion(province=province, city=city, codes=codes, hall=hall, kind=kind, description=text)
