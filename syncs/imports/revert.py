"""Undoing an import from what it recorded (ImportChange): each row it created is removed, each
row it updated gets its previous values back as a new version that is pushed. A row changed
again since (its version moved on) is left alone and listed, as is one whose previous values
cannot be put back. Everything happens in one transaction, a chunk of rows at a time.

Removing a created row: by default it is deleted here only (what it pushed stays in the
platforms); with `delete_remote`, products are deleted in CitrusAd (the DELETE the product page
sends) and customers marked deleted in Custobar (`is_deleted`, which cannot be undone); orders
have no deletion in either platform and are deleted here only.

What a revert changes is pushed on the priority lane, like a click, when it is small enough
(`revert_priority`, docs/ARCHITECTURE.md "Manual actions"); a large one goes as bulk work.
"""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from syncs.models import (
    Customer,
    DeletionState,
    ImportChange,
    ImportJob,
    ImportKind,
    Order,
    OrderItem,
    Priority,
    Product,
    SyncKind,
    SyncState,
)
from syncs.models.order import MAX_ORDER_ITEMS
from syncs.models.product import restore_inventory_after
from syncs.services.sync_state import sync_state_forget, sync_state_mark_changed

CHUNK = 1000
KIND_MODELS: dict[str, type[Model]] = {
    ImportKind.PRODUCTS: Product,
    ImportKind.CUSTOMERS: Customer,
    ImportKind.ORDERS: Order,
}
SYNC_KINDS = {
    ImportKind.PRODUCTS: SyncKind.PRODUCT,
    ImportKind.CUSTOMERS: SyncKind.CUSTOMER,
    ImportKind.ORDERS: SyncKind.ORDER,
}
# How a row is named in the list of rows left alone.
KEY_FIELDS = {
    ImportKind.PRODUCTS: ("gtin", "seller_id"),
    ImportKind.CUSTOMERS: ("external_id", "email", "phone_number"),
    ImportKind.ORDERS: ("order_id",),
}
CHANGED_SINCE = "changed since, not reverted"
GONE = "no longer here, nothing to revert"
UNKNOWN_BEFORE = "changed while the import ran: its previous values are not known"
CUSTOBAR_FINAL = "marked deleted or forgotten in Custobar, which cannot be undone"
_FINAL_FLAGS = ("is_deleted", "is_forgotten")


# A revert is an admin's action and is pushed first, like a stock-out, up to this many requests
# to a destination: what a stock-out made meanwhile waits behind, a few seconds at the platforms'
# pace. A larger revert is bulk work, as the import it undoes was.
MANUAL_REVERT_REQUESTS = 10


def revert_requests(*, kind: str, created: int, updated: int, delete_remote: bool) -> int:
    """The most requests a revert sends one destination: the rows it restores (and customers
    it marks deleted) in batches of SYNC_BATCH_SIZE, and one DELETE per product it deletes in
    CitrusAd. Rows it removes here only are not pushed at all."""
    deletions = created if delete_remote and kind == ImportKind.PRODUCTS else 0
    marked = created if delete_remote and kind == ImportKind.CUSTOMERS else 0
    return math.ceil((updated + marked) / settings.SYNC_BATCH_SIZE) + deletions


def revert_priority(*, original: ImportJob, delete_remote: bool) -> int:
    """Priority.MANUAL for a revert of at most MANUAL_REVERT_REQUESTS requests, else BULK
    (counted on every row the import changed: rows changed since only make it smaller)."""
    rows = ImportChange.objects.filter(job=original).aggregate(
        n_created=Count("object_id", filter=Q(created=True)),
        n_updated=Count("object_id", filter=Q(created=False)),
    )
    requests = revert_requests(
        kind=original.kind,
        created=rows["n_created"],
        updated=rows["n_updated"],
        delete_remote=delete_remote,
    )
    return Priority.MANUAL if requests <= MANUAL_REVERT_REQUESTS else Priority.BULK


def row_key(kind: str, values: dict) -> str:
    key = [str(values[name]) for name in KEY_FIELDS[kind] if values.get(name)]
    return key[0] if kind != ImportKind.PRODUCTS else " ".join(key)


def decode(model: type[Model], name: str, value):
    """A value as ImportChange keeps it (summary.encode) -> what the model field holds."""
    if name == "items":
        return [
            {key: OrderItem._meta.get_field(key).to_python(item) for key, item in entry.items()}
            for entry in value
        ]
    return model._meta.get_field(name).to_python(value)


@dataclass
class RevertResult:
    considered: int = 0
    restored: int = 0
    removed: int = 0
    deleted_remotely: int = 0
    skipped: int = 0
    # The first rows left alone: {"object_id", "key", "reason"}
    skipped_rows: list[dict] = field(default_factory=list)


