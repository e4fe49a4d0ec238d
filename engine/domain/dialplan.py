"""What an agent may dial out to (issue 13, R-CTI): numbers of mainland China by kind, and a policy of the kinds
allowed. International calls (00…) are refused unless the deployment allows them (switch.international_dialling),
and digits that are no number of any kind are refused outright, so the CTI API cannot be used to ring anything.

Kinds (the national numbering plan, 工信部 电信网编号计划): mobile 1[3-9]xxxxxxxxx (11 digits); national: a
trunk prefix 0, an area code and the subscriber number (10 to 12 digits in all); local: 7 or 8 digits; service:
short numbers 1xx to 1xxxx (110, 12345, 12366) and 95xxx/96xxx; international: the prefix 00.
"""
from __future__ import annotations

import enum
import re


class NumberKind(str, enum.Enum):
    LOCAL = "local"
    MOBILE = "mobile"
    NATIONAL = "national"
    SERVICE = "service"
    INTERNATIONAL = "international"
    INVALID = "invalid"


_PATTERNS = ((NumberKind.INTERNATIONAL, re.compile(r"^00[1-9]\d{4,14}$")),
             (NumberKind.MOBILE, re.compile(r"^1[3-9]\d{9}$")),
             (NumberKind.NATIONAL, re.compile(r"^0[1-9]\d{8,10}$")),
             (NumberKind.SERVICE, re.compile(r"^(1\d{2,4}|9[56]\d{3,4})$")),
             (NumberKind.LOCAL, re.compile(r"^[2-8]\d{6,7}$")))
DOMESTIC = frozenset({NumberKind.LOCAL, NumberKind.MOBILE, NumberKind.NATIONAL, NumberKind.SERVICE})


def classify(number: str) -> NumberKind:
    for kind, pattern in _PATTERNS:
        if pattern.match(number):
            return kind
    return NumberKind.INVALID


def refusal(number: str, allowed: frozenset[NumberKind]) -> str:
    """'' when the number may be dialled, else why not."""
    kind = classify(number)
    if kind is NumberKind.INVALID:
        return f"{number} is not a number that can be dialled"
    if kind not in allowed:
        return f"{kind.value} numbers may not be dialled from here ({number})"
    return ""
