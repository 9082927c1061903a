"""Signed webhooks as a destination, end to end: the engine pushes to the sandbox's receiver
over real HTTP; every message is checked with the `standardwebhooks` package (the reference
implementation of the specification) and by the sandbox's own verification."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from syncs.destinations import destination_get, destination_names_for_kind
from syncs.models import Destination, SyncBatch, SyncState, WebhookEndpoint
from syncs.sandbox.webhooks import signature_verify
from syncs.services.products import product_set_stock, product_update
from syncs.services.push import sync_run
from syncs.services.sync_state import sync_state_mark_changed
from syncs.services.webhooks import (
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _headers(delivery: dict) -> dict:
    return {name: delivery[name.replace("-", "_")] for name in
            ("webhook-id", "webhook-timestamp", "webhook-signature")}  # fmt: skip


def _push(endpoint) -> None:
    sync_run(destinations=[endpoint.destination_name])


def test_every_change_goes_out_in_signed_batches_of_at_most_100(sandbox, endpoint):
    products = ProductFactory.create_batch(150)
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])

    _push(endpoint)

    deliveries = sandbox.webhooks_received()
    assert [d["item_count"] for d in deliveries] == [100, 50]
    verifier = StandardWebhook(endpoint.test_secret)
    sent = []
    for delivery in deliveries:
        assert delivery["verified"], delivery["problem"]
        message = verifier.verify(delivery["body"], _headers(delivery))
        assert message["type"] == "product.changed"
        assert message["data"]["kind"] == "product"
        sent += message["data"]["items"]
    assert {item["gtin"] for item in sent} == {p.gtin for p in products}
    first = next(item for item in sent if item["id"] == products[0].pk)
    assert first["version"] == products[0].version
    assert first["catalog"]["name"] == products[0].catalog.name
    states = SyncState.objects.filter(destination=endpoint.destination_name)
    assert states.count() == 150 and {s.status for s in states} == {"confirmed"}
    batches = SyncBatch.objects.filter(destination=endpoint.destination_name)
    assert batches.count() == 2 and {b.endpoint for b in batches} == {"/webhooks/shop"}


def test_a_tampered_message_does_not_verify(sandbox, endpoint):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    _push(endpoint)
    (delivery,) = sandbox.webhooks_received()
    tampered = delivery["body"].replace('"inventory":', '"inventory":1', 1)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(endpoint.test_secret).verify(tampered, _headers(delivery))
    ok, _ = signature_verify(
        secrets=[endpoint.test_secret], headers=_headers(delivery), body=tampered.encode()
    )
    assert not ok


def test_the_sandbox_receiver_verifies_what_the_reference_library_signs():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signer = StandardWebhook(secret)
    now = timezone.now()
    body = json.dumps({"type": "product.changed", "data": {"items": []}})
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign("msg_1", now, body),
    }
    assert signature_verify(secrets=[secret], headers=headers, body=body.encode()) == (True, "")
    stale = {**headers, "webhook-timestamp": str(int(now.timestamp()) - 3600)}
    assert not signature_verify(secrets=[secret], headers=stale, body=body.encode())[0]


def test_a_stock_out_reaches_the_endpoint_at_the_version_sent(sandbox, endpoint, admin_user):
    product = ProductFactory(inventory=8)
    product_set_stock(product=product, state="out", actor=admin_user)
    product_update(product=product, data={"name": "Renamed"}, actor=admin_user)  # coalesced

    _push(endpoint)

    (delivery,) = sandbox.webhooks_received()
    (item,) = StandardWebhook(endpoint.test_secret).verify(delivery["body"], _headers(delivery))[
        "data"
    ]["items"]
    product.refresh_from_db()
    assert item["stocked_out"] is True and item["inventory"] == 0
    assert item["name"] == "Renamed" and item["version"] == product.version
    state = SyncState.objects.get(destination=endpoint.destination_name, object_id=product.pk)
    assert state.status == "confirmed" and state.confirmed_version == product.version


@pytest.mark.parametrize("status", [401, 403, 410])
def test_401_403_and_410_pause_the_endpoint_and_hand_the_rows_back(sandbox, endpoint, status):
    sandbox.configure(fault_paths=["/webhooks/"], fail_next=1, fail_status=status)
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])

    _push(endpoint)

    switch = Destination.objects.get(name=endpoint.destination_name)
    assert switch.paused
    state = SyncState.objects.get(destination=endpoint.destination_name)
    assert state.status == "pending" and state.attempts == 0
    assert destination_get("citrusad").configured  # the others go on


def test_a_transient_failure_is_retried_with_backoff(sandbox, endpoint):
    sandbox.configure(fault_paths=["/webhooks/"], fail_next=1, fail_status=503)
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])

    sync_run(destinations=[endpoint.destination_name], wait_for_retries=True)

    outcomes = list(
        SyncBatch.objects.filter(destination=endpoint.destination_name)
        .order_by("id")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["transient", "ok"]
    assert [d["verified"] for d in sandbox.webhooks_received()] == [True]


def test_switched_off_it_holds_changes_and_sends_them_when_on_again(sandbox, endpoint, admin_user):
    webhook_endpoint_update(
        endpoint=endpoint, name="Shop", url=endpoint.url, kinds=["product"], enabled=False,
        actor=admin_user,
    )  # fmt: skip
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    _push(endpoint)
    assert sandbox.webhooks_received() == []
    assert SyncState.objects.get(destination=endpoint.destination_name).status == "pending"

    webhook_endpoint_update(
        endpoint=endpoint, name="Shop", url=endpoint.url, kinds=["product"], enabled=True,
        actor=admin_user,
    )  # fmt: skip
    _push(endpoint)
    assert [d["item_count"] for d in sandbox.webhooks_received()] == [1]


def test_an_endpoint_gets_only_its_kinds_and_loses_a_kind_it_drops(endpoint, admin_user):
    assert endpoint.destination_name in destination_names_for_kind("product")
    assert endpoint.destination_name not in destination_names_for_kind("customer")
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    webhook_endpoint_update(
        endpoint=endpoint, name="Shop", url=endpoint.url, kinds=["order"], enabled=True,
        actor=admin_user,
    )  # fmt: skip
    assert not SyncState.objects.filter(destination=endpoint.destination_name).exists()
    assert SyncState.objects.filter(destination="citrusad").exists()


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(sandbox, endpoint, admin_user):
    old = endpoint.test_secret
    new = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=admin_user)
    assert new != old and new.startswith("whsec_")
    sandbox.webhook_secret_add(new)
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    _push(endpoint)
    (delivery,) = sandbox.webhooks_received()
    assert len(delivery["webhook_signature"].split()) == 2
    for secret in (old, new):
        StandardWebhook(secret).verify(delivery["body"], _headers(delivery))

    WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(1))
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    product_update(product=product, data={"name": "Again"}, actor=admin_user)
    _push(endpoint)
    latest = sandbox.webhooks_received()[-1]
    assert len(latest["webhook_signature"].split()) == 1
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(old).verify(latest["body"], _headers(latest))


def test_removing_an_endpoint_removes_its_states_but_keeps_its_history(
    sandbox, endpoint, admin_user
):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    _push(endpoint)
    name = endpoint.destination_name
    webhook_endpoint_delete(endpoint=endpoint, actor=admin_user)
    assert not SyncState.objects.filter(destination=name).exists()
    assert SyncBatch.objects.filter(destination=name).count() == 1
    with pytest.raises(ValueError):
        destination_get(name)


def test_the_secret_is_never_logged_nor_kept_in_history(sandbox, endpoint, caplog):
    caplog.set_level("DEBUG")
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sandbox.configure(fault_paths=["/webhooks/"], fail_next=1, fail_status=500)
    sync_run(destinations=[endpoint.destination_name], wait_for_retries=True)

    assert [d["verified"] for d in sandbox.webhooks_received()] == [True]
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    for text in (endpoint.test_secret, stored.secret_encrypted):
        assert text not in caplog.text
        for batch in SyncBatch.objects.filter(destination=endpoint.destination_name):
            assert text not in str(batch.request_body) + str(batch.response_body)
