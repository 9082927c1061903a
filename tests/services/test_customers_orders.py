import pytest
from django.core.exceptions import ValidationError

from syncs.models import AuditEvent, Priority, SyncState
from syncs.services.customers import customer_forget, customer_mark_deleted, customer_update
from syncs.services.orders import order_update
from tests.factories import CustomerFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def test_a_customer_edit_is_pending_for_both_destinations():
    customer = CustomerFactory(city="Turku")

    customer_update(customer=customer, actor=None, data={"city": "Oulu"})

    assert set(SyncState.objects.values_list("destination", "wanted_version")) == {
        ("citrusad", 2),
        ("custobar", 2),
    }
    assert AuditEvent.objects.get().after == {"city": "Oulu"}


def test_bad_customer_input_writes_nothing():
    customer = CustomerFactory()
    with pytest.raises(ValidationError):
        customer_update(customer=customer, actor=None, data={"phone_number": "12345"})
    with pytest.raises(ValidationError, match="cannot be edited: is_forgotten"):
        customer_update(customer=customer, actor=None, data={"is_forgotten": True})
    assert not SyncState.objects.exists()


def test_forget_and_delete_are_final_and_pushed_with_priority():
    customer = CustomerFactory()

    customer_forget(customer=customer, actor=None)
    customer_forget(customer=customer, actor=None)
    customer_mark_deleted(customer=customer, actor=None)

    customer.refresh_from_db()
    assert (customer.is_forgotten, customer.is_deleted, customer.version) == (True, True, 3)
    assert set(SyncState.objects.values_list("priority", flat=True)) == {Priority.MANUAL}
    assert AuditEvent.objects.filter(action="customer.forget").count() == 1
    with pytest.raises(ValidationError, match="final"):
        customer_update(customer=customer, actor=None, data={"city": "Oulu"})


def test_an_order_edit_replaces_its_items_and_is_pending_again():
    order = OrderItemFactory().order

    order_update(
        order=order,
        actor=None,
        data={"session_id": "s-2"},
        items=[
            {
                "gtin": "123",
                "quantity": 2,
                "regular_unit_price": "1.50",
                "total_order_item_price_after_discounts": "3.00",
            }
        ],
    )

    order.refresh_from_db()
    assert (order.session_id, order.version, order.items.get().gtin) == ("s-2", 2, "123")
    assert SyncState.objects.get().wanted_version == 2


def test_an_order_edit_with_bad_items_writes_nothing():
    order = OrderItemFactory().order
    with pytest.raises(ValidationError, match="at least one item"):
        order_update(order=order, actor=None, data={}, items=[])
    with pytest.raises(ValidationError):
        order_update(order=order, actor=None, data={}, items=[{"gtin": "", "quantity": 1}])
    assert order.items.count() == 1
    assert not SyncState.objects.exists()
