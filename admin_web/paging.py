"""The `page` query argument of every list: a page number from 1 to MAX_PAGE, whatever is typed in the address
bar (`?page=1e20`, `?page=99999999999999999999`, `?page=-3`): an absurd value shows the first or the last pages
instead of failing in the database."""
from __future__ import annotations

import dataclasses

from flask import request

MAX_PAGE = 100_000


def page_arg(name: str = "page") -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw.isdigit():
        return 1
    return min(MAX_PAGE, max(1, int(raw[:7])))


@dataclasses.dataclass(frozen=True)
class Page:
    """A page of a list's rows with what the pager needs (macro _macros/pager.html)."""

    rows: list
    page: int
    pages: int
    total: int


def bounds(page: int, total: int, per_page: int) -> tuple[int, int]:
    """(the page shown, the number of pages) of `total` rows: past the last page, the last one; at least one."""
    pages = max(1, -(-total // per_page))
    return min(max(1, page), pages), pages
