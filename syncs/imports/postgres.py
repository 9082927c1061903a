"""PostgreSQL: COPY the valid rows into a temporary table, then compare and write them with
set-based SQL. Memory stays flat: only a batch of rows is held at a time, and duplicates within the
file are found in SQL."""

import json
import re
from abc import abstractmethod

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from syncs.imports import rows as R
from syncs.imports.base import (
    COPY_ROWS,
    Counts,
    KindImport,
    Plan,
    report_lines,
    safeguard_entry,
)
from syncs.imports.reading import Record
from syncs.imports.summary import EXAMPLES, Tally
from syncs.models import (
    Catalog,
    Customer,
    ImportChange,
    ImportKind,
    Order,
    OrderItem,
    Product,
    SyncKind,
    SyncState,
)
from syncs.models.product import restore_inventory_after_sql
from syncs.services.sync_state import sync_state_mark_pending_cte

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


def json_list(items: list[str]) -> str:
    """A JSON array of strings; built by hand when no item needs escaping (most: 3x faster)."""
    if not items:
        return "[]"
    if _NEEDS_JSON_ESCAPE.search("|".join(items)):
        return json.dumps(items)
    return '["' + '","'.join(items) + '"]'


# The SQL below is built from our own table and column names only; every value is a parameter
# or goes through COPY. Hence the S608 exemptions.


# A field's value as the import history keeps it (summary.encode): amounts as text.
def json_value(expression: str, sql_type: str) -> str:
    return f"({expression})::text" if sql_type.startswith("numeric") else expression


def jsonb(expression: str, sql_type: str) -> str:
    return f"to_jsonb({json_value(expression, sql_type)})"


def from_jsonb(text: str | None):
    """A jsonb value a raw cursor read (Django has psycopg hand jsonb over as text)."""
    return None if text is None else json.loads(text)


def _empty(value: str) -> str:
    return f"({value} IS NULL OR {value} IN ('null', '\"\"', '[]', '{{}}'))"


def _cleared(field: str) -> str:
    return f"({_empty(f'n_{field}')} AND NOT {_empty(f'o_{field}')})"


# Rows written by one import above which the tables are analyzed straight after it.
STATISTICS_REFRESH_ROWS = 10_000
_WRITTEN = {
    SyncKind.PRODUCT: (Product,),
    SyncKind.CUSTOMER: (Customer,),
    SyncKind.ORDER: (Order, OrderItem),
}


