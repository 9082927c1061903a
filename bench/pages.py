"""Benchmark the console's busiest pages at scale on PostgreSQL (not a test; see BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_console \
        .venv/bin/python bench/pages.py --products 1000000 --batches 100000

Fills the database with set-based SQL (products, one CitrusAd sync state each, sync batches that
carry up to 100 GTINs each, spread over 30 days), then times each page through the full Django
stack (middleware, session, view, selectors, template) with the test client, logged in as an
admin: the server's share of a request, without the network. Prints p50/p95/max per page and
the number of queries each one ran. The database in DATABASE_URL is migrated and its products,
sync states, batches and catalogs are deleted first: never point it at a database you care about.
Use `--reuse` to time again without regenerating.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from syncs.models import Product, SyncBatch  # noqa: E402

WORDS = [
    "organic", "fresh", "crunchy", "oat", "milk", "dark", "chocolate", "pasta", "rice", "rye",
    "bread", "coffee", "yoghurt", "butter", "cheese", "apple", "berry", "lemon", "salted", "whole",
]  # fmt: skip


def _migration_indexes():
    """The console's SQL-made indexes as the migrations leave them.

    The product_name_unaccent migration replaces one of 0005's.
    """
    from importlib import import_module

    console = import_module("syncs.migrations.0005_console_indexes")
    unaccent = import_module("syncs.migrations.0010_product_name_unaccent")
    kept = [(name, sql) for name, sql in console.INDEXES if name != unaccent.REPLACED]
    return kept + unaccent.INDEXES


def generate(*, products: int, batches: int) -> None:
    """Fill the tables with set-based SQL; the console's own indexes are built afterwards."""
    words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
    n_words = len(WORDS)
    with connection.cursor() as c:
        for name, _sql in _migration_indexes():
            c.execute(f"DROP INDEX IF EXISTS {name}")
        c.execute(
            "TRUNCATE syncs_syncstate, syncs_syncbatch, syncs_product, syncs_catalog, "
            "syncs_auditevent RESTART IDENTITY CASCADE"
        )
        c.execute(
            "INSERT INTO syncs_catalog (name, citrusad_id, team_id, version, created_at, "
            "updated_at) SELECT 'Catalog ' || g, 'bench-catalog-' || g, 'bench-team', 1, now(), "
            "now() FROM generate_series(1, 3) g"
        )
        started = time.perf_counter()
        c.execute(
            f"""
            INSERT INTO syncs_product (catalog_id, gtin, seller_id, inventory, price, name,
                image_url, tags, filters, groups, deletion_state, version, created_at, updated_at)
            SELECT 1 + g % 3,
                   lpad((2000000000000 + g)::text, 14, '0'),
                   '',
                   CASE WHEN g % 50 = 0 THEN 0 ELSE 1 + g % 97 END,
                   round((50 + (g * 37) % 5000) / 100.0, 2),
                   initcap({words}[1 + (g * 7) % {n_words}] || ' ' ||
                           {words}[1 + (g * 13) % {n_words}] || ' ' ||
                           {words}[1 + (g * 17) % {n_words}]) || ' ' || (g % 1000) || ' g',
                   '', '[]', '["category:Pantry"]', '[]', '', 1, now(), now()
            FROM generate_series(1, {int(products)}) g
            """  # noqa: S608 (built from constants and an int)
        )
        # One CitrusAd state per product: most confirmed, some pending, a few failed.
        c.execute(
            """
            INSERT INTO syncs_syncstate (destination, kind, object_id, wanted_version,
                confirmed_version, status, priority, changed_at, attempts, last_error,
                confirmed_at)
            SELECT 'citrusad', 'product', p.id, 1,
                   CASE WHEN p.id % 100 < 97 THEN 1 ELSE 0 END,
                   CASE WHEN p.id % 100 < 97 THEN 'confirmed'
                        WHEN p.id % 100 < 99 THEN 'pending' ELSE 'failed' END,
                   1, now() - (p.id % 3600) * interval '1 second', 0,
                   CASE WHEN p.id % 100 = 99 THEN 'price must be positive' ELSE '' END,
                   now()
            FROM syncs_product p
            """
        )
        # Batches over 30 days (a third of them in the last day), each carrying a run of GTINs.
        c.execute(
            """
            INSERT INTO syncs_syncbatch (destination, kind, method, endpoint, trigger,
                item_count, keys, status_code, outcome, duration_ms, error, request_body,
                response_body, created_at)
            SELECT 'citrusad', 'product', 'POST', '/v1/catalog-products', 'bulk', b.n,
                   (SELECT jsonb_agg(lpad((2000000000000 + ((b.g * 100 + k) %% %s) + 1)::text,
                                          14, '0'))
                    FROM generate_series(0, b.n - 1) k),
                   CASE WHEN b.g %% 40 = 0 THEN 400 ELSE 200 END,
                   CASE WHEN b.g %% 40 = 0 THEN 'rejected' ELSE 'ok' END,
                   80 + (b.g * 31) %% 900,
                   CASE WHEN b.g %% 40 = 0 THEN 'price must be positive' ELSE '' END,
                   NULL, '',
                   CASE WHEN b.g %% 3 = 0 THEN now() - (b.g %% 86400) * interval '1 second'
                        ELSE now() - (b.g %% 2592000) * interval '1 second' END
            FROM (SELECT g, 1 + (g * 7919) %% 100 AS n FROM generate_series(1, %s) g) b
            ORDER BY 14
            """,
            [products, batches],
        )
        generated = time.perf_counter() - started
        started = time.perf_counter()
        for _name, sql in _migration_indexes():
            c.execute(sql.replace(" CONCURRENTLY", ""))
        c.execute("VACUUM ANALYZE syncs_product")
        c.execute("VACUUM ANALYZE syncs_syncstate")
        c.execute("VACUUM ANALYZE syncs_syncbatch")
        indexed = time.perf_counter() - started
    print(f"generated in {generated:.1f} s, indexed and analysed in {indexed:.1f} s")


