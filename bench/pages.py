"""Benchmark the console's busiest pages at scale on PostgreSQL (not a test; see BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_console \
        .venv/bin/python bench/pages.py --products 1000000 --batches 100000

Fills the database with set-based SQL (products, one CitrusAd sync state each, sync batches that
carry up to 100 GTINs each, spread over 30 days; customers, orders with their items, audit
entries and import jobs for the other lists), then times each page through the full Django
stack (middleware, session, view, selectors, template) with the test client, logged in as an
admin: the server's share of a request, without the network. Prints p50/p95/max per page and
the number of queries each one ran. The database in DATABASE_URL is migrated and its products,
sync states, batches, catalogs, customers, orders, audit entries and imports are deleted first:
never point it at a database you care about.
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

from syncs.models import AuditEvent, Order, Product, SyncBatch  # noqa: E402

WORDS = [
    "organic", "fresh", "crunchy", "oat", "milk", "dark", "chocolate", "pasta", "rice", "rye",
    "bread", "coffee", "yoghurt", "butter", "cheese", "apple", "berry", "lemon", "salted", "whole",
    "crème", "brûlée",  # found by "creme" and "brulee" (the unaccented name search)
]  # fmt: skip
FIRST_NAMES = ["Aino", "Mikko", "Ólafur", "Zoë", "Anna", "John", "Sanna", "José", "Li", "Emma"]
LAST_NAMES = ["Virtanen", "Smith", "Müller", "Korhonen", "García", "Nieminen", "Brown", "Lehto"]


def _migration_indexes():
    """The console's SQL-made indexes (and planner statistics) as the migrations leave them.

    The name index was replaced twice: by the unaccented name's (0010), then by its prefixes'
    (0018). Statistics are created after the data like the indexes (IF NOT EXISTS: dropping an
    index never drops them).
    """
    from importlib import import_module

    console = import_module("syncs.migrations.0005_console_indexes")
    unaccent = import_module("syncs.migrations.0010_product_name_unaccent")
    lists = import_module("syncs.migrations.0016_list_indexes")
    prefixes = import_module("syncs.migrations.0018_product_name_prefixes")
    kept = [(name, sql) for name, sql in console.INDEXES if name != unaccent.REPLACED]
    return kept + lists.INDEXES + lists.STATISTICS + prefixes.INDEXES


def _kind_of(name: str) -> str:
    return "STATISTICS" if name.endswith("_stats") else "INDEX"


def generate(*, products: int, batches: int, customers: int, orders: int, audit: int) -> None:
    """Fill the tables with set-based SQL; the console's own indexes are built afterwards."""
    words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
    n_words = len(WORDS)
    with connection.cursor() as c:
        for name, _sql in _migration_indexes():
            c.execute(f"DROP {_kind_of(name)} IF EXISTS {name}")
        c.execute(
            "TRUNCATE syncs_syncstate, syncs_syncbatch, syncs_product, syncs_catalog, "
            "syncs_auditevent, syncs_customer, syncs_order, syncs_orderitem, syncs_importjob "
            "RESTART IDENTITY CASCADE"
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
        _generate_people(c, customers=customers, orders=orders, audit=audit, products=products)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        for _name, sql in _migration_indexes():
            c.execute(sql.replace(" CONCURRENTLY", ""))
        for table in TABLES:
            c.execute(f"VACUUM ANALYZE {table}")
        indexed = time.perf_counter() - started
    print(f"generated in {generated:.1f} s, indexed and analysed in {indexed:.1f} s")


TABLES = [
    "syncs_product", "syncs_syncstate", "syncs_syncbatch", "syncs_customer", "syncs_order",
    "syncs_orderitem", "syncs_auditevent", "syncs_importjob", "syncs_product_attention",
]  # fmt: skip


def _generate_people(c, *, customers: int, orders: int, audit: int, products: int) -> None:
    """Customers, orders of two items each, audit entries (some of them bulk actions with their
    rows) and import jobs: what the customers, orders, audit and imports lists page through."""
    first = "(ARRAY[" + ",".join(f"'{w}'" for w in FIRST_NAMES) + "])"
    last = "(ARRAY[" + ",".join(f"'{w}'" for w in LAST_NAMES) + "])"
    c.execute(
        f"""
        INSERT INTO syncs_customer (external_id, email, phone_number, canonical_id, first_name,
            last_name, shop_id, city, company, country, gender, house_number,
            house_number_addition, language, province, street_address, street_name, vat_number,
            zip_code, tags, mailing_lists, company_fields, targeting_data, is_deleted,
            is_forgotten, version, created_at, updated_at)
        SELECT CASE WHEN g % 10 = 0 THEN '' ELSE 'C' || g END,
               lower({first}[1 + g % {len(FIRST_NAMES)}]) || '.' || g || '@example.org',
               '+4477009' || lpad(g::text, 5, '0'), '', {first}[1 + g % {len(FIRST_NAMES)}],
               {last}[1 + (g * 7) % {len(LAST_NAMES)}], '', 'Helsinki', '',
               CASE WHEN g % 2 = 0 THEN 'GB' ELSE 'FI' END, '', '', '', 'en', '', '', '', '',
               '', '[]', '[]', '{{}}', '{{}}', false, false, 1, now(), now()
        FROM generate_series(1, {int(customers)}) g
        """  # noqa: S608 (built from constants and ints)
    )
    c.execute(
        f"""
        INSERT INTO syncs_order (order_id, customer_id, session_id, order_date, ad_ids, version,
            created_at, updated_at)
        SELECT 'ORD-' || g, 'C' || (1 + g % {int(customers)}), '',
               now() - (g % 2592000) * interval '1 second', '[]', 1, now(), now()
        FROM generate_series(1, {int(orders)}) g
        """  # noqa: S608 (built from ints)
    )
    c.execute(
        f"""
        INSERT INTO syncs_orderitem (order_id, position, gtin, quantity, regular_unit_price,
            total_order_item_price_after_discounts, ad_id, substituted_for)
        SELECT o.id, k, lpad((2000000000000 + (o.id * 31 + k) % {int(products)} + 1)::text,
                             14, '0'), 1 + k, 2.50, 2.50 * (1 + k), '', ''
        FROM syncs_order o, generate_series(0, 1) k
        """  # noqa: S608 (built from ints)
    )
    # Audit: one entry in 1,000 is a bulk stock-out whose 100 product entries hang off it.
    c.execute("SELECT id FROM auth_user WHERE username = 'bench-admin'")
    actor = c.fetchone()[0]
    c.execute(
        f"""
        INSERT INTO syncs_auditevent (actor_id, actor_name, action, object_kind, object_id,
            object_repr, before, after, created_at, parent_id)
        SELECT CASE WHEN g %% 4 = 0 THEN %s END,
               CASE WHEN g %% 4 = 0 THEN 'bench-admin' ELSE 'merch' || g %% 7 END,
               CASE WHEN g %% 1000 = 0 THEN 'product.bulk_stock_out'
                    WHEN g %% 3 = 0 THEN 'product.restore' ELSE 'product.stock_out' END,
               'product', (1 + g %% {int(products)})::text,
               'Product ' || (1 + g %% {int(products)}),
               '{{"inventory": 5}}', '{{"inventory": 0}}',
               now() - (g %% 2592000) * interval '1 second', NULL
        FROM generate_series(1, {int(audit)}) g
        """,  # noqa: S608 (built from ints)
        [actor],
    )
    c.execute(
        """
        INSERT INTO syncs_auditevent (actor_id, actor_name, action, object_kind, object_id,
            object_repr, before, after, created_at, parent_id)
        SELECT e.actor_id, e.actor_name, 'product.stock_out', 'product', k::text,
               'Product ' || k, '{"inventory": 5}', '{"inventory": 0}', e.created_at, e.id
        FROM syncs_auditevent e, generate_series(1, 100) k
        WHERE e.action = 'product.bulk_stock_out'
        """
    )
    c.execute(
        """
        INSERT INTO syncs_importjob (kind, status, file_path, original_name, file_size, dry_run,
            skip_invalid, confirm_large_change, encoding, detected_encoding, delimiter,
            rows_read, rows_created, rows_updated, rows_unchanged, rows_invalid, progress_done,
            progress_total, errors, error_file_path, message, safeguard, needs_confirmation,
            catalogs_registered, created_at, started_at, finished_at, catalog_id,
            created_by_id, changes, delete_remote, rows_removed, rows_skipped, rows_warned,
            skipped, warnings)
        SELECT (ARRAY['products', 'customers', 'orders'])[1 + g %% 3], 'succeeded',
               'imports/bench-' || g || '.csv', 'feed-' || g || '.csv', 1000, g %% 2 = 0, false,
               false, 'auto', 'utf-8', ',', 100, 10, 80, 10, 0, 1000, 1000, '[]', '', '', '[]',
               false, 0, now() - g * interval '1 hour', now() - g * interval '1 hour',
               now() - g * interval '1 hour' + interval '40 seconds', 1, %s, '{}', false,
               0, 0, 0, '[]', '[]'
        FROM generate_series(1, 5000) g
        """,
        [actor],
    )


def scenarios() -> list[tuple[str, str, dict]]:
    middle_batch = SyncBatch.objects.order_by("-id").values_list("id", flat=True)[5000]
    some_product = Product.objects.order_by("id").values_list("id", "gtin")[123456 % 1000]
    carried = SyncBatch.objects.order_by("-id").values_list("keys", flat=True)[777][0]
    some_order = Order.objects.order_by("id").values_list("id", "order_id")[4321]
    bulk_entry = AuditEvent.objects.filter(action="product.bulk_stock_out").order_by("id").first()
    htmx = {"HX-Request": "true"}
    return [
        ("dashboard", "/", {}),
        ("dashboard (htmx poll)", "/", htmx),
        ("history, newest", "/history/", {}),
        ("history, page 100", f"/history/?before={middle_batch}", {}),
        ("history, oldest first (sorted)", "/history/?sort=id", {}),
        ("history, rejected only", "/history/?outcome=rejected", {}),
        ("history, carried GTIN X", f"/history/?key={carried}", {}),
        ("history, date range", "/history/?since=2026-11-01&until=2026-11-10", {}),
        ("products, exact GTIN (scan)", f"/products/?q={some_product[1]}", htmx),
        ("products, EAN-13 scan of a GTIN-14", f"/products/?q={some_product[1][1:]}", htmx),
        ("products, GTIN prefix", "/products/?q=200000012", htmx),
        ("products, one name word (10,000+)", "/products/?q=chocolate", htmx),
        ("products, count of one name word", "/products/count/?q=chocolate", htmx),
        ("products, unaccented word", "/products/?q=creme", htmx),
        ("products, unaccented two words", "/products/?q=creme+brulee", htmx),
        ("products, three name words", "/products/?q=oat+dark+milk", htmx),
        ("products, all, sorted by GTIN", "/products/?sort=gtin", htmx),
        ("products, all, GTIN 9→0", "/products/?sort=-gtin", htmx),
        ("products, all, newest first", "/products/?sort=-id", htmx),
        ("products, word, GTIN 9→0", "/products/?q=chocolate&sort=-gtin", htmx),
        ("products, word, GTIN page 3", "/products/?q=chocolate&sort=gtin&page=3", htmx),
        ("products, stocked out", "/products/?stock=out", htmx),
        ("products, sync failed", "/products/?sync=failed", htmx),
        ("products, words + catalog + failed", "/products/?q=rye&catalog=2&sync=failed", htmx),
        ("product detail", f"/products/{some_product[0]}/", {}),
        ("customers, all", "/customers/", {}),
        ("customers, by email", "/customers/?sort=email", {}),
        ("customers, part of an email", "/customers/?q=aino.12", {}),
        ("customers, name word", "/customers/?q=Virtanen", {}),
        ("orders, all", "/orders/", {}),
        ("orders, newest date first", "/orders/?sort=-order_date", {}),
        ("orders, id without prefix", f"/orders/?q={some_order[1][4:]}", {}),
        ("order detail", f"/orders/{some_order[0]}/", {}),
        ("imports", "/imports/", {}),
        ("audit log", "/audit/", {}),
        ("audit log, oldest first", "/audit/?sort=id", {}),
        ("audit log, action contains", "/audit/?action=restore", {}),
        ("audit, a bulk entry opened", f"/audit/{bulk_entry.pk}/", {}),
        ("my activity", "/activity/", {}),
    ]


def bench_admin():
    from tests.factories import UserFactory

    return UserFactory(username="bench-admin", role="admin")


def measure(*, runs: int, only: list[str]) -> list[dict]:
    client = Client()
    client.force_login(bench_admin())
    results = []
    for name, url, headers in scenarios():
        if only and not any(part in name for part in only):
            continue
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
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--audit", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="time the data already there")
    parser.add_argument(
        "--reindex", action="store_true", help="with --reuse: rebuild the console's indexes"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="TEXT", help="time the pages named so"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    bench_admin()
    if not args.reuse:
        generate(
            products=args.products,
            batches=args.batches,
            customers=args.customers,
            orders=args.orders,
            audit=args.audit,
        )
    elif args.reindex:
        with connection.cursor() as c:
            for name, sql in _migration_indexes():
                c.execute(f"DROP {_kind_of(name)} IF EXISTS {name}")
                c.execute(sql.replace(" CONCURRENTLY", ""))
            c.execute("ANALYZE")
    print(
        f"{Product.objects.count():,} products, {SyncBatch.objects.count():,} batches, "
        f"{Order.objects.count():,} orders, {AuditEvent.objects.count():,} audit entries; "
        f"{args.runs} timed requests per page after 3 warm-ups"
    )
    results = measure(runs=args.runs, only=args.only)
    print("\n| page | p50 ms | p95 ms | max ms | queries |\n| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['page']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['queries']} |"
        )
    slow = [r["page"] for r in results if r["p95"] >= 100]
    print(f"\nover 100 ms at p95: {', '.join(slow) if slow else 'none'}")


if __name__ == "__main__":
    main()
