"""Benchmark the push engine against the sandbox (not a test; results go to BENCHMARKS.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_push REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/push.py --products 100000

For each sandbox latency (default 0 and 50 ms) and each worker count (default 1 and 2 worker
processes), it measures items/s from "N products pending" (the commit that marks them) to "all
confirmed", with real Celery workers on PostgreSQL and Redis. In the same run it measures a bare
reference: one `requests.Session` per thread, as many threads as worker processes, posting the
same pre-built 100-item payloads to the same sandbox. It also times a stock-out (the service call)
until the sandbox holds `inventory: 0` for that product, while the bulk sync is running.

Other scenarios (`--scenario`, see bench/push_pace.py):

    bench/push.py --scenario pace --customers 50000 --limit 180 --workers 1,2,4
    bench/push.py --scenario crash --customers 20000 --limit 180
    bench/push.py --scenario cost --products 10000

The sandbox runs as its own process (`manage.py sandbox`). The database named in DATABASE_URL is
migrated and its catalogs, products, sync states and history are deleted first, and the Redis
queues are emptied: never point either at anything you care about.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from syncs.destinations import destination_client  # noqa: E402
from syncs.models import Catalog, Product, SyncBatch, SyncState  # noqa: E402
from syncs.queues import Queue  # noqa: E402
from syncs.remotes import NotFoundError  # noqa: E402
from syncs.remotes.payloads import catalog_product_payload  # noqa: E402
from syncs.sandbox.config import (  # noqa: E402
    DEFAULT_API_KEY,
    DEFAULT_CUSTOBAR_TOKEN,
    DEFAULT_TEAM_ID,
)
from syncs.services.products import product_set_stock  # noqa: E402
from syncs.services.push.pacing import pace_reset  # noqa: E402
from syncs.services.sync_state import sync_state_mark_changed  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import push_pace  # noqa: E402

CATALOG_ID = "bench-catalog-0001"
BATCH = 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)


class Sandbox:
    def __init__(self, latency_ms: int, *, record: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        recording = (
            ["--max-recorded", "20000"]
            if record
            else ["--no-record-bodies", "--max-recorded", "10"]
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "sandbox",
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
                *recording,
                "--quiet",
            ],
            cwd=ROOT,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._healthy, 30, "the sandbox")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/_sandbox/health", timeout=1).ok
        except requests.ConnectionError:
            return False

    def reset(self):
        requests.post(f"{self.url}/_sandbox/reset", timeout=10).raise_for_status()

    def configure(self, **changes):
        requests.post(f"{self.url}/_sandbox/config", json=changes, timeout=10).raise_for_status()

    def env(self) -> dict[str, str]:
        return {
            "CITRUSAD_BASE_URL": self.url,
            "CITRUSAD_API_KEY": DEFAULT_API_KEY,
            "CITRUSAD_TEAM_ID": DEFAULT_TEAM_ID,
            "CUSTOBAR_BASE_URL": self.url,
            "CUSTOBAR_API_TOKEN": DEFAULT_CUSTOBAR_TOKEN,
        }

    def inventory(self, gtin: str):
        """What the sandbox holds for the product, asked with the engine's own client."""
        for name, value in self.env().items():
            setattr(settings, name, value)
        try:
            result = destination_client("citrusad").get_catalog_product(
                catalog_id=CATALOG_ID, gtin=gtin
            )
        except NotFoundError:
            return None
        return result.items[0].get("inventory")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def start_workers(
    count: int,
    env: dict[str, str],
    log_dir: Path | None = None,
    *,
    queues: str = ",".join(Queue),
    name: str = "bench",
    beat: bool = False,
) -> list[subprocess.Popen]:
    log_dir = log_dir or Path(tempfile.gettempdir())
    workers, logs = [], []
    for index in range(count):
        log_path = log_dir / f"{name}{index}.log"
        log_path.unlink(missing_ok=True)
        logs.append(log_path)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "citrusadmin",
                "worker",
                "-Q",
                queues,
                "--concurrency",
                "1",
                "-n",
                f"{name}{index}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                *(["--beat", "--schedule", str(log_dir / f"{name}-beat")] if beat else []),
            ],
            cwd=ROOT,
            env={**os.environ, **env, "CONN_MAX_AGE": "600"},
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers.append(process)
    for log_path in logs:
        wait_until(lambda p=log_path: b" ready." in p.read_bytes(), 60, f"{log_path.name}", 0.1)
    return workers


