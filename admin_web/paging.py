"""The `page` query argument of every list: a page number from 1 to MAX_PAGE, whatever is typed in the address
bar (`?page=1e20`, `?page=99999999999999999999`, `?page=-3`): an absurd value shows the first or the last pages
instead of failing in the database."""
from __future__ import annotations

from flask import request

MAX_PAGE = 100_000


def page_arg(name: str = "page") -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw.isdigit():
        return 1
    return min(MAX_PAGE, max(1, int(raw[:7])))
