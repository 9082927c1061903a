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
import random
import sys
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection

# Sets Django up, so it stays above the project's imports.
from importing import (
    import_jobs_delete,
    measure_imports,
    plain_copy,
    print_peak_rss,
    print_versions,
)
from stdnum import ean

from syncs.models import Catalog, Product, SyncState

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
PLAIN_COLUMNS = (
    "catalog_id text, gtin text, seller_id text, inventory integer, price numeric(12,2), "
    "profit numeric(12,2), name text, image_url text, tags text, filters text, groups text"
)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures the PostgreSQL path: set DATABASE_URL to PostgreSQL.")
    call_command("migrate", verbosity=0)
    SyncState.objects.all().delete()
    Product.objects.all().delete()
    import_jobs_delete()
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
        print_versions()
        plain_copy(first, PLAIN_COLUMNS)
        measure_imports(first, changed, kind="products", sync_kind="product")
    print_peak_rss()


if __name__ == "__main__":
    main()
