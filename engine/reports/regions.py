"""Caller province and city from the caller's number, cached by the part of the number that decides it.

A mobile's region is decided by its first seven digits (号段), a landline's by its area code, so a year of
calls needs only a few thousand look-ups in phonenumbers' geocoder (engine.region_lookup).
"""
from __future__ import annotations

import functools
import re

from engine.domain.regions import split_description
from engine.domain.rules import normalise_number
from engine.region_lookup import area_code, describe

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def caller_area(ani: str) -> tuple[str, str]:
    """(province, city) of a caller number; ("", "") when unknown, withheld or foreign."""
    digits = normalise_number(ani)
    if _MOBILE.match(digits):
        return _area(digits[:7] + "0000")
    code = area_code(digits)
    if code and len(digits) >= 7:
        return _area(code + "2000000")   # the area code decides; a representative subscriber number
    return "", ""


@functools.lru_cache(maxsize=16384)
def _area(number: str) -> tuple[str, str]:
    _kind, text = describe(number)
    province, city = split_description(text)
    return (province or "")[:32], (city or "")[:32]
