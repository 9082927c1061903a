"""PostgreSQL: COPY the valid rows into a temporary table, then compare and write them with
set-based SQL. Memory stays flat: only a batch of rows is held at a time, and duplicates within the
file are found in SQL."""

import json
import re
from abc import abstractmethod

from django.db import connection
from django.utils import timezone

from syncs.imports.base import (
    COPY_ROWS,
    Counts,
    KindImport,
    report_lines,
)
from syncs.imports.summary import EXAMPLES, Tally
from syncs.models import (
    Customer,
    ImportChange,
    Order,
    OrderItem,
    Product,
    SyncKind,
    SyncState,
)
from syncs.services.sync_state import sync_state_mark_pending_cte

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

    def history_fields(self) -> list[str]:
        """The fields whose previous values the history keeps: the file's, and any the write
        changes besides them (each with its o_/n_ pair in the diff)."""
        return list(self.field_columns())

    def _history(self) -> str:
        """The CTE recording each written row (ImportChange): created, or its previous and new
        values of the fields that change, from the diff. Parameter: job_id."""
        if self.diffed:
            fields = self.history_fields()

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
