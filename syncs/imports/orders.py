"""Orders: one CSV row per order item; rows sharing `id` form one order, wherever they are in the
file. Both paths give the same result for the same file:

- A row that cannot be read keeps its own error; the other rows of its order get "line N of the
  same order is invalid", N being the first such row. One invalid row makes its whole order
  invalid, whatever the reason below.
- A row whose order-level column (customerId, sessionId, orderDate, adIds) differs from the
  order's first row gets "<column> differs from line <first> of the same order".
- A row equal to an earlier row of the same order in every item column (as read: 9.9 and 9.90
  are equal) is a "duplicate of line N". The same line twice is a mistake (a file joined to
  itself, an export retried) and would double an item. The same gtin twice with any difference
  (quantity, price, ad, substitution) is two items.
- An order of more than MAX_ORDER_ITEMS rows is refused as a whole: "the order has N items;
  CitrusAd takes at most 1,000 in one order" on each of its readable rows.
- The first of these checks that finds something decides the messages of the order.
- Items keep the file's order (position 0, 1, … by line).

PostgreSQL (`OrderCopyImport`, in orders_copy.py) stages every row by COPY and finds all that in
SQL with window functions; elsewhere (`OrderChunkedImport`) the rows wait in a private SQLite file
and are read back grouped by order id. Neither holds more than a batch of rows, or one order, in
memory.
"""

import itertools
import pickle
import sqlite3
from operator import itemgetter

from django.utils import timezone

from syncs.imports import rows as R
from syncs.imports.base import CHUNK_ROWS, report_lines
from syncs.imports.chunked import ChunkedImport
from syncs.imports.errors import ErrorSink
from syncs.imports.reading import Record
from syncs.models import ImportKind, Order, OrderItem, SyncKind
from syncs.models.order import MAX_ORDER_ITEMS

ORDER_HEADERS = {name: header for header, name in R.ORDER_COLUMNS.items()}


def read_order_row(
    columns: R.Columns, record: Record, errors: ErrorSink
) -> tuple[str, dict | None, str]:
    """The order id a record belongs to, and its row, or why it cannot be read. Its warnings go
    to the error file at once (the row may still be refused later, with its order)."""
    warnings: list[str] = []
    try:
        row = R.parse_order_item(columns, record.cells, warnings=warnings)
    except R.RowError as exc:
        # A bad row stays with the order it belongs to, when its id can be read at all.
        position = columns.index["id"]
        order_id = record.cells[position].strip() if position < len(record.cells) else ""
        # PostgreSQL cannot stage a NUL: such an id groups apart from every readable one.
        order_id = order_id.replace("\x00", "\ufffd")
        row, message = None, str(exc)
    else:
        order_id, message = row["order_id"], ""
    if warnings:
        errors.warn(record.line, record.cells, "; ".join(warnings))
    return order_id, row, message


def too_many_items(count: int) -> str:
    return f"the order has {count:,} items; CitrusAd takes at most {MAX_ORDER_ITEMS:,} in one order"


def _poisoned(lines: list[int], own: dict[int, str]) -> list[tuple[int, str]]:
    first = min(own)
    return [(line, own.get(line, f"line {first} of the same order is invalid")) for line in lines]


def order_errors(
    rows: list[tuple[int, dict | None, str]], fields: tuple[str, ...]
) -> list[tuple[int, str]]:
    """The errors of one order's rows (line, row or None, message), given in line order; empty
    when the order is valid. OrderCopyImport computes the same in SQL (`_VERDICT`)."""
    lines = [line for line, _row, _message in rows]
    unreadable = {line: message for line, row, message in rows if row is None}
    if unreadable:
        return _poisoned(lines, unreadable)
    first_line, first, _ = rows[0]
    conflicts = {}
    for line, row, _message in rows:
        name = next((name for name in fields if row[name] != first[name]), None)
        if name is not None:
            header = ORDER_HEADERS[name]
            conflicts[line] = f"{header} differs from line {first_line} of the same order"
    if conflicts:
        return _poisoned(lines, conflicts)
    seen: dict[tuple, int] = {}
    duplicates = {}
    for line, row, _message in rows:
        item = tuple(row["item"][name] for name in R.ORDER_ITEM_FIELDS)
        if item in seen:
            duplicates[line] = f"duplicate of line {seen[item]}"
        else:
            seen[item] = line
    return _poisoned(lines, duplicates) if duplicates else []


class OrderChunkedImport(ChunkedImport):
    """Orders through the ORM (SQLite). Every row waits in a private SQLite database in a
    temporary file (deleted when closed) until the file is read; the rows are then read back
    ordered by order id and line, one order at a time, and the valid orders are staged in chunks
    like the other kinds' rows."""

    kind = ImportKind.ORDERS
    sync_kind = SyncKind.ORDER

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.order_fields(self.columns)
        self._store = sqlite3.connect("")  # "": a temporary file, not memory
        self._store.execute("CREATE TABLE item (order_key TEXT, line INTEGER, row BLOB)")
        self._store.execute("CREATE TABLE rejected (line INTEGER PRIMARY KEY, message TEXT)")
        self._pending: list[tuple[str, int, bytes]] = []

    def add(self, record: Record) -> None:
        order_id, row, message = read_order_row(self.columns, record, self.errors)
        blob = pickle.dumps((row, message), protocol=pickle.HIGHEST_PROTOCOL)
        self._pending.append((order_id, record.line, blob))
        if len(self._pending) >= CHUNK_ROWS:
            self._store_pending()

    def _store_pending(self) -> None:
        self._store.executemany("INSERT INTO item VALUES (?, ?, ?)", self._pending)
        self._pending = []

    def finish_staging(self, stream_factory) -> None:
        self._store_pending()
        self._store.execute("CREATE INDEX item_order ON item (order_key, line)")
        items = self._store.execute(
            "SELECT order_key, line, row FROM item ORDER BY order_key, line"
        )
        sizes = self._store.execute("SELECT order_key, count(*) FROM item GROUP BY order_key")
        too_large = {key: count for key, count in sizes if count > MAX_ORDER_ITEMS}
        for order_id, group in itertools.groupby(items, key=itemgetter(0)):
            if order_id in too_large:
                # Refused whole, without holding its rows: an unreadable row keeps its reason.
                message = too_many_items(too_large[order_id])
                self._store.executemany(
                    "INSERT INTO rejected VALUES (?, ?)",
                    [
                        (line, pickle.loads(blob)[1] or message)  # noqa: S301 (our own file)
                        for _key, line, blob in group
                    ],
                )
                continue
            # Our own temporary file, written above in this process: not untrusted input.
            rows = [(line, *pickle.loads(blob)) for _key, line, blob in group]  # noqa: S301
            problems = order_errors(rows, self.fields)
            if problems:
                self._store.executemany("INSERT INTO rejected VALUES (?, ?)", problems)
                continue
            first = rows[0][1]
            order = {name: first[name] for name in ("order_id", *self.fields)}
            order["line"] = rows[0][0]
            order["items"] = [row["item"] for _line, row, _message in rows]
            self._buffer.append(order)
            self.staged += 1
            if len(self._buffer) >= CHUNK_ROWS:
                self._flush()
        super().finish_staging(stream_factory)
        report_lines(
            stream_factory,
            self.errors,
            self._store.execute("SELECT line, message FROM rejected ORDER BY line"),
        )

    def close(self) -> None:
        self._store.close()
        super().close()

    def key(self, row: dict):
        return row["order_id"]

    def shown_key(self, row: dict) -> str:
        return row["order_id"]

    def field_columns(self) -> dict[str, str]:
        return R.order_field_columns(self.fields)

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
