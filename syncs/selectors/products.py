"""Products: the search box (scanned GTIN, GTIN prefix or name words), pages and one product."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat
from psycopg.errors import QueryCanceled

from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import BulkOutcome, Product, SyncKind, SyncState, SyncStatus
from syncs.search import Unaccent, fold, gtin_form_name, gtin_scan_forms
from syncs.selectors.pagination import (
    COUNT_CAP,
    FIRST_PAGE,
    Page,
    Paging,
    count_capped,
    keyset_page,
)
from syncs.selectors.sync_states import WAITING_STATUSES

_WORD = re.compile(r"\w+")


def _name_words(q: str) -> list[str]:
    return _WORD.findall(fold(q))[:8]


def _tsquery(words: list[str]) -> str:
    """Every word must be one of the name's word prefixes: "choc milk" -> "choc & milk"."""
    return " & ".join(words)


def _name_words_filter(qs: QuerySet[Product], words: list[str]) -> QuerySet[Product]:
    """Every word must start a word of the name, whatever its accents and case.

    "choc" finds "Dark chocolate" and "creme" finds "Crème brûlée". PostgreSQL answers it from
    the GIN index of every prefix of the unaccented name's words (the product_name_prefixes
    migration): each typed word is one whole term, and GIN intersects their posting lists,
    where substring matching would read most of the table for common words. SQLite, for the
    demo, matches folded substrings.
    """
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        # The expression is the index's, verbatim; the words are a parameter.
        return qs.extra(  # noqa: S610
            where=[
                "citrusadmin_name_prefixes(syncs_product.name) "
                "@@ to_tsquery('simple', citrusadmin_unaccent(%s))"
            ],
            params=[_tsquery(words)],
        )
    qs = qs.alias(folded_name=Unaccent("name"))
    for word in words:
        qs = qs.filter(folded_name__contains=word)
    return qs


# The states a person must act on. PostgreSQL keeps these products, with their catalog and name,
# in syncs_product_attention (the product_attention migration), so a search for them with words
# and a catalog reads one small table instead of every such product by its key.
NEEDS_PERSON = (SyncStatus.FAILED, SyncStatus.UNKNOWN)


def _from_attention(sync: str) -> bool:
    return sync in NEEDS_PERSON and connection.vendor == "postgresql"


def _sync_filter(
    qs: QuerySet[Product], sync: str, *, catalog_id: int | None, words: list[str]
) -> QuerySet[Product]:
    """Products whose CitrusAd sync state is `sync` ("pending" includes being pushed)."""
    if _from_attention(sync):
        conditions, params = ["status = %s"], [sync]
        if catalog_id:
            conditions.append("catalog_id = %s")
            params.append(int(catalog_id))
        if words:
            conditions.append("name_search @@ to_tsquery('simple', citrusadmin_unaccent(%s))")
            params.append(_tsquery(words))
        # Our own table and columns; every value is a parameter.
        where = f"WHERE {' AND '.join(conditions)}"
        return qs.extra(  # noqa: S610
            where=[f"syncs_product.id IN (SELECT product_id FROM syncs_product_attention {where})"],  # noqa: S608
            params=params,
        )
    statuses = list(WAITING_STATUSES) if sync == SyncStatus.PENDING else [sync]
    # An IN over the few rows in that state, which the planner can start from.
    return qs.filter(
        pk__in=SyncState.objects.filter(
            destination=CITRUSAD, kind=SyncKind.PRODUCT, status__in=statuses
        ).values("object_id")
    )


def product_search(
    *, q: str = "", catalog_id: int | None = None, stock: str = "", sync: str = ""
) -> QuerySet[Product]:
    """Products matching a GTIN, a GTIN prefix or name words, and the filters.

    A scanned code that exists is an exact search: the page and "all matching this search" then
    mean the same products. A numeric scan also finds its other GTIN forms (EAN-13 scanned,
    GTIN-14 stored). Otherwise digits are a GTIN prefix (the gtin index answers all of these,
    with varchar_pattern_ops on PostgreSQL), and words must each start a word of the name.
    """
    return _search(q=q, catalog_id=catalog_id, stock=stock, sync=sync)[0]


