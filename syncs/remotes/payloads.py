"""Wire payloads built from model rows, field by field as the platforms' docs show them.

Each follows the platform's documented request (docs/ARCHITECTURE.md, "Platform facts").
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from syncs.models import Catalog, Customer, Order, Product
from syncs.models.customer import CUSTOBAR_PERMISSION_FIELDS, CUSTOBAR_TEXT_FIELDS

CUSTOBAR_IDENTIFIERS = ("external_id", "phone_number", "email")
CUSTOBAR_LIST_FIELDS = ("tags", "mailing_lists")
# Once true these cannot be undone in Custobar, so a later false is never sent.
CUSTOBAR_IRREVERSIBLE = ("is_deleted", "is_forgotten")


def decimal_string(value: Decimal) -> str:
    """A money amount as the docs' requests send it: a string with two decimals ("19.99")."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def iso_datetime(value: datetime) -> str:
    """UTC with a Z, as in the docs ("2019-12-02T15:00:00Z")."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    timespec = "microseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=timespec) + "Z"


# --- CitrusAd ---


def catalog_create_payload(catalog: Catalog) -> dict:
    return {"name": catalog.name}


def catalog_product_payload(product: Product) -> dict:
    """One `catalogProducts` item; `inventory` always, as CitrusAd defaults a missing one to 1."""
    tags = []
    if product.image_url:
        tags.append(f"imageurl:{product.image_url}")
    if product.name:
        tags.append(f"name:{product.name}")
    tags.extend(product.tags)
    payload = {"catalogId": product.catalog.citrusad_id, "gtin": product.gtin}
    if product.seller_id:
        payload["sellerId"] = product.seller_id
    payload["inventory"] = product.inventory
    if product.price is not None:
        payload["price"] = decimal_string(product.price)
    payload["tags"] = tags
    payload["filters"] = list(product.filters)
    if product.groups:
        payload["groups"] = list(product.groups)
    if product.profit is not None:
        payload["profit"] = decimal_string(product.profit)
    return payload


def citrusad_customer_id(customer: Customer) -> str:
    """The id CitrusAd knows the customer by: the retailer's own id, which orders refer to.

    Without one, a stable id of this console's own, never the email or phone (personal data).
    """
    return customer.external_id or f"citrusadmin-{customer.pk}"


def citrusad_customer_payload(customer: Customer) -> dict:
    return {"id": citrusad_customer_id(customer), "targetingData": dict(customer.targeting_data)}


def order_payload(order: Order) -> dict:
    """The documented detailed order context, with every field the row has."""
    payload = {"id": order.order_id}
    if settings.CITRUSAD_TEAM_ID:
        payload["teamId"] = settings.CITRUSAD_TEAM_ID
    if order.customer_id:
        payload["customerId"] = order.customer_id
    if order.session_id:
        payload["sessionId"] = order.session_id
    if order.ad_ids:
        payload["adIds"] = list(order.ad_ids)
    payload["orderDate"] = iso_datetime(order.order_date)
    payload["orderItems"] = [
        _order_item_payload(item) for item in order.items.all().order_by("position", "pk")
    ]
    return payload


def _order_item_payload(item) -> dict:
    payload = {
        "gtin": item.gtin,
        "quantity": item.quantity,
        "regularUnitPrice": decimal_string(item.regular_unit_price),
        "totalOrderItemPriceAfterDiscounts": decimal_string(
            item.total_order_item_price_after_discounts
        ),
    }
    if item.ad_id:
        payload["adId"] = item.ad_id
    if item.citrus_discount_amount is not None:
        payload["citrusDiscountAmount"] = decimal_string(item.citrus_discount_amount)
    if item.substituted_for:
        payload["substitutedFor"] = item.substituted_for
    return payload


# --- Custobar ---


def custobar_customer_snapshot(customer: Customer) -> dict:
    """The row's full Custobar state: every documented field it has a value for.

    The engine stores this in SyncState.remote_snapshot after a 200, and the next partial update
    is computed against it.
    """
    snapshot: dict = {}
    for key in CUSTOBAR_IDENTIFIERS:
        if getattr(customer, key):
            snapshot[key] = getattr(customer, key)
    for key in CUSTOBAR_TEXT_FIELDS:
        if getattr(customer, key):
            snapshot[key] = getattr(customer, key)
    for key in CUSTOBAR_PERMISSION_FIELDS:
        if getattr(customer, key) is not None:
            snapshot[key] = getattr(customer, key)
    for key in ("date_joined", "last_login"):
        if getattr(customer, key):
            snapshot[key] = iso_datetime(getattr(customer, key))
    if customer.birth_date:
        snapshot["birth_date"] = customer.birth_date.isoformat()
    for key in CUSTOBAR_LIST_FIELDS:
        if getattr(customer, key):
            snapshot[key] = list(getattr(customer, key))
    for key, value in customer.company_fields.items():
        snapshot[key] = value
    for key in CUSTOBAR_IRREVERSIBLE:
        if getattr(customer, key):
            snapshot[key] = True
    return snapshot


def custobar_customer_payload(customer: Customer, *, previous: dict | None) -> dict:
    """The full record when Custobar has none of ours yet (`previous` is None); otherwise the
    identifiers plus only what changed since `previous`: "" removes a key, and list fields are
    edited with `tags.add` / `tags.remove` / `mailing_lists.add` / `mailing_lists.remove`.
    """
    current = custobar_customer_snapshot(customer)
    if previous is None:
        return current
    payload = {key: current[key] for key in CUSTOBAR_IDENTIFIERS if key in current}
    for key, value in current.items():
        if key in CUSTOBAR_IDENTIFIERS or key in CUSTOBAR_LIST_FIELDS:
            continue
        if previous.get(key) != value:
            payload[key] = value
    for key in previous:
        if key in current or key in CUSTOBAR_LIST_FIELDS or key in CUSTOBAR_IRREVERSIBLE:
            continue
        payload[key] = ""  # Custobar: an empty string removes the key
    for key in CUSTOBAR_LIST_FIELDS:
        before = _as_list(previous.get(key))
        after = current.get(key, [])
        added = [value for value in after if value not in before]
        removed = [value for value in before if value not in after]
        if added:
            payload[f"{key}.add"] = added
        if removed:
            payload[f"{key}.remove"] = removed
    return payload


def _as_list(value) -> list:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def custobar_customer_key(payload: dict) -> str:
    """The key the sync history shows for a Custobar customer: its id, else email or phone."""
    for key in ("id", *CUSTOBAR_IDENTIFIERS):
        if payload.get(key):
            return str(payload[key])
    return ""
