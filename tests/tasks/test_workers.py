"""Real Celery worker subprocesses on the test database and Redis, pushing to the sandbox.

Each test commits rows, lets the workers push, and polls the database or the sandbox with a
deadline. Nothing here asserts timing: throughput and latency goals are in bench/push.py.
"""

import re
from collections import Counter

import pytest

from syncs.models import DeletionState, Destination, Product, SyncBatch, SyncState
from syncs.services.products import (
    product_bulk_set_stock,
    product_delete,
    product_set_stock,
    product_update,
)
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CatalogFactory
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

PRODUCTS = "/v1/catalog-products"


def _products(count, *, inventory=5):
    catalog = CatalogFactory()
    products = Product.objects.bulk_create(
        [
            Product(catalog=catalog, gtin=f"{5000000000000 + n:014d}", inventory=inventory)
            for n in range(count)
        ],
        batch_size=5000,
    )
    return products


def _mark(products):
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])


def _delivered_gtins(sandbox) -> Counter:
    """How many times each GTIN went out in a request the sandbox answered 200."""
    return Counter(
        item["gtin"]
        for request in sandbox.received(PRODUCTS, method="POST")
        if request.status == 200
        for item in request.json["catalogProducts"]
    )


def _all_confirmed(count):
    return lambda: SyncState.objects.filter(status="confirmed").count() == count


def _status_counts():
    counts = Counter(SyncState.objects.values_list("status", flat=True))
    return f"not all delivered: {dict(counts)}"


def test_an_edit_a_bulk_change_a_stock_out_and_a_delete_all_reach_the_sandbox(
    celery_workers, sandbox
):
    celery_workers.start(env=sandbox.env(), concurrency=2)
    products = _products(250)
    _mark(products)
    wait_for(_all_confirmed(250), timeout=60, message="the import never arrived")

    edited, stocked_out, deleted = products[0], products[1], products[2]
    product_update(product=edited, actor=None, data={"name": "Renamed"})
    product_set_stock(product=stocked_out, state="out", actor=None)
    product_delete(product=deleted, actor=None)
    result = product_bulk_set_stock(
        state="out", actor=None, product_ids=[p.pk for p in products[100:200]]
    )
    assert result.changed == 100

    catalog_id = edited.catalog.citrusad_id
    wait_for(
        lambda: not SyncState.objects.exclude(status="confirmed").exists(),
        timeout=60,
        message="the changes never arrived",
    )
    assert "name:Renamed" in sandbox.product(catalog_id, edited.gtin)["tags"]
    assert sandbox.product(catalog_id, stocked_out.gtin)["inventory"] == 0
    assert all(sandbox.product(catalog_id, p.gtin)["inventory"] == 0 for p in products[100:200])
    assert Product.objects.get(pk=deleted.pk).deletion_state == DeletionState.DELETED
    [delete] = sandbox.received(PRODUCTS, method="DELETE")
    assert delete.path.endswith(f"/{deleted.gtin}") and delete.status < 300
    # Every HTTP attempt is in the history.
    assert SyncBatch.objects.count() == len(sandbox.received())


def test_a_worker_killed_mid_batch_loses_nothing_and_confirms_nothing_unsent(
    celery_workers, sandbox
):
    sandbox.configure(latency_ms=1500)
    env = {**sandbox.env(), "SYNC_LEASE_SECONDS": "30"}
    first = celery_workers.start(env=env)
    products = _products(300)
    _mark(products)
    wait_for(
        lambda: SyncState.objects.filter(status="in_flight").exists(),
        timeout=30,
        message="the first worker never claimed a batch",
    )
    first.kill()  # SIGKILL, worker and pool child, while the sandbox is still answering

    sandbox.configure(latency_ms=0)
    celery_workers.start(env=env, beat=True)
    wait_for(_all_confirmed(300), timeout=180, message=_status_counts)

    delivered = _delivered_gtins(sandbox)
    assert {p.gtin for p in products} <= set(delivered)
    stored = sandbox.state()["catalogProducts"]
    assert len(stored) == 300


def test_with_faults_injected_5000_products_all_arrive_and_backoff_is_respected(
    celery_workers, sandbox
):
    sandbox.configure(fail_rate=0.2, rate429=0.1, retry_after=1, seed=7)
    celery_workers.start(env=sandbox.env(), concurrency=2)
    products = _products(5000)
    _mark(products)

    # Generous: a row that fails many times in a row waits out a long, jittered backoff.
    wait_for(_all_confirmed(5000), timeout=600, interval=0.5, message=_status_counts)

    requests = sandbox.received(PRODUCTS, method="POST")
    assert {r.status for r in requests} >= {200, 429, 500}
    assert set(_delivered_gtins(sandbox)) == {p.gtin for p in products}
    # After a 429 with Retry-After: 1, no item of that batch went out again within a second.
    last_throttled: dict[str, float] = {}
    for request in requests:
        gtins = [item["gtin"] for item in request.json["catalogProducts"]]
        for gtin in gtins:
            if gtin in last_throttled:
                assert request.at - last_throttled[gtin] >= 0.95, gtin
        if request.status == 429:
            last_throttled.update(dict.fromkeys(gtins, request.at))
        else:
            for gtin in gtins:
                last_throttled.pop(gtin, None)
    assert SyncBatch.objects.filter(outcome="transient").count() == sum(
        r.status != 200 for r in requests
    )


def test_two_workers_draining_20000_products_push_each_exactly_once(celery_workers, sandbox):
    sandbox.configure(latency_ms=5)
    workers = [celery_workers.start(env=sandbox.env()) for _ in range(2)]
    products = _products(20000)
    _mark(products)

    wait_for(_all_confirmed(20000), timeout=600, interval=0.5, message=_status_counts)

    delivered = _delivered_gtins(sandbox)
    assert len(delivered) == 20000
    assert set(delivered.values()) == {1}  # never two pushes of one item, at once or not
    # Both workers took part (each logs what its drains claimed).
    for worker in workers:
        claimed = [
            int(n)
            for n in re.findall(r"drain citrusad/product: PushCounts\(claimed=(\d+)", worker.log())
        ]
        assert sum(claimed) > 0, worker.name


def test_401_pauses_the_destination_and_once_resumed_everything_pending_flows(
    celery_workers, sandbox
):
    env = {**sandbox.env(), "CITRUSAD_API_KEY": "revoked-key"}
    worker = celery_workers.start(env=env)
    products = _products(30)
    product_bulk_set_stock(state="out", actor=None, product_ids=[p.pk for p in products])
    wait_for(
        lambda: Destination.objects.filter(name="citrusad", paused=True).exists(),
        timeout=30,
        message="the 401 did not pause CitrusAd",
    )
    more = _products(20)
    _mark(more)  # pending while paused: nothing may be sent
    worker.stop()
    assert SyncState.objects.filter(status="pending").count() == 50
    assert [r.status for r in sandbox.received(PRODUCTS)] == [401]

    # The credentials are fixed and the workers restarted: the destination resumes by itself
    # (an admin's destination_resume does the same; tested in tests/engine/test_push.py).
    celery_workers.start(env=sandbox.env())

    wait_for(_all_confirmed(50), timeout=60, message=_status_counts)
    assert not Destination.objects.get(name="citrusad").paused
    assert "revoked-key" not in " ".join(
        f"{b.error} {b.response_body}" for b in SyncBatch.objects.all()
    )
