"""CitrusAd (retail media): catalogs, catalog products, customers and orders.

Its documented quirks live here: a product goes only once its catalog has a CitrusAd id; a
deletion is one DELETE per product and a 404 to it means "already gone"; catalog creation is
not idempotent, so one catalog goes per request and a lost answer leaves it `unknown`.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from syncs.destinations.base import Built, Destination, Verdict, explain
from syncs.models import Catalog, DeletionState, Order, Product, SyncKind
from syncs.remotes import payloads as wire
from syncs.remotes.citrusad import CitrusAdClient
from syncs.remotes.errors import (
    NotFoundError,
    RejectedError,
    RemoteError,
    TransientError,
    UnauthorisedError,
)
from syncs.remotes.result import RemoteResult
from syncs.services.dispatch import drain_enqueue

NAME = "citrusad"

_ENDPOINTS = {
    SyncKind.CATALOG: "/v1/catalogs",
    SyncKind.PRODUCT: "/v1/catalog-products",
    SyncKind.CUSTOMER: "/v1/customers",
    SyncKind.ORDER: "/v1/orders",
}

# What building a product's payload (or its DELETE) reads; the claim's few catalogs are read
# once, not once per product. Loading no more than this halves the cost of the biggest kind.
_PRODUCT_PUSH_FIELDS = (
    "catalog_id",
    "gtin",
    "seller_id",
    "inventory",
    "price",
    "profit",
    "name",
    "image_url",
    "tags",
    "filters",
    "groups",
    "deletion_state",
    "version",
)

# A product can only be pushed once its catalog exists in CitrusAd.
_CATALOG_HAS_ID = """AND EXISTS (
        SELECT 1 FROM syncs_product p JOIN syncs_catalog c ON c.id = p.catalog_id
        WHERE p.id = s.object_id AND c.citrusad_id <> '')"""

# A product that cannot exist: CitrusAd answers 404 once the key is accepted.
PROBE_CATALOG = "citrusadmin-check"
PROBE_GTIN = "citrusadmin-check"


class CitrusAd(Destination):
    type_name = NAME
    name = NAME
    label = "CitrusAd"
    kinds = (SyncKind.CATALOG, SyncKind.PRODUCT, SyncKind.CUSTOMER, SyncKind.ORDER)

    # --- settings and client ---

    def config(self) -> tuple:
        return (
            settings.CITRUSAD_BASE_URL,
            settings.CITRUSAD_API_KEY,
            settings.CITRUSAD_TEAM_ID,
            settings.REMOTE_CONNECT_TIMEOUT,
            settings.REMOTE_READ_TIMEOUT,
        )

    def missing(self) -> list[str]:
        # The team id is as required as the key: catalog products are posted with ?teamId=.
        required = ("CITRUSAD_BASE_URL", "CITRUSAD_API_KEY", "CITRUSAD_TEAM_ID")
        return [name for name in required if not getattr(settings, name)]

    def credentials(self) -> tuple[str, ...]:
        return (settings.CITRUSAD_BASE_URL, settings.CITRUSAD_API_KEY, settings.CITRUSAD_TEAM_ID)

    def rate_limit(self) -> float | None:
        return settings.CITRUSAD_RATE_LIMIT

    def build_client(self, config: tuple) -> CitrusAdClient:
        base_url, api_key, team_id, connect, read = config
        return CitrusAdClient(
            base_url=base_url,
            api_key=api_key,
            team_id=team_id,
            connect_timeout=connect,
            read_timeout=read,
        )

    # --- rows and payloads ---

    def queryset(self, kind: str) -> QuerySet:
        if kind == SyncKind.PRODUCT:
            catalogs = Prefetch("catalog", queryset=Catalog.objects.only("citrusad_id"))
            return Product.objects.only(*_PRODUCT_PUSH_FIELDS).prefetch_related(catalogs)
        if kind == SyncKind.ORDER:
            return Order.objects.prefetch_related("items")
        return super().queryset(kind)

    def claim_condition(self, kind: str) -> str:
        return _CATALOG_HAS_ID if kind == SyncKind.PRODUCT else ""

    def build(self, kind: str, obj, *, previous: dict | None) -> Built:
        if kind == SyncKind.PRODUCT:
            if obj.deletion_state:
                return Built(payload=None, key=obj.gtin)  # sent as a DELETE, no body
            return Built(payload=wire.catalog_product_payload(obj), key=obj.gtin)
        if kind == SyncKind.CUSTOMER:
            payload = wire.citrusad_customer_payload(obj)
            return Built(payload=payload, key=payload["id"])
        if kind == SyncKind.ORDER:
            payload = wire.order_payload(obj)
            return Built(payload=payload, key=payload["id"])
        return Built(payload=wire.catalog_create_payload(obj), key=obj.name)

    def batches(self, kind, items):
        """Deletions (people's actions) first, one per product; catalogs one per request (a
        lost answer then leaves one catalog unknown, not many); the rest by SYNC_BATCH_SIZE."""
        deletions = [("DELETE", [item]) for item in items if item.payload is None]
        upserts = [item for item in items if item.payload is not None]
        if kind == SyncKind.CATALOG:
            return deletions + [("POST", [item]) for item in upserts]
        return deletions + super().batches(kind, upserts)

    def endpoint(self, kind, request) -> str:
        if request.method == "DELETE":
            product = request.items[0].obj
            return f"/v1/catalog-products/{product.catalog.citrusad_id}/{product.gtin}"
        return _ENDPOINTS[kind]

    def send(self, client: CitrusAdClient, kind, request) -> RemoteResult:
        if request.method == "DELETE":
            product = request.items[0].obj
            return client.delete_catalog_product(
                catalog_id=product.catalog.citrusad_id,
                gtin=product.gtin,
                seller_id=product.seller_id,
            )
        items = [item.payload for item in request.items]
        if kind == SyncKind.PRODUCT:
            return client.upsert_catalog_products(items=items)
        if kind == SyncKind.CUSTOMER:
            return client.upsert_customers(items=items)
        if kind == SyncKind.ORDER:
            return client.upsert_orders(items=items)
        return client.create_catalogs(names=[item["name"] for item in items])

    # --- answers ---

    def incomplete(self, kind, request, result) -> str:
        if kind != SyncKind.CATALOG:
            return ""
        answers, count = result.items, len(request.items)
        returned = len(answers) >= count and all(
            isinstance(answer, dict) and answer.get("id") for answer in answers[:count]
        )
        return "" if returned else "CitrusAd answered without the new catalog's id."

    def verdict(self, kind, request, exc: RemoteError) -> Verdict:
        if request.method == "DELETE" and isinstance(exc, NotFoundError):
            return Verdict.CONFIRM  # already gone: what the deletion wanted
        # Catalog creation is not idempotent: an answer we did not get may have created it.
        # Only when the remote surely did nothing (no connection, a 429) is a retry safe.
        creation_may_have_happened = (
            kind == SyncKind.CATALOG
            and isinstance(exc, TransientError)
            and exc.request_sent
            and exc.status_code != 429
        )
        if creation_may_have_happened:
            return Verdict.UNKNOWN
        return super().verdict(kind, request, exc)

    def unknown_message(self, kind, detail: str) -> str:
        return (
            "No answer to the catalog creation: it may exist in CitrusAd. Check there before "
            f"retrying, or register it with its id. ({detail})"
        )

    def confirmed(self, kind, items, answers) -> None:
        if kind == SyncKind.CATALOG:
            # The id CitrusAd returned, stored in the transaction that confirms.
            for item, answer in zip(items, answers, strict=False):
                remote_id = str(answer.get("id") or "")
                team_id = str(answer.get("teamId") or item.obj.team_id or "")
                if remote_id:
                    Catalog.objects.filter(pk=item.obj.pk, citrusad_id="").update(
                        citrusad_id=remote_id, team_id=team_id
                    )
        if kind == SyncKind.PRODUCT:
            deleted = [item.obj.pk for item in items if item.payload is None]
            if deleted:
                # Remote state, not a wanted change: the version does not move.
                Product.objects.filter(pk__in=deleted).update(deletion_state=DeletionState.DELETED)

    def after_confirm(self, kind) -> None:
        if kind == SyncKind.CATALOG:
            # Products that waited for these catalogs' ids can go now.
            transaction.on_commit(lambda: drain_enqueue(destination=NAME, kind=SyncKind.PRODUCT))

    def check(self, client: CitrusAdClient) -> tuple[bool, list[str]]:
        where = client.http.base_url
        try:
            client.get_catalog_product(catalog_id=PROBE_CATALOG, gtin=PROBE_GTIN)
        except NotFoundError:
            pass  # expected: the key was accepted and the probe product does not exist
        except RemoteError as exc:
            return False, [explain(exc, where, "CITRUSAD_API_KEY")]
        lines = [f"Reachable at {where}; the API key is accepted."]
        # An empty batch changes nothing; a 403 here means the teamId is not this key's team.
        try:
            client.upsert_catalog_products(items=[])
        except UnauthorisedError:
            return False, [
                *lines,
                f"The team id {client.team_id!r} does not belong to this API key: "
                "check CITRUSAD_TEAM_ID.",
            ]
        except (RejectedError, NotFoundError, RemoteError):
            pass  # a 400 for the empty list means the team was accepted
        lines.append(f"Team id {client.team_id!r} is accepted.")
        return True, lines
