"""What the import benchmarks share (not a test; results go to BENCHMARKS.md).

Importing this module sets Django up with the test settings, so the scripts beside it import it
before anything of the project's: run as `python bench/import_products.py`, their folder is on
sys.path. It times the three imports of a benchmark and what they leave queued for push, a plain
COPY of the file into a bare table as the physical reference, the import history each import
adds (what reverting it needs), and the peak RSS.
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from syncs.models import ImportChange, ImportJob, SyncState  # noqa: E402
from syncs.services.imports import import_job_create, import_job_run  # noqa: E402

COUNTS = "created {created:,}, updated {updated:,}, unchanged {unchanged:,}, invalid {invalid:,}"


def print_versions() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}, Python {sys.version.split()[0]}")


def plain_copy(path: Path, columns: str) -> None:
    """Time a COPY of the file into a bare table of `columns` (SQL column definitions)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute(f"CREATE TABLE bench_plain_copy ({columns})")
        started = time.perf_counter()
        with (
            open(path, "rb") as f,
            cursor.cursor.copy(
                "COPY bench_plain_copy FROM STDIN WITH (FORMAT csv, HEADER)"
            ) as copy,
        ):
            while chunk := f.read(1024 * 1024):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_plain_copy")
        (rows,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_plain_copy")
    rate = rows / elapsed
    print(
        f"{'plain COPY (reference)':<28} {rows:>9,} rows in {elapsed:7.1f} s = {rate:>8,.0f} rows/s"
    )


def run_import(path: Path, label: str, *, kind: str, counts: str) -> None:
    """Time one import job as the command runs it; `counts` formats the job's row counts."""
    started = time.perf_counter()
    job = import_job_create(
        kind=kind, actor=None, path=path, confirm_large_change=True, enqueue=False
    )
    job = import_job_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    rate = job.rows_read / elapsed
    described = counts.format(
        created=job.rows_created,
        updated=job.rows_updated,
        unchanged=job.rows_unchanged,
        invalid=job.rows_invalid,
    )
    print(
        f"{label:<28} {job.rows_read:>9,} rows in {elapsed:7.1f} s = {rate:>8,.0f} rows/s  "
        f"({described}) {job.status}"
    )
    if job.status != "succeeded":
        print("  ", job.message, job.errors[:3])


def import_jobs_delete() -> None:
    """Delete every import job and the history it recorded (one TRUNCATE, not row by row)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ImportJob._meta.db_table} CASCADE")


def history_storage() -> str:
    """What the import history (ImportChange: what a revert needs) holds and takes on disk."""
    table = ImportChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")  # noqa: S608
        rows, size = cursor.fetchone()
    return f"import history: {rows:,} rows, {size / 1e6:,.1f} MB (table and indexes)"


def pending_count(sync_kind: str) -> int:
    return SyncState.objects.filter(kind=sync_kind, status="pending").count()


def measure_imports(
    first: Path, changed: Path, *, kind: str, sync_kind: str, counts: str = COUNTS
) -> None:
    """Import `first`, again unchanged (its sync states confirmed first), then `changed`."""
    run_import(first, "first import", kind=kind, counts=counts)
    print(f"  queued for push after first import: {pending_count(sync_kind):,}")
    print(f"  {history_storage()}")
    SyncState.objects.filter(kind=sync_kind).update(confirmed_version=1, status="confirmed")
    run_import(first, "re-import, all unchanged", kind=kind, counts=counts)
    print(f"  queued for push after unchanged re-import: {pending_count(sync_kind):,}")
    print(f"  {history_storage()}")
    run_import(changed, "re-import, 1% changed", kind=kind, counts=counts)
    print(f"  queued for push after 1% re-import: {pending_count(sync_kind):,}")
    print(f"  {history_storage()}")


def print_peak_rss() -> None:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of this process: {peak_kb / 1024:,.0f} MB")