def scenarios() -> list[tuple[str, str, dict]]:
    middle_batch = SyncBatch.objects.order_by("-id").values_list("id", flat=True)[5000]
    some_product = Product.objects.order_by("id").values_list("id", "gtin")[123456 % 1000]
    carried = SyncBatch.objects.order_by("-id").values_list("keys", flat=True)[777][0]
    htmx = {"HX-Request": "true"}
    return [
        ("dashboard", "/", {}),
        ("dashboard (htmx poll)", "/", htmx),
        ("history, newest", "/history/", {}),
        ("history, page 100", f"/history/?before={middle_batch}", {}),
        ("history, rejected only", "/history/?outcome=rejected", {}),
        ("history, carried GTIN X", f"/history/?key={carried}", {}),
        ("history, date range", "/history/?since=2026-11-01&until=2026-11-10", {}),
        ("products, exact GTIN (scan)", f"/products/?q={some_product[1]}", htmx),
        ("products, GTIN prefix", "/products/?q=200000012", htmx),
        ("products, one name word", "/products/?q=chocolate", htmx),
        ("products, three name words", "/products/?q=oat+dark+milk", htmx),
        ("products, stocked out", "/products/?stock=out", htmx),
        ("products, sync failed", "/products/?sync=failed", htmx),
        ("products, words + catalog + failed", "/products/?q=rye&catalog=2&sync=failed", htmx),
        ("product detail", f"/products/{some_product[0]}/", {}),
    ]


def measure(*, runs: int) -> list[dict]:
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="bench-admin", role="admin"))
    results = []
    for name, url, headers in scenarios():
        for _ in range(3):  # warm caches and connections
            assert client.get(url, headers=headers).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url, headers=headers)
        query_count = len(queries.captured_queries)  # now: the next request clears the log
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        timings.sort()
        results.append(
            {
                "page": name,
                "url": url,
                "queries": query_count,
                "p50": statistics.median(timings),
                "p95": timings[max(0, int(round(0.95 * len(timings))) - 1)],
                "max": timings[-1],
            }
        )
        print(f"{name:40} p50 {results[-1]['p50']:6.1f} ms  p95 {results[-1]['p95']:6.1f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="time the data already there")
    parser.add_argument(
        "--reindex", action="store_true", help="with --reuse: rebuild the console's indexes"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        generate(products=args.products, batches=args.batches)
    elif args.reindex:
        with connection.cursor() as c:
            for name, sql in _migration_indexes():
                c.execute(f"DROP INDEX IF EXISTS {name}")
                c.execute(sql.replace(" CONCURRENTLY", ""))
            c.execute("ANALYZE")
    print(
        f"{Product.objects.count():,} products, {SyncBatch.objects.count():,} batches; "
        f"{args.runs} timed requests per page after 3 warm-ups"
    )
    results = measure(runs=args.runs)
    print("\n| page | p50 ms | p95 ms | max ms | queries |\n| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['page']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['queries']} |"
        )
    slow = [r["page"] for r in results if r["p95"] >= 100]
    print(f"\nover 100 ms at p95: {', '.join(slow) if slow else 'none'}")


if __name__ == "__main__":
    main()