class CopyImport(KindImport):
    """PostgreSQL: COPY the valid rows into a session temp table, then compare and write them
    with set-based statements. The temp table outlives the staging statements (it is per
    connection), so progress can be committed while the file is read.

    Each kind gives its staging columns, the columns that identify a row (duplicates within the
    file are found in SQL), and one statement that writes the changed rows into a CTE `up`
    (id, version, inserted) which `sync_state_mark_pending_cte` makes pending.

    When the plan finds stored rows to update, it sets them aside in a second temp table, the
    diff (line, key, obj_id, version, and o_<field> / n_<field>: each field's stored and new
    value as jsonb), from the kind's `diff_source`. The summary is tallied from it, and the
    write's statement records each row's previous values from it (ImportChange), in the same
    statement that writes the rows.
    """

    sync_kind: str
    key_columns: tuple[str, ...]
    # Staging columns filled after COPY, e.g. "cur_id bigint".
    extra_columns: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.table = f"import_stage_{int(self.job_id)}"
        self.diff = f"{self.table}_diff"
        self._batch: list[tuple] = []
        self.staged = 0
        self.planned: Counts | None = None
        self.diffed = False
        definition = ", ".join(
            (
                *(f"{name} {kind}" for name, kind in self.stage_columns().items()),
                *self.extra_columns,
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}, {self.diff}")
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
        self.staged -= len(duplicates)
        report_lines(
            stream_factory,
            self.errors,
            ((line, f"duplicate of line {first}") for line, first in sorted(duplicates.items())),
        )

    @abstractmethod
    def diff_source(self) -> tuple[str, dict]:
        """SQL (and its parameters) selecting the rows the write updates: line, key, obj_id,
        version, then o_<field> and n_<field> as jsonb for each of `field_columns()`."""

    def tally(self, matched: int) -> dict:
        """The plan's summary of what the update changes, from the diff (see the class)."""
        fields = list(self.field_columns())
        tally = Tally(self.field_columns())
        if not (self.planned and self.planned.updated):
            return tally.as_dict(kind=self.kind, matched=matched)
        sql, params = self.diff_source()
        figures = [
            f"count(*) FILTER (WHERE o_{f} IS DISTINCT FROM n_{f} AND NOT {_cleared(f)}), "
            f"count(*) FILTER (WHERE {_cleared(f)})"
            for f in fields
        ]
        if "inventory" in fields:
            figures.append(
                "count(*) FILTER (WHERE (o_inventory)::int > 0 AND (n_inventory)::int = 0), "
                "count(*) FILTER (WHERE (o_inventory)::int = 0 AND (n_inventory)::int > 0)"
            )
        values = ", ".join(f"('{f}', o_{f}, n_{f}, {_cleared(f)})" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.diff} AS {sql}", params)
            self.diffed = True
            cursor.execute(f"SELECT {', '.join(figures)} FROM {self.diff}")  # noqa: S608
            row = cursor.fetchone()
            for position, field in enumerate(fields):
                changed, cleared = row[2 * position : 2 * position + 2]
                tally.counts[field] = {"changed": changed, "cleared": cleared}
            if "inventory" in fields:
                tally.to_zero, tally.from_zero = row[-2], row[-1]
            # The first lines of each column's changes and clears.
            cursor.execute(
                f"""SELECT field, cleared, line, key, o, n FROM (
                        SELECT v.field, v.cleared, d.line, d.key, v.o, v.n,
                               row_number() OVER (PARTITION BY v.field, v.cleared
                                                  ORDER BY d.line) AS n_th
                        FROM {self.diff} d
                        CROSS JOIN LATERAL (VALUES {values}) AS v(field, o, n, cleared)
                        WHERE v.o IS DISTINCT FROM v.n) examples
                    WHERE n_th <= %s""",  # noqa: S608
                [EXAMPLES],
            )
            for field, cleared, line, key, old, new in cursor.fetchall():
                tally.example(
                    field=field,
                    kind="cleared" if cleared else "changed",
                    line=line,
                    key=key,
                    old=from_jsonb(old),
                    new=from_jsonb(new),
                )
        return tally.as_dict(kind=self.kind, matched=matched)

    def _history(self) -> str:
        """The CTE recording each written row (ImportChange): created, or its previous and new
        values of the fields that change, from the diff. Parameter: job_id."""
        if self.diffed:
            fields = list(self.field_columns())

            def values(prefix: str) -> str:
                return " || ".join(
                    f"(CASE WHEN o_{f} IS DISTINCT FROM n_{f} "
                    f"THEN jsonb_build_object('{f}', {prefix}_{f}) ELSE '{{}}'::jsonb END)"
                    for f in fields
                )

            changed = f"""LEFT JOIN (
                    SELECT DISTINCT ON (obj_id) obj_id, {values("o")} AS before,
                           {values("n")} AS after
                    FROM {self.diff} ORDER BY obj_id, line
                ) d ON d.obj_id = up.id AND NOT up.inserted"""  # noqa: S608
            before_after = "d.before, d.after"
        else:
            changed, before_after = "", "NULL::jsonb, NULL::jsonb"
        return f"""history AS (
                INSERT INTO {ImportChange._meta.db_table}
                    (job_id, object_id, version, created, before, after)
                SELECT %(job_id)s, up.id, up.version, up.inserted, {before_after}
                FROM up {changed}
            )"""  # noqa: S608

    def nothing_to_write(self) -> bool:
        # Nothing new, nothing changed (the plan just looked, in this transaction): the write
        # would only repeat the comparison. A row edited since then is newer than the file anyway.
        return self.planned is not None and not (self.planned.created or self.planned.updated)

    def write_and_mark(self, upsert: str, params: dict) -> Counts:
        """Run `WITH <upsert>, marked …`; queue a drain after commit when any row became pending."""
        mark = sync_state_mark_pending_cte(kind=self.sync_kind, source="up")
        sql = f"""WITH {upsert}, {self._history()}, {mark.sql}
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
                   (SELECT count(*) FROM marked)
            FROM up"""  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(
                sql, {**params, **mark.params, "now": timezone.now(), "job_id": self.job_id}
            )
            created, updated, marked = cursor.fetchone()
        if marked:
            mark.enqueue_after_commit()
        return Counts(created=created, updated=updated, unchanged=self.staged - created - updated)

    def statistics_refresh(self, counts: Counts) -> None:
        """After a large write PostgreSQL's statistics still describe the tables as they were,
        and the push that starts at once would read them with full scans until autovacuum gets
        to them (a minute or more): analyze them now, a few hundred milliseconds."""
        if counts.created + counts.updated < STATISTICS_REFRESH_ROWS:
            return
        tables = [model._meta.db_table for model in (*_WRITTEN[self.sync_kind], SyncState)]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}, {self.diff}")


