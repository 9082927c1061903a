"""Benchmark the products import on PostgreSQL (not a test; results go to BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports \
        .venv/bin/python bench/import_products.py --rows 1000000

Generates a realistic catalog file, then reports rows/s for a first import, a re-import of the
same file (all unchanged: nothing may be queued for push), a re-import with 1% of rows changed,
the peak RSS of this process, and a plain COPY of the same file into a bare table as the
physical reference. The database named in DATABASE_URL is migrated and its products, sync states
and import jobs are deleted first: never point it at a database you care about.
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
from stdnum import ean  # noqa: E402

from syncs.models import Catalog, ImportJob, Product, SyncState  # noqa: E402
from syncs.services.imports import import_job_create, import_job_run  # noqa: E402

HEADER = [
    "catalogId",
    "gtin",
    "sellerId",
    "inventory",
    "price",
    "profit",
    "name",
    "imageUrl",
    "tags",
    "filters",
    "groups",
]
CATALOG = "7f0c3a52-5b7e-4a51-9f0e-bench0000001"
WORDS = ["organic", "fresh", "crunchy", "oat", "milk", "dark", "chocolate", "pasta", "rice"]
BRANDS = ["Acme", "Nordic Farm", "Kelloggs", "Covergirl", "Barilla", "Oatly", "Fazer", "Valio"]
CATEGORIES = ["Pantry", "Dairy", "Bakery", "Health&Beauty", "Frozen", "Drinks", "Snacks"]


def gtin_for(n: int) -> str:
    body = f"{200000000000 + n:012d}"
    return body + ean.calc_check_digit(body)


def write_catalog(path: Path, rows: int, *, seed: int, changed_share: float = 0.0) -> None:
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            name = " ".join(rng.choices(WORDS, k=3)).title() + f" {n % 1000}g"
            brand = rng.choice(BRANDS)
            inventory = rng.choice([0, 3, 12, 25, 40, 100])
            price = f"{rng.randint(50, 5000) / 100:.2f}"
            if changed_share and change.random() < changed_share:
                price = f"{float(price) + 0.01:.2f}"
            writer.writerow(
                [
                    CATALOG,
                    gtin_for(n),
                    "",
                    inventory,
                    price,
                    f"{rng.randint(5, 300) / 100:.2f}",
                    name,
                    f"https://images.example.com/p/{n}.jpg",
                    "|".join(rng.sample(["new", "promo", "vegan", "local"], k=2)),
                    f"category:{rng.choice(CATEGORIES)}|Brand:{brand}|hfss:false",
                    brand,
                ]
            )


def run_import(path: Path, label: str) -> float:
    started = time.perf_counter()
    job = import_job_create(
        kind="products", actor=None, path=path, confirm_large_change=True, enqueue=False
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
        print("  ", job.message)
    return rate


def pending_count() -> int:
    return SyncState.objects.filter(kind="product", status="pending").count()


def plain_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute(
            "CREATE TABLE bench_plain_copy (catalog_id text, gtin text, seller_id text, "
            "inventory integer, price numeric(12,2), profit numeric(12,2), name text, "
            "image_url text, tags text, filters text, groups text)"
        )
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
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures the PostgreSQL path: set DATABASE_URL to PostgreSQL.")
    call_command("migrate", verbosity=0)
    SyncState.objects.all().delete()
    Product.objects.all().delete()
    ImportJob.objects.all().delete()
    Catalog.objects.filter(citrusad_id=CATALOG).delete()

    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "catalog.csv"
        changed = Path(tmp) / "catalog-1pct.csv"
        started = time.perf_counter()
        write_catalog(first, args.rows, seed=1)
        write_catalog(changed, args.rows, seed=1, changed_share=0.01)
        size = first.stat().st_size
        print(
            f"Generated 2 files of {args.rows:,} rows ({size / 1e6:,.0f} MB each) in "
            f"{time.perf_counter() - started:.0f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            print(f"PostgreSQL {cursor.fetchone()[0]}, Python {sys.version.split()[0]}")
        plain_copy(first)
        run_import(first, "first import")
        queued = pending_count()
        print(f"  queued for push after first import: {queued:,}")
        SyncState.objects.filter(kind="product").update(confirmed_version=1, status="confirmed")
        run_import(first, "re-import, all unchanged")
        print(f"  queued for push after unchanged re-import: {pending_count():,}")
        run_import(changed, "re-import, 1% changed")
        print(f"  queued for push after 1% re-import: {pending_count():,}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of this process: {peak_kb / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
