"""The push engine in-process against the sandbox over real HTTP, on the real database."""

import itertools
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncs.destinations import destination_get
from syncs.models import (
    BatchOutcome,
    BatchTrigger,
    DeletionState,
    Destination,
    Priority,
    Product,
    SyncBatch,
    SyncLease,
    SyncState,
)
from syncs.services.products import product_delete, product_set_stock, product_update
from syncs.services.push import (
    REQUESTS_PER_CLAIM,
    batch_claim,
    batch_push,
    destination_resume,
    sync_lease_reap,
    sync_run,
)
from syncs.services.push.pacing import Pace, pace_reset
from syncs.services.sync_state import (
    BACKOFF_BASE_SECONDS,
    backoff_delay,
    sync_state_confirm,
    sync_state_fail,
    sync_state_mark_changed,
)
from tests.factories import CatalogFactory, ProductFactory
from tests.worker_fixtures import wait_for

PRODUCTS = "/v1/catalog-products"


def _products(count, **kwargs):
    catalog = kwargs.pop("catalog", None) or CatalogFactory()
    products = Product.objects.bulk_create(
        [
            Product(catalog=catalog, gtin=f"{4000000000000 + n:014d}", inventory=5, **kwargs)
            for n in range(count)
        ]
    )
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    return products


def _sent_items(sandbox):
    return [
        item
        for request in sandbox.received(PRODUCTS, method="POST")
        if request.status == 200
        for item in request.json["catalogProducts"]
    ]


def _push_and_close():
    from django.db import connection

    try:
        batch_push(destination="citrusad", kind="product")
    finally:
        connection.close()  # a thread's connection would keep the test database open


@pytest.mark.django_db
def test_a_pending_product_is_sent_and_confirmed_at_its_version(sandbox):
    product = ProductFactory(inventory=7)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])

    counts = batch_push(destination="citrusad", kind="product")

    assert (counts.claimed, counts.delivered, counts.requests) == (1, 1, 1)
    state = SyncState.objects.get()
    assert (state.status, state.sent_version, state.confirmed_version) == ("confirmed", 1, 1)
    assert state.confirmed_at is not None and not SyncLease.objects.exists()
    stored = sandbox.product(product.catalog.citrusad_id, product.gtin)
    assert stored["inventory"] == 7
    batch = SyncBatch.objects.get()
    assert (batch.outcome, batch.status_code, batch.item_count) == ("ok", 200, 1)
    assert batch.keys == [product.gtin] and batch.endpoint == PRODUCTS
    assert state.last_batch == batch


@pytest.mark.django_db
def test_ten_edits_before_a_push_send_one_item_with_the_last_value(sandbox):
    product = ProductFactory()
    for cents in range(10):
        product_update(product=product, actor=None, data={"price": Decimal(f"1.{cents}0")})

    sync_run()

    items = _sent_items(sandbox)
    assert len(items) == 1
    assert items[0]["price"] == "1.90"
    assert SyncState.objects.get().confirmed_version == 11


@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_while_the_batch_is_in_flight_is_pushed_again(sandbox):
    product = ProductFactory(inventory=5)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sandbox.configure(latency_ms=800)
    pusher = threading.Thread(target=_push_and_close)
    pusher.start()
    wait_for(
        lambda: SyncState.objects.filter(status="in_flight").exists(),
        timeout=10,
        message="the row was never claimed",
    )
    product_update(product=product, actor=None, data={"inventory": 9})
    pusher.join(timeout=30)

    state = SyncState.objects.get()
    assert (state.status, state.confirmed_version, state.wanted_version) == ("pending", 1, 2)
    assert _sent_items(sandbox)[-1]["inventory"] == 5

    sandbox.configure(latency_ms=0)
    sync_run()
    state.refresh_from_db()
    assert (state.status, state.confirmed_version) == ("confirmed", 2)
    assert _sent_items(sandbox)[-1]["inventory"] == 9


