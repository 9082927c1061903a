"""Catalogs, customers and orders through the engine, against the sandbox."""

import pytest

from syncs.models import BatchOutcome, SyncBatch, SyncState, SyncStatus
from syncs.services.catalogs import catalog_create, catalog_resolve_unknown
from syncs.services.customers import customer_forget, customer_update
from syncs.services.orders import order_update
from syncs.services.push import batch_push, sync_run
from syncs.services.sync import row_retry
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CustomerFactory, OrderItemFactory, ProductFactory
from tests.worker_fixtures import wait_for

pytestmark = pytest.mark.django_db


def test_a_created_catalog_stores_the_returned_id_then_its_products_go(sandbox):
    catalog = catalog_create(name="Spring range", actor=None)
    product = ProductFactory(catalog=catalog)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    assert batch_push(destination="citrusad", kind="product").claimed == 0

    sync_run()

    catalog.refresh_from_db()
    created = sandbox.received("/v1/catalogs")
    assert len(created) == 1 and created[0].json == {"catalogs": [{"name": "Spring range"}]}
    assert catalog.citrusad_id == created[0].response["catalogs"][0]["id"]
    state = SyncState.objects.get(kind="catalog")
    assert state.status == SyncStatus.CONFIRMED
    sent = sandbox.received("/v1/catalog-products")
    assert sent[0].json["catalogProducts"][0]["catalogId"] == catalog.citrusad_id
    assert SyncState.objects.get(kind="product").status == SyncStatus.CONFIRMED


def test_a_catalog_creation_without_an_answer_is_unknown_and_never_retried_by_itself(
    sandbox, settings
):
    settings.REMOTE_READ_TIMEOUT = 0.2
    sandbox.configure(latency_ms=1000)
    catalog = catalog_create(name="Lost answer", actor=None)

    counts = batch_push(destination="citrusad", kind="catalog")

    assert counts.unknown == 1
    state = SyncState.objects.get()
    assert state.status == SyncStatus.UNKNOWN
    assert "Check there before retrying" in state.last_error
    assert SyncBatch.objects.get().outcome == BatchOutcome.UNKNOWN
    # The sandbox acted on it after our client gave up: a blind retry would make a second one.
    wait_for(lambda: sandbox.received("/v1/catalogs"), timeout=10)
    sandbox.configure(latency_ms=0)
    sync_run(wait_for_retries=True)
    assert len(sandbox.received("/v1/catalogs")) == 1
    with pytest.raises(Exception, match="check CitrusAd first"):
        row_retry(kind="catalog", object_id=catalog.pk, destination="citrusad", actor=None)

    # Someone checked CitrusAd and found it: it is recorded with that id, nothing is sent.
    catalog_resolve_unknown(catalog=catalog, citrusad_id="found-in-citrusad", actor=None)
    catalog.refresh_from_db()
    assert catalog.citrusad_id == "found-in-citrusad"
    assert SyncState.objects.get().status == SyncStatus.CONFIRMED


def test_a_5xx_on_catalog_creation_is_unknown_but_a_429_is_retried(sandbox):
    catalog_create(name="Five hundred", actor=None)
    sandbox.configure(fail_next=1)
    assert batch_push(destination="citrusad", kind="catalog").unknown == 1

    catalog = catalog_create(name="Throttled", actor=None)
    sandbox.configure(throttle_next=1, retry_after=0)
    assert batch_push(destination="citrusad", kind="catalog").retrying == 1
    SyncState.objects.filter(object_id=catalog.pk).update(next_attempt_at=None)
    assert batch_push(destination="citrusad", kind="catalog").delivered == 1


def test_an_unknown_catalog_found_missing_is_created_again(sandbox, settings):
    settings.REMOTE_READ_TIMEOUT = 0.2
    sandbox.configure(latency_ms=1000)
    catalog = catalog_create(name="Retry me", actor=None)
    batch_push(destination="citrusad", kind="catalog")
    wait_for(lambda: sandbox.received("/v1/catalogs"), timeout=10)
    sandbox.configure(latency_ms=0)

    catalog_resolve_unknown(catalog=catalog, citrusad_id="", actor=None)
    sync_run()

    catalog.refresh_from_db()
    assert catalog.citrusad_id
    assert len(sandbox.received("/v1/catalogs")) == 2


def test_customers_go_to_both_destinations_with_independent_state(sandbox):
    customer = CustomerFactory(targeting_data={"segment": "gold"})
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])
    sandbox.configure(fail_next=1, fault_paths=["/api/customers"])

    sync_run()

    states = {s.destination: s for s in SyncState.objects.all()}
    assert states["citrusad"].status == SyncStatus.CONFIRMED
    assert states["custobar"].status == SyncStatus.PENDING
    assert states["custobar"].attempts == 1
    citrus = sandbox.received("/v1/customers")[0].json["customers"][0]
    assert citrus == {"id": customer.external_id, "targetingData": {"segment": "gold"}}

    SyncState.objects.filter(destination="custobar").update(next_attempt_at=None)
    sync_run()
    states["custobar"].refresh_from_db()
    assert states["custobar"].status == SyncStatus.CONFIRMED
    assert states["custobar"].remote_snapshot["external_id"] == customer.external_id
    assert sandbox.custobar_customer(customer.external_id)["email"] == customer.email


def test_custobar_gets_only_what_changed_and_a_forget_once(sandbox):
    customer = CustomerFactory(city="Turku")
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])
    sync_run()
    customer_update(customer=customer, actor=None, data={"city": "Oulu"})
    sync_run()
    customer_forget(customer=customer, actor=None)
    sync_run()

    uploads = [r.json["customers"][0] for r in sandbox.received("/api/customers/upload/")]
    assert len(uploads) == 3
    ids = {"external_id": customer.external_id, "email": customer.email}
    assert uploads[0]["first_name"] == customer.first_name
    assert uploads[1] == {**ids, "city": "Oulu"}
    assert uploads[2] == {**ids, "is_forgotten": True}


def test_an_edited_order_is_sent_again_under_the_same_id(sandbox):
    item = OrderItemFactory()
    order = item.order
    sync_state_mark_changed(kind="order", object_ids=[order.pk])
    sync_run()

    order_update(order=order, actor=None, data={"session_id": "session-2"})
    sync_run()

    sent = [r.json["orders"][0] for r in sandbox.received("/v1/orders")]
    assert [o["id"] for o in sent] == [order.order_id, order.order_id]
    assert sent[1]["sessionId"] == "session-2"
    assert SyncState.objects.get().confirmed_version == 2
