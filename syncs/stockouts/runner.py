"""Ask CitrusAd for each stocked-out product and re-send the ones that are not dark.

    open_client()     CitrusAd from the destinations registry (not configured → the check fails)
    next_products()   the next 100 stocked-out products after the cursor, in id order
    ask()             GET /v1/catalog-products/<catalog>/<gtin>: dark, live (inventory > 0),
                      missing (404: CitrusAd does not hold it) or error; at most
                      STOCKOUT_CHECK_RATE requests a second, within CitrusAd's shared pace
    resend()          the live and missing ones pushed again with inventory 0, first in line
    save_progress()   counts and cursor, so a continuation goes on from here

It stops after `budget` seconds and a continuation task goes on (a check of 50,000 products at
5 a second takes hours; no single task should). Each item is stored as it is found, so the
dashboard and the product pages can show when a product was last proven dark.
"""

import threading
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from syncs.destinations import DestinationNotConfigured, destination_client, destination_get
from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import (
    DeletionState,
    Priority,
    Product,
    StockoutCheck,
    StockoutCheckItem,
    StockoutFinding,
    SyncKind,
)
from syncs.remotes import NotFoundError, RemoteError, UnauthorisedError
from syncs.services.push.pacing import Pace as SharedPace
from syncs.services.sync_state import sync_state_mark_changed
from syncs.stockouts import checks

_BATCH = 100
_GIVE_UP_AFTER_ERRORS = 20  # in a row: CitrusAd is down, the check says so instead of crawling
_NEVER = threading.Event()  # the check stops between products, never inside a wait


class CheckStopped(Exception):
    """The check cannot go on (the message says why)."""


def stocked_out_products():
    """Products we hold at inventory 0 that CitrusAd should hold dark."""
    return Product.objects.filter(inventory=0, deletion_state=DeletionState.ACTIVE).exclude(
        catalog__citrusad_id=""
    )


def ask(client, product: Product, *, shared: SharedPace) -> tuple[str, int | None, str]:
    """(finding, remote inventory, error) for one product, from one GET.

    The GET takes a slot of CitrusAd's shared pace (the account's rate, across every worker,
    pushes first when they wait), and a 429 slows the whole destination down like a push's.
    """
    ticket = shared.wait(manual=False, stop=_NEVER)
    try:
        result = client.get_catalog_product(
            catalog_id=product.catalog.citrusad_id, gtin=product.gtin, seller_id=product.seller_id
        )
    except NotFoundError:
        shared.answered(ticket, None)
        return StockoutFinding.MISSING, None, ""
    except UnauthorisedError as exc:
        raise CheckStopped(f"CitrusAd refused our credentials: {exc}") from None
    except RemoteError as exc:
        shared.answered(ticket, exc)
        return StockoutFinding.ERROR, None, str(exc)[:500]
    shared.answered(ticket, None)
    held = result.items[0].get("inventory")
    try:
        inventory = int(held) if held is not None else None
    except (TypeError, ValueError):
        inventory = None
    # CitrusAd takes an omitted inventory as 1: only an explicit 0 is dark.
    if inventory == 0:
        return StockoutFinding.DARK, 0, ""
    return StockoutFinding.LIVE, inventory, ""


def products_resend(*, products: list[Product]) -> dict[int, int]:
    """Push these products again (inventory 0), first in line; returns {id: version sent}."""
    if not products:
        return {}
    ids = [product.pk for product in products]
    with transaction.atomic():
        # A new version, so the sync engine sends the row even though it was confirmed.
        Product.objects.filter(pk__in=ids).update(version=F("version") + 1)
        sync_state_mark_changed(kind=SyncKind.PRODUCT, object_ids=ids, priority=Priority.MANUAL)
        return dict(Product.objects.filter(pk__in=ids).values_list("pk", "version"))


class Pace:
    """At most `rate` requests a second, measured from the first."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_at = time.monotonic()

    def wait(self) -> None:
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + self.interval


class StockoutDarkCheck:
    def __init__(self, *, check: StockoutCheck, rate: float, budget: float):
        self.check = check
        self.cursor = check.cursor
        self.pace = Pace(rate)
        self.deadline = time.monotonic() + budget
        self.errors_in_a_row = 0
        self.client = None
        self.shared = SharedPace(destination_get(CITRUSAD))

    def run(self) -> bool:
        """True when every product was asked (the check is done), False when out of time."""
        try:
            self.open_client()
            while batch := self.next_products():
                items = [self.ask_one(product) for product in self.until_deadline(batch)]
                resent = self.resend([item for item in items if _not_dark(item)])
                self.save_progress(items, resent)
                if len(items) < len(batch):
                    checks.check_pause(check_id=self.check.pk)
                    return False
        except CheckStopped as exc:
            checks.check_failed(check_id=self.check.pk, message=str(exc))
            return True
        checks.check_done(check_id=self.check.pk)
        return True

    def open_client(self) -> None:
        try:
            self.client = destination_client(CITRUSAD)
        except DestinationNotConfigured as exc:
            raise CheckStopped(str(exc)) from None

    def next_products(self) -> list[Product]:
        return list(
            stocked_out_products()
            .filter(pk__gt=self.cursor)
            .select_related("catalog")
            .order_by("pk")[:_BATCH]
        )

    def until_deadline(self, batch: list[Product]):
        for product in batch:
            if time.monotonic() > self.deadline:
                return
            yield product

    def ask_one(self, product: Product) -> StockoutCheckItem:
        self.pace.wait()
        finding, inventory, error = ask(self.client, product, shared=self.shared)
        self.errors_in_a_row = self.errors_in_a_row + 1 if error else 0
        if self.errors_in_a_row >= _GIVE_UP_AFTER_ERRORS:
            raise CheckStopped(
                f"CitrusAd did not answer {_GIVE_UP_AFTER_ERRORS} times in a row: {error}"
            )
        self.cursor = product.pk
        return StockoutCheckItem.objects.create(
            check_run=self.check,
            product=product,
            finding=finding,
            remote_inventory=inventory,
            error=error,
            checked_at=timezone.now(),
        )

    def resend(self, items: list[StockoutCheckItem]) -> int:
        versions = products_resend(products=[item.product for item in items])
        for item in items:
            item.resent_version = versions[item.product_id]
        StockoutCheckItem.objects.bulk_update(items, ["resent_version"])
        return len(items)

    def save_progress(self, items: list[StockoutCheckItem], resent: int) -> None:
        checks.check_progress(
            check_id=self.check.pk,
            cursor=self.cursor,
            checked=len(items),
            dark=sum(1 for item in items if item.finding == StockoutFinding.DARK),
            resent=resent,
            errors=sum(1 for item in items if item.finding == StockoutFinding.ERROR),
        )


def _not_dark(item: StockoutCheckItem) -> bool:
    return item.finding in (StockoutFinding.LIVE, StockoutFinding.MISSING)