@pytest.mark.django_db
def test_batches_hold_at_most_the_batch_size_and_manual_rows_go_first(sandbox, settings):
    settings.SYNC_BATCH_SIZE = 40
    bulk = _products(300)
    manual = ProductFactory()
    product_set_stock(product=manual, state="out", actor=None)

    first = batch_push(destination="citrusad", kind="product")

    # One claim serves several requests, each recorded on its own.
    assert (first.claimed, first.requests) == (40 * REQUESTS_PER_CLAIM, REQUESTS_PER_CLAIM)
    first_request = sandbox.received(PRODUCTS)[0].json["catalogProducts"]
    assert first_request[0]["gtin"] == manual.gtin
    triggers = list(SyncBatch.objects.order_by("id").values_list("trigger", flat=True))
    assert triggers == [BatchTrigger.MANUAL] + [BatchTrigger.BULK] * (REQUESTS_PER_CLAIM - 1)
    sync_run()
    sizes = [len(r.json["catalogProducts"]) for r in sandbox.received(PRODUCTS)]
    assert sizes == [40] * 7 + [21]
    assert SyncState.objects.filter(status="confirmed").count() == len(bulk) + 1


@pytest.mark.django_db
def test_the_push_runs_a_few_queries_per_request_not_per_row(sandbox, settings):
    settings.SYNC_BATCH_SIZE = 50
    _products(50 * REQUESTS_PER_CLAIM)

    with CaptureQueriesContext(connection) as queries:
        counts = batch_push(destination="citrusad", kind="product")

    assert (counts.claimed, counts.requests) == (50 * REQUESTS_PER_CLAIM, REQUESTS_PER_CLAIM)
    # The pause check, the reap probe, the lease, the claim, the read (products, then their
    # catalogs); per request the note of what goes on the wire (with its commit not waiting
    # for the disk), then its record and confirmation in one transaction; at the end the
    # hand-back and the lease's removal. A field the read left out would show up here as one
    # query per row.
    transaction_control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [
        q["sql"] for q in queries.captured_queries if not q["sql"].startswith(transaction_control)
    ]
    assert len(statements) == 8 + 4 * REQUESTS_PER_CLAIM, "\n".join(s[:90] for s in statements)
    assert SyncState.objects.filter(status="confirmed").count() == 50 * REQUESTS_PER_CLAIM


@pytest.mark.django_db
def test_the_pipeline_keeps_one_request_on_the_wire_and_records_every_one(sandbox, settings):
    settings.SYNC_BATCH_SIZE = 5
    products = _products(20)
    sandbox.configure(latency_ms=150)

    counts = batch_push(destination="citrusad", kind="product")

    assert (counts.delivered, counts.requests) == (20, 4)
    # The sandbox notes each request once its latency is spent: one at a time means 150 ms
    # or more between them; two on the wire at once would finish together.
    finished = [request.at for request in sandbox.received(PRODUCTS)]
    assert len(finished) == 4
    assert all(later - earlier >= 0.14 for earlier, later in itertools.pairwise(finished))
    recorded = SyncBatch.objects.order_by("id").values_list("keys", flat=True)
    assert [key for keys in recorded for key in keys] == [p.gtin for p in products]


@pytest.mark.django_db
def test_a_401_stops_the_pipeline_before_the_next_request(sandbox, settings):
    settings.SYNC_BATCH_SIZE = 2
    _products(10)
    settings.CITRUSAD_API_KEY = "not-the-key"

    counts = batch_push(destination="citrusad", kind="product")

    assert len(sandbox.received(PRODUCTS)) == 1
    assert (counts.requests, counts.released, counts.paused) == (1, 10, True)
    assert SyncState.objects.filter(status="pending", attempts=0).count() == 10


@pytest.mark.django_db
def test_one_rejected_product_in_a_batch_of_100_is_isolated_by_splitting(sandbox):
    products = _products(100)
    bad = products[37]
    sandbox.configure(reject_gtins=[bad.gtin])

    sync_run()

    states = {s.object_id: s for s in SyncState.objects.all()}
    assert sum(s.status == "confirmed" for s in states.values()) == 99
    failed = states[bad.pk]
    assert failed.status == "failed"
    assert f"gtin {bad.gtin} was rejected" in failed.last_error
    delivered = {item["gtin"] for item in _sent_items(sandbox)}
    assert delivered == {p.gtin for p in products} - {bad.gtin}
    # Every HTTP attempt is history: the first batch, then the halves down to the one item.
    root = SyncBatch.objects.get(parent=None)
    assert (root.outcome, root.item_count, root.trigger) == ("rejected", 100, "bulk")
    steps = SyncBatch.objects.exclude(pk=root.pk)
    assert all(step.trigger == BatchTrigger.SPLIT for step in steps)
    assert steps.filter(outcome="rejected", item_count=1).get().keys == [bad.gtin]
    assert steps.count() == len(sandbox.received(PRODUCTS)) - 1
    assert failed.last_batch.keys == [bad.gtin]


