"""Pages of a ledger (`pdca case list`, `pdca project list`, the console's lists): one rule for the page
number, the page size and the number of pages, so every list pages the same way."""

from __future__ import annotations

from service.errors import InvalidField

PAGE_SIZE = 50  # rows per page unless --page-size says otherwise
MAX_PAGE_SIZE = 1000


def offset_of(page: int, page_size: int | None) -> int:
    """The first row of page ``page`` (from 1) of ``page_size`` rows (None: every row on one page);
    ``InvalidField`` for a page below 1 or a size outside 1…MAX_PAGE_SIZE."""
    if page < 1:
        raise InvalidField("page", f"{page}: pages are numbered from 1")
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidField("page_size", f"{page_size}: from 1 to {MAX_PAGE_SIZE}")
    return (page - 1) * page_size if page_size else 0


def pages_of(total: int, page_size: int | None) -> int:
    """How many pages ``total`` rows make (at least 1: an empty list is one empty page)."""
    return max(-(-total // page_size), 1) if page_size else 1