class ImportRevert:
    """Revert the import `job.reverts` as the revert job `job`; run() reads top to bottom."""

    def __init__(self, job: ImportJob, *, inline: int = ImportJob.INLINE_ERRORS):
        self.job = job
        self.original = job.reverts
        self.kind = self.original.kind
        self.model = KIND_MODELS[self.kind]
        self.sync_kind = SYNC_KINDS[self.kind]
        self.delete_remote = job.delete_remote and self.kind != ImportKind.ORDERS
        self.priority = revert_priority(original=self.original, delete_remote=self.delete_remote)
        self.result = RevertResult()
        self._inline = inline

    def run(self) -> RevertResult:
        with transaction.atomic():
            for chunk in self.chunks():
                self.revert_chunk(chunk)
        return self.result

    def chunks(self):
        """The import's rows, CHUNK at a time by object id (keyset: flat memory)."""
        after = -1
        while True:
            chunk = list(
                ImportChange.objects.filter(job=self.original, object_id__gt=after).order_by(
                    "object_id"
                )[:CHUNK]
            )
            if not chunk:
                return
            yield chunk
            after = chunk[-1].object_id

    def revert_chunk(self, chunk: list[ImportChange]) -> None:
        fields = self.restored_fields(chunk)
        columns = {"id", "version", *KEY_FIELDS[self.kind], *(fields - {"items"})}
        if self.kind == ImportKind.CUSTOMERS:
            columns |= set(_FINAL_FLAGS)
        current = {
            values["id"]: values
            for values in self.model.objects.filter(
                pk__in=[change.object_id for change in chunk]
            ).values(*columns)
        }
        removed, restored = [], []
        for change in chunk:
            self.result.considered += 1
            values = current.get(change.object_id)
            reason = self.reason_to_leave(change, values)
            if reason:
                self.skip(change, values, reason)
            elif change.created:
                removed.append(values)
            else:
                restored.append((change, values))
        self.remove(removed)
        self.restore(restored)

    def restored_fields(self, changes: list[ImportChange]) -> set[str]:
        """The fields a revert of these rows writes: those the import changed and, with a
        product's inventory, what Restore puts back (the import recorded it when it changed;
        history kept before it did gets the rule every write applies)."""
        fields = {name for change in changes for name in (change.before or {})}
        if self.kind == ImportKind.PRODUCTS and "inventory" in fields:
            fields.add("restore_inventory")
        return fields

    def reason_to_leave(self, change: ImportChange, values: dict | None) -> str:
        if values is None:
            return GONE
        if values["version"] != change.version:
            return CHANGED_SINCE
        if not change.created and change.before is None:
            return UNKNOWN_BEFORE
        if self.kind == ImportKind.CUSTOMERS and any(
            name in (change.before or {}) for name in _FINAL_FLAGS
        ):
            return CUSTOBAR_FINAL
        return ""

    def skip(self, change: ImportChange, values: dict | None, reason: str) -> None:
        self.result.skipped += 1
        if len(self.result.skipped_rows) < self._inline:
            key = row_key(self.kind, values) if values else f"#{change.object_id}"
            self.result.skipped_rows.append(
                {"object_id": change.object_id, "key": key, "reason": reason}
            )

    def remove(self, rows: list[dict]) -> None:
        if not rows:
            return
        ids = [values["id"] for values in rows]
        if self.delete_remote:
            self.delete_remotely(rows)
            return
        # Deleted here only: their sync states go with them, so nothing is pushed for them.
        sync_state_forget(states=SyncState.objects.filter(kind=self.sync_kind, object_id__in=ids))
        self.model.objects.filter(pk__in=ids).delete()
        self.result.removed += len(ids)

    def delete_remotely(self, rows: list[dict]) -> None:
        """Products: a DELETE in CitrusAd; customers: `is_deleted` in Custobar. Recorded as the
        revert's own change, and pushed."""
        name, value = (
            ("deletion_state", DeletionState.REQUESTED)
            if self.kind == ImportKind.PRODUCTS
            else ("is_deleted", True)
        )
        now = timezone.now()
        objects, history = [], []
        for values in rows:
            obj = self.model(pk=values["id"], version=values["version"] + 1, updated_at=now)
            setattr(obj, name, value)
            objects.append(obj)
            history.append(
                ImportChange(
                    job=self.job,
                    object_id=values["id"],
                    version=values["version"] + 1,
                    before={name: "" if name == "deletion_state" else False},
                    after={name: value},
                )
            )
        self.model.objects.bulk_update(objects, [name, "version", "updated_at"])
        ImportChange.objects.bulk_create(history)
        sync_state_mark_changed(
            kind=self.sync_kind, object_ids=[o.pk for o in objects], priority=self.priority
        )
        self.result.removed += len(objects)
        self.result.deleted_remotely += len(objects)

    def restore(self, pairs: list[tuple[ImportChange, dict]]) -> None:
        """Put back each row's previous values as a new version (pushed like any change)."""
        if not pairs:
            return
        now = timezone.now()
        fields = self.restored_fields([change for change, _ in pairs]) - {"items"}
        objects, history, items = [], [], []
        for change, values in pairs:
            obj = self.model(pk=change.object_id, version=values["version"] + 1, updated_at=now)
            # bulk_update sets every field named for every row: those this row's import did not
            # change keep their current values.
            for name in fields:
                if name in change.before:
                    setattr(obj, name, decode(self.model, name, change.before[name]))
                else:
                    setattr(obj, name, values[name])
            if "inventory" in change.before and "restore_inventory" not in change.before:
                obj.restore_inventory = restore_inventory_after(
                    inventory=obj.inventory, restore_inventory=obj.restore_inventory
                )
            if "items" in change.before:
                previous = decode(self.model, "items", change.before["items"])
                items.append((change.object_id, previous))
            objects.append((obj, change))
            history.append(
                ImportChange(
                    job=self.job,
                    object_id=change.object_id,
                    version=values["version"] + 1,
                    before=change.after,
                    after=change.before,
                )
            )
        self.model.objects.bulk_update(
            [obj for obj, _ in objects], [*fields, "version", "updated_at"], batch_size=500
        )
        if items:
            OrderItem.objects.filter(order_id__in=[pk for pk, _ in items]).delete()
            OrderItem.objects.bulk_create(
                [
                    OrderItem(order_id=pk, position=position, **item)
                    for pk, order_items in items
                    for position, item in enumerate(order_items[:MAX_ORDER_ITEMS])
                ],
                batch_size=1000,
            )
        ImportChange.objects.bulk_create(history, batch_size=1000)
        sync_state_mark_changed(
            kind=self.sync_kind, object_ids=[obj.pk for obj, _ in objects], priority=self.priority
        )
        self.result.restored += len(objects)
