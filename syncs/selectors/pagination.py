"""Keyset pagination by id, written once for every list that can grow without bound."""

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Model, QuerySet

PAGE_SIZE = 50

M = TypeVar("M", bound=Model)


def keyset_page(
    qs: QuerySet[M],
    *,
    cursor: int | None,
    limit: int = PAGE_SIZE,
    newest_first: bool = False,
    fetch: Callable[[QuerySet[M], int], list[M]] | None = None,
) -> tuple[list[M], int | None]:
    """One page after `cursor` (an id), and the cursor of the next page (None on the last).

    Oldest first pages with `id > cursor`, newest first with `id < cursor`: an index range, so
    page 1,000 costs what page 1 does, where OFFSET would read every row before it. One row more
    than the page is read to learn whether there is a next page. `fetch(qs, n)` may replace the
    plain `ORDER BY id LIMIT n` when a list needs its own query plan (products).
    """
    if cursor:
        qs = qs.filter(id__lt=cursor) if newest_first else qs.filter(id__gt=cursor)
    if fetch is None:
        rows = list(qs.order_by("-id" if newest_first else "id")[: limit + 1])
    else:
        rows = fetch(qs, limit + 1)
    next_cursor = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_cursor
