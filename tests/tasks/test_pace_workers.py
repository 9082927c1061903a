"""The destinations' pace with real worker processes and the sandbox enforcing the account's
limit over HTTP: one limit shared by every worker, and the manual lane while it is saturated.

Counts and order only: how fast is measured by bench/push.py.
"""

import re

import pytest

from syncs.destinations import destination_get
from syncs.models import Customer, Product, SyncState
from syncs.queues import Queue
from syncs.services.customers import customer_forget
from syncs.services.products import product_set_stock
from syncs.services.push.pacing import Pace
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CatalogFactory
from tests.worker_fixtures import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UPLOAD = "/api/customers/upload/"


def _customers(count):
    customers = Customer.objects.bulk_create(
        [Customer(external_id=f"PACE-{n:05d}", email=f"pace{n}@example.org") for n in range(count)]
    )
    sync_state_mark_changed(kind="customer", object_ids=[c.pk for c in customers])
    return customers


def _confirmed(destination, count):
    return lambda: (
        SyncState.objects.filter(destination=destination, status="confirmed").count() == count
    )


def _uploads(sandbox):
    return sandbox.received(UPLOAD, method="POST")


def test_two_workers_share_one_limit_for_the_account(celery_workers, sandbox):
    # Ten requests a second for the account, enforced by the sandbox; each worker on its own
    # at that pace would send twice as many and half would be refused.
    sandbox.configure(custobar_rpm=600, rate_limit_burst=4)
    env = {
        **sandbox.env(),
        "CUSTOBAR_RATE_LIMIT": "600/minute",
        "SYNC_BATCH_SIZE": "10",
        "CITRUSAD_BASE_URL": "",  # Custobar only: every request of this test is paced
    }
    workers = [celery_workers.start(env=env) for _ in range(2)]
    _customers(1200)

    wait_for(_confirmed("custobar", 1200), timeout=180, interval=0.5)

    statuses = [r.status for r in _uploads(sandbox)]
    assert statuses.count(200) == 120
    assert statuses.count(429) <= 2, statuses.count(429)
    for worker in workers:  # both pushed, through the one pace
        claimed = re.findall(r"drain custobar/customer: PushCounts\(claimed=(\d+)", worker.log())
        assert sum(int(n) for n in claimed) > 0, worker.name


def test_a_stock_out_and_a_forget_go_first_while_a_bulk_push_holds_the_limit(
    celery_workers, sandbox
):
    sandbox.configure(custobar_rpm=60, rate_limit_burst=3)
    env = {**sandbox.env(), "CUSTOBAR_RATE_LIMIT": "60/minute", "SYNC_BATCH_SIZE": "10"}
    # Bulk workers, and one that serves the priority queue (the README's deployment).
    for _ in range(2):
        celery_workers.start(env=env, queues=(Queue.SYNC,))
    celery_workers.start(env=env, queues=(Queue.PRIORITY,), concurrency=2)
    catalog = CatalogFactory()
    product = Product.objects.create(catalog=catalog, gtin="04000000000017", inventory=9)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    customers = _customers(600)
    custobar = Pace(destination_get("custobar"))
    # Saturated: Custobar requests are waiting for the account's pace.
    wait_for(lambda: custobar.status().waiting >= 1, timeout=60, interval=0.1)
    wait_for(
        lambda: SyncState.objects.filter(kind="product", status="confirmed").exists(), timeout=60
    )

    answered_before = len(_uploads(sandbox))
    forgotten = customers[-1]
    customer_forget(customer=Customer.objects.get(pk=forgotten.pk), actor=None)
    product_set_stock(product=product, state="out", actor=None)

    def forget_index():
        for index, request in enumerate(_uploads(sandbox)):
            if any(
                item.get("external_id") == forgotten.external_id and item.get("is_forgotten")
                for item in request.json["customers"]
            ):
                return index + 1
        return None

    index = wait_for(forget_index, timeout=60, interval=0.05)
    # At most the request already on the wire and one already given its slot went before it.
    assert index - answered_before <= 3, (answered_before, index)
    wait_for(
        lambda: sandbox.product(catalog.citrusad_id, product.gtin)["inventory"] == 0, timeout=30
    )
    # The bulk push was still holding the limit: most customers were still to go.
    left = SyncState.objects.filter(destination="custobar").exclude(status="confirmed").count()
    assert left > 300
    assert 429 not in [r.status for r in _uploads(sandbox)[: index + 1]]
