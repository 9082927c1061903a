"""Pages of a list, written once for every list: keyset by the sort column and id, a page
number, and a result count that stops counting at COUNT_CAP.

Keyset: a page starts after (or ends before) a row, found by comparing (sort column, id) with
that row's, which an index answers as a range: page 1,000 costs what page 1 does, where OFFSET
would read every row before it. Within the first COUNT_CAP rows a page can also be reached by
its number (a short OFFSET), so the pager offers numbered links where the count is exact.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

PAGE_SIZE = 50
COUNT_CAP = 10_000  # exact up to here, then "10,000+"

M = TypeVar("M", bound=Model)

# fetch(qs, order, start, n): the rows [start, start + n) of qs in `order` (a list of
# order_by strings). A list may give its own when it needs another query plan (products).
Fetch = Callable[[QuerySet, list[str], int, int], list]


def _plain_fetch(qs: QuerySet, order: list[str], start: int, n: int) -> list:
    return list(qs.order_by(*order)[start : start + n])


@dataclass(frozen=True)
class Paging:
    """Where a person is in a list: the order, and which page of it."""

    sort: str = ""  # one of the list's sorts ("gtin", "-id"); "" means its default
    after: int | None = None  # the page after this row (the "Next" link)
    back: int | None = None  # the page before this row (the "Previous" link)
    number: int = 1  # the page number shown; alone, it is the page reached by number
    limit: int = PAGE_SIZE


FIRST_PAGE = Paging()


@dataclass
class Page(Generic[M]):
    rows: list[M]
    sort: str
    number: int
    size: int
    next_after: int | None  # give as `after` for the next page; None on the last page
    back_from: int | None  # give as `back` for the page before; None on the first page
    count: int | None = None  # matching rows, counted up to COUNT_CAP + 1 (None: not counted)
    notes: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def count_exact(self) -> bool:
        return self.count is not None and self.count <= COUNT_CAP

    @property
    def count_label(self) -> str:
        if self.count is None:
            return ""
        return f"{self.count:,}" if self.count_exact else f"{COUNT_CAP:,}+"

    @property
    def page_count(self) -> int | None:
        if not self.count_exact:
            return None
        return max(1, math.ceil(self.count / self.size))

    @property
    def numbered(self) -> list[int | None]:
        """Page numbers to offer as links (None: a gap), while they can be reached by number."""
        last = self.page_count
        if last is None:
            return []
        shown = {1, last, *range(self.number - 2, self.number + 3)}
        pages: list[int | None] = []
        for n in sorted(p for p in shown if 1 <= p <= last):
            if pages and n - (pages[-1] or 0) > 1:
                pages.append(None)
            pages.append(n)
        return pages


def _order(sort: str) -> list[str]:
    """The ORDER BY for a sort: the column, then id in the same direction as a tie-break."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    tie = "-id" if descending else "id"
    return [sort] if column in ("id", "pk") else [sort, tie]


def _reversed(order: list[str]) -> list[str]:
    return [o[1:] if o.startswith("-") else f"-{o}" for o in order]


def _after(qs: QuerySet, order: list[str], row_id: int) -> QuerySet | None:
    """The rows of qs that come after row `row_id` in `order`; None if that row is gone."""
    columns = [o.lstrip("-") for o in order]
    values = qs.model._base_manager.filter(pk=row_id).values(*columns).first()
    if values is None:
        return None
    later = Q()
    for i, spec in enumerate(order):
        column = columns[i]
        step = Q(**{f"{column}__{'lt' if spec.startswith('-') else 'gt'}": values[column]})
        for earlier in columns[:i]:
            step &= Q(**{earlier: values[earlier]})
        later |= step
    return qs.filter(later)


def count_capped(qs: QuerySet) -> int:
    """How many rows match, counting no further than COUNT_CAP + 1 (a LIMIT inside COUNT)."""
    return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


def keyset_page(
    qs: QuerySet[M],
    *,
    paging: Paging,
    sorts: Sequence[str],
    fetch: Fetch = _plain_fetch,
    count: bool = True,
) -> Page[M]:
    """One page of qs in the order `paging.sort` (the first of `sorts` when not one of them)."""
    sort = paging.sort if paging.sort in sorts else sorts[0]
    order, limit, number = _order(sort), paging.limit, max(1, paging.number)
    rows: list[M]
    if paging.back and (before := _after(qs, _reversed(order), paging.back)) is not None:
        earlier = fetch(before, _reversed(order), 0, limit + 1)
        rows = list(reversed(earlier[:limit]))
        more_before = len(earlier) > limit
        page = Page(rows, sort, number if more_before else 1, limit, None, None)
        page.next_after = rows[-1].pk if rows else None  # the page we came back from follows
        page.back_from = rows[0].pk if more_before and rows else None
    elif paging.after and (later := _after(qs, order, paging.after)) is not None:
        rows = fetch(later, order, 0, limit + 1)
        page = Page(rows[:limit], sort, max(2, number), limit, None, None)
        page.next_after = rows[limit - 1].pk if len(rows) > limit else None
        page.back_from = rows[0].pk if rows else None
    else:
        # By number alone, as far as the count is exact; past it, the keyset links go on.
        number = min(number, math.ceil(COUNT_CAP / limit))
        rows = fetch(qs, order, (number - 1) * limit, limit + 1)
        page = Page(rows[:limit], sort, number, limit, None, None)
        page.next_after = rows[limit - 1].pk if len(rows) > limit else None
        page.back_from = rows[0].pk if rows and number > 1 else None
        if page.next_after is None and (rows or number == 1):
            # The last page reached by its number: every row before it was counted by OFFSET,
            # so a narrow search (the costly one to count: few rows left after its filters)
            # needs no COUNT at all.
            page.count = (number - 1) * limit + len(page.rows)
    if count and page.count is None:
        page.count = count_capped(qs)
    return page
