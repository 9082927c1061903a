"""Products on PostgreSQL: one INSERT … ON CONFLICT … DO UPDATE … WHERE changed."""

from django.db import connection
from django.db.models import Count

from syncs.imports import rows as R
from syncs.imports.base import Counts, Plan, safeguard_entry
from syncs.imports.postgres import CopyImport, json_list, jsonb
from syncs.imports.reading import Record
from syncs.models import Catalog, ImportKind, Product, SyncKind
from syncs.models.product import restore_inventory_after_sql

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
        if "inventory" in self.fields:
            # What Restore puts back changes with the inventory (the write's rule below): kept
            # with the file's fields, so a revert gives it back too.
            restore = restore_inventory_after_sql(
                inventory="s.inventory", restore_inventory="cur.restore_inventory"
            )
            values += (
                f", {jsonb('cur.restore_inventory', 'integer')} AS o_restore_inventory, "
                f"{jsonb(restore, 'integer')} AS n_restore_inventory"
            )
        sql = f"""SELECT s.line, {key} AS key, cur.id AS obj_id, cur.version{values}
                  FROM {self._source()}
                  WHERE cur.id IS NOT NULL AND {self._changed("s")}"""  # noqa: S608
        return sql, {}

    def history_fields(self) -> list[str]:
        extra = ["restore_inventory"] if "inventory" in self.fields else []
        return [*self.field_columns(), *extra]

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
