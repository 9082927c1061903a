import pytest
from django.core.exceptions import ValidationError

from syncs.models import AuditEvent, DeletionState, Priority, Product, SyncState
from syncs.services.products import (
    product_bulk_set_stock,
    product_delete,
    product_set_stock,
    product_update,
)
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory()


def test_stock_out_zeroes_inventory_remembers_it_and_is_pending_with_priority(actor):
    product = ProductFactory(inventory=12)

    product = product_set_stock(product=product, state="out", actor=actor)

    assert (product.inventory, product.restore_inventory, product.version) == (0, 12, 2)
    state = SyncState.objects.get()
    assert (state.status, state.wanted_version, state.priority) == ("pending", 2, Priority.MANUAL)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (
        "product.stock_out",
        actor,
        str(product.pk),
    )
    assert event.before == {"inventory": 12, "restore_inventory": None}
    assert event.after == {"inventory": 0, "restore_inventory": 12}


def test_restore_puts_the_remembered_inventory_back(actor):
    product = ProductFactory(inventory=12)
    product_set_stock(product=product, state="out", actor=actor)

    product = product_set_stock(product=product, state="in", actor=actor)

    assert (product.inventory, product.restore_inventory, product.version) == (12, None, 3)
    assert SyncState.objects.get().wanted_version == 3
    assert AuditEvent.objects.filter(action="product.restore").count() == 1


def test_asking_for_the_state_a_product_is_in_changes_nothing(actor):
    product = ProductFactory(inventory=4)
    product_set_stock(product=product, state="out", actor=actor)

    product_set_stock(product=product, state="out", actor=actor)

    product.refresh_from_db()
    assert (product.version, product.restore_inventory) == (2, 4)
    assert AuditEvent.objects.count() == 1


def test_a_restore_with_nothing_remembered_is_refused_clearly(actor):
    product = ProductFactory(inventory=0)
    with pytest.raises(ValidationError, match="no inventory to restore"):
        product_set_stock(product=product, state="in", actor=actor)
    assert not SyncState.objects.exists()


def test_an_unknown_stock_state_is_refused(actor):
    with pytest.raises(ValidationError, match="'out' or 'in'"):
        product_set_stock(product=ProductFactory(), state="flip", actor=actor)


def test_bulk_stock_out_by_ids_counts_changed_unchanged_and_skipped(actor):
    stocked = ProductFactory.create_batch(3, inventory=5)
    already_out = ProductFactory(inventory=0)
    deleted = ProductFactory(deletion_state=DeletionState.REQUESTED)
    ids = [p.pk for p in [*stocked, already_out, deleted]]

    result = product_bulk_set_stock(state="out", actor=actor, product_ids=ids)

    assert (result.changed, result.unchanged, result.skipped) == (3, 1, 1)
    assert set(
        Product.objects.filter(pk__in=[p.pk for p in stocked]).values_list(
            "inventory", "restore_inventory", "version"
        )
    ) == {(0, 5, 2)}
    assert SyncState.objects.filter(priority=Priority.MANUAL).count() == 3
    assert AuditEvent.objects.filter(action="product.stock_out").count() == 3

    back = product_bulk_set_stock(state="in", actor=actor, product_ids=ids)
    assert (back.changed, back.unchanged, back.skipped) == (3, 0, 2)
    assert set(
        Product.objects.filter(pk__in=[p.pk for p in stocked]).values_list("inventory", flat=True)
    ) == {5}


def test_bulk_stock_out_by_search_uses_the_product_search(actor):
    matching = ProductFactory(name="Oat milk 1l", inventory=3)
    ProductFactory(name="Rye bread", inventory=3)

    result = product_bulk_set_stock(state="out", actor=actor, search={"q": "Oat milk"})

    assert result.changed == 1
    assert Product.objects.get(inventory=0) == matching


def test_bulk_needs_exactly_one_way_of_choosing(actor):
    with pytest.raises(ValidationError, match="either by ids or by a search"):
        product_bulk_set_stock(state="out", actor=actor)
    with pytest.raises(ValidationError, match="either by ids or by a search"):
        product_bulk_set_stock(state="out", actor=actor, product_ids=[1], search={"q": "x"})
    with pytest.raises(ValidationError, match="Not a product search"):
        product_bulk_set_stock(state="out", actor=actor, search={"colour": "red"})
    with pytest.raises(ValidationError, match="whole numbers"):
        product_bulk_set_stock(state="out", actor=actor, product_ids=["abc"])


def test_delete_requests_deletion_once_with_priority(actor):
    product = ProductFactory()

    product_delete(product=product, actor=actor)
    product_delete(product=product, actor=actor)

    product.refresh_from_db()
    assert (product.deletion_state, product.version) == (DeletionState.REQUESTED, 2)
    assert SyncState.objects.get().priority == Priority.MANUAL
    assert AuditEvent.objects.filter(action="product.delete").count() == 1


def test_a_deleted_product_cannot_be_stocked_or_edited(actor):
    product = ProductFactory()
    product_delete(product=product, actor=actor)
    with pytest.raises(ValidationError, match="deletion requested"):
        product_set_stock(product=product, state="out", actor=actor)
    with pytest.raises(ValidationError, match="deletion requested"):
        product_update(product=product, actor=actor, data={"name": "New"})


def test_an_edit_bumps_the_version_audits_the_change_and_is_pending(actor):
    product = ProductFactory(name="Old")

    product_update(product=product, actor=actor, data={"name": "New", "inventory": 25})

    product.refresh_from_db()
    assert (product.name, product.version) == ("New", 2)
    event = AuditEvent.objects.get()
    assert (event.before, event.after) == ({"name": "Old"}, {"name": "New"})
    assert SyncState.objects.get().priority == Priority.BULK


def test_an_edit_with_a_bad_value_or_field_writes_nothing(actor):
    product = ProductFactory()
    with pytest.raises(ValidationError, match="cannot be edited: gtin"):
        product_update(product=product, actor=actor, data={"gtin": "1"})
    with pytest.raises(ValidationError):
        product_update(product=product, actor=actor, data={"image_url": "not a url"})
    product.refresh_from_db()
    assert product.version == 1
    assert not SyncState.objects.exists() and not AuditEvent.objects.exists()
