"""Benchmark the orders import on PostgreSQL (not a test; results go to BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_orders \
        .venv/bin/python bench/import_orders.py --rows 1000000

Generates a realistic orders file (one row per item, 1 to 5 items per order, 3 on average), then
reports rows/s for a plain COPY of the same file into a bare table (the physical reference), a
first import, a re-import of the same file (all unchanged: nothing may be queued for push), a
re-import with 1% of the orders changed (one item's quantity), and the peak RSS of this process.
`--chunked` measures the chunked path (SQLite's) on the same database instead. The database named
in DATABASE_URL is migrated and its orders, sync states and import jobs are deleted first: never
point it at a database you care about.
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

from syncs.imports import engine
from syncs.models import Order, SyncState

HEADER = [
    "id",
    "customerId",
    "sessionId",
    "orderDate",
    "adIds",
    "gtin",
    "quantity",
    "regularUnitPrice",
    "totalOrderItemPriceAfterDiscounts",
    "adId",
    "citrusDiscountAmount",
    "substitutedFor",
]


def gtin_for(n: int) -> str:
    body = f"640{n:09d}"
    return body + ean.calc_check_digit(body)


GTINS = [gtin_for(n) for n in range(20_000)]
ADS = [f"display_{n:05d}" for n in range(500)]
PLAIN_COLUMNS = (
    "id text, customer_id text, session_id text, order_date timestamptz, ad_ids text, "
    "gtin text, quantity integer, regular_unit_price numeric(12,2), total numeric(12,2), "
    "ad_id text, citrus_discount_amount numeric(12,2), substituted_for text"
)
# created, updated and unchanged count orders; invalid counts item rows.
COUNTS = (
    "orders created {created:,}, updated {updated:,}, unchanged {unchanged:,}; "
    "invalid rows {invalid:,}"
)


def write_orders(path: Path, rows: int, *, seed: int, changed_share: float = 0.0) -> int:
    """Write about `rows` item rows (whole orders); return the number of orders."""
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    written = orders = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        while written < rows:
            items = min(rng.randint(1, 5), rows - written)
            changed_item = rng.randrange(items)
            changed = changed_share and change.random() < changed_share
            customer = f"C-{rng.randrange(300_000):07d}"
            session = f"sess-{rng.randrange(10**9):09d}"
            day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            moment = f"{day}T{rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}:00Z"
            ad_ids = "|".join(rng.sample(ADS, k=rng.choice((0, 0, 1, 2))))
            for n in range(items):
                quantity = rng.randint(1, 4) + (1 if changed and n == changed_item else 0)
                price = rng.randint(50, 5000)
                discount = rng.choice((0, 0, 0, 10, 50))
                ad = rng.choice(ADS) if rng.random() < 0.2 else ""
                writer.writerow(
                    [
                        f"ORD-{orders:08d}",
                        customer,
                        session,
                        moment,
                        ad_ids,
                        rng.choice(GTINS),
                        quantity,
                        f"{price / 100:.2f}",
                        f"{(price * quantity - discount) / 100:.2f}",
                        ad,
                        f"{discount / 100:.2f}" if discount and ad else "",
                        rng.choice(GTINS) if rng.random() < 0.02 else "",
                    ]
                )
            written += items
            orders += 1
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunked", action="store_true", help="measure the chunked path")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures the PostgreSQL path: set DATABASE_URL to PostgreSQL.")
    if args.chunked:
        engine.OrderCopyImport = lambda *, job_id, **kwargs: engine.OrderChunkedImport(**kwargs)
    call_command("migrate", verbosity=0)
    SyncState.objects.filter(kind="order").delete()
    Order.objects.all().delete()
    import_jobs_delete()

    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "orders.csv"
        changed = Path(tmp) / "orders-1pct.csv"
        started = time.perf_counter()
        orders = write_orders(first, args.rows, seed=1)
        write_orders(changed, args.rows, seed=1, changed_share=0.01)
        size = first.stat().st_size
        print(
            f"Generated 2 files of {args.rows:,} rows, {orders:,} orders ({size / 1e6:,.0f} MB "
            f"each) in {time.perf_counter() - started:.0f} s"
        )
        print_versions()
        print("path:", "chunked" if args.chunked else "COPY")
        plain_copy(first, PLAIN_COLUMNS)
        measure_imports(first, changed, kind="orders", sync_kind="order", counts=COUNTS)
    print_peak_rss()


if __name__ == "__main__":
    main()
