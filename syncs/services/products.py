"""Writes to products: edits, stock-out/restore (one or many) and deletion in CitrusAd.

Each one bumps the product's `version` and marks it changed in the same transaction, records an
AuditEvent, and starts a push only after the transaction commits.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from syncs.models import AuditEvent, BulkOutcome, DeletionState, Priority, Product, SyncKind
from syncs.models.product import restore_inventory_after
from syncs.selectors.products import product_choice, product_stock_outcome
from syncs.services.audit import audit_event_record
from syncs.services.sync_state import sync_state_mark_changed

STOCK_OUT = "out"
STOCK_IN = "in"
STOCK_STATES = (STOCK_OUT, STOCK_IN)

# What an edit may change; catalog, gtin and seller_id are the product's identity in CitrusAd.
EDITABLE_FIELDS = frozenset(
    {"inventory", "price", "profit", "name", "image_url", "tags", "filters", "groups"}
)


@dataclass(frozen=True)
class BulkStockResult:
    changed_ids: list[int]  # products whose stock moved (each pushed with priority)
    unchanged_ids: list[int]  # already in the asked-for state
    skipped_ids: list[int]  # cannot take it: deleted, or nothing remembered to restore

    @property
    def changed(self) -> int:
        return len(self.changed_ids)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_ids)

    @property
    def skipped(self) -> int:
        return len(self.skipped_ids)


def _stock_snapshot(product: Product) -> dict:
    return {"inventory": product.inventory, "restore_inventory": product.restore_inventory}


def _check_not_deleted(product: Product) -> None:
    if product.deletion_state:
        raise ValidationError(
            f"Product {product.gtin} is {product.get_deletion_state_display().lower()}; "
            "it cannot be changed any more."
        )


def product_update(
    *, product: Product, actor: AbstractBaseUser | None, data: Mapping[str, Any]
) -> Product:
    """Change a product's fields and push the new state (bulk priority)."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        _check_not_deleted(product)
        before = {name: _json_value(getattr(product, name)) for name in data}
        changed = {name for name, value in data.items() if getattr(product, name) != value}
        if not changed:
            return product
        for name, value in data.items():
            setattr(product, name, value)
        if "inventory" in changed:
            product.restore_inventory = restore_inventory_after(
                inventory=product.inventory, restore_inventory=product.restore_inventory
            )
        product.full_clean()
        product.version += 1
        product.save()
        sync_state_mark_changed(kind=SyncKind.PRODUCT, object_ids=[product.pk])
        audit_event_record(
            actor=actor,
            action="product.update",
            object_kind=SyncKind.PRODUCT,
            object_id=product.pk,
            object_repr=str(product),
            before={name: before[name] for name in changed},
            after={name: _json_value(getattr(product, name)) for name in changed},
        )
    return product


def _json_value(value):
    return value if isinstance(value, str | int | float | bool | list | dict | None) else str(value)


def product_set_stock(*, product: Product, state: str, actor: AbstractBaseUser | None) -> Product:
    """Stock out (`inventory: 0`, remembering it) or restore; the target state, never a flip."""
    if state not in STOCK_STATES:
        raise ValidationError(f"Stock state must be 'out' or 'in', not {state!r}.")
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        _check_not_deleted(product)
        before = _stock_snapshot(product)
        if state == STOCK_OUT:
            if product.inventory == 0:
                return product  # already out: a double click changes nothing
            product.restore_inventory = product.inventory
            product.inventory = 0
        else:
            if product.inventory > 0:
                return product
            if not product.restore_inventory:
                raise ValidationError(
                    f"Product {product.gtin} has no inventory to restore (it was not stocked "
                    "out here); set its inventory with an edit or an import."
                )
            product.inventory = product.restore_inventory
            product.restore_inventory = None
        product.version += 1
        product.save(update_fields=["inventory", "restore_inventory", "version", "updated_at"])
        sync_state_mark_changed(
            kind=SyncKind.PRODUCT, object_ids=[product.pk], priority=Priority.MANUAL
        )
        audit_event_record(
            actor=actor,
            action="product.stock_out" if state == STOCK_OUT else "product.restore",
            object_kind=SyncKind.PRODUCT,
            object_id=product.pk,
            object_repr=str(product),
            before=before,
            after=_stock_snapshot(product),
        )
    return product


