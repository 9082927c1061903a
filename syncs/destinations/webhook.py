"""Signed webhooks: one destination per endpoint an admin adds (`webhook:<id>`).

An endpoint receives every change of the kinds it chose, in batches of at most
SYNC_BATCH_SIZE items, with the platforms' guarantees: level-triggered (the latest state of
each row, ten edits between two deliveries give one item), each item confirmed at the version
sent, retried with backoff, every attempt in the history, and a pause on 401, 403 or 410
(the endpoint is gone). Switched off, its changes wait and go out once it is on again.

The message (README, "Webhooks") is `{"type": "<kind>.changed", "timestamp", "data":
{"kind", "items": [...]}}`; each item carries `id` and `version`, so a receiver that gets an
item twice (at least once) or late keeps the highest version.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet

from syncs.destinations.base import Built, Destination, Verdict, explain
from syncs.models import Customer, Order, Product, SyncKind, WebhookEndpoint
from syncs.remotes import payloads as wire
from syncs.remotes.errors import RemoteError
from syncs.remotes.result import RemoteResult
from syncs.remotes.webhook import WebhookClient
from syncs.stored_secrets import KEY_SETTING, StoredSecretError

TYPE_NAME = "webhook"
GONE = 410

_PRODUCT_FIELDS = (
    "gtin",
    "seller_id",
    "name",
    "inventory",
    "image_url",
    "tags",
    "filters",
    "groups",
)
_CUSTOMER_FIELDS = tuple(
    f.name
    for f in Customer._meta.get_fields()
    if f.concrete and f.name not in ("id", "version", "created_at", "updated_at")
)


def _money(value) -> str | None:
    return None if value is None else wire.decimal_string(value)


def _when(value) -> str | None:
    return None if value is None else wire.iso_datetime(value)


def product_item(product: Product) -> dict:
    item = {"id": product.pk, "version": product.version}
    item.update({name: getattr(product, name) for name in _PRODUCT_FIELDS})
    item["stocked_out"] = product.inventory == 0
    item["price"] = _money(product.price)
    item["profit"] = _money(product.profit)
    item["catalog"] = {
        "id": product.catalog_id,
        "name": product.catalog.name,
        "citrusad_id": product.catalog.citrusad_id,
    }
    item["deleted"] = bool(product.deletion_state)
    item["updated_at"] = _when(product.updated_at)
    return item


def customer_item(customer: Customer) -> dict:
    item = {"id": customer.pk, "version": customer.version}
    for name in _CUSTOMER_FIELDS:
        value = getattr(customer, name)
        item[name] = value.isoformat() if hasattr(value, "isoformat") else value
    item["date_joined"] = _when(customer.date_joined)
    item["last_login"] = _when(customer.last_login)
    item["updated_at"] = _when(customer.updated_at)
    return item


def order_item(order: Order) -> dict:
    return {
        "id": order.pk,
        "version": order.version,
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "session_id": order.session_id,
        "order_date": _when(order.order_date),
        "ad_ids": list(order.ad_ids),
        "items": [
            {
                "gtin": line.gtin,
                "quantity": line.quantity,
                "regular_unit_price": _money(line.regular_unit_price),
                "total_order_item_price_after_discounts": _money(
                    line.total_order_item_price_after_discounts
                ),
                "citrus_discount_amount": _money(line.citrus_discount_amount),
                "ad_id": line.ad_id,
                "substituted_for": line.substituted_for,
            }
            for line in order.items.all().order_by("position", "pk")
        ],
        "updated_at": _when(order.updated_at),
    }


_ITEMS = {
    SyncKind.PRODUCT: (product_item, lambda p: p.gtin),
    SyncKind.CUSTOMER: (customer_item, lambda c: c.external_id or f"#{c.pk}"),
    SyncKind.ORDER: (order_item, lambda o: o.order_id),
}


def webhook_label(endpoint_name: str) -> str:
    """What every page calls an endpoint: the dashboard, the history, My activity, alerts."""
    return f"Webhook {endpoint_name}"


class Webhook(Destination):
    type_name = TYPE_NAME

    def __init__(self, endpoint: WebhookEndpoint):
        self.receiver = endpoint  # the WebhookEndpoint row
        self.name = endpoint.destination_name
        self.label = webhook_label(endpoint.name)
        self.kinds = tuple(endpoint.kinds)

    # --- the registry's questions: one destination per endpoint row ---

    @classmethod
    def instances(cls) -> list[Destination]:
        return [cls(endpoint) for endpoint in WebhookEndpoint.objects.order_by("pk")]

    @classmethod
    def from_name(cls, name: str) -> Destination | None:
        _type, _, pk = name.partition(":")
        endpoint = WebhookEndpoint.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        return cls(endpoint) if endpoint else None

    @classmethod
    def labels_for(cls, names: Iterable[str]) -> dict[str, str]:
        """Every page's "Webhook <its name>", with one query for all of `names`; an endpoint
        removed since (its history stays) is "Webhook #<id> (removed)"."""
        ids = {name: name.partition(":")[2] for name in names}
        found = dict(
            WebhookEndpoint.objects.filter(
                pk__in=[int(pk) for pk in ids.values() if pk.isdigit()]
            ).values_list("pk", "name")
        )
        return {
            name: webhook_label(found[int(pk)])
            if pk.isdigit() and int(pk) in found
            else f"Webhook #{pk} (removed)"
            for name, pk in ids.items()
        }

    # --- settings and client ---

    def config(self) -> tuple:
        return (
            self.receiver.url,
            tuple(self.receiver.signing_secrets()),
            self.label,
            settings.REMOTE_CONNECT_TIMEOUT,
            settings.REMOTE_READ_TIMEOUT,
        )

    def missing(self) -> list[str]:
        if not self.receiver.enabled:
            return ["it on (Webhooks page)"]
        try:
            self.receiver.signing_secrets()
        except StoredSecretError:
            return [f"{KEY_SETTING} to the key its secret was encrypted with"]
        return []

    def credentials(self) -> tuple[str, ...]:
        """Its URL and current secret (decrypted: re-encrypting under a new key changes
        nothing a receiver sees)."""
        try:
            current = self.receiver.signing_secrets()[:1]
        except StoredSecretError:
            current = []  # `missing()` says so; it cannot send until the key is back
        return (self.receiver.url, *current)

    def rate_limit(self) -> float | None:
        """Each endpoint's own pace (WEBHOOK_RATE_LIMIT): one receiver's 429 slows only it."""
        return settings.WEBHOOK_RATE_LIMIT

    def build_client(self, config: tuple) -> WebhookClient:
        url, secrets, label, connect, read = config
        return WebhookClient(
            url=url,
            secrets=list(secrets),
            label=label,
            connect_timeout=connect,
            read_timeout=read,
        )

    # --- rows and payloads ---

    def queryset(self, kind: str) -> QuerySet:
        if kind == SyncKind.PRODUCT:
            return Product.objects.select_related("catalog")
        if kind == SyncKind.ORDER:
            return Order.objects.prefetch_related("items")
        return super().queryset(kind)

    def build(self, kind, obj, *, previous: dict | None) -> Built:
        make_item, key = _ITEMS[kind]
        return Built(payload=make_item(obj), key=key(obj))

    def endpoint(self, kind, request) -> str:
        return WebhookClient.path_of(self.receiver.url)

    def send(self, client: WebhookClient, kind, request) -> RemoteResult:
        items = [item.payload for item in request.items]
        return client.deliver(
            event_type=f"{kind}.changed", data={"kind": kind, "items": items}, items=items
        )

    def verdict(self, kind, request, exc: RemoteError) -> Verdict:
        if exc.status_code == GONE:
            return Verdict.PAUSE  # the receiver says the endpoint is gone for good
        return super().verdict(kind, request, exc)

    def check(self, client: WebhookClient) -> tuple[bool, list[str]]:
        """Send a signed `ping` message; any 2xx means the receiver took it."""
        where = WebhookClient.path_of(self.receiver.url)
        try:
            client.deliver(event_type="ping", data={"endpoint": self.receiver.name})
        except RemoteError as exc:
            return False, [explain(exc, where, "its secret (the receiver's copy)")]
        return True, [f"{where} accepted a signed ping."]
