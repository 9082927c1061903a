"""Orders on PostgreSQL: every row staged by COPY, the rules of orders.py applied in SQL."""

from django.db import connection, transaction

from syncs.imports import rows as R
from syncs.imports.base import CHUNK_ROWS, Counts, Plan, report_lines
from syncs.imports.orders import ORDER_HEADERS, read_order_row
from syncs.imports.postgres import CopyImport, json_list, json_value
from syncs.imports.reading import Record
from syncs.models import ImportKind, Order, OrderItem, SyncKind
from syncs.models.order import MAX_ORDER_ITEMS

# Text is compared byte for byte ("C"): the same equality, and the fastest sorts and hashes.
# adIds is staged as its JSON text (json_list gives equal lists equal texts).
_ORDER_LEVEL_TYPES = {
    "customer_id": 'text COLLATE "C"',
    "session_id": 'text COLLATE "C"',
    "order_date": "timestamptz",
    "ad_ids": 'text COLLATE "C"',
}
# What a new order gets for an order-level column the file does not have (orderDate is required).
_ORDER_LEVEL_DEFAULTS = {"customer_id": "''", "session_id": "''", "ad_ids": "'[]'::jsonb"}
_ITEM_TYPES = {
    "gtin": 'text COLLATE "C"',
    "quantity": "integer",
    "regular_unit_price": "numeric(12, 2)",
    "total_order_item_price_after_discounts": "numeric(12, 2)",
    "ad_id": 'text COLLATE "C"',
    "citrus_discount_amount": "numeric(12, 2)",
    "substituted_for": 'text COLLATE "C"',
}
_ITEM_COLUMNS = ", ".join(R.ORDER_ITEM_FIELDS)

# order_errors in SQL, one message per row of the suspect orders (those no longer in the orders
# table). Innermost: each row with its order's first values, its first unreadable line, and the
# first line of an equal item; then which order-level column differs from the first row; then
# the first line of each kind of problem in the order; outermost, the message, the first kind of
# problem winning.
_VERDICT = """
    SELECT line, CASE
        WHEN error IS NOT NULL THEN error
        WHEN items_in_order > {max_items}
            THEN 'the order has ' || to_char(items_in_order, 'FM999,999,999,999')
                 || ' items; CitrusAd takes at most {max_items_shown} in one order'
        WHEN first_unreadable IS NOT NULL
            THEN 'line ' || first_unreadable || ' of the same order is invalid'
        WHEN differs IS NOT NULL
            THEN differs || ' differs from line ' || first_line || ' of the same order'
        WHEN first_conflict IS NOT NULL
            THEN 'line ' || first_conflict || ' of the same order is invalid'
        WHEN same_as < line THEN 'duplicate of line ' || same_as
        WHEN first_duplicate IS NOT NULL
            THEN 'line ' || first_duplicate || ' of the same order is invalid'
        END AS message
    FROM (
        SELECT *,
            min(line) FILTER (WHERE differs IS NOT NULL) OVER by_order AS first_conflict,
            min(line) FILTER (WHERE same_as < line) OVER by_order AS first_duplicate
        FROM (
            SELECT order_key, line, error, first_line, first_unreadable, same_as,
                   items_in_order, {differs} AS differs
            FROM (
                SELECT *,
                    first_value(line) OVER by_line AS first_line,
                    {first_values}
                    min(line) FILTER (WHERE error IS NOT NULL) OVER by_order AS first_unreadable,
                    count(*) OVER by_order AS items_in_order,
                    min(line) OVER (PARTITION BY order_key, {items}) AS same_as
                FROM {table} s
                WHERE NOT EXISTS (SELECT FROM {orders} o WHERE o.order_id = s.order_key)
                WINDOW by_order AS (PARTITION BY order_key),
                       by_line AS (PARTITION BY order_key ORDER BY line)
            ) rows_with_first
        ) rows_with_differs
        WINDOW by_order AS (PARTITION BY order_key)
    ) rows_with_problems"""


def _items_json(alias: str, *, order_by: str) -> str:
    """An order's items as a jsonb array, as summary.encode gives them (amounts as text)."""
    pairs = ", ".join(
        f"'{name}', {json_value(f'{alias}.{name}', _ITEM_TYPES[name])}"
        for name in R.ORDER_ITEM_FIELDS
    )
    return f"jsonb_agg(jsonb_build_object({pairs}) ORDER BY {order_by})"


