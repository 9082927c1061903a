import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.test import TestCase

from syncs.models import AuditEvent, BulkStatus, BulkStockAction, BulkStockItem, Product
from syncs.selectors.bulk_stock import product_bulk_preview
from syncs.services import bulk_stock, dispatch
from syncs.services.bulk_stock import bulk_stock_run, bulk_stock_start
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory(role="merchandiser")


@pytest.fixture
def shelves():
    """Two catalogs of ten products; in the first, two are out of stock and one is deleted."""
    big, small = CatalogFactory(name="Groceries"), CatalogFactory(name="Pharmacy")
    groceries = [ProductFactory(catalog=big, name=f"Rye {i}", inventory=5) for i in range(10)]
    Product.objects.filter(pk__in=[p.pk for p in groceries[:2]]).update(
        inventory=0, restore_inventory=5
    )
    Product.objects.filter(pk=groceries[2].pk).update(deletion_state="requested")
    pharmacy = [ProductFactory(catalog=small, name=f"Plaster {i}", inventory=3) for i in range(10)]
    return {"groceries": groceries, "pharmacy": pharmacy, "big": big, "small": small}


def test_the_preview_counts_only_what_would_change(shelves):
    out = product_bulk_preview(state="out", search={"q": "rye"})
    assert (out.requested, out.to_change, out.unchanged, out.skipped) == (10, 7, 2, 1)
    back = product_bulk_preview(state="in", search={"q": "rye"})
    assert (back.requested, back.to_change, back.unchanged, back.skipped) == (10, 2, 7, 1)


def test_a_large_share_of_a_catalog_needs_the_number_typed(shelves, settings):
    settings.BULK_TYPED_CONFIRM_SHARE = 0.2
    two = [p.pk for p in shelves["pharmacy"][:2]]
    assert not product_bulk_preview(state="out", product_ids=two).needs_typed_confirmation
    three = product_bulk_preview(state="out", product_ids=[*two, shelves["pharmacy"][2].pk])
    assert three.needs_typed_confirmation
    assert [(c.name, c.to_change, c.products) for c in three.crossing] == [("Pharmacy", 3, 10)]


def test_nothing_to_change_is_refused_and_writes_nothing(shelves, actor):
    out_already = [p.pk for p in shelves["groceries"][:2]]
    with pytest.raises(ValidationError, match="Nothing to change"):
        bulk_stock_start(state="out", actor=actor, product_ids=out_already)
    assert not BulkStockAction.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("typed", "message"), [(None, "Type the number"), (6, "You typed 6")])
def test_a_missing_or_wrong_typed_number_changes_nothing(shelves, actor, typed, message):
    with pytest.raises(ValidationError, match=message):
        bulk_stock_start(state="out", actor=actor, search={"q": ""}, typed_count=typed)
    assert Product.objects.filter(inventory=0).count() == 2
    assert not BulkStockAction.objects.exists()


def test_a_confirmed_action_is_one_audit_entry_naming_the_typed_number(shelves, actor, settings):
    settings.BULK_TYPED_CONFIRM_SHARE = 0.2
    action = bulk_stock_start(state="out", actor=actor, search={"q": ""}, typed_count=17)

    assert action.status == BulkStatus.DONE
    assert (action.requested, action.changed, action.unchanged, action.skipped) == (20, 17, 2, 1)
    assert Product.objects.filter(inventory=0).count() == 19
    summary = action.audit_event
    assert summary.action == "product.bulk_stock_out" and summary.parent is None
    assert summary.after["typed_confirmation"] == 17
    assert summary.after["confirmed_above_share"] == 0.2
    assert summary.after["catalogs_above_share"] == ["Groceries: 7 of 10", "Pharmacy: 10 of 10"]
    assert summary.children.count() == 17
    assert set(summary.children.values_list("action", flat=True)) == {"product.stock_out"}
    outcomes = dict(
        BulkStockItem.objects.filter(action=action)
        .values("outcome")
        .annotate(n=Count("*"))
        .values_list("outcome", "n")
    )
    assert outcomes == {"changed": 17, "unchanged": 2, "skipped": 1}


def test_bulk_restore_puts_back_what_was_stocked_out(shelves, actor):
    ids = [p.pk for p in shelves["groceries"][:4]]
    action = bulk_stock_start(state="in", actor=actor, product_ids=ids, typed_count=2)
    assert (action.changed, action.unchanged, action.skipped) == (2, 1, 1)  # one is deleted
    assert set(Product.objects.filter(pk__in=ids).values_list("inventory", flat=True)) == {5}
    assert action.audit_event.action == "product.bulk_restore"


def test_a_large_action_waits_for_a_worker_then_runs_in_chunks(
    shelves, actor, settings, monkeypatch
):
    settings.BULK_BACKGROUND_ROWS = 5
    monkeypatch.setattr(bulk_stock, "CHUNK", 3)
    sent = []
    monkeypatch.setattr(
        dispatch.current_app, "send_task", lambda name, kwargs: sent.append((name, kwargs))
    )
    ids = [p.pk for p in shelves["pharmacy"]]
    with TestCase.captureOnCommitCallbacks(execute=True):
        action = bulk_stock_start(state="out", actor=actor, product_ids=ids, typed_count=10)
    assert action.status == BulkStatus.QUEUED and action.processed == 0
    assert Product.objects.filter(pk__in=ids, inventory=0).count() == 0, "not in the request"
    assert sent == [("syncs.tasks.product_bulk_stock", {"action_id": action.pk})]

    done = bulk_stock_run(action_id=action.pk)
    assert (done.status, done.processed, done.changed) == (BulkStatus.DONE, 10, 10)
    assert Product.objects.filter(pk__in=ids, inventory=0).count() == 10
    assert bulk_stock_run(action_id=action.pk).processed == 10, "a redelivery does nothing"


def test_a_run_a_dead_worker_left_carries_on_after_the_last_recorded_product(
    shelves, actor, settings, monkeypatch
):
    settings.BULK_BACKGROUND_ROWS = 5
    monkeypatch.setattr(bulk_stock, "CHUNK", 4)
    monkeypatch.setattr(dispatch.current_app, "send_task", lambda name, kwargs: None)
    ids = [p.pk for p in shelves["pharmacy"]]
    action = bulk_stock_start(state="out", actor=actor, product_ids=ids, typed_count=10)
    BulkStockAction.objects.filter(pk=action.pk).update(status=BulkStatus.RUNNING)
    bulk_stock._run_chunk(action, ids[:4])  # the first chunk committed, then the worker died

    done = bulk_stock_run(action_id=action.pk)
    assert (done.processed, done.changed) == (10, 10)
    assert BulkStockItem.objects.filter(action=action).count() == 10
    assert action.audit_event.children.count() == 10
