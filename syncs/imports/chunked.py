"""The generic path: valid rows pickled in chunks to a temporary file, then compared and written
through the ORM a chunk at a time. Products and customers use it on SQLite."""

import pickle
import tempfile
from abc import abstractmethod
from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone

from syncs.imports import rows as R
from syncs.imports.base import CHUNK_ROWS, Counts, KindImport, Plan, safeguard_entry
from syncs.imports.reading import Record
from syncs.imports.summary import Tally, encode
from syncs.models import Catalog, Customer, ImportChange, ImportKind, Priority, Product, SyncKind
from syncs.models.product import restore_inventory_after
from syncs.services.sync_state import sync_state_mark_changed


class ChunkedImport(KindImport):
    """Stage valid rows in a temporary file, in chunks; plan and write a chunk at a time.

    Used on SQLite (orders: see orders.OrderChunkedImport). Rows are compared in
    Python against one query per chunk, then created with bulk_create and updated with
    bulk_update: a fixed number of statements per chunk, never one per row.
    """

    sync_kind: str

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._buffer: list[dict] = []
        # key -> first line: duplicates within the file are refused (a few dozen bytes a row).
        self._seen: dict = {}
        self.staged = 0

    def stage(self, row: dict, key, record: Record) -> None:
        first = self._seen.get(key)
        if first is not None:
            self.errors.add(record.line, record.cells, f"duplicate of line {first}")
            return
        self._seen[key] = record.line
        row["line"] = record.line
        self._buffer.append(row)
        self.staged += 1
        if len(self._buffer) >= CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            pickle.dump(self._buffer, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._buffer = []

    def finish_staging(self, stream_factory) -> None:
        self._flush()
        self._seen = {}

    def chunks(self) -> Iterator[list[dict]]:
        self._spool.seek(0)
        while True:
            try:
                # Our own temporary file, written above in this process: not untrusted input.
                yield pickle.load(self._spool)  # noqa: S301
            except EOFError:
                return

    def close(self) -> None:
        self._spool.close()

    # Hooks for each kind.
    @abstractmethod
    def fetch(self, chunk: list[dict]) -> dict:
        """key -> stored values, for the rows of a chunk that exist."""

    @abstractmethod
    def key(self, row: dict):
        """What identifies the row's stored object."""

    @abstractmethod
    def shown_key(self, row: dict) -> str:
        """The row's key as a person reads it in an example."""

    @abstractmethod
    def changes(self, stored: dict, row: dict) -> dict:
        """field -> new value for what differs; empty when the row is unchanged."""

    def written(self, stored: dict, diff: dict) -> dict:
        """What the update writes: the file's changes, and any field they change besides
        (kept in the history, so a revert gives it back)."""
        return diff

    @abstractmethod
    def create(self, rows: list[dict]) -> list[int]:
        """Create the rows; return their ids."""

    @abstractmethod
    def update(self, pairs: list[tuple[dict, dict]]) -> list[int]:
        """Apply each (stored, changes) pair with a version bump; return the ids."""

    def compare(self, on_row=None) -> tuple[Counts, Tally]:
        """Count what writing would do and tally the stored values it changes, a chunk at a time;
        `on_row(row, stored or None, diff)` sees every row."""
        counts = Counts()
        tally = Tally(self.field_columns())
        for chunk in self.chunks():
            stored = self.fetch(chunk)
            for row in chunk:
                existing = stored.get(self.key(row))
                diff = {}
                if existing is None:
                    counts.created += 1
                else:
                    diff = self.changes(existing, row)
                    if diff:
                        counts.updated += 1
                        for name, value in diff.items():
                            tally.add(
                                field=name,
                                line=row["line"],
                                key=self.shown_key(row),
                                old=encode(existing[name]),
                                new=encode(value),
                            )
                    else:
                        counts.unchanged += 1
                if on_row is not None:
                    on_row(row, existing, diff)
        return counts, tally

    def plan(self) -> Plan:
        counts, tally = self.compare()
        return Plan(
            counts=counts,
            changes=tally.as_dict(kind=self.kind, matched=counts.updated + counts.unchanged),
        )

    def write(self) -> Counts:
        counts = Counts()
        for chunk in self.chunks():
            stored = self.fetch(chunk)
            new, changed = [], []
            for row in chunk:
                existing = stored.get(self.key(row))
                if existing is None:
                    new.append(row)
                    continue
                diff = self.changes(existing, row)
                if diff:
                    changed.append((existing, self.written(existing, diff)))
                else:
                    counts.unchanged += 1
            created = self.create(new)
            updated = self.update(changed)
            self.record_history(created, changed)
            counts.created += len(new)
            counts.updated += len(changed)
            sync_state_mark_changed(
                kind=self.sync_kind, object_ids=created + updated, priority=Priority.BULK
            )
        return counts

    def record_history(self, created: list[int], changed: list[tuple[dict, dict]]) -> None:
        """What a revert needs: the rows created, and each updated row's previous values (two
        rows of the file finding the same customer: the first line's, as the update takes)."""
        seen: set[int] = set()
        changed = [
            (stored, diff)
            for stored, diff in changed
            if not (stored["id"] in seen or seen.add(stored["id"]))
        ]
        ImportChange.objects.bulk_create(
            [
                ImportChange(job_id=self.job_id, object_id=pk, version=1, created=True)
                for pk in created
            ]
            + [
                ImportChange(
                    job_id=self.job_id,
                    object_id=stored["id"],
                    version=stored["version"] + 1,
                    before={name: encode(stored[name]) for name in diff},
                    after={name: encode(value) for name, value in diff.items()},
                )
                for stored, diff in changed
            ],
            batch_size=1000,
        )


def product_shown_key(gtin: str, seller_id: str) -> str:
    return f"{gtin} (seller {seller_id})" if seller_id else gtin


class ProductChunkedImport(ChunkedImport):
    kind = ImportKind.PRODUCTS
    sync_kind = SyncKind.PRODUCT

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.product_fields(self.columns)

    def add(self, record: Record) -> None:
        row = self.parsed(
            record,
            R.parse_product,
            has_default_catalog=self.catalogs.default_catalog_id is not None,
        )
        if row is None:
            return
        row["catalog_id"] = self.catalogs.resolve(row["catalog_ref"])
        self.stage(row, self.key(row), record)

    def key(self, row: dict):
        return (row["catalog_id"] or row["catalog_ref"], row["gtin"], row["seller_id"])

    def fetch(self, chunk: list[dict]) -> dict:
        by_catalog: dict[int, set[str]] = {}
        for row in chunk:
            if row["catalog_id"] is not None:
                by_catalog.setdefault(row["catalog_id"], set()).add(row["gtin"])
        stored = {}
        for catalog_id, gtins in by_catalog.items():
            columns = ("id", "version", "gtin", "seller_id", "inventory", "restore_inventory")
            values = Product.objects.filter(catalog_id=catalog_id, gtin__in=gtins).values(
                *dict.fromkeys((*columns, *self.fields))
            )
            for value in values:
                stored[(catalog_id, value["gtin"], value["seller_id"])] = value
        return stored

    def changes(self, stored: dict, row: dict) -> dict:
        return {name: row[name] for name in self.fields if stored[name] != row[name]}

    def written(self, stored: dict, diff: dict) -> dict:
        if "inventory" not in diff:
            return diff
        restore = restore_inventory_after(
            inventory=diff["inventory"], restore_inventory=stored["restore_inventory"]
        )
        if restore == stored["restore_inventory"]:
            return diff
        return {**diff, "restore_inventory": restore}

    def shown_key(self, row: dict) -> str:
        return product_shown_key(row["gtin"], row["seller_id"])

    def field_columns(self) -> dict[str, str]:
        return R.product_field_columns(self.fields)

    def plan(self) -> Plan:
        per_catalog: dict = {}

        def on_row(row: dict, existing: dict | None, diff: dict) -> None:
            slot = per_catalog.setdefault(
                row["catalog_id"] or row["catalog_ref"],
                {"created": 0, "unchanged": 0, "stock_outs": 0, "changes": 0},
            )
            inventory = row.get("inventory")
            if existing is None:
                slot["created"] += 1
                if not inventory:
                    slot["stock_outs"] += 1
            elif diff:
                slot["changes"] += 1
                if inventory == 0 and existing["inventory"] > 0:
                    slot["stock_outs"] += 1
            else:
                slot["unchanged"] += 1

        counts, tally = self.compare(on_row)
        return Plan(
            counts=counts,
            safeguard=_product_safeguard(per_catalog),
            catalogs_to_register=len(self.catalogs.unknown),
            changes=tally.as_dict(kind=self.kind, matched=counts.updated + counts.unchanged),
        )

    def write(self) -> Counts:
        self.registered = self.catalogs.register_unknown()
        return super().write()

    def create(self, rows: list[dict]) -> list[int]:
        products = []
        for row in rows:
            values = {name: row[name] for name in self.fields}
            catalog_id = row["catalog_id"] or self.catalogs.resolve(row["catalog_ref"])
            products.append(
                Product(
                    catalog_id=catalog_id, gtin=row["gtin"], seller_id=row["seller_id"], **values
                )
            )
        return [p.pk for p in Product.objects.bulk_create(products)]

    def update(self, pairs: list[tuple[dict, dict]]) -> list[int]:
        if not pairs:
            return []
        now = timezone.now()
        products = []
        for stored, diff in pairs:
            product = Product(pk=stored["id"], version=stored["version"] + 1, updated_at=now)
            # `diff` is `written()`'s: a changed restore amount is in it.
            for name in (*self.fields, "restore_inventory"):
                setattr(product, name, diff.get(name, stored[name]))
            products.append(product)
        fields = [*self.fields, "restore_inventory", "version", "updated_at"]
        Product.objects.bulk_update(products, fields, batch_size=500)
        return [p.pk for p in products]


def _product_safeguard(per_catalog: dict) -> list[dict]:
    ids = [key for key in per_catalog if isinstance(key, int)]
    existing = dict(
        Product.objects.filter(catalog_id__in=ids)
        .values_list("catalog_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    names = dict(Catalog.objects.filter(id__in=ids).values_list("id", "name"))
    entries = []
    for key, slot in per_catalog.items():
        known = isinstance(key, int)
        entries.append(
            safeguard_entry(
                catalog_id=key if known else None,
                catalog=names.get(key, "") if known else f"Catalog {key} (new)",
                existing=existing.get(key, 0) if known else 0,
                created=slot["created"],
                unchanged=slot["unchanged"],
                stock_outs=slot["stock_outs"],
                changes=slot["changes"],
            )
        )
    return entries


class CustomerChunkedImport(ChunkedImport):
    kind = ImportKind.CUSTOMERS
    sync_kind = SyncKind.CUSTOMER

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.customer_fields(self.columns)
        self.dict_keys = R.customer_dict_keys(self.columns)

    def add(self, record: Record) -> None:
        try:
            row = R.parse_customer(self.columns, record.cells)
        except R.RowError as exc:
            self.errors.add(record.line, record.cells, str(exc))
            return
        self.stage(row, self.key(row), record)

    def key(self, row: dict):
        return R.customer_key(row)

    def shown_key(self, row: dict) -> str:
        return R.customer_key(row)[1]

    def field_columns(self) -> dict[str, str]:
        return R.customer_field_columns(self.fields)

    def fetch(self, chunk: list[dict]) -> dict:
        wanted: dict[str, set[str]] = {}
        for row in chunk:
            name, value = self.key(row)
            wanted.setdefault(name, set()).add(value)
        stored = {}
        columns = ("id", "version", "external_id", "email", "phone_number", *self.fields)
        for name, values in wanted.items():
            query = Customer.objects.filter(**{f"{name}__in": values}).order_by("-id")
            # Lowest id wins when several customers share an email or phone number.
            for value in query.values(*dict.fromkeys(columns)):
                stored[(name, value[name])] = value
        return stored

    def merged(self, stored: dict, row: dict) -> dict:
        """The values the row leads to: dict fields keep the keys the file does not speak for."""
        values = {}
        for name in self.fields:
            if name in self.dict_keys:
                kept = {k: v for k, v in stored[name].items() if k not in self.dict_keys[name]}
                values[name] = kept | row[name]
            elif name in ("is_deleted", "is_forgotten"):
                values[name] = stored[name] or row.get(name, False)
            else:
                values[name] = row[name]
        return values

    def changes(self, stored: dict, row: dict) -> dict:
        values = self.merged(stored, row)
        return {name: value for name, value in values.items() if stored[name] != value}

    def create(self, rows: list[dict]) -> list[int]:
        customers = [
            Customer(**{name: row[name] for name in self.fields if name in row}) for row in rows
        ]
        return [c.pk for c in Customer.objects.bulk_create(customers)]

    def update(self, pairs: list[tuple[dict, dict]]) -> list[int]:
        if not pairs:
            return []
        now = timezone.now()
        customers = []
        for stored, diff in pairs:
            customer = Customer(pk=stored["id"], version=stored["version"] + 1, updated_at=now)
            for name in self.fields:
                setattr(customer, name, diff.get(name, stored[name]))
            customers.append(customer)
        Customer.objects.bulk_update(
            customers, [*self.fields, "version", "updated_at"], batch_size=500
        )
        return [c.pk for c in customers]
