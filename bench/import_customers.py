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
import random
import sys
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection

# Sets Django up, so it stays above the project's imports.
from importing import import_jobs_delete, measure_imports, print_peak_rss, print_versions

from syncs.imports import engine
from syncs.models import Customer, SyncState

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
    import_jobs_delete()

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
        print_versions()
        print("path:", "chunked" if args.chunked else "COPY")
        measure_imports(first, changed, kind="customers", sync_kind="customer")
    print_peak_rss()


if __name__ == "__main__":
    main()
