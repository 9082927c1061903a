"""Bulk stock actions: what one would change before it is confirmed, and how it went after."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count

from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import (
    BulkOutcome,
    BulkStockAction,
    BulkStockItem,
    Catalog,
    Product,
    SyncKind,
    SyncState,
    SyncStatus,
)
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page
from syncs.selectors.products import product_attach_states, product_choice, product_stock_outcome
from syncs.selectors.sync_states import WAITING_STATUSES


@dataclass(frozen=True)
class CatalogShare:
    catalog_id: int
    name: str
    to_change: int
    products: int  # every product of the catalog

    @property
    def share(self) -> float:
        return self.to_change / self.products if self.products else 0.0


@dataclass(frozen=True)
class BulkPreview:
    state: str
    requested: int
    to_change: int
    unchanged: int
    skipped: int
    share_limit: float
    catalogs: list[CatalogShare] = field(default_factory=list)

    @property
    def crossing(self) -> list[CatalogShare]:
        """The catalogs of which it would change more than BULK_TYPED_CONFIRM_SHARE."""
        return [c for c in self.catalogs if c.share > self.share_limit]

    @property
    def needs_typed_confirmation(self) -> bool:
        return bool(self.crossing)


def product_bulk_preview(
    *,
    state: str,
    product_ids: list[int] | None = None,
    search: Mapping[str, Any] | None = None,
) -> BulkPreview:
    """How many of the chosen products a stock-out/restore would change, per catalog."""
    chosen = product_choice(product_ids=product_ids, search=search)
    per_catalog: dict[int, dict[str, int]] = {}
    rows = (
        chosen.annotate(outcome=product_stock_outcome(state=state))
        .values("catalog_id", "outcome")
        .annotate(n=Count("*"))
        .order_by()
    )
    for row in rows:
        per_catalog.setdefault(row["catalog_id"], dict.fromkeys(BulkOutcome.values, 0))
        per_catalog[row["catalog_id"]][row["outcome"]] = row["n"]
    changing = [pk for pk, counts in per_catalog.items() if counts[BulkOutcome.CHANGED]]
    sizes = dict(
        Product.objects.filter(catalog_id__in=changing)
        .values("catalog_id")
        .annotate(n=Count("*"))
        .values_list("catalog_id", "n")
        .order_by()
    )
    names = dict(Catalog.objects.filter(pk__in=changing).values_list("pk", "name"))

    def total(outcome: str) -> int:
        return sum(counts[outcome] for counts in per_catalog.values())

    return BulkPreview(
        state=state,
        requested=sum(sum(counts.values()) for counts in per_catalog.values()),
        to_change=total(BulkOutcome.CHANGED),
        unchanged=total(BulkOutcome.UNCHANGED),
        skipped=total(BulkOutcome.SKIPPED),
        share_limit=settings.BULK_TYPED_CONFIRM_SHARE,
        catalogs=sorted(
            (
                CatalogShare(
                    catalog_id=pk,
                    name=names.get(pk, ""),
                    to_change=per_catalog[pk][BulkOutcome.CHANGED],
                    products=sizes.get(pk, 0),
                )
                for pk in changing
            ),
            key=lambda c: c.name,
        ),
    )


def bulk_stock_action_get(*, action_id: int) -> BulkStockAction | None:
    return BulkStockAction.objects.filter(pk=action_id).first()


@dataclass(frozen=True)
class PushSummary:
    confirmed: int
    waiting: int
    failed: int


def bulk_stock_push_summary(*, action: BulkStockAction) -> PushSummary:
    """Where the pushes of the products this action changed stand now (one query)."""
    changed = BulkStockItem.objects.filter(action=action, outcome=BulkOutcome.CHANGED)
    counts = dict(
        SyncState.objects.filter(
            destination=CITRUSAD,
            kind=SyncKind.PRODUCT,
            object_id__in=changed.values("product_id"),
        )
        .values("status")
        .annotate(n=Count("*"))
        .values_list("status", "n")
        .order_by()
    )
    return PushSummary(
        confirmed=counts.get(SyncStatus.CONFIRMED, 0),
        waiting=sum(counts.get(status, 0) for status in WAITING_STATUSES),
        failed=counts.get(SyncStatus.FAILED, 0) + counts.get(SyncStatus.UNKNOWN, 0),
    )


def bulk_stock_items_page(
    *, action: BulkStockAction, paging: Paging = FIRST_PAGE
) -> Page[BulkStockItem]:
    """One page of the action's products, each with its outcome and `product.sync_state`."""
    qs = BulkStockItem.objects.filter(action=action).select_related("product__catalog")
    page = keyset_page(qs, paging=paging, sorts=("id",), count=False)
    product_attach_states(products=[item.product for item in page.rows])
    return page