def _search(
    *, q: str, catalog_id: int | None, stock: str, sync: str
) -> tuple[QuerySet[Product], list[str]]:
    """`product_search`, and the name words it looks for ([] when it looks up GTINs)."""
    qs = Product.objects.all()
    q = q.strip()
    words: list[str] = []
    forms = sorted({q, *gtin_scan_forms(q)})
    if q and " " not in q and Product.objects.filter(gtin__in=forms).exists():
        qs = qs.filter(gtin__in=forms)  # also product codes that are not digits ("SKU-123")
    elif q.isdigit():
        qs = qs.filter(gtin__startswith=q)
    elif q:
        words = _name_words(q)
        if not words or not _from_attention(sync):
            qs = _name_words_filter(qs, words)  # (else the attention table's copy answers them)
    if catalog_id:
        qs = qs.filter(catalog_id=catalog_id)
    if stock == "out":
        qs = qs.filter(inventory=0)
    elif stock == "in":
        qs = qs.filter(inventory__gt=0)
    if sync:
        qs = _sync_filter(qs, sync, catalog_id=catalog_id, words=words)
    return qs, words


def product_choice(
    *, product_ids: list[int] | None = None, search: Mapping[str, Any] | None = None
) -> QuerySet[Product]:
    """The products a bulk action means: the ids ticked on a page, or a whole search."""
    if (product_ids is None) == (search is None):
        raise ValidationError("Choose the products either by ids or by a search, not both.")
    if product_ids is not None:
        try:
            ids = sorted({int(pk) for pk in product_ids})
        except (TypeError, ValueError):
            raise ValidationError("Product ids must be whole numbers.") from None
        return Product.objects.filter(pk__in=ids)
    try:
        return product_search(**dict(search))
    except TypeError:
        raise ValidationError(f"Not a product search: {sorted(search)}.") from None


def product_stock_outcome(*, state: str) -> Case:
    """What asking for stock `state` ("out" or "in") does to each product, as SQL.

    "changed"; "unchanged" when it is so already; "skipped" when it cannot be: deleted, or
    out of stock with nothing remembered to restore. The confirmation page counts with it and
    the bulk action writes with it, so both always agree.
    """
    live = Q(deletion_state="")
    if state == "out":
        changes, already = live & Q(inventory__gt=0), live & Q(inventory=0)
    else:
        changes = live & Q(inventory=0, restore_inventory__gt=0)
        already = live & Q(inventory__gt=0)
    return Case(
        When(changes, then=Value(BulkOutcome.CHANGED)),
        When(already, then=Value(BulkOutcome.UNCHANGED)),
        default=Value(BulkOutcome.SKIPPED),
        output_field=CharField(),
    )


PRODUCT_SORTS = ("id", "-id", "gtin", "-gtin")  # the primary key and product_gtin_idx


def product_search_page(*, paging: Paging = FIRST_PAGE, **search) -> Page[Product]:
    """One page of `product_search` with sync states attached, and the count of matches (None
    when the search is so broad that the page asks for it apart: COUNT_LATER_ABOVE)."""
    # A name search may match few rows, which walking an index in order finds slowly; a search
    # for products that need a person starts from their small table whatever the order.
    narrow = bool(search.get("q", "").strip()) and search.get("sync") not in NEEDS_PERSON
    search = {"q": "", "catalog_id": None, "stock": "", "sync": "", **search}
    qs, words = _search(**search)
    qs = qs.select_related("catalog")
    walk = None
    if narrow and connection.vendor == "postgresql":
        walk = Walk(matches=_estimated_rows(qs), words=words)
    page = keyset_page(
        qs,
        paging=paging,
        sorts=PRODUCT_SORTS,
        fetch=lambda qs, order, start, n: _first_in_order(qs, order, start, n, walk=walk),
        count=walk is None or walk.matches < COUNT_LATER_ABOVE,
    )
    _note_matched_forms(page.rows, q=search.get("q", "").strip())
    product_attach_states(products=page.rows)
    return page


# A name search PostgreSQL expects to match this many products or more shows its page without
# the count, which costs as much as the rest of the page (GIN lists every match before LIMIT
# applies); the page asks for it in a request of its own (`product_search_count`).
COUNT_LATER_ABOVE = 10 * COUNT_CAP


def product_search_count(**search) -> int:
    """How many products `product_search` finds, counted up to COUNT_CAP + 1."""
    return count_capped(product_search(**search))