def stop_workers(workers):
    for process in workers:
        process.terminate()
    for process in workers:
        process.wait(timeout=60)


def empty_queues():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*Queue, "unacked", "unacked_index")
    for key in client.scan_iter("citrusadmin:sync:*"):
        client.delete(key)
    pace_reset()


def fresh_products(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE syncs_syncbatch, syncs_syncstate, syncs_product, syncs_catalog "
            "RESTART IDENTITY CASCADE"
        )
    catalog = Catalog.objects.create(name="Bench", citrusad_id=CATALOG_ID, team_id=DEFAULT_TEAM_ID)
    products = Product.objects.bulk_create(
        [
            Product(
                catalog=catalog,
                gtin=f"{7000000000000 + n:014d}",
                inventory=10 + n % 50,
                price="4.99",
                name=f"Bench product {n}",
                filters=["category:Pantry"],
            )
            for n in range(count)
        ],
        batch_size=10000,
    )
    # As an import does after a large write: without fresh statistics PostgreSQL reads the
    # products of each claim with a full scan until autovacuum catches up.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE syncs_product")
    return [p.pk for p in products]


def engine_run(sandbox: Sandbox, *, workers: int, count: int) -> dict:
    sandbox.reset()
    empty_queues()
    ids = fresh_products(count)
    processes = start_workers(workers, sandbox.env(), Path(tempfile.gettempdir()))
    try:
        with transaction.atomic():
            sync_state_mark_changed(kind="product", object_ids=ids)
        started = time.monotonic()  # committed: N rows pending, a drain enqueued
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE syncs_syncstate")  # as an import does after a large write
        stock_out = stock_out_latency(sandbox, count=count)
        # Polled with a cheap index probe: counting 100,000 rows five times a second would take
        # a good share of the 2 cores away from the engine being measured.
        wait_until(
            lambda: not SyncState.objects.filter(status__in=["pending", "in_flight"]).exists(),
            3600,
            "all confirmed",
            interval=0.2,
        )
        elapsed = time.monotonic() - started
    finally:
        stop_workers(processes)
    confirmed = SyncState.objects.filter(status="confirmed").count()
    if confirmed != count:
        raise SystemExit(f"only {confirmed} of {count} products were confirmed")
    return {
        "items_per_s": round(count / elapsed),
        "seconds": round(elapsed, 2),
        "requests": SyncBatch.objects.count(),
        "stock_out_s": stock_out,
    }


def stock_out_latency(sandbox: Sandbox, *, count: int) -> float | None:
    """Seconds from product_set_stock(state="out") to the sandbox holding inventory 0."""
    # A product the bulk sync already delivered, while the sync is still far from done.
    wait_until(lambda: SyncState.objects.filter(status="confirmed").exists(), 600, "a first batch")
    target = Product.objects.get(pk=SyncState.objects.filter(status="confirmed").first().object_id)
    if SyncState.objects.filter(status="confirmed").count() > count * 0.8:
        return None  # the sync was nearly over: not a measurement "during a bulk sync"
    clicked = time.monotonic()
    product_set_stock(product=target, state="out", actor=None)
    wait_until(lambda: sandbox.inventory(target.gtin) == 0, 120, "the stock-out", 0.01)
    return round(time.monotonic() - clicked, 3)


