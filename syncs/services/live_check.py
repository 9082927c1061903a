"""Ask CitrusAd now what it holds for one product, beside what the console would send.

A service, not a selector: it makes an HTTP call, and a page that shows it waits on CitrusAd.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from syncs.destinations import DestinationNotConfigured, destination_client
from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import Product
from syncs.remotes import NotFoundError, RemoteError
from syncs.remotes import payloads as wire


@dataclass(frozen=True)
class FieldComparison:
    field: str
    local: object
    remote: object
    differs: bool


@dataclass(frozen=True)
class LiveComparison:
    state: str  # "found", "not_found" (not ingested yet) or "error"
    message: str = ""
    rows: list[FieldComparison] = field(default_factory=list)
    checked_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def differences(self) -> int:
        return sum(1 for row in self.rows if row.differs)


def _comparable(value):
    # CitrusAd answers prices as numbers and we send strings; empty and null lists are the same
    # to CitrusAd ("empty or null values for groups and profit can be ignored").
    if value in (None, "", []):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        try:
            return Decimal(value).normalize()
        except ArithmeticError:
            return value
    return value


def product_live_check(*, product: Product) -> LiveComparison:
    """Ask CitrusAd now for one product and compare it field by field with what we would send."""
    if not product.catalog.citrusad_id:
        return LiveComparison(
            state="error", message="Its catalog has no CitrusAd id yet, so CitrusAd cannot have it."
        )
    try:
        result = destination_client(CITRUSAD).get_catalog_product(
            catalog_id=product.catalog.citrusad_id, gtin=product.gtin, seller_id=product.seller_id
        )
    except NotFoundError:
        return LiveComparison(state="not_found")
    except DestinationNotConfigured as exc:
        return LiveComparison(state="error", message=str(exc))
    except RemoteError as exc:
        return LiveComparison(state="error", message=f"CitrusAd did not answer usefully: {exc}")
    remote = result.items[0]
    local = wire.catalog_product_payload(product)
    rows = []
    for key in [*local, *(k for k in remote if k not in local)]:
        local_value, remote_value = local.get(key), remote.get(key)
        rows.append(
            FieldComparison(
                field=key,
                local="—" if local_value is None else local_value,
                remote="—" if remote_value is None else remote_value,
                differs=key in local and _comparable(local_value) != _comparable(remote_value),
            )
        )
    return LiveComparison(state="found", rows=rows)
