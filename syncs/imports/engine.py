"""The import itself, in three steps: stage, plan, write.

1. **Stage**: read the file record by record, validate, and set each valid row aside (PostgreSQL
   products and customers: `COPY` into a temporary table; otherwise pickled chunks in a temporary
   file). Invalid rows go to the error file. Memory stays flat on the `COPY` path: only a chunk
   of rows is held at a time, and duplicates within the file are found in SQL.
2. **Plan**: compare the staged rows with what is stored: how many would be created, updated,
   unchanged, and the safeguard's figures. A dry run stops here.
3. **Write**: one transaction creates and updates the changed rows only (bumping their
   `version`) and makes them pending for the sync engine. Unchanged rows are not touched, so a
   re-import of the same file queues nothing. Any failure rolls the whole write back.
"""

import json
import logging
import pickle
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from syncs.imports import rows as R
from syncs.imports.errors import ErrorSink
from syncs.imports.reading import CsvStream, ImportFileError, Record
from syncs.models import (
    Catalog,
    Customer,
    ImportKind,
    Order,
    OrderItem,
    Priority,
    Product,
    SyncKind,
    SyncState,
)
from syncs.services.changes import KIND_DESTINATIONS, sync_state_mark_changed
from syncs.services.dispatch import drain_enqueue_after_commit

logger = logging.getLogger(__name__)

CHUNK_ROWS = 2000
COPY_ROWS = 20000


