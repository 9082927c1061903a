"""The stock-out check for the dashboard and the product page."""

from dataclasses import dataclass

from django.db.models import Q

from syncs.models import (
    Product,
    StockoutCheck,
    StockoutCheckItem,
    StockoutCheckStatus,
    StockoutFinding,
)


@dataclass(frozen=True)
class StockoutSummary:
    latest: StockoutCheck | None  # the last finished check (done or failed)
    running: StockoutCheck | None
    still_live: int  # re-sent products still not dark when asked again
    awaiting_recheck: int  # re-sent products not asked again yet


def stockout_summary() -> StockoutSummary:
    """The dashboard line: the last check's figures, and one running now."""
    latest = (
        StockoutCheck.objects.exclude(status=StockoutCheckStatus.RUNNING).order_by("-id").first()
    )
    running = StockoutCheck.objects.filter(status=StockoutCheckStatus.RUNNING).first()
    still_live = awaiting = 0
    if latest is not None and latest.status == StockoutCheckStatus.DONE:
        resent = latest.items.filter(resent_version__isnull=False)
        still_live = resent.filter(
            ~Q(recheck_finding=StockoutFinding.DARK) & ~Q(recheck_finding="")
        ).count()
        awaiting = resent.filter(rechecked_at__isnull=True).count()
    return StockoutSummary(
        latest=latest, running=running, still_live=still_live, awaiting_recheck=awaiting
    )


def product_last_verified_dark(*, product: Product) -> StockoutCheckItem | None:
    """The last time CitrusAd answered inventory 0 for this product (first ask or re-ask)."""
    return (
        StockoutCheckItem.objects.filter(product=product)
        .filter(Q(finding=StockoutFinding.DARK) | Q(recheck_finding=StockoutFinding.DARK))
        .order_by("-id")
        .first()
    )
