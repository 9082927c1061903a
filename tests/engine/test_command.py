"""`manage.py sync`: push in-process until nothing is due, print counts, exit 0."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from syncs.models import SyncState, SyncStatus
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command("sync", *args, stdout=out)
    return out.getvalue()


def test_sync_pushes_everything_due_and_prints_counts(sandbox):
    products = ProductFactory.create_batch(3)
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])
    customer = CustomerFactory()
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])

    output = _run()

    assert "product -> citrusad: 3 delivered, 0 failed" in output
    assert "customer -> custobar: 1 delivered" in output
    assert "Done: 5 delivered, 0 failed." in output
    assert not SyncState.objects.exclude(status=SyncStatus.CONFIRMED).exists()


def test_sync_kind_and_destination_limit_what_is_pushed(sandbox):
    customer = CustomerFactory()
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])

    _run("--kind", "customers", "--destination", "custobar")

    assert set(SyncState.objects.filter(status="confirmed").values_list("destination", "kind")) == {
        ("custobar", "customer")
    }


def test_sync_drain_waits_out_backoffs_until_nothing_is_pending(sandbox):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    sandbox.configure(throttle_next=2, retry_after=0.2)

    output = _run("--drain")

    assert "1 delivered" in output
    assert [r.status for r in sandbox.received("/v1/catalog-products")] == [429, 429, 200]
    assert SyncState.objects.get().status == SyncStatus.CONFIRMED


def test_sync_retry_failed_requeues_and_pushes_failed_rows(sandbox):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(status=SyncStatus.FAILED, last_error="was rejected")

    output = _run("--retry-failed")

    assert "Re-queued 1 failed row(s)." in output
    assert SyncState.objects.get().status == SyncStatus.CONFIRMED


def test_sync_rejects_an_unknown_kind():
    with pytest.raises(CommandError, match="invalid choice"):
        _run("--kind", "planets")
