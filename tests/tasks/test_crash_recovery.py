"""A worker that dies or is shut down, with real worker processes and the sandbox over HTTP:
the heartbeat keeps a slow drain's rows, a SIGKILLed drain's rows come back (what was on the
wire as an unknown outcome, pushed again; what was only claimed, pushed once), and a SIGTERM
lets the drain finish its request and hand the rest back before the worker exits.

Counts and states only; the time it takes is measured by bench/push.py.
"""

import os
import signal

import pytest

from syncs.models import BatchOutcome, Product, SyncBatch, SyncLease, SyncState
from syncs.services.push.leases import LOST_MESSAGE
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CatalogFactory
from tests.tasks.test_workers import _all_confirmed, _delivered_gtins
from tests.worker_fixtures import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PRODUCTS = "/v1/catalog-products"


def _products(count):
    catalog = CatalogFactory()
    products = Product.objects.bulk_create(
        [
            Product(catalog=catalog, gtin=f"{6000000000000 + n:014d}", inventory=3)
            for n in range(count)
        ]
    )
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    return products


def _on_the_wire():
    lease = SyncLease.objects.exclude(on_wire=[]).first()
    return lease if lease and SyncState.objects.filter(status="in_flight").exists() else None


def test_the_heartbeat_keeps_the_rows_of_a_drain_slower_than_its_lease(celery_workers, sandbox):
    # Each answer takes longer than a whole lease: without the heartbeat the sweep (running
    # here every 10 s) would hand the rows to someone else and they would go twice.
    sandbox.configure(latency_ms=5000)
    env = {**sandbox.env(), "SYNC_LEASE_SECONDS": "4", "SYNC_BATCH_SIZE": "20"}
    celery_workers.start(env=env, beat=True)
    celery_workers.start(env=env)
    products = _products(100)

    wait_for(_all_confirmed(100), timeout=240, interval=0.5)

    assert set(_delivered_gtins(sandbox).values()) == {1}
    assert len(_delivered_gtins(sandbox)) == len(products)
    assert not SyncBatch.objects.filter(outcome=BatchOutcome.UNKNOWN).exists()


def test_a_killed_drain_costs_seconds_and_pushes_twice_only_what_was_on_the_wire(
    celery_workers, sandbox
):
    sandbox.configure(latency_ms=1500)
    env = {**sandbox.env(), "SYNC_LEASE_SECONDS": "6", "SYNC_BATCH_SIZE": "20"}
    first = celery_workers.start(env=env)
    products = _products(200)
    lease = wait_for(_on_the_wire, timeout=60, interval=0.05)
    claimed = set(SyncState.objects.filter(status="in_flight").values_list("pk", flat=True))

    first.kill()  # SIGKILL, worker and pool child, with a request on the wire

    on_wire = {
        pk for request in SyncLease.objects.get(pk=lease.pk).on_wire for pk in request["rows"]
    }
    sandbox.configure(latency_ms=0)
    celery_workers.start(env=env, beat=True)
    wait_for(_all_confirmed(200), timeout=180, interval=0.5)

    lost = SyncBatch.objects.filter(outcome=BatchOutcome.UNKNOWN)
    assert lost.exists() and all(b.error.startswith(LOST_MESSAGE) for b in lost)
    lost_keys = {key for batch in lost for key in batch.keys}
    by_pk = {p.pk: p.gtin for p in products}
    on_wire_gtins = {by_pk[s.object_id] for s in SyncState.objects.filter(pk__in=on_wire)}
    assert lost_keys == on_wire_gtins
    delivered = _delivered_gtins(sandbox)
    assert set(delivered) == {p.gtin for p in products}
    twice = {gtin for gtin, n in delivered.items() if n > 1}
    assert twice <= on_wire_gtins  # no more pushed twice than was on the wire
    assert max(delivered.values()) <= 2
    # Claimed but never sent: pushed exactly once.
    never_sent = {by_pk[s.object_id] for s in SyncState.objects.filter(pk__in=claimed - on_wire)}
    assert never_sent and all(delivered[gtin] == 1 for gtin in never_sent)
    # The drain that confirmed the last rows removes its lease as it ends, just after.
    wait_for(
        lambda: not SyncLease.objects.exists(),
        timeout=30,
        message=lambda: f"leases left: {list(SyncLease.objects.values('pk', 'on_wire'))}",
    )


@pytest.mark.parametrize("to", ["process group", "main process"])
def test_sigterm_finishes_the_request_on_the_wire_and_hands_the_rest_back(
    celery_workers, sandbox, to
):
    # "process group": systemd's default, our fixtures; "main process": a container's stop.
    sandbox.configure(latency_ms=1500)
    env = {**sandbox.env(), "SYNC_BATCH_SIZE": "20"}
    worker = celery_workers.start(env=env)
    products = _products(200)
    wait_for(_on_the_wire, timeout=60, interval=0.05)

    if to == "process group":
        os.killpg(worker.pid, signal.SIGTERM)
    else:
        os.kill(worker.pid, signal.SIGTERM)
    worker.process.wait(timeout=60)

    # Before exiting it wrote every answer it got and handed back what it had not sent.
    assert not SyncState.objects.filter(status="in_flight").exists()
    assert not SyncLease.objects.exists()
    assert not SyncBatch.objects.filter(outcome=BatchOutcome.UNKNOWN).exists()
    answered = [r for r in sandbox.received(PRODUCTS, method="POST") if r.status == 200]
    assert SyncBatch.objects.filter(outcome=BatchOutcome.OK).count() == len(answered) >= 1
    assert SyncState.objects.filter(status="pending").exists()

    sandbox.configure(latency_ms=0)
    celery_workers.start(env=env, beat=True)
    wait_for(_all_confirmed(200), timeout=120, interval=0.5)
    delivered = _delivered_gtins(sandbox)
    assert set(delivered) == {p.gtin for p in products} and set(delivered.values()) == {1}