class ProductCopyImport(CopyImport):
    """Products on PostgreSQL: one INSERT … ON CONFLICT … DO UPDATE … WHERE changed."""

    kind = ImportKind.PRODUCTS
    sync_kind = SyncKind.PRODUCT
    key_columns = ("catalog_id", "catalog_ref", "gtin", "seller_id")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = R.product_fields(self.columns)

    def stage_columns(self) -> dict[str, str]:
        return _PRODUCT_STAGE

    def add(self, record: Record) -> None:
        row = self.parsed(
            record,
            R.parse_product,
            has_default_catalog=self.catalogs.default_catalog_id is not None,
        )
        if row is None:
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
                json_list(row["tags"]) if "tags" in row else d["tags"],
                json_list(row["filters"]) if "filters" in row else d["filters"],
                json_list(row["groups"]) if "groups" in row else d["groups"],
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

    def field_columns(self) -> dict[str, str]:
        return R.product_field_columns(self.fields)

    def diff_source(self) -> tuple[str, dict]:
        values = "".join(
            f", {jsonb(f'cur.{f}', _PRODUCT_STAGE[f])} AS o_{f}, "
            f"{jsonb(f's.{f}', _PRODUCT_STAGE[f])} AS n_{f}"
            for f in self.fields
        )
        # The key as ProductChunkedImport.shown_key gives it.
        key = (
            "s.gtin || CASE WHEN s.seller_id = '' THEN '' "
            "ELSE ' (seller ' || s.seller_id || ')' END"
        )
        sql = f"""SELECT s.line, {key} AS key, cur.id AS obj_id, cur.version{values}
                  FROM {self._source()}
                  WHERE cur.id IS NOT NULL AND {self._changed("s")}"""  # noqa: S608
        return sql, {}

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
                    unchanged=total - created - updated,
                    stock_outs=stock_outs,
                    changes=updated,
                )
            )
        self.planned = counts
        return Plan(
            counts=counts,
            safeguard=safeguard,
            catalogs_to_register=len(self.catalogs.unknown),
            changes=self.tally(counts.updated + counts.unchanged),
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
            restock = restore_inventory_after_sql(
                inventory="EXCLUDED.inventory", restore_inventory="t.restore_inventory"
            )
            updates.append(f"restore_inventory = {restock}")
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

    kind = ImportKind.CUSTOMERS
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
                values.append(json_list(row[name]))
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

    def field_columns(self) -> dict[str, str]:
        return R.customer_field_columns(self.fields)

    def diff_source(self) -> tuple[str, dict]:
        values = "".join(
            f", to_jsonb(cur.{f}) AS o_{f}, to_jsonb({self._merged(f)}) AS n_{f}"
            for f in self.fields
        )
        sql = f"""SELECT s.line, s.key_value AS key, cur.id AS obj_id, cur.version{values}
                  FROM {self.table} s JOIN {Customer._meta.db_table} cur ON cur.id = s.cur_id
                  WHERE {self._changed()}"""  # noqa: S608
        return sql, self._params()

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
        return Plan(counts=self.planned, changes=self.tally(total - created))

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