@pytest.mark.django_db
def test_a_429_backs_off_for_at_least_retry_after_and_is_retried_when_due(sandbox):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sandbox.configure(throttle_next=1, retry_after=120)
    before = timezone.now()

    counts = batch_push(destination="citrusad", kind="product")

    assert counts.retrying == 1
    state = SyncState.objects.get()
    assert state.status == "pending" and state.attempts == 1
    assert state.next_attempt_at >= before + timedelta(seconds=120)
    assert state.first_failure_at is not None and "429" in state.last_error
    assert SyncBatch.objects.get().outcome == BatchOutcome.TRANSIENT
    # The whole destination is held for the Retry-After, and its pace is cut.
    pace = Pace(destination_get("citrusad")).status()
    assert pace.held_for > 100 and pace.current is not None and pace.slowed
    # Not due yet: nothing is claimed.
    assert batch_push(destination="citrusad", kind="product").claimed == 0
    SyncState.objects.update(next_attempt_at=timezone.now())
    pace_reset()  # as if the two minutes had passed
    assert batch_push(destination="citrusad", kind="product").delivered == 1
    state.refresh_from_db()
    assert (state.status, state.attempts, state.first_failure_at) == ("confirmed", 0, None)


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    for attempts in range(1, 6):
        delays = [backoff_delay(attempts=attempts) for _ in range(200)]
        assert all(0 <= d <= BACKOFF_BASE_SECONDS * 2**attempts for d in delays)
        assert max(delays) > min(delays)
    assert all(backoff_delay(attempts=1, retry_after=30) >= 30 for _ in range(50))


@pytest.mark.django_db
def test_a_row_failing_past_the_retry_window_is_failed(sandbox, settings):
    settings.SYNC_RETRY_WINDOW = 3600
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(first_failure_at=timezone.now() - timedelta(hours=2), attempts=9)
    sandbox.configure(fail_next=1)

    counts = batch_push(destination="citrusad", kind="product")

    assert counts.failed == 1
    state = SyncState.objects.get()
    assert (state.status, state.attempts, state.next_attempt_at) == ("failed", 10, None)
    assert "500" in state.last_error


@pytest.mark.django_db
def test_401_pauses_the_destination_and_resume_lets_everything_flow(sandbox, settings):
    _products(5)
    good_key = settings.CITRUSAD_API_KEY
    settings.CITRUSAD_API_KEY = "not-the-key"

    counts = batch_push(destination="citrusad", kind="product")

    assert counts.paused and counts.released == 5
    destination = Destination.objects.get(name="citrusad")
    assert destination.paused and "credentials" in destination.paused_reason
    assert "not-the-key" not in destination.paused_reason
    assert SyncState.objects.filter(status="pending", attempts=0).count() == 5
    batch = SyncBatch.objects.get()
    assert batch.outcome == BatchOutcome.UNAUTHORISED and batch.status_code == 401
    assert "not-the-key" not in f"{batch.error} {batch.response_body} {batch.request_body}"
    # While paused nothing is sent, whatever is pending.
    sync_run()
    assert len(sandbox.received(PRODUCTS)) == 1

    destination_resume(destination="citrusad", actor=None)
    settings.CITRUSAD_API_KEY = good_key
    sync_run()
    assert SyncState.objects.filter(status="confirmed").count() == 5


@pytest.mark.django_db
def test_a_stock_out_sends_inventory_0_and_a_restore_puts_it_back(sandbox):
    product = ProductFactory(inventory=12)
    product_set_stock(product=product, state="out", actor=None)
    sync_run()
    assert sandbox.product(product.catalog.citrusad_id, product.gtin)["inventory"] == 0

    product_set_stock(product=product, state="in", actor=None)
    sync_run()
    assert sandbox.product(product.catalog.citrusad_id, product.gtin)["inventory"] == 12
    assert [i["inventory"] for i in _sent_items(sandbox)] == [0, 12]


