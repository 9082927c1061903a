"""Leases in-process, on the real database: the heartbeat, the reap of a dead drain (what was on
the wire is an unknown outcome and goes again; what was only claimed goes back untouched), and a
drain that lost its lease stopping."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import BatchOutcome, Catalog, SyncBatch, SyncLease, SyncState
from syncs.services.catalogs import catalog_create
from syncs.services.push import batch_claim, batch_push, sync_lease_reap
from syncs.services.push.leases import LOST_MESSAGE, Heartbeat, lease_take
from syncs.services.push.pacing import Pace
from syncs.services.push.payloads import claim_build
from syncs.services.push.sending import Wire
from syncs.services.sync_state import sync_state_confirm
from tests.engine.test_push import _products
from tests.worker_fixtures import wait_for


def _expire(lease_id):
    SyncLease.objects.filter(pk=lease_id).update(expires_at=timezone.now() - timedelta(seconds=1))


def _write_on_wire(claim, count):
    """What a drain writes before sending its first `count` requests, then dies."""
    requests, _ = claim_build(claim)
    wire = Wire(None, Pace(claim.destination), threading.Event(), claim.lease)
    for request in requests[:count]:
        wire.going(request)
    wire.close()
    return requests


@pytest.mark.django_db
def test_a_dead_drains_request_on_the_wire_is_an_unknown_outcome_and_goes_again(sandbox, settings):
    settings.SYNC_BATCH_SIZE = 10
    products = _products(30)
    claim = batch_claim(destination="citrusad", kind="product", limit=30)
    requests = _write_on_wire(claim, 1)  # the first of three requests was on the wire
    on_wire = {item.state.pk for item in requests[0].items}

    assert sync_lease_reap() == 0  # alive: nothing to reap
    _expire(claim.lease)
    assert sync_lease_reap() == 30

    [lost] = SyncBatch.objects.all()
    assert lost.outcome == BatchOutcome.UNKNOWN and lost.item_count == 10
    assert lost.error.startswith(LOST_MESSAGE)
    assert lost.keys == [item.key for item in requests[0].items]
    assert not SyncLease.objects.exists()
    states = {s.pk: s for s in SyncState.objects.all()}
    assert all(s.status == "pending" and s.attempts == 0 for s in states.values())
    # The rows on the wire say so; the rows only claimed are handed back untouched.
    assert {pk for pk, s in states.items() if s.last_batch_id == lost.pk} == on_wire
    assert all(s.last_error == "" for pk, s in states.items() if pk not in on_wire)
    assert "Pushed again" in states[min(on_wire)].last_error

    counts = batch_push(destination="citrusad", kind="product", limit=30)
    assert counts.delivered == 30
    assert len(sandbox.received("/v1/catalog-products")) == 3
    assert {p.gtin for p in products} == {
        i["gtin"]
        for r in sandbox.received("/v1/catalog-products")
        for i in r.json["catalogProducts"]
    }


@pytest.mark.django_db
def test_a_catalog_creation_on_the_wire_of_a_dead_drain_is_left_for_a_person(sandbox):
    catalog_create(name="Maybe created", actor=None)
    claim = batch_claim(destination="citrusad", kind="catalog")
    _write_on_wire(claim, 1)
    _expire(claim.lease)

    sync_lease_reap()

    state = SyncState.objects.get(kind="catalog")
    assert state.status == "unknown" and "Check before retrying" in state.last_error
    assert batch_push(destination="citrusad", kind="catalog").claimed == 0
    assert sandbox.received("/v1/catalogs") == [] and Catalog.objects.get().citrusad_id == ""


@pytest.mark.django_db
def test_an_answer_recorded_before_the_drain_died_is_not_recorded_again(sandbox):
    _products(5)
    claim = batch_claim(destination="citrusad", kind="product")
    requests = _write_on_wire(claim, 1)
    batch = SyncBatch.objects.create(
        destination="citrusad", kind="product", endpoint="/v1/catalog-products", outcome="ok"
    )
    sync_state_confirm(
        lease=claim.lease,
        sent={requests[0].items[0].version: [i.state.pk for i in requests[0].items]},
        batch=batch,
        snapshots={},
    )
    _expire(claim.lease)

    assert sync_lease_reap() == 0
    assert list(SyncBatch.objects.values_list("outcome", flat=True)) == ["ok"]
    assert set(SyncState.objects.values_list("status", flat=True)) == {"confirmed"}


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_lease_alive_and_a_lost_lease_stops_the_drain(settings):
    settings.SYNC_LEASE_SECONDS = 4  # a beat every second
    lease = lease_take(destination="citrusad", kind="product")
    first_expiry = lease.expires_at
    stop = threading.Event()
    heartbeat = Heartbeat(lease.pk, stop).start()
    wait_for(
        lambda: SyncLease.objects.get(pk=lease.pk).expires_at > first_expiry,
        timeout=10,
        message="the heartbeat never renewed the lease",
    )
    assert not stop.is_set()
    # Reaped under it (the drain looked dead): the next beat finds the lease gone.
    SyncLease.objects.filter(pk=lease.pk).delete()
    wait_for(stop.is_set, timeout=10, message="the drain was not told to stop")
    assert heartbeat.lost
    heartbeat.end()
