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
from syncs.models import ImportJob, Order, SyncState  # noqa: E402
from syncs.services.imports import import_job_create, import_job_run  # noqa: E402

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
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


GTINS = [gtin_for(n) for n in range(20_000)]
ADS = [f"display_{n:05d}" for n in range(500)]


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


def run_import(path: Path, label: str) -> float:
    started = time.perf_counter()
    job = import_job_create(kind="orders", actor=None, path=path, enqueue=False)
    job = import_job_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    rate = job.rows_read / elapsed
    print(
        f"{label:<28} {job.rows_read:>9,} rows in {elapsed:7.1f} s = {rate:>8,.0f} rows/s  "
        f"(orders created {job.rows_created:,}, updated {job.rows_updated:,}, "
        f"unchanged {job.rows_unchanged:,}; invalid rows {job.rows_invalid:,}) {job.status}"
    )
    if job.status != "succeeded":
        print("  ", job.message, job.errors[:3])
    return rate


def pending_count() -> int:
    return SyncState.objects.filter(kind="order", status="pending").count()


def plain_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute(
            "CREATE TABLE bench_plain_copy (id text, customer_id text, session_id text, "
            "order_date timestamptz, ad_ids text, gtin text, quantity integer, "
            "regular_unit_price numeric(12,2), total numeric(12,2), ad_id text, "
            "citrus_discount_amount numeric(12,2), substituted_for text)"
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
    parser.add_argument("--chunked", action="store_true", help="measure the chunked path")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures the PostgreSQL path: set DATABASE_URL to PostgreSQL.")
    if args.chunked:
        engine.OrderCopyImport = lambda *, job_id, **kwargs: engine.OrderChunkedImport(**kwargs)
    call_command("migrate", verbosity=0)
    SyncState.objects.filter(kind="order").delete()
    Order.objects.all().delete()
    ImportJob.objects.all().delete()

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
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            print(f"PostgreSQL {cursor.fetchone()[0]}, Python {sys.version.split()[0]}")
        print("path:", "chunked" if args.chunked else "COPY")
        plain_copy(first)
        run_import(first, "first import")
        print(f"  queued for push after first import: {pending_count():,}")
        SyncState.objects.filter(kind="order").update(confirmed_version=1, status="confirmed")
        run_import(first, "re-import, all unchanged")
        print(f"  queued for push after unchanged re-import: {pending_count():,}")
        run_import(changed, "re-import, 1% changed")
        print(f"  queued for push after 1% re-import: {pending_count():,}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of this process: {peak_kb / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