class ImportCancelled(Exception):
    """The admin cancelled the job while it ran: nothing is written."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    counts: Counts
    # One dict per catalog the import touches (products only), see ImportJob.safeguard.
    safeguard: list[dict] = field(default_factory=list)
    catalogs_to_register: int = 0

    @property
    def safeguard_exceeded(self) -> bool:
        return any(entry["exceeded"] for entry in self.safeguard)


def safeguard_entry(
    *, catalog_id, catalog: str, existing: int, created: int, stock_outs: int, changes: int
) -> dict:
    """The figures for one catalog and whether they cross IMPORT_MAX_STOCKOUT_SHARE or half."""
    products = existing + created
    stock_out_share = stock_outs / products if products else 0.0
    change_share = changes / existing if existing else 0.0
    return {
        "catalog_id": catalog_id,
        "catalog": catalog,
        "products": products,
        "existing": existing,
        "stock_outs": stock_outs,
        "changes": changes,
        "stock_out_share": round(stock_out_share, 4),
        "change_share": round(change_share, 4),
        "exceeded": stock_out_share > settings.IMPORT_MAX_STOCKOUT_SHARE or change_share > 0.5,
    }


class CatalogResolver:
    """catalogId (CitrusAd's id) -> local Catalog id; unknown ids are registered at write time."""

    def __init__(self, default_catalog_id: int | None):
        self.default_catalog_id = default_catalog_id
        self._known: dict[str, int | None] = {}

    def resolve(self, ref: str | None) -> int | None:
        if ref is None:
            return self.default_catalog_id
        if ref not in self._known:
            self._known[ref] = (
                Catalog.objects.filter(citrusad_id=ref).values_list("id", flat=True).first()
            )
        return self._known[ref]

    @property
    def unknown(self) -> list[str]:
        return [ref for ref, pk in self._known.items() if pk is None]

    def register_unknown(self) -> list[Catalog]:
        """Register every unknown catalogId as an existing CitrusAd catalog (inside the write)."""
        registered = []
        for ref in self.unknown:
            catalog, created = Catalog.objects.get_or_create(
                citrusad_id=ref,
                defaults={"name": f"Catalog {ref}", "team_id": settings.CITRUSAD_TEAM_ID},
            )
            self._known[ref] = catalog.pk
            if created:
                registered.append(catalog)
        return registered


class KindImport(ABC):
    """Common shape of an import: feed records, then plan, then write."""

    def __init__(self, *, columns: R.Columns, errors: ErrorSink, job_catalog_id: int | None):
        self.columns = columns
        self.errors = errors
        self.catalogs = CatalogResolver(job_catalog_id)
        self.rows_read = 0
        self.registered: list[Catalog] = []

    @abstractmethod
    def add(self, record: Record) -> None:
        """Validate one record and stage it, or send it to the error file."""

    def finish_staging(self, stream_factory: Callable[[], CsvStream]) -> None:  # noqa: B027
        """Called once every record was added; may re-read the file for late errors."""

    @abstractmethod
    def plan(self) -> Plan:
        """What writing would do, without writing."""

    @abstractmethod
    def write(self) -> Counts:
        """Create and update the changed rows and mark them pending (inside a transaction)."""

    def close(self) -> None:  # noqa: B027 (a default: nothing to drop)
        """Drop whatever staging holds."""


# --- Generic path: pickled chunks, compared and written through the ORM in sets --------------


class ChunkedImport(KindImport):
    """Stage valid rows in a temporary file, in chunks; plan and write a chunk at a time.

    Used for orders everywhere, and for products and customers on SQLite. Rows are compared in
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
    def changes(self, stored: dict, row: dict) -> dict:
        """field -> new value for what differs; empty when the row is unchanged."""

    @abstractmethod
    def create(self, rows: list[dict]) -> list[int]:
        """Create the rows; return their ids."""

    @abstractmethod
    def update(self, pairs: list[tuple[dict, dict]]) -> list[int]:
        """Apply each (stored, changes) pair with a version bump; return the ids."""

    def plan(self) -> Plan:
        counts = Counts()
        for chunk in self.chunks():
            stored = self.fetch(chunk)
            for row in chunk:
                existing = stored.get(self.key(row))
                if existing is None:
                    counts.created += 1
                elif self.changes(existing, row):
                    counts.updated += 1
                else:
                    counts.unchanged += 1
        return Plan(counts=counts)

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
                    changed.append((existing, diff))
                else:
                    counts.unchanged += 1
            ids = self.create(new) + self.update(changed)
            counts.created += len(new)
            counts.updated += len(changed)
            sync_state_mark_changed(kind=self.sync_kind, object_ids=ids, priority=Priority.BULK)
        return counts


class ProductChunkedImport(ChunkedImport):
    sync_kind = SyncKind.PRODUCT

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.product_fields(self.columns)

    def add(self, record: Record) -> None:
        try:
            row = R.parse_product(
                self.columns,
                record.cells,
                has_default_catalog=self.catalogs.default_catalog_id is not None,
            )
        except R.RowError as exc:
            self.errors.add(record.line, record.cells, str(exc))
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

    def plan(self) -> Plan:
        per_catalog: dict = {}
        counts = Counts()
        for chunk in self.chunks():
            stored = self.fetch(chunk)
            for row in chunk:
                slot = per_catalog.setdefault(
                    row["catalog_id"] or row["catalog_ref"],
                    {"created": 0, "stock_outs": 0, "changes": 0},
                )
                existing = stored.get(self.key(row))
                inventory = row.get("inventory")
                if existing is None:
                    counts.created += 1
                    slot["created"] += 1
                    if not inventory:
                        slot["stock_outs"] += 1
                elif self.changes(existing, row):
                    counts.updated += 1
                    slot["changes"] += 1
                    if inventory == 0 and existing["inventory"] > 0:
                        slot["stock_outs"] += 1
                else:
                    counts.unchanged += 1
        return Plan(
            counts=counts,
            safeguard=_product_safeguard(per_catalog),
            catalogs_to_register=len(self.catalogs.unknown),
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
            product.restore_inventory = stored["restore_inventory"]
            for name in self.fields:
                setattr(product, name, diff.get(name, stored[name]))
            if "inventory" in diff and diff["inventory"] > 0:
                product.restore_inventory = None
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
                stock_outs=slot["stock_outs"],
                changes=slot["changes"],
            )
        )
    return entries


class CustomerChunkedImport(ChunkedImport):
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


class OrderChunkedImport(ChunkedImport):
    """Rows sharing `id` form one order; an order's rows must follow each other in the file."""

    sync_kind = SyncKind.ORDER

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.order_fields(self.columns)
        self._group: list[tuple[Record, dict | None, str]] = []
        self._group_id: str | None = None

    def add(self, record: Record) -> None:
        try:
            row = R.parse_order_item(self.columns, record.cells)
            order_id, message = row["order_id"], ""
        except R.RowError as exc:
            row, message = None, str(exc)
            # Keep a bad row with the order it belongs to, when its id can be read at all.
            position = self.columns.index["id"]
            order_id = record.cells[position].strip() if position < len(record.cells) else ""
        if order_id != self._group_id or not order_id:
            self._flush_group()
            self._group_id = order_id or None
        self._group.append((record, row, message))
        if not order_id:
            self._flush_group()

    def _flush_group(self) -> None:
        group, self._group, self._group_id = self._group, [], None
        if not group:
            return
        first_record = group[0][0]
        bad = next(((rec, msg) for rec, row, msg in group if row is None), None)
        order = None
        if bad is None:
            order, bad = self._assemble(group)
        if bad is not None:
            bad_record, bad_message = bad
            for rec, _row, msg in group:
                if rec is bad_record:
                    self.errors.add(rec.line, rec.cells, bad_message)
                else:
                    self.errors.add(
                        rec.line,
                        rec.cells,
                        msg or f"line {bad_record.line} of the same order is invalid",
                    )
            return
        key = order["order_id"]
        first = self._seen.get(key)
        if first is not None:
            for rec, _row, _msg in group:
                self.errors.add(
                    rec.line,
                    rec.cells,
                    f"order {key} already appeared at line {first}; keep an order's rows together",
                )
            return
        self._seen[key] = first_record.line
        self._buffer.append(order)
        self.staged += 1
        if len(self._buffer) >= CHUNK_ROWS:
            self._flush()

    def _assemble(self, group) -> tuple[dict | None, tuple | None]:
        first_record, first, _ = group[0]
        order = {name: first[name] for name in ("order_id", *self.fields)}
        order["items"] = []
        for rec, row, _msg in group:
            for name in self.fields:
                if row[name] != order[name]:
                    header = next(h for h, f in R.ORDER_COLUMNS.items() if f == name)
                    return None, (
                        rec,
                        f"{header} differs from line {first_record.line} of the same order",
                    )
            order["items"].append(row["item"])
        return order, None

    def finish_staging(self, stream_factory) -> None:
        self._flush_group()
        super().finish_staging(stream_factory)

    def key(self, row: dict):
        return row["order_id"]

    def fetch(self, chunk: list[dict]) -> dict:
        ids = [row["order_id"] for row in chunk]
        stored = {
            value["order_id"]: {**value, "items": []}
            for value in Order.objects.filter(order_id__in=ids).values(
                "id", "version", "order_id", *self.fields
            )
        }
        by_pk = {value["id"]: value for value in stored.values()}
        items = OrderItem.objects.filter(order_id__in=by_pk).order_by("order_id", "position")
        for item in items.values("order_id", *R.ORDER_ITEM_FIELDS):
            by_pk[item.pop("order_id")]["items"].append(item)
        return stored

    def changes(self, stored: dict, row: dict) -> dict:
        diff = {name: row[name] for name in self.fields if stored[name] != row[name]}
        if stored["items"] != row["items"]:
            diff["items"] = row["items"]
        return diff

    def _create_items(self, orders: list[tuple[int, list[dict]]]) -> None:
        OrderItem.objects.bulk_create(
            [
                OrderItem(order_id=pk, position=position, **item)
                for pk, items in orders
                for position, item in enumerate(items)
            ],
            batch_size=1000,
        )

    def create(self, rows: list[dict]) -> list[int]:
        orders = Order.objects.bulk_create(
            [Order(**{name: row[name] for name in ("order_id", *self.fields)}) for row in rows]
        )
        self._create_items(
            [(order.pk, row["items"]) for order, row in zip(orders, rows, strict=True)]
        )
        return [order.pk for order in orders]

    def update(self, pairs: list[tuple[dict, dict]]) -> list[int]:
        if not pairs:
            return []
        now = timezone.now()
        orders = []
        replaced = []
        for stored, diff in pairs:
            order = Order(pk=stored["id"], version=stored["version"] + 1, updated_at=now)
            for name in self.fields:
                setattr(order, name, diff.get(name, stored[name]))
            orders.append(order)
            if "items" in diff:
                replaced.append((stored["id"], diff["items"]))
        Order.objects.bulk_update(orders, [*self.fields, "version", "updated_at"], batch_size=500)
        OrderItem.objects.filter(order_id__in=[pk for pk, _ in replaced]).delete()
        self._create_items(replaced)
        return [order.pk for order in orders]


# --- PostgreSQL: COPY into a temporary table, then set-based SQL ------------------------------


_PRODUCT_STAGE = {
    "line": "bigint NOT NULL",
    "catalog_id": "bigint",
    "catalog_ref": "text",
    "gtin": "text NOT NULL",
    "seller_id": "text NOT NULL",
    "inventory": "integer NOT NULL",
    "price": "numeric(12, 2)",
    "profit": "numeric(12, 2)",
    "name": "text NOT NULL",
    "image_url": "text NOT NULL",
    "tags": "jsonb NOT NULL",
    "filters": "jsonb NOT NULL",
    "groups": "jsonb NOT NULL",
}
_PRODUCT_DEFAULTS = {
    "inventory": 0,
    "price": None,
    "profit": None,
    "name": "",
    "image_url": "",
    "tags": "[]",
    "filters": "[]",
    "groups": "[]",
}


_NEEDS_JSON_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _json_list(items: list[str]) -> str:
    """A JSON array of strings; built by hand when no item needs escaping (most: 3x faster)."""
    if not items:
        return "[]"
    if _NEEDS_JSON_ESCAPE.search("|".join(items)):
        return json.dumps(items)
    return '["' + '","'.join(items) + '"]'


# The SQL below is built from our own table and column names only; every value is a parameter
# or goes through COPY. Hence the S608 exemptions.

# The same upsert as syncs.services.changes._UPSERT, set-based over the CTE `up` (id, version)
# and once per destination of the kind. Parameters: destinations, kind, priority, now.
_MARK_PENDING = f"""
    marked AS (
        INSERT INTO {SyncState._meta.db_table} AS st (destination, kind, object_id,
            wanted_version, confirmed_version, status, priority, changed_at, attempts, last_error)
        SELECT d.destination, %(kind)s, up.id, up.version, 0, 'pending', %(priority)s, %(now)s,
               0, ''
        FROM up CROSS JOIN unnest(%(destinations)s::text[]) AS d(destination)
        ON CONFLICT (destination, kind, object_id) DO UPDATE SET
            wanted_version = EXCLUDED.wanted_version,
            status = CASE WHEN st.status = 'in_flight' THEN 'in_flight' ELSE 'pending' END,
            priority = CASE WHEN EXCLUDED.priority < st.priority
                            THEN EXCLUDED.priority ELSE st.priority END,
            changed_at = EXCLUDED.changed_at,
            attempts = 0,
            next_attempt_at = NULL,
            first_failure_at = NULL,
            last_error = ''
        WHERE st.wanted_version < EXCLUDED.wanted_version
        RETURNING 1
    )"""  # noqa: S608


class CopyImport(KindImport):
    """PostgreSQL: COPY the valid rows into a session temp table, then compare and write them
    with set-based statements. The temp table outlives the staging statements (it is per
    connection), so progress can be committed while the file is read.

    Each kind gives its staging columns, the columns that identify a row (duplicates within the
    file are found in SQL), and one statement that writes the changed rows into a CTE `up`
    (id, version, inserted) which `_MARK_PENDING` makes pending.
    """

    sync_kind: str
    key_columns: tuple[str, ...]
    # Staging columns filled after COPY, e.g. "cur_id bigint".
    extra_columns: tuple[str, ...] = ()

    def __init__(self, *, job_id: int, **kwargs):
        super().__init__(**kwargs)
        self.table = f"import_stage_{int(job_id)}"
        self._batch: list[tuple] = []
        self.staged = 0
        self.planned: Counts | None = None
        definition = ", ".join(
            (
                *(f"{name} {kind}" for name, kind in self.stage_columns().items()),
                *self.extra_columns,
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({definition})")

    @abstractmethod
    def stage_columns(self) -> dict[str, str]:
        """Staging column -> SQL type, `line` first; `stage` gets values in this order."""

    def stage(self, values: tuple) -> None:
        self._batch.append(values)
        if len(self._batch) >= COPY_ROWS:
            self._copy()

    def _copy(self) -> None:
        if not self._batch:
            return
        with connection.cursor() as cursor:
            columns = ", ".join(self.stage_columns())
            with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                for values in self._batch:
                    copy.write_row(values)
        self.staged += len(self._batch)
        self._batch = []

    def finish_staging(self, stream_factory) -> None:
        self._copy()
        # Duplicates within the file: every occurrence after the first is an invalid row.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""DELETE FROM {self.table} s USING (
                        SELECT line, min(line) OVER (
                            PARTITION BY {", ".join(self.key_columns)}) AS first
                        FROM {self.table}) d
                    WHERE s.line = d.line AND d.line <> d.first
                    RETURNING s.line, d.first"""  # noqa: S608
            )
            duplicates = dict(cursor.fetchall())
        if duplicates:
            self.staged -= len(duplicates)
            with stream_factory() as stream:
                for record in stream.records():
                    first = duplicates.get(record.line)
                    if first is not None:
                        self.errors.add(record.line, record.cells, f"duplicate of line {first}")

    def nothing_to_write(self) -> bool:
        # Nothing new, nothing changed (the plan just looked, in this transaction): the write
        # would only repeat the comparison. A row edited since then is newer than the file anyway.
        return self.planned is not None and not (self.planned.created or self.planned.updated)

    def write_and_mark(self, upsert: str, params: dict) -> Counts:
        """Run `WITH <upsert>, marked …`; queue a drain after commit when any row became pending."""
        now = timezone.now()
        sql = f"""WITH {upsert}, {_MARK_PENDING}
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
                   (SELECT count(*) FROM marked)
            FROM up"""  # noqa: S608
        destinations = KIND_DESTINATIONS[self.sync_kind]
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    **params,
                    "now": now,
                    "destinations": [str(d) for d in destinations],
                    "kind": str(self.sync_kind),
                    "priority": int(Priority.BULK),
                },
            )
            created, updated, marked = cursor.fetchone()
        if marked:
            drain_enqueue_after_commit(destinations=destinations, kind=self.sync_kind, manual=False)
        return Counts(created=created, updated=updated, unchanged=self.staged - created - updated)

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


class ProductCopyImport(CopyImport):
    """Products on PostgreSQL: one INSERT … ON CONFLICT … DO UPDATE … WHERE changed."""

    sync_kind = SyncKind.PRODUCT
    key_columns = ("catalog_id", "catalog_ref", "gtin", "seller_id")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.product_fields(self.columns)

    def stage_columns(self) -> dict[str, str]:
        return _PRODUCT_STAGE

    def add(self, record: Record) -> None:
        try:
            row = R.parse_product(
                self.columns,
                record.cells,
                has_default_catalog=self.catalogs.default_catalog_id is not None,
            )
        except R.RowError as exc:
            self.errors.add(record.line, record.cells, str(exc))
            return
        catalog_id = self.catalogs.resolve(row["catalog_ref"])
        get = row.get
        d = _PRODUCT_DEFAULTS
        self.stage(
            (
                record.line,
                catalog_id,
                row["catalog_ref"] if catalog_id is None else None,
                row["gtin"],
                row["seller_id"],
                get("inventory", 0),
                get("price"),
                get("profit"),
                get("name", ""),
                get("image_url", ""),
                _json_list(row["tags"]) if "tags" in row else d["tags"],
                _json_list(row["filters"]) if "filters" in row else d["filters"],
                _json_list(row["groups"]) if "groups" in row else d["groups"],
            )
        )

    # The staged rows with their catalog resolved, matched to the stored products.
    def _source(self) -> str:
        return f"""(SELECT s.*, COALESCE(s.catalog_id, c.id) AS cat
                    FROM {self.table} s
                    LEFT JOIN {Catalog._meta.db_table} c
                      ON s.catalog_id IS NULL AND c.citrusad_id = s.catalog_ref) s
                   LEFT JOIN {Product._meta.db_table} cur
                     ON cur.catalog_id = s.cat AND cur.gtin = s.gtin
                    AND cur.seller_id = s.seller_id"""  # noqa: S608

    def _changed(self, new: str, stored_alias: str = "cur") -> str:
        if not self.fields:
            return "FALSE"
        stored = ", ".join(f"{stored_alias}.{name}" for name in self.fields)
        wanted = ", ".join(f"{new}.{name}" for name in self.fields)
        return f"(ROW({stored}) IS DISTINCT FROM ROW({wanted}))"

    def plan(self) -> Plan:
        inventory_drop = (
            "s.inventory = 0 AND cur.inventory > 0" if "inventory" in self.fields else "FALSE"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT s.cat, min(s.catalog_ref),
                        count(*) FILTER (WHERE cur.id IS NULL),
                        count(*) FILTER (WHERE cur.id IS NOT NULL AND {self._changed("s")}),
                        count(*) FILTER (WHERE cur.id IS NULL AND s.inventory = 0)
                          + count(*) FILTER (WHERE cur.id IS NOT NULL AND {inventory_drop}),
                        count(*)
                    FROM {self._source()}
                    GROUP BY s.cat, CASE WHEN s.cat IS NULL THEN s.catalog_ref END"""  # noqa: S608
            )
            rows = cursor.fetchall()
        ids = [cat for cat, *_ in rows if cat is not None]
        existing = dict(
            Product.objects.filter(catalog_id__in=ids)
            .values_list("catalog_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        names = dict(Catalog.objects.filter(id__in=ids).values_list("id", "name"))
        counts = Counts()
        safeguard = []
        for cat, ref, created, updated, stock_outs, total in rows:
            counts.created += created
            counts.updated += updated
            counts.unchanged += total - created - updated
            safeguard.append(
                safeguard_entry(
                    catalog_id=cat,
                    catalog=names.get(cat, "") if cat is not None else f"Catalog {ref} (new)",
                    existing=existing.get(cat, 0),
                    created=created,
                    stock_outs=stock_outs,
                    changes=updated,
                )
            )
        self.planned = counts
        return Plan(
            counts=counts, safeguard=safeguard, catalogs_to_register=len(self.catalogs.unknown)
        )

    def write(self) -> Counts:
        self.registered = self.catalogs.register_unknown()
        if self.nothing_to_write():
            return Counts(unchanged=self.staged)
        insert_columns = ", ".join(
            ("catalog_id", "gtin", "seller_id", *_PRODUCT_DEFAULTS, "restore_inventory")
        )
        select_columns = ", ".join(
            ("s.cat", "s.gtin", "s.seller_id", *(f"s.{n}" for n in _PRODUCT_DEFAULTS), "NULL")
        )
        updates = [f"{name} = EXCLUDED.{name}" for name in self.fields]
        if "inventory" in self.fields:
            # A restock from the file ends a stock-out; a zero keeps what a restore would put back.
            updates.append(
                "restore_inventory = CASE WHEN EXCLUDED.inventory > 0 THEN NULL "
                "ELSE t.restore_inventory END"
            )
        updates += ["version = t.version + 1", "updated_at = EXCLUDED.updated_at"]
        upsert = f"""up AS (
                INSERT INTO {Product._meta.db_table} AS t ({insert_columns}, deletion_state,
                                                          version, created_at, updated_at)
                SELECT {select_columns}, '', 1, %(now)s, %(now)s
                FROM {self._source()}
                WHERE cur.id IS NULL OR {self._changed("s")}
                ON CONFLICT ON CONSTRAINT product_catalog_gtin_seller_unique DO UPDATE SET
                    {", ".join(updates)}
                WHERE {self._changed("EXCLUDED", "t")}
                RETURNING t.id, t.version, (t.xmax = 0) AS inserted
            )"""  # noqa: S608
        return self.write_and_mark(upsert, {})


class CustomerCopyImport(CopyImport):
    """Customers on PostgreSQL. A row finds its customer by its key (external_id, else email,
    else phone number; the lowest id wins when several share one), so there is no unique
    constraint to upsert on: one statement updates the matched customers that change and
    inserts the new ones. Merging is CustomerChunkedImport.merged, in SQL."""

    sync_kind = SyncKind.CUSTOMER
    key_columns = ("key_name", "key_value")
    extra_columns = ("cur_id bigint",)

    def __init__(self, **kwargs):
        self.fields = R.customer_fields(kwargs["columns"])
        self.dict_keys = R.customer_dict_keys(kwargs["columns"])
        self._stage_columns = {
            "line": "bigint NOT NULL",
            "key_name": "text",
            "key_value": "text",
            **{name: Customer._meta.get_field(name).db_type(connection) for name in self.fields},
        }
        super().__init__(**kwargs)
        self._matched = False

    def stage_columns(self) -> dict[str, str]:
        return self._stage_columns

    def add(self, record: Record) -> None:
        try:
            row = R.parse_customer(self.columns, record.cells)
        except R.RowError as exc:
            self.errors.add(record.line, record.cells, str(exc))
            return
        values = [record.line, *R.customer_key(row)]
        for name in self.fields:
            if name in ("tags", "mailing_lists"):
                values.append(_json_list(row[name]))
            elif name in self.dict_keys:
                values.append(json.dumps(row[name]))
            elif name in ("is_deleted", "is_forgotten"):
                values.append(row.get(name, False))
            else:
                values.append(row[name])
        self.stage(tuple(values))

    def _match(self) -> None:
        """Set each staged row's cur_id to the customer its key finds (in this transaction)."""
        if self._matched:
            return
        table, customers = self.table, Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(
                f"""UPDATE {table} s SET cur_id = c.id FROM {customers} c
                    WHERE s.key_name = 'external_id' AND c.external_id = s.key_value
                      AND c.external_id <> ''"""  # noqa: S608
            )
            for name in ("email", "phone_number"):
                cursor.execute(
                    f"""UPDATE {table} s SET cur_id = m.id FROM (
                            SELECT c.{name} AS value, min(c.id) AS id FROM {customers} c
                            WHERE c.{name} IN (
                                SELECT key_value FROM {table} WHERE key_name = %(name)s)
                            GROUP BY c.{name}) m
                        WHERE s.key_name = %(name)s AND m.value = s.key_value""",  # noqa: S608
                    {"name": name},
                )
        self._matched = True

    def _merged(self, name: str) -> str:
        """The value a field gets: what CustomerChunkedImport.merged computes."""
        if name in self.dict_keys:
            # Keep the keys the file does not speak for.
            return f"((cur.{name} - %(keys_{name})s::text[]) || s.{name})"
        if name in ("is_deleted", "is_forgotten"):
            return f"(cur.{name} OR s.{name})"
        return f"s.{name}"

    def _changed(self) -> str:
        stored = ", ".join(f"cur.{name}" for name in self.fields)
        wanted = ", ".join(self._merged(name) for name in self.fields)
        return f"(ROW({stored}) IS DISTINCT FROM ROW({wanted}))"

    def _params(self) -> dict:
        return {f"keys_{name}": keys for name, keys in self.dict_keys.items()}

    def plan(self) -> Plan:
        self._match()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT count(*) FILTER (WHERE cur.id IS NULL),
                        count(*) FILTER (WHERE cur.id IS NOT NULL AND {self._changed()}),
                        count(*)
                    FROM {self.table} s
                    LEFT JOIN {Customer._meta.db_table} cur ON cur.id = s.cur_id""",  # noqa: S608
                self._params(),
            )
            created, updated, total = cursor.fetchone()
        self.planned = Counts(created=created, updated=updated, unchanged=total - created - updated)
        return Plan(counts=self.planned)

    def write(self) -> Counts:
        self._match()
        if self.nothing_to_write():
            return Counts(unchanged=self.staged)
        params = self._params()
        # Columns the file does not set get the model's default on new customers.
        insert_columns, insert_values = [], []
        for model_field in Customer._meta.concrete_fields:
            name = model_field.name
            if name in ("id", "version", "created_at", "updated_at"):
                continue
            if name in self.fields:
                insert_columns.append(name)
                insert_values.append(f"s.{name}")
            elif not model_field.null:
                default = model_field.get_default()
                insert_columns.append(name)
                if model_field.get_internal_type() == "JSONField":
                    params[f"default_{name}"] = json.dumps(default)
                    insert_values.append(f"%(default_{name})s::jsonb")
                else:
                    params[f"default_{name}"] = default
                    insert_values.append(f"%(default_{name})s")
        customers = Customer._meta.db_table
        updates = ", ".join(f"{name} = {self._merged(name)}" for name in self.fields)
        # Two rows with different keys may find the same customer: the first line wins, as in
        # CustomerChunkedImport (bulk_update takes the first value given for a row).
        upsert = f"""
            updated AS (
                UPDATE {customers} AS cur SET {updates},
                    version = cur.version + 1, updated_at = %(now)s
                FROM (SELECT DISTINCT ON (cur_id) * FROM {self.table}
                      WHERE cur_id IS NOT NULL ORDER BY cur_id, line) s
                WHERE cur.id = s.cur_id AND {self._changed()}
                RETURNING cur.id, cur.version
            ),
            created AS (
                INSERT INTO {customers} ({", ".join(insert_columns)}, version, created_at,
                                         updated_at)
                SELECT {", ".join(insert_values)}, 1, %(now)s, %(now)s
                FROM {self.table} s WHERE s.cur_id IS NULL ORDER BY s.line
                RETURNING id, version
            ),
            up AS (
                SELECT id, version, TRUE AS inserted FROM created
                UNION ALL SELECT id, version, FALSE FROM updated
            )"""  # noqa: S608
        return self.write_and_mark(upsert, params)


def kind_import_for(
    *, kind: str, header: list[str], errors: ErrorSink, job_id: int, catalog_id: int | None
) -> KindImport:
    """The importer for a kind and this database."""
    if kind == ImportKind.PRODUCTS:
        columns = R.product_columns(header)
        if connection.vendor == "postgresql":
            return ProductCopyImport(
                job_id=job_id, columns=columns, errors=errors, job_catalog_id=catalog_id
            )
        return ProductChunkedImport(columns=columns, errors=errors, job_catalog_id=catalog_id)
    if kind == ImportKind.CUSTOMERS:
        columns = R.customer_columns(header)
        if connection.vendor == "postgresql":
            return CustomerCopyImport(
                job_id=job_id, columns=columns, errors=errors, job_catalog_id=None
            )
        return CustomerChunkedImport(columns=columns, errors=errors, job_catalog_id=None)
    return OrderChunkedImport(columns=R.order_columns(header), errors=errors, job_catalog_id=None)


@dataclass
class Result:
    rows_read: int
    plan: Plan
    counts: Counts | None  # None when nothing was written
    registered: list[Catalog]


def import_file(
    *,
    path: Path,
    kind: str,
    encoding: str,
    job_id: int,
    catalog_id: int | None,
    errors_factory: Callable[[list[str]], ErrorSink],
    on_opened: Callable[[CsvStream], None],
    on_progress: Callable[[int, int], None],
    decide: Callable[[Plan, int], bool],
) -> Result:
    """Stage, plan, then write if `decide(plan, invalid_count)` says so. Raises ImportFileError."""

    def open_stream() -> CsvStream:
        return CsvStream(path, encoding=encoding)

    with open_stream() as stream:
        on_opened(stream)
        errors = errors_factory(stream.header)
        importer = None
        try:
            importer = kind_import_for(
                kind=kind, header=stream.header, errors=errors, job_id=job_id, catalog_id=catalog_id
            )
            rows_read = 0
            for record in stream.records():
                rows_read += 1
                importer.add(record)
                if rows_read % COPY_ROWS == 0:
                    on_progress(rows_read, stream.bytes_read)
            importer.finish_staging(open_stream)
            on_progress(rows_read, stream.bytes_read)
            errors.close()
            if rows_read == 0:
                raise ImportFileError("The file has a header but no rows.")
            committed: list[bool] = []
            try:
                with transaction.atomic():
                    # Registered first, so it runs first after the commit: if a later hook
                    # (starting the push) raises, we still know the rows were written.
                    transaction.on_commit(lambda: committed.append(True))
                    if connection.vendor == "postgresql":
                        # Sorting and hashing a million staged rows: give this transaction room.
                        with connection.cursor() as cursor:
                            cursor.execute("SET LOCAL work_mem = '128MB'")
                    plan = importer.plan()
                    counts = None
                    if decide(plan, errors.count):
                        counts = importer.write()
            except Exception:
                if not committed:
                    raise
                # The rows are written and pending: the next drain (or the periodic sweep)
                # pushes them. Reporting the import as failed would be untrue.
                logger.exception("Import %s is written, but starting the push failed", job_id)
            return Result(
                rows_read=rows_read, plan=plan, counts=counts, registered=importer.registered
            )
        finally:
            errors.close()
            if importer is not None:
                importer.close()
