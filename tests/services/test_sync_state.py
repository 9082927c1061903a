import pytest
from django.db.models import F

from syncs.models import Priority, Product, SyncState, SyncStatus
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _bump(product):
    Product.objects.filter(pk=product.pk).update(version=F("version") + 1)


def test_a_new_row_becomes_pending_at_its_version():
    product = ProductFactory()
    assert sync_state_mark_changed(kind="product", object_ids=[product.pk]) == 1
    state = SyncState.objects.get(kind="product", object_id=product.pk)
    assert (state.destination, state.status, state.wanted_version) == ("citrusad", "pending", 1)
    assert state.confirmed_version == 0


def test_customers_are_pending_for_both_destinations():
    customer = CustomerFactory()
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])
    assert set(
        SyncState.objects.filter(object_id=customer.pk).values_list("destination", flat=True)
    ) == {"citrusad", "custobar"}


def test_a_confirmed_row_that_changes_is_pending_again():
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(status=SyncStatus.CONFIRMED, confirmed_version=1)
    _bump(product)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    state = SyncState.objects.get()
    assert (state.status, state.wanted_version, state.confirmed_version) == ("pending", 2, 1)


def test_marking_an_unchanged_row_again_does_nothing():
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(status=SyncStatus.CONFIRMED, confirmed_version=1)
    assert sync_state_mark_changed(kind="product", object_ids=[product.pk]) == 0
    assert SyncState.objects.get().status == "confirmed"


def test_a_row_in_flight_stays_claimed_but_wants_the_new_version():
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(status=SyncStatus.IN_FLIGHT, sent_version=1)
    _bump(product)
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    state = SyncState.objects.get()
    assert (state.status, state.wanted_version, state.sent_version) == ("in_flight", 2, 1)


def test_a_manual_change_keeps_its_priority_until_pushed():
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk], priority=Priority.MANUAL)
    _bump(product)
    sync_state_mark_changed(kind="product", object_ids=[product.pk], priority=Priority.BULK)
    assert SyncState.objects.get().priority == Priority.MANUAL


def test_many_rows_are_marked_in_chunks():
    products = ProductFactory.create_batch(30)
    touched = sync_state_mark_changed(kind="product", object_ids=(p.pk for p in products))
    assert touched == 30
    assert SyncState.objects.filter(status="pending").count() == 30
