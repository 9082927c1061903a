"""Customers on PostgreSQL: matched to the stored customers by key in SQL, then one statement
updates the changed ones and inserts the new ones."""

import json

from django.db import connection

from syncs.imports import rows as R
from syncs.imports.base import Counts, Plan
from syncs.imports.postgres import CopyImport, json_list
from syncs.imports.reading import Record
from syncs.models import Customer, ImportKind, SyncKind


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