def bare_reference(sandbox: Sandbox, *, threads: int, count: int) -> dict:
    """The same payloads posted by plain requests.Sessions: what the wire allows."""
    sandbox.reset()
    products = list(Product.objects.select_related("catalog").order_by("pk")[:count])
    payloads = [
        {"catalogProducts": [catalog_product_payload(p) for p in products[i : i + BATCH]]}
        for i in range(0, len(products), BATCH)
    ]
    bodies = [json.dumps(p, separators=(",", ":")).encode() for p in payloads]
    lock = threading.Lock()
    queue = list(range(len(bodies)))

    def post_all():
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Basic {DEFAULT_API_KEY}", "content-type": "application/json"}
        )
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            response = session.post(
                f"{sandbox.url}/v1/catalog-products",
                params={"teamId": DEFAULT_TEAM_ID},
                data=bodies[index],
                timeout=60,
            )
            response.raise_for_status()

    workers = [threading.Thread(target=post_all) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {"items_per_s": round(count / elapsed), "seconds": round(elapsed, 2)}


def main():
    # Ctrl-C or a kill runs the `finally` blocks, so no worker or sandbox outlives the bench.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100000)
    parser.add_argument("--latencies", default="0,50", help="Sandbox latencies in ms.")
    parser.add_argument("--workers", default="1,2", help="Worker process counts.")
    parser.add_argument("--scenario", default="wire", choices=["wire", "pace", "crash", "cost"])
    parser.add_argument("--customers", type=int, default=50000)
    parser.add_argument("--limit", type=int, default=180, help="Custobar requests a minute.")
    args = parser.parse_args()
    if not connection.vendor == "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it will be emptied).")
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        raise SystemExit("Set REDIS_URL (its queues will be emptied).")
    call_command("migrate", verbosity=0)
    if args.scenario != "wire":
        return other_scenario(args)
    results = []
    for latency in [int(x) for x in args.latencies.split(",")]:
        sandbox = Sandbox(latency)
        try:
            for workers in [int(x) for x in args.workers.split(",")]:
                engine = engine_run(sandbox, workers=workers, count=args.products)
                bare = bare_reference(sandbox, threads=workers, count=args.products)
                row = {
                    "latency_ms": latency,
                    "workers": workers,
                    "engine": engine,
                    "bare": bare,
                    "ratio": round(engine["items_per_s"] / bare["items_per_s"], 2),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            sandbox.stop()
    print("\nlatency  workers  engine items/s  bare items/s  ratio  stock-out s")
    for row in results:
        print(
            f"{row['latency_ms']:>5} ms  {row['workers']:>7}  {row['engine']['items_per_s']:>14}"
            f"  {row['bare']['items_per_s']:>12}  {row['ratio']:>5}  "
            f"{row['engine']['stock_out_s']}"
        )
    for latency in {row["latency_ms"] for row in results}:
        by_workers = {r["workers"]: r for r in results if r["latency_ms"] == latency}
        if 1 in by_workers and 2 in by_workers:
            scale = by_workers[2]["engine"]["items_per_s"] / by_workers[1]["engine"]["items_per_s"]
            print(f"{latency} ms: 2 workers = {scale:.2f} x 1 worker")


def other_scenario(args):
    print(f"load before: {os.getloadavg()}", flush=True)
    if args.scenario == "cost":
        print(json.dumps(push_pace.cost_run(items=args.products), indent=1), flush=True)
        return
    sandbox = Sandbox(0, record=True)
    try:
        if args.scenario == "pace":
            for workers in [int(x) for x in args.workers.split(",")]:
                empty_queues()
                row = push_pace.pace_run(
                    sandbox,
                    start_workers,
                    workers=workers,
                    customers=args.customers,
                    limit=args.limit,
                )
                print(json.dumps({**row, "load": os.getloadavg()}), flush=True)
        else:
            empty_queues()
            row = push_pace.crash_run(
                sandbox, start_workers, customers=args.customers, limit=args.limit
            )
            print(json.dumps({**row, "load": os.getloadavg()}), flush=True)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