class OrderCopyImport(CopyImport):
    """Orders on PostgreSQL: every row is staged (an unreadable one with its error), the rows of
    invalid orders are found and reported in SQL, the rest are gathered into one row per order,
    compared with the stored orders and their items (in line order against position order),
    and written: an upsert of the new and changed orders, their items replaced."""

    kind = ImportKind.ORDERS
    sync_kind = SyncKind.ORDER
    extra_columns = ("message text",)

    def __init__(self, **kwargs):
        self.fields = R.order_fields(kwargs["columns"])
        self._stage_columns = {
            "line": "bigint NOT NULL",
            "order_key": 'text COLLATE "C" NOT NULL',
            "error": "text",
            **{name: _ORDER_LEVEL_TYPES[name] for name in self.fields},
            **_ITEM_TYPES,
        }
        super().__init__(**kwargs)
        self.orders = f"{self.table}_orders"
        # An empty table whose row type is an item's: the orders' items are arrays of it.
        self.item_type = f"{self.table}_item"
        self._matched = False
        item_columns = ", ".join(f"{name} {kind}" for name, kind in _ITEM_TYPES.items())
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.orders}, {self.item_type}")
            cursor.execute(f"CREATE TEMP TABLE {self.item_type} ({item_columns})")

    def stage_columns(self) -> dict[str, str]:
        return self._stage_columns

    def add(self, record: Record) -> None:
        order_id, row, message = read_order_row(self.columns, record, self.errors)
        if row is None:
            self.stage((record.line, order_id, message, *[None] * (len(self._stage_columns) - 3)))
            return
        values = [record.line, order_id, None]
        for name in self.fields:
            values.append(json_list(row[name]) if name == "ad_ids" else row[name])
        item = row["item"]
        values += [item[name] for name in R.ORDER_ITEM_FIELDS]
        self.stage(values)

    def finish_staging(self, stream_factory) -> None:
        self._copy()
        differs = " ".join(
            f"WHEN {name} IS DISTINCT FROM first_{name} THEN '{ORDER_HEADERS[name]}'"
            for name in self.fields
        )
        verdict = _VERDICT.format(
            max_items=MAX_ORDER_ITEMS,
            max_items_shown=f"{MAX_ORDER_ITEMS:,}",
            table=self.table,
            orders=self.orders,
            items=_ITEM_COLUMNS,
            differs=f"CASE {differs} END" if differs else "NULL",
            first_values="".join(
                f"first_value({name}) OVER by_line AS first_{name}, " for name in self.fields
            ),
        )
        # Every row of a valid order has the same order-level values: any row's will do.
        order_level = "".join(
            f"(array_agg({name}))[1]{'::jsonb' if name == 'ad_ids' else ''} AS {name}, "
            for name in self.fields
        )
        conflicts = "".join(f" OR min({name}) <> max({name})" for name in self.fields)
        with transaction.atomic(), connection.cursor() as cursor:
            # Grouping a million staged rows by order: give these statements room.
            cursor.execute("SET LOCAL work_mem = '128MB'")
            # One row per order, `suspect` when a row cannot be read or an order-level column
            # differs (cheap aggregates), or an item is there twice (one more grouping). Only the
            # suspects' rows go through the verdict's window functions. The table outlives this
            # transaction, like the staging table (temp tables are per connection).
            cursor.execute(
                f"""CREATE TEMP TABLE {self.orders} AS
                    SELECT order_key AS order_id, {order_level} min(line) AS line,
                        array_agg(ROW({_ITEM_COLUMNS})::{self.item_type} ORDER BY line) AS items,
                        bool_or(error IS NOT NULL) OR count(*) > {MAX_ORDER_ITEMS}{conflicts}
                            AS suspect,
                        NULL::bigint AS cur_id, FALSE AS fields_changed, FALSE AS items_changed
                    FROM {self.table} GROUP BY order_key"""  # noqa: S608
            )
            cursor.execute(
                f"""UPDATE {self.orders} o SET suspect = TRUE FROM (
                        SELECT DISTINCT order_key FROM {self.table} WHERE error IS NULL
                        GROUP BY order_key, {_ITEM_COLUMNS} HAVING count(*) > 1) d
                    WHERE o.order_id = d.order_key"""  # noqa: S608
            )
            cursor.execute(f"DELETE FROM {self.orders} WHERE suspect")  # noqa: S608
            suspects = cursor.rowcount
            if suspects:
                cursor.execute(
                    f"""UPDATE {self.table} s SET message = v.message FROM ({verdict}) v
                        WHERE s.line = v.line AND v.message IS NOT NULL"""  # noqa: S608
                )
            cursor.execute(f"SELECT count(*) FROM {self.orders}")  # noqa: S608
            (self.staged,) = cursor.fetchone()
            cursor.execute(f"CREATE UNIQUE INDEX ON {self.orders} (order_id)")
            cursor.execute(f"ANALYZE {self.orders} (order_id)")
        if suspects:
            report_lines(stream_factory, self.errors, self._rejected())

    def _rejected(self):
        """(line, message) of every rejected row, ascending, a page at a time."""
        after = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""SELECT line, message FROM {self.table}
                        WHERE message IS NOT NULL AND line > %s
                        ORDER BY line LIMIT %s""",  # noqa: S608
                    [after, CHUNK_ROWS],
                )
                page = cursor.fetchall()
            yield from page
            if len(page) < CHUNK_ROWS:
                return
            after = page[-1][0]

    def _match(self) -> None:
        """Find each order's stored order and whether its fields or items change (in this
        transaction): items are compared as arrays of rows in position order."""
        if self._matched:
            return
        if self.fields:
            stored = ", ".join(f"cur.{name}" for name in self.fields)
            wanted = ", ".join(f"o.{name}" for name in self.fields)
            fields_changed = f"ROW({stored}) IS DISTINCT FROM ROW({wanted})"
        else:
            fields_changed = "FALSE"
        orders, items = Order._meta.db_table, OrderItem._meta.db_table
        stored_items = ", ".join(f"i.{name}" for name in R.ORDER_ITEM_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {self.orders} o SET cur_id = cur.id,
                        fields_changed = {fields_changed},
                        items_changed = o.items IS DISTINCT FROM stored.items
                    FROM {orders} cur
                    LEFT JOIN (
                        SELECT i.order_id,
                               array_agg(ROW({stored_items})::{self.item_type} ORDER BY i.position)
                                 AS items
                        FROM {items} i
                        JOIN {orders} c ON c.id = i.order_id
                        JOIN {self.orders} f ON f.order_id = c.order_id
                        GROUP BY i.order_id
                    ) stored ON stored.order_id = cur.id
                    WHERE cur.order_id = o.order_id"""  # noqa: S608
            )
        self._matched = True

    def plan(self) -> Plan:
        self._match()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT count(*) FILTER (WHERE cur_id IS NULL),
                        count(*) FILTER (WHERE fields_changed OR items_changed)
                    FROM {self.orders}"""  # noqa: S608
            )
            created, updated = cursor.fetchone()
        self.planned = Counts(
            created=created, updated=updated, unchanged=self.staged - created - updated
        )
        return Plan(counts=self.planned, changes=self.tally(self.staged - created))

    def field_columns(self) -> dict[str, str]:
        return R.order_field_columns(self.fields)

    def diff_source(self) -> tuple[str, dict]:
        values = "".join(
            f", to_jsonb(cur.{f}) AS o_{f}, to_jsonb(o.{f}) AS n_{f}" for f in self.fields
        )
        stored_items = _items_json("i", order_by="i.position")
        new_items = _items_json("x", order_by="x.n")
        sql = f"""SELECT o.line, o.order_id AS key, cur.id AS obj_id, cur.version{values},
                    CASE WHEN o.items_changed THEN (
                        SELECT {stored_items} FROM {OrderItem._meta.db_table} i
                        WHERE i.order_id = cur.id) END AS o_items,
                    CASE WHEN o.items_changed THEN (
                        SELECT {new_items} FROM unnest(o.items) WITH ORDINALITY
                            AS x({_ITEM_COLUMNS}, n)) END AS n_items
                  FROM {self.orders} o JOIN {Order._meta.db_table} cur ON cur.id = o.cur_id
                  WHERE o.fields_changed OR o.items_changed"""  # noqa: S608
        return sql, {}

    def write(self) -> Counts:
        self._match()
        if self.nothing_to_write():
            return Counts(unchanged=self.staged)
        orders, items = Order._meta.db_table, OrderItem._meta.db_table
        with connection.cursor() as cursor:
            # Replaced items go first: the new ones take the same positions.
            cursor.execute(
                f"""DELETE FROM {items} i USING {self.orders} o
                    WHERE o.items_changed AND i.order_id = o.cur_id"""  # noqa: S608
            )
        values = ", ".join(
            f"o.{name}" if name in self.fields else _ORDER_LEVEL_DEFAULTS[name]
            for name in R.ORDER_LEVEL_FIELDS
        )
        updates = "".join(f"{name} = EXCLUDED.{name}, " for name in self.fields)
        upsert = f"""up AS (
                INSERT INTO {orders} AS t (order_id, {", ".join(R.ORDER_LEVEL_FIELDS)},
                                           version, created_at, updated_at)
                SELECT o.order_id, {values}, 1, %(now)s, %(now)s
                FROM {self.orders} o
                WHERE o.cur_id IS NULL OR o.fields_changed OR o.items_changed
                ON CONFLICT (order_id) DO UPDATE SET
                    {updates}version = t.version + 1, updated_at = EXCLUDED.updated_at
                RETURNING t.id, t.version, (t.xmax = 0) AS inserted
            )"""  # noqa: S608
        counts = self.write_and_mark(upsert, {})
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {items} (order_id, position, {_ITEM_COLUMNS})
                    SELECT c.id, row_number() OVER (PARTITION BY s.order_key ORDER BY s.line) - 1,
                           {", ".join(f"s.{name}" for name in R.ORDER_ITEM_FIELDS)}
                    FROM {self.table} s
                    JOIN {self.orders} o ON o.order_id = s.order_key
                    JOIN {orders} c ON c.order_id = o.order_id
                    WHERE o.cur_id IS NULL OR o.items_changed"""  # noqa: S608
            )
        return counts

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.orders}, {self.item_type}")
        super().close()
