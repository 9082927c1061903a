"""Drains are enqueued only after commit, once per burst of changes, on the right queue.

These read the test Redis (REDIS_URL) directly: the messages are the real ones a worker gets.
"""

import base64
import json

import pytest
import redis
from django.conf import settings
from django.db import transaction

from syncs.models import SyncState
from syncs.queues import Queue
from syncs.services.dispatch import drain_flag_clear
from syncs.services.products import product_set_stock, product_update
from syncs.services.push import REQUESTS_PER_CLAIM
from syncs.services.sync_state import sync_state_mark_changed
from syncs.tasks import sync_drain, sync_sweep
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("These tests read the broker: set REDIS_URL=redis://…")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    _forget_messages(client)
    yield client
    _forget_messages(client)
    client.close()


def _forget_messages(client):
    client.delete(Queue.PRIORITY, Queue.SYNC)
    for key in client.scan_iter("citrusadmin:sync:*"):
        client.delete(key)


def _messages(client, queue):
    found = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], kwargs, message["headers"].get("eta")))
    return found


def test_nothing_is_enqueued_when_the_transaction_rolls_back(broker):
    product = ProductFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        product_set_stock(product=product, state="out", actor=None)
        raise RuntimeError("the request failed after the service call")

    assert _messages(broker, Queue.PRIORITY) == []
    assert _messages(broker, Queue.SYNC) == []
    assert not SyncState.objects.exists()
    product.refresh_from_db()
    assert product.inventory == 25


def test_a_manual_action_enqueues_a_priority_drain_after_commit(broker):
    product = ProductFactory()

    with transaction.atomic():
        product_set_stock(product=product, state="out", actor=None)
        assert _messages(broker, Queue.PRIORITY) == []  # not before the commit

    assert _messages(broker, Queue.PRIORITY) == [
        ("syncs.tasks.sync_drain_manual", {"destination": "citrusad", "kind": "product"}, None)
    ]
    assert _messages(broker, Queue.SYNC) == []


def test_an_import_style_marking_enqueues_a_bulk_drain_after_commit(broker):
    products = ProductFactory.create_batch(3)

    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])

    assert _messages(broker, Queue.SYNC) == [
        ("syncs.tasks.sync_drain", {"destination": "citrusad", "kind": "product"}, None)
    ]


def test_many_edits_enqueue_one_drain_until_it_starts(broker):
    product = ProductFactory()
    for inventory in range(1, 11):
        product_update(product=product, actor=None, data={"inventory": inventory})

    assert len(_messages(broker, Queue.SYNC)) == 1

    drain_flag_clear(destination="citrusad", kind="product")  # what a starting drain does
    product_update(product=product, actor=None, data={"inventory": 99})
    assert len(_messages(broker, Queue.SYNC)) == 2


def test_a_drain_that_hits_a_backoff_schedules_the_next_one_for_when_it_is_due(broker, sandbox):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sandbox.configure(throttle_next=1, retry_after=5)
    _forget_messages(broker)  # the drain the marking enqueued; this test runs it by hand

    sync_drain(destination="citrusad", kind="product")

    [(task, kwargs, eta)] = _messages(broker, Queue.SYNC)
    assert (task, kwargs) == (
        "syncs.tasks.sync_drain",
        {"destination": "citrusad", "kind": "product"},
    )
    assert eta is not None
    state = SyncState.objects.get()
    assert state.status == "pending" and state.attempts == 1


def test_a_full_first_batch_fans_out_to_one_more_drain(broker, sandbox, settings):
    settings.SYNC_BATCH_SIZE = 2
    # More than one claim's worth (a claim serves REQUESTS_PER_CLAIM requests).
    products = ProductFactory.create_batch(2 * REQUESTS_PER_CLAIM + 1)
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    _forget_messages(broker)

    sync_drain(destination="citrusad", kind="product")

    assert SyncState.objects.filter(status="confirmed").count() == len(products)
    assert [m[0] for m in _messages(broker, Queue.SYNC)] == ["syncs.tasks.sync_drain"]


def test_the_sweep_enqueues_drains_where_rows_are_due(broker, sandbox):
    products = ProductFactory.create_batch(2)
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    product_set_stock(product=products[0], state="out", actor=None)
    _forget_messages(broker)  # as if the messages were lost

    sync_sweep()

    assert [m[0] for m in _messages(broker, Queue.PRIORITY)] == ["syncs.tasks.sync_drain_manual"]
    assert [m[0] for m in _messages(broker, Queue.SYNC)] == ["syncs.tasks.sync_drain"]


def test_the_sweep_leaves_a_switched_off_destination_alone(broker, settings):
    settings.CITRUSAD_BASE_URL = ""
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    _forget_messages(broker)

    sync_sweep()

    assert _messages(broker, Queue.SYNC) == []
    assert SyncState.objects.get().status == "pending"
