"""FreeSWITCH's C string helpers, as the simulator's commands and apps read their arguments and variables."""
from __future__ import annotations


def atoi(text):
    """C atoi: optional sign and leading digits, 0 when there are none."""
    s = (text or "").strip()
    sign, i = 1, 0
    if s[:1] in "+-" and s[:1]:
        sign, i = (-1 if s[0] == "-" else 1), 1
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    return sign * int(s[i:j]) if j > i else 0


def switch_true(value):
    """src/switch_utils.h switch_true: yes/on/true/t/enabled/active/allow, or a non-zero number."""
    v = str(value or "").strip().lower()
    if v in ("yes", "on", "true", "t", "enabled", "active", "allow"):
        return True
    try:
        return int(v) != 0
    except ValueError:
        return False