@pytest.mark.django_db
def test_a_deletion_is_one_delete_with_the_seller_id_then_deleted(sandbox):
    product = ProductFactory(seller_id="seller-9")
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sync_run()
    product_delete(product=product, actor=None)
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.REQUESTED

    sync_run()

    deletes = sandbox.received(PRODUCTS, method="DELETE")
    assert len(deletes) == 1
    assert deletes[0].path == f"{PRODUCTS}/{product.catalog.citrusad_id}/{product.gtin}"
    assert deletes[0].query == {"sellerId": "seller-9"}
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.DELETED
    assert SyncState.objects.get().status == "confirmed"
    assert SyncBatch.objects.filter(method="DELETE", outcome="ok").count() == 1


@pytest.mark.django_db
def test_deleting_a_product_the_remote_does_not_have_counts_as_gone(sandbox):
    product = ProductFactory()
    product_delete(product=product, actor=None)

    sync_run()

    assert sandbox.received(PRODUCTS, method="DELETE")[0].status == 404
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.DELETED
    assert SyncState.objects.get().status == "confirmed"
    assert SyncBatch.objects.get().outcome == BatchOutcome.NOT_FOUND


@pytest.mark.django_db
def test_products_of_a_catalog_without_an_id_wait(sandbox):
    catalog = CatalogFactory(citrusad_id="")
    product = ProductFactory(catalog=catalog)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])

    assert batch_push(destination="citrusad", kind="product").claimed == 0
    assert sandbox.received() == []
    assert SyncState.objects.get().status == "pending"


@pytest.mark.django_db
def test_an_expired_lease_is_claimable_again_and_the_old_claim_changes_nothing(settings):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    stale = batch_claim(destination="citrusad", kind="product")
    assert len(stale.states) == 1
    assert batch_claim(destination="citrusad", kind="product").states == []

    SyncLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert sync_lease_reap() == 1
    fresh = batch_claim(destination="citrusad", kind="product")
    assert [s.pk for s in fresh.states] == [s.pk for s in stale.states]
    assert fresh.lease != stale.lease

    # Every write is guarded by the lease: the old drain's writes match no row any more.
    batch = SyncBatch.objects.create(destination="citrusad", kind="product", outcome="ok")
    sync_state_confirm(lease=stale.lease, sent={1: [stale.states[0].pk]}, batch=batch, snapshots={})
    assert (
        sync_state_fail(lease=stale.lease, pks=[stale.states[0].pk], message="x", batch=None) == 0
    )
    state = SyncState.objects.get()
    assert (state.status, state.lease_id) == ("in_flight", fresh.lease)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_take_disjoint_rows():
    from django.db import connection

    _products(300)
    claimed: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claim_all():
        try:
            while True:
                claim = batch_claim(destination="citrusad", kind="product", limit=25)
                if not claim.states:
                    return
                with lock:
                    claimed.append([s.pk for s in claim.states])
        except BaseException as exc:  # reported below: a dead thread must fail the test
            errors.append(exc)
        finally:
            connection.close()

    # SKIP LOCKED is PostgreSQL's; SQLite serialises writers, and its in-memory test database
    # reports a lock instead of waiting, so there the claims run one after another.
    threads = [
        threading.Thread(target=claim_all)
        for _ in range(4 if connection.vendor == "postgresql" else 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == 300


@pytest.mark.django_db
def test_manual_only_drains_leave_bulk_rows_for_the_bulk_queue(sandbox):
    _products(3)
    manual = ProductFactory()
    product_set_stock(product=manual, state="out", actor=None)

    counts = batch_push(destination="citrusad", kind="product", manual_only=True)

    assert counts.delivered == 1
    assert SyncState.objects.filter(status="pending", priority=Priority.BULK).count() == 3
    confirmed = SyncState.objects.get(object_id=manual.pk)
    assert (confirmed.status, confirmed.priority) == ("confirmed", Priority.BULK)


@pytest.mark.django_db
def test_a_paused_destination_resumes_by_itself_once_its_credentials_change(sandbox, settings):
    _products(3)
    good_key = settings.CITRUSAD_API_KEY
    settings.CITRUSAD_API_KEY = "refused-key"
    assert batch_push(destination="citrusad", kind="product").paused

    # Same refused credentials: still paused, nothing sent.
    assert batch_push(destination="citrusad", kind="product").paused
    assert len(sandbox.received(PRODUCTS)) == 1

    settings.CITRUSAD_API_KEY = good_key  # fixed in the settings, workers restarted
    sync_run()

    assert not Destination.objects.get(name="citrusad").paused
    assert SyncState.objects.filter(status="confirmed").count() == 3
