"""Benchmark the customers import on PostgreSQL (not a test; results go to BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports \
        .venv/bin/python bench/import_customers.py --rows 1000000

Generates a realistic customer file, then reports rows/s for a first import, a re-import of the
same file (all unchanged: nothing may be queued for push), a re-import with 1% of rows changed,
and the peak RSS of this process. `--chunked` measures the chunked path (SQLite's) on the same
database instead, for comparison. The database named in DATABASE_URL is migrated and its
customers, sync states and import jobs are deleted first: never point it at a database you care
about.
"""

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from syncs.imports import engine  # noqa: E402
from syncs.models import Customer, ImportJob, SyncState  # noqa: E402
from syncs.services.imports import import_job_create, import_job_run  # noqa: E402

HEADER = [
    "external_id",
    "email",
    "phone_number",
    "first_name",
    "last_name",
    "city",
    "country",
    "language",
    "can_email",
    "can_sms",
    "date_joined",
    "tags",
    "COMPANY__loyalty_level",
    "targeting:customer_type",
]
FIRST = ["Aino", "Eino", "Helmi", "Onni", "Sofia", "Leo", "Ella", "Elias", "James", "Ann"]
LAST = ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Smith", "Jones", "Laine", "Heikkinen"]
CITIES = ["Helsinki", "Espoo", "Tampere", "Turku", "Oulu", "Vantaa"]
LEVELS = ["", "bronze", "silver", "gold"]
TYPES = ["Retail", "Corporate", "Student"]


def write_customers(path: Path, rows: int, *, seed: int, changed_share: float = 0.0) -> None:
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            first = rng.choice(FIRST)
            last = rng.choice(LAST)
            if changed_share and change.random() < changed_share:
                last += "-Changed"
            writer.writerow(
                [
                    f"C-{n:07d}",
                    f"{first.lower()}.{n}@example.org",
                    f"+35840{n:07d}",
                    first,
                    last,
                    rng.choice(CITIES),
                    "FI",
                    "fi",
                    rng.choice(["yes", "no", ""]),
                    rng.choice(["yes", "no"]),
                    f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
                    "|".join(rng.sample(["vip", "kitchen", "garden", "pets"], k=2)),
                    rng.choice(LEVELS),
                    rng.choice(TYPES),
                ]
            )


def run_import(path: Path, label: str) -> float:
    started = time.perf_counter()
    job = import_job_create(
        kind="customers", actor=None, path=path, confirm_large_change=True, enqueue=False
    )
    job = import_job_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    rate = job.rows_read / elapsed
    print(
        f"{label:<28} {job.rows_read:>9,} rows in {elapsed:7.1f} s = {rate:>8,.0f} rows/s  "
        f"(created {job.rows_created:,}, updated {job.rows_updated:,}, "
        f"unchanged {job.rows_unchanged:,}, invalid {job.rows_invalid:,}) {job.status}"
    )
    if job.status != "succeeded":
        print("  ", job.message, job.errors[:3])
    return rate


def pending_count() -> int:
    return SyncState.objects.filter(kind="customer", status="pending").count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunked", action="store_true", help="measure the chunked path")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures the PostgreSQL path: set DATABASE_URL to PostgreSQL.")
    if args.chunked:
        engine.CustomerCopyImport = lambda *, job_id, **kwargs: engine.CustomerChunkedImport(
            **kwargs
        )
    call_command("migrate", verbosity=0)
    SyncState.objects.filter(kind="customer").delete()
    Customer.objects.all().delete()
    ImportJob.objects.all().delete()

    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "customers.csv"
        changed = Path(tmp) / "customers-1pct.csv"
        started = time.perf_counter()
        write_customers(first, args.rows, seed=1)
        write_customers(changed, args.rows, seed=1, changed_share=0.01)
        size = first.stat().st_size
        print(
            f"Generated 2 files of {args.rows:,} rows ({size / 1e6:,.0f} MB each) in "
            f"{time.perf_counter() - started:.0f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            print(f"PostgreSQL {cursor.fetchone()[0]}, Python {sys.version.split()[0]}")
        print("path:", "chunked" if args.chunked else "COPY")
        run_import(first, "first import")
        print(f"  queued for push after first import: {pending_count():,}")
        SyncState.objects.filter(kind="customer").update(confirmed_version=1, status="confirmed")
        run_import(first, "re-import, all unchanged")
        print(f"  queued for push after unchanged re-import: {pending_count():,}")
        run_import(changed, "re-import, 1% changed")
        print(f"  queued for push after 1% re-import: {pending_count():,}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of this process: {peak_kb / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
