"""Cells of the CSV files the console and the CLI export, safe to open in a spreadsheet (CSV injection, OWASP): a
text that starts with = + - @ (or a tab or carriage return) is a formula to Excel and WPS, so a caller ID such as
`=HYPERLINK(...)` would run as one. Such a text gets a leading apostrophe, which the spreadsheet shows as text.
Numbers stay numbers."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]
