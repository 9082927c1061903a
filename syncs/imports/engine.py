"""The import itself, in three steps: stage, plan, write.

1. **Stage**: read the file record by record, validate, and set each valid row aside
   (PostgreSQL: `COPY` into a temporary table, see `postgres.py` and the kinds' `*_copy.py`;
   otherwise pickled chunks in a temporary file, see `chunked.py`). Invalid rows go to the
   error file, and so do rows imported with a warning. Memory stays flat on both paths: only a
   chunk of rows is held at a time, duplicates within the file are found in SQL (or, for orders
   on the chunked path, in a temporary SQLite file; see `orders.py`).
2. **Plan**: compare the staged rows with what is stored: how many would be created, updated,
   unchanged, the safeguard's figures, and what each column's stored values would become
   (`summary.py`). A dry run stops here.
3. **Write**: one transaction creates and updates the changed rows only (bumping their
   `version`), records what a revert needs (`ImportChange`, see `revert.py`) and makes them
   pending for the sync engine. Unchanged rows are not touched, so a re-import of the same file
   queues nothing. Any failure rolls the whole write back.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from syncs.imports import rows as R
from syncs.imports.base import COPY_ROWS, Counts, KindImport, Plan
from syncs.imports.chunked import CustomerChunkedImport, ProductChunkedImport
from syncs.imports.customers_copy import CustomerCopyImport
from syncs.imports.errors import ErrorSink
from syncs.imports.orders import OrderChunkedImport
from syncs.imports.orders_copy import OrderCopyImport
from syncs.imports.products_copy import ProductCopyImport
from syncs.imports.reading import CsvStream, ImportFileError
from syncs.models import Catalog, ImportKind

logger = logging.getLogger(__name__)


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
        return ProductChunkedImport(
            job_id=job_id, columns=columns, errors=errors, job_catalog_id=catalog_id
        )
    if kind == ImportKind.CUSTOMERS:
        columns = R.customer_columns(header)
        if connection.vendor == "postgresql":
            return CustomerCopyImport(
                job_id=job_id, columns=columns, errors=errors, job_catalog_id=None
            )
        return CustomerChunkedImport(
            job_id=job_id, columns=columns, errors=errors, job_catalog_id=None
        )
    columns = R.order_columns(header)
    if connection.vendor == "postgresql":
        return OrderCopyImport(job_id=job_id, columns=columns, errors=errors, job_catalog_id=None)
    return OrderChunkedImport(job_id=job_id, columns=columns, errors=errors, job_catalog_id=None)


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
            if counts is not None and committed:
                try:
                    importer.statistics_refresh(counts)
                except DatabaseError:  # the rows are written: a slower first push, not a failure
                    logger.exception("Import %s is written; analyzing its tables failed", job_id)
            return Result(
                rows_read=rows_read, plan=plan, counts=counts, registered=importer.registered
            )
        finally:
            errors.close()
            if importer is not None:
                importer.close()