def _note_matched_forms(products: list[Product], *, q: str) -> None:
    """Set `matched_form` ("GTIN-14") on products found by another form of the scanned code."""
    forms = set(gtin_scan_forms(q))
    for product in products:
        differs = product.gtin != q and product.gtin in forms
        product.matched_form = gtin_form_name(product.gtin) if differs else ""


# The walk in index order: the most rows it may expect to read for a page before the search does
# not try it at all, and how long it may take before the search asks the others: FAST_PLAN_MS, or
# WALK_MS_PER_ROW (about three times what one costs) for each row it expects to read if more.
WALK_ROWS = 1_500
FAST_PLAN_MS = 15
WALK_MS_PER_ROW = 0.03


def _estimated_rows(qs: QuerySet) -> float:
    """PostgreSQL's estimate of how many rows qs matches, from its statistics (reads no row)."""
    plan = json.loads(qs.order_by().explain(format="json"))
    return float(plan[0]["Plan"]["Plan Rows"])


def _table_rows() -> float:
    """The products PostgreSQL last counted (at ANALYZE); 0 or less when it has not yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Product._meta.db_table]
        )
        return float(cursor.fetchone()[0])


@dataclass(frozen=True)
class Walk:
    """What decides how a narrow search walks: PostgreSQL's estimate of its matches, and the
    name words (a walk checks them row by row, where the cheapest form of the test matters)."""

    matches: float
    words: list[str]


def _first_in_order(
    qs: QuerySet[Product], order: list[str], start: int, n: int, *, walk: Walk | None
) -> list[Product]:
    """Rows [start, start + n) in `order`, with a plan that suits how many rows match.

    PostgreSQL walks the index of the order (the primary key, the gtin) and filters, which is
    quick when many rows match and slow when few or none do; its own choice assumes matches are
    spread evenly, so it walks for rare words too. `walk` (None for a search that is not narrow)
    says how far a walk would read: past WALK_ROWS, or past its time when the estimate was
    wrong, ordering by expressions no index holds (`id + 0`, `gtin || ''`) makes it collect the
    matches from the name and sync indexes first and sort those. Every plan gives the same rows.
    """
    if walk is None:
        return list(qs.order_by(*order)[start : start + n])
    unindexed = [_unindexed(o) for o in order]
    table = _table_rows()
    rows = (start + n) * table / max(walk.matches, 1.0) if table > 0 else 0.0
    if rows > WALK_ROWS:
        return list(qs.order_by(*unindexed)[start : start + n])
    timeout_ms = max(FAST_PLAN_MS, rows * WALK_MS_PER_ROW)
    walked = qs
    if walk.words:
        # The same test as the prefix index's, in the form a row computes in less than half
        # the time; PostgreSQL checks it first (the prefixes function declares a higher cost).
        walked = qs.extra(  # noqa: S610
            where=[
                "to_tsvector('simple', citrusadmin_unaccent(syncs_product.name)) "
                "@@ to_tsquery('simple', citrusadmin_unaccent(%s))"
            ],
            params=[" & ".join(f"{word}:*" for word in walk.words)],
        )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                # A walk, one process reading in order: not the index plan, nor parallel workers
                # (whose start-up alone costs what a walk of a few hundred rows does).
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            page = list(walked.order_by(*order)[start : start + n])
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = DEFAULT")
            return page
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
    return list(qs.order_by(*unindexed)[start : start + n])


def _unindexed(spec: str):
    """The same order as `spec`, through an expression no index holds."""
    column = spec.lstrip("-")
    if column == "id":
        expression = ExpressionWrapper(F("id") + 0, output_field=BigIntegerField())
    else:
        expression = Concat(F(column), Value(""), output_field=CharField())
    return expression.desc() if spec.startswith("-") else expression.asc()


def product_attach_states(*, products: list[Product]) -> list[Product]:
    """Set `sync_state` (the CitrusAd SyncState or None) on each product, in one query."""
    states = {
        s.object_id: s
        for s in SyncState.objects.filter(
            destination=CITRUSAD,
            kind=SyncKind.PRODUCT,
            object_id__in=[p.pk for p in products],
        )
    }
    for product in products:
        product.sync_state = states.get(product.pk)
    return products


def product_get(*, product_id: int) -> Product | None:
    """One product with its catalog and `sync_state` attached (two queries)."""
    product = Product.objects.select_related("catalog").filter(pk=product_id).first()
    if product is not None:
        product_attach_states(products=[product])
    return product
