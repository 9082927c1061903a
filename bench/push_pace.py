"""The pace, crash and cost scenarios of bench/push.py (see its docstring for how to run them).

- `pace_run`: the sandbox limits the Custobar account to `limit` requests a minute (429 with
  Retry-After above it); N bulk workers (`-Q sync`) and one priority worker push `customers`
  Custobar customers. Counted from the sandbox's own record: requests, 429s (all, and after the
  first minute), throughput after the first minute against the limit. A minute in, a stock-out
  (CitrusAd, no limit) and a Custobar forget are timed from the service call to the sandbox.
- `crash_run`: the same push with two bulk workers and a priority worker running beat; the
  worker whose drain has a request on the wire is SIGKILLed (worker and pool process). Reports
  the longest gap between two deliveries, the items delivered twice, the items that were on the
  wire (the unknown-outcome records the reap wrote), and that every row was confirmed.
- `cost_run`: in one process, no HTTP: the database work of the engine per 100 items, step by
  step (claim, read, record, confirm), with statement counts and HOT updates.
"""

import os
import signal
import time
from collections import Counter
from pathlib import Path

import requests
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncs.destinations import destination_get
from syncs.models import Catalog, Customer, Product, SyncBatch, SyncLease, SyncState
from syncs.queues import Queue
from syncs.services.customers import customer_forget
from syncs.services.dispatch import drain_enqueue
from syncs.services.products import product_set_stock
from syncs.services.push.claims import claim_take
from syncs.services.push.leases import lease_end, lease_on_wire, lease_take
from syncs.services.push.payloads import claim_build
from syncs.services.sync_state import sync_state_confirm, sync_state_mark_changed

UPLOAD = "/api/customers/upload/"
PRODUCTS = "/v1/catalog-products"