def product_bulk_set_stock(
    *,
    state: str,
    actor: AbstractBaseUser | None,
    product_ids: list[int] | None = None,
    search: Mapping[str, Any] | None = None,
    audit_parent: AuditEvent | None = None,
) -> BulkStockResult:
    """Stock out or restore many products, chosen by ids or by a product search, in one go.

    Every chosen row is locked for the length of the call: a bulk action over many rows runs
    this once per chunk (services/bulk_stock.py). `audit_parent` is the bulk action's own audit
    entry, which each product's entry then belongs to.
    """
    if state not in STOCK_STATES:
        raise ValidationError(f"Stock state must be 'out' or 'in', not {state!r}.")
    chosen = product_choice(product_ids=product_ids, search=search)
    with transaction.atomic():
        # Lock in id order, like every other multi-row write, so two bulk actions cannot deadlock.
        rows = list(
            Product.objects.filter(pk__in=chosen.values("pk"))
            .select_for_update()
            .order_by("pk")
            .annotate(outcome=product_stock_outcome(state=state))
            .values("pk", "gtin", "inventory", "restore_inventory", "outcome")
        )
        outcome = {r["pk"]: r["outcome"] for r in rows}
        movable = [r for r in rows if outcome[r["pk"]] == BulkOutcome.CHANGED]
        ids = [r["pk"] for r in movable]
        if ids:
            moved = Product.objects.filter(pk__in=ids)
            if state == STOCK_OUT:
                moved.update(
                    restore_inventory=F("inventory"),
                    inventory=0,
                    version=F("version") + 1,
                    updated_at=timezone.now(),
                )
            else:
                moved.update(
                    inventory=F("restore_inventory"),
                    restore_inventory=None,
                    version=F("version") + 1,
                    updated_at=timezone.now(),
                )
            sync_state_mark_changed(kind=SyncKind.PRODUCT, object_ids=ids, priority=Priority.MANUAL)
            _audit_bulk(actor=actor, state=state, rows=movable, parent=audit_parent)
    return BulkStockResult(
        changed_ids=ids,
        unchanged_ids=[pk for pk, o in outcome.items() if o == BulkOutcome.UNCHANGED],
        skipped_ids=[pk for pk, o in outcome.items() if o == BulkOutcome.SKIPPED],
    )


def _audit_bulk(
    *, actor: AbstractBaseUser | None, state: str, rows: list[dict], parent: AuditEvent | None
) -> None:
    """One AuditEvent per product, so each product's history shows the bulk action too."""
    signed_in = actor is not None and actor.is_authenticated
    action = "product.stock_out" if state == STOCK_OUT else "product.restore"
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if signed_in else None,
                actor_name=actor.get_username() if signed_in else "",
                action=action,
                object_kind=SyncKind.PRODUCT,
                object_id=str(row["pk"]),
                object_repr=row["gtin"],
                parent=parent,
                before={
                    "inventory": row["inventory"],
                    "restore_inventory": row["restore_inventory"],
                },
                after=(
                    {"inventory": 0, "restore_inventory": row["inventory"]}
                    if state == STOCK_OUT
                    else {"inventory": row["restore_inventory"], "restore_inventory": None}
                ),
            )
            for row in rows
        ],
        batch_size=1000,
    )


def product_delete(*, product: Product, actor: AbstractBaseUser | None) -> Product:
    """Ask CitrusAd to delete the product (one DELETE, pushed with priority); cannot be undone."""
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if product.deletion_state:
            return product  # already requested or done: a second click changes nothing
        product.deletion_state = DeletionState.REQUESTED
        product.version += 1
        product.save(update_fields=["deletion_state", "version", "updated_at"])
        sync_state_mark_changed(
            kind=SyncKind.PRODUCT, object_ids=[product.pk], priority=Priority.MANUAL
        )
        audit_event_record(
            actor=actor,
            action="product.delete",
            object_kind=SyncKind.PRODUCT,
            object_id=product.pk,
            object_repr=str(product),
            before={"deletion_state": DeletionState.ACTIVE},
            after={"deletion_state": DeletionState.REQUESTED},
        )
    return product