def fresh_customers(count: int) -> list[int]:
    """`count` customers pending for Custobar only (the paced destination), nothing else."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE syncs_syncbatch, syncs_syncstate, syncs_synclease, syncs_customer, "
            "syncs_product, syncs_catalog RESTART IDENTITY CASCADE"
        )
    customers = Customer.objects.bulk_create(
        [
            Customer(external_id=f"BENCH-{n:07d}", email=f"bench{n}@example.org", first_name="B")
            for n in range(count)
        ],
        batch_size=10000,
    )
    now = timezone.now()
    SyncState.objects.bulk_create(
        [
            SyncState(
                destination="custobar",
                kind="customer",
                object_id=c.pk,
                wanted_version=c.version,
                changed_at=now,
            )
            for c in customers
        ],
        batch_size=10000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE syncs_customer")
        cursor.execute("ANALYZE syncs_syncstate")
    return [c.pk for c in customers]


def _recorded(sandbox, path: str, *, since: int = 0, bodies: bool = False) -> list[dict]:
    response = requests.get(
        f"{sandbox.url}/_sandbox/requests",
        params={"path_prefix": path, "since": since, "bodies": "1" if bodies else "0"},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["requests"]


def _last_index(sandbox) -> int:
    response = requests.get(f"{sandbox.url}/_sandbox/requests?path_prefix=/none", timeout=10)
    return response.json()["last_index"]


def _poll(condition, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit("timed out")


def _custobar_left() -> bool:
    return SyncState.objects.filter(
        destination="custobar", status__in=["pending", "in_flight"]
    ).exists()


def manual_latencies(sandbox, *, product: Product, customer_id: int) -> dict:
    """Seconds from the service call to the sandbox: a stock-out (CitrusAd) and a forget."""
    since = _last_index(sandbox)
    customer = Customer.objects.get(pk=customer_id)
    clicked = time.monotonic()
    customer_forget(customer=customer, actor=None)

    def forgotten():
        for request in _recorded(sandbox, UPLOAD, since=since, bodies=True):
            for item in request["json"]["customers"]:
                if item.get("external_id") == customer.external_id and item.get("is_forgotten"):
                    return request["status"] == 200
        return None

    _poll(forgotten, 60)
    forget = time.monotonic() - clicked
    clicked = time.monotonic()
    product_set_stock(product=product, state="out", actor=None)

    def stocked_out():
        for request in _recorded(sandbox, PRODUCTS, since=since, bodies=True):
            for item in request["json"]["catalogProducts"]:
                if item["gtin"] == product.gtin and item["inventory"] == 0:
                    return request["status"] == 200
        return None

    _poll(stocked_out, 60)
    return {"forget_s": round(forget, 3), "stock_out_s": round(time.monotonic() - clicked, 3)}


def _a_product(sandbox_env_catalog: str) -> Product:
    catalog = Catalog.objects.create(name="Pace bench", citrusad_id=sandbox_env_catalog)
    product = Product.objects.create(catalog=catalog, gtin="07000000000019", inventory=9)
    with transaction.atomic():
        sync_state_mark_changed(kind="product", object_ids=[product.pk])
    return product


def pace_run(sandbox, start_workers, *, workers: int, customers: int, limit: int) -> dict:
    sandbox.reset()
    sandbox.configure(custobar_rpm=limit)
    ids = fresh_customers(customers)
    env = {**sandbox.env(), "CUSTOBAR_RATE_LIMIT": f"{limit}/minute"}
    processes = start_workers(workers, env, queues=Queue.SYNC)
    processes += start_workers(1, env, queues=Queue.PRIORITY, name="priority")
    try:
        product = _a_product("bench-catalog-0001")
        _poll(lambda: SyncState.objects.filter(kind="product", status="confirmed").exists(), 60)
        started = time.monotonic()
        drain_enqueue(destination="custobar", kind="customer")
        time.sleep(60)  # past the first minute, the push holding the limit
        manual = manual_latencies(sandbox, product=product, customer_id=ids[-1])
        _poll(lambda: not _custobar_left(), 3600, interval=1.0)
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    confirmed = SyncState.objects.filter(destination="custobar", status="confirmed").count()
    return {
        "workers": workers,
        "limit_per_min": limit,
        "customers": customers,
        "confirmed": confirmed,
        "seconds": round(elapsed, 1),
        **_pace_figures(_recorded(sandbox, UPLOAD), limit),
        **manual,
    }


def _pace_figures(recorded: list[dict], limit: int) -> dict:
    first = min(r["at"] for r in recorded)
    last = max(r["at"] for r in recorded)
    later = [r for r in recorded if r["at"] >= first + 60]
    ok_later = [r for r in later if r["status"] == 200]
    window = max(last - (first + 60), 1e-9)
    per_minute = len(ok_later) / window * 60 if later else 0.0
    return {
        "requests": len(recorded),
        "throttled": sum(r["status"] == 429 for r in recorded),
        "requests_after_1min": len(later),
        "throttled_after_1min": sum(r["status"] == 429 for r in later),
        "share_429_after_1min": round(
            sum(r["status"] == 429 for r in later) / max(len(later), 1), 4
        ),
        "ok_per_min_after_1min": round(per_minute, 1),
        "of_limit": round(per_minute / limit, 3),
    }


def crash_run(sandbox, start_workers, *, customers: int, limit: int) -> dict:
    sandbox.reset()
    # 300 ms per answer: at 180 a minute a request is on the wire most of the time, so the kill
    # lands on one (as it would on a real remote).
    sandbox.configure(custobar_rpm=limit, latency_ms=300)
    fresh_customers(customers)
    env = {**sandbox.env(), "CUSTOBAR_RATE_LIMIT": f"{limit}/minute"}
    bulk = start_workers(2, env, queues=Queue.SYNC)
    priority = start_workers(1, env, queues=Queue.PRIORITY, name="priority", beat=True)
    killed_at = None
    victim, in_flight = None, 0
    try:
        started = time.monotonic()
        drain_enqueue(destination="custobar", kind="customer")
        time.sleep(20)
        victim = _poll(lambda: _worker_on_the_wire(bulk), 60, interval=0.01)
        in_flight = SyncState.objects.filter(destination="custobar", status="in_flight").count()
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        killed_at = time.time()
        _poll(lambda: not _custobar_left(), 3600, interval=1.0)
        elapsed = time.monotonic() - started
    finally:
        for process in bulk + priority:
            if process.poll() is None:
                process.terminate()
        for process in bulk + priority:
            process.wait(timeout=60)
    recorded = _recorded(sandbox, UPLOAD, bodies=True)
    delivered = Counter(
        item["external_id"]
        for r in recorded
        if r["status"] == 200
        for item in r["json"]["customers"]
    )
    ok_times = sorted(r["at"] for r in recorded if r["status"] == 200)
    gaps = [b - a for a, b in zip(ok_times, ok_times[1:], strict=False)]
    after_kill = [b - a for a, b in zip(ok_times, ok_times[1:], strict=False) if b >= killed_at]
    lost = SyncBatch.objects.filter(destination="custobar", outcome="unknown")
    return {
        "customers": customers,
        "killed_worker_pid": victim.pid,
        "rows_in_flight_at_kill": in_flight,
        "confirmed": SyncState.objects.filter(destination="custobar", status="confirmed").count(),
        "seconds": round(elapsed, 1),
        "longest_gap_s": round(max(gaps), 2),
        "gap_at_kill_s": round(max(after_kill[:3] or [0.0]), 2),
        "items_on_the_wire": sum(b.item_count for b in lost),
        "unknown_records": lost.count(),
        "items_delivered_twice": sum(1 for n in delivered.values() if n > 1),
        "items_never_delivered": customers - len(delivered),
    }


def _worker_on_the_wire(processes):
    """The worker whose drain has just put a request on the wire: its lease's note changed
    (written right before each request goes; the answer takes 300 ms)."""
    seen = {lease.pk: lease.on_wire for lease in SyncLease.objects.all()}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for lease in SyncLease.objects.exclude(on_wire=[]):
            if lease.pk in seen and lease.on_wire != seen[lease.pk]:
                return _worker_of(processes, lease)
            seen.setdefault(lease.pk, lease.on_wire)
        time.sleep(0.005)
    return None


def _worker_of(processes, lease):
    """The worker process whose pool process holds `lease`."""
    pid = int(lease.holder.rsplit(":", 1)[1])
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    parent = int(stat.split(")")[1].split()[1])
    return next((p for p in processes if p.pid == parent), None)


def cost_run(*, items: int) -> dict:
    """The engine's database work per 100 items, by step, for Custobar customers (the partial
    updates: a snapshot per row) and CitrusAd products, without HTTP."""
    results = {}
    for destination, kind in (("custobar", "customer"), ("citrusad", "product")):
        if kind == "customer":
            fresh_customers(items)
        else:
            _fresh_products(items)
        results[f"{destination}/{kind}"] = _cost_of(destination_get(destination), kind, items)
    return results


def _fresh_products(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE syncs_syncbatch, syncs_syncstate, syncs_synclease, syncs_product, "
            "syncs_catalog RESTART IDENTITY CASCADE"
        )
    catalog = Catalog.objects.create(name="Cost", citrusad_id="cost-catalog")
    products = Product.objects.bulk_create(
        [
            Product(catalog=catalog, gtin=f"{7100000000000 + n:014d}", inventory=5, price="1.00")
            for n in range(count)
        ],
        batch_size=10000,
    )
    with transaction.atomic():
        sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE syncs_product")
        cursor.execute("ANALYZE syncs_syncstate")


def _hot() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
            "WHERE relname = 'syncs_syncstate'"
        )
        return cursor.fetchone()


def _cost_of(destination, kind: str, items: int) -> dict:
    timings = Counter()
    statements = Counter()
    lease = lease_take(destination=destination.name, kind=kind)
    hot_before = _hot()
    done = 0

    def timed(step, function):
        connection.queries_log.clear()  # a full log (9,000) would make the counts wrong
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            value = function()
            timings[step] += time.perf_counter() - started
        statements[step] += len(queries.captured_queries)
        return value

    while done < items:
        claim = timed(
            "claim",
            lambda: claim_take(
                destination=destination, kind=kind, lease=lease.pk, limit=500, manual_only=False
            ),
        )
        if not claim.states:
            break
        requests_, _ = timed("read and build", lambda c=claim: claim_build(c))
        for request in requests_:
            timed(
                "note on the lease",
                lambda r=request: lease_on_wire(
                    lease_id=lease.pk, requests=[{"rows": [i.state.pk for i in r.items]}]
                ),
            )
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                batch = timed(
                    "record",
                    lambda r=request: SyncBatch.objects.create(
                        destination=destination.name,
                        kind=kind,
                        endpoint="/bench",
                        item_count=len(r.items),
                        keys=[i.key for i in r.items],
                        outcome="ok",
                    ),
                )
                timed(
                    "confirm",
                    lambda r=request, b=batch: sync_state_confirm(
                        lease=lease.pk,
                        sent={r.items[0].version: [i.state.pk for i in r.items]},
                        batch=b,
                        snapshots={
                            i.state.pk: i.snapshot for i in r.items if i.snapshot is not None
                        },
                    ),
                )
            finally:
                # The commit of the record and the confirmation, timed on its own.
                started = time.perf_counter()
                atomic.__exit__(None, None, None)
                timings["commit (record + confirm)"] += time.perf_counter() - started
            done += len(request.items)
    lease_end(lease_id=lease.pk)
    time.sleep(1)  # the statistics collector
    hot_after = _hot()
    per_100 = {step: round(seconds / done * 100 * 1000, 2) for step, seconds in timings.items()}
    return {
        "items": done,
        "ms_per_100_items": per_100,
        "ms_per_100_total": round(sum(per_100.values()), 2),
        "statements_per_100": {s: round(n / done * 100, 1) for s, n in statements.items()},
        "syncstate_updates": hot_after[0] - hot_before[0],
        "syncstate_hot_updates": hot_after[1] - hot_before[1],
    }
