"""An import keeps what undoing it needs (ImportChange), the same on both paths, and can be
reverted: created rows removed (remotely only when asked), updated rows given back their
previous values as a new version that is pushed, rows changed since left alone and listed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from syncs.models import (
    AuditEvent,
    Customer,
    ImportChange,
    ImportStatus,
    Order,
    Product,
    SyncState,
)
from syncs.selectors.history import field_history_list
from syncs.selectors.imports import import_job_follow_up
from syncs.services.import_revert import (
    import_job_revert,
    import_revert_preview,
    import_revert_run,
)
from syncs.services.imports import import_job_run
from syncs.services.products import product_set_stock, product_update
from syncs.services.push import sync_run
from tests.imports.helpers import chunked_path, run_import

pytestmark = pytest.mark.django_db

FIRST = (
    "catalogId,gtin,inventory,price,name,tags\n"
    "cat-A,SKU-1,5,1.00,Pen,a|b\n"
    "cat-A,SKU-2,3,2.00,Ink,\n"
    "cat-A,SKU-3,1,3.00,Pad,\n"
)
SECOND = (
    "catalogId,gtin,inventory,price,name,tags\n"
    "cat-A,SKU-1,0,1.50,,a\n"
    "cat-A,SKU-2,3,2.00,Ink,\n"
    "cat-A,SKU-3,1,3.50,Pad,\n"
    "cat-A,SKU-4,9,4.00,New,\n"
)


def _history(job) -> dict:
    gtins = dict(Product.objects.values_list("id", "gtin"))
    return {
        gtins[change.object_id]: (change.version, change.created, change.before, change.after)
        for change in ImportChange.objects.filter(job=job)
    }


def _revert(job, *, delete_remote=False):
    revert = import_job_revert(job=job, actor=None, enqueue=False, delete_remote=delete_remote)
    return import_revert_run(job_id=revert.pk)


@pytest.fixture(params=["this database", "chunked"])
def path(request, monkeypatch):
    if request.param == "chunked":
        chunked_path(monkeypatch)
    return request.param


def test_the_import_records_created_rows_and_previous_values(tmp_path, path):
    first = run_import(tmp_path, "products", FIRST)
    second = run_import(tmp_path, "products", SECOND, confirm_large_change=True)

    assert _history(first) == {gtin: (1, True, None, None) for gtin in ("SKU-1", "SKU-2", "SKU-3")}
    assert _history(second) == {
        "SKU-1": (
            2,
            False,
            {"inventory": 5, "price": "1.00", "name": "Pen", "tags": ["a", "b"]},
            {"inventory": 0, "price": "1.50", "name": "", "tags": ["a"]},
        ),
        "SKU-3": (2, False, {"price": "3.00"}, {"price": "3.50"}),
        "SKU-4": (1, True, None, None),
    }
    # An unchanged re-import records nothing.
    again = run_import(tmp_path, "products", SECOND)
    assert not ImportChange.objects.filter(job=again).exists()


def test_a_revert_restores_removes_and_leaves_rows_changed_since(tmp_path, path):
    run_import(tmp_path, "products", FIRST)
    second = run_import(tmp_path, "products", SECOND, confirm_large_change=True)
    SyncState.objects.update(status="confirmed", confirmed_version=models_version())
    pad = Product.objects.get(gtin="SKU-3")
    product_update(product=pad, actor=None, data={"name": "Notepad"})

    preview = import_revert_preview(job=second)
    assert (preview.created, preview.updated, preview.changed_since, preview.rows) == (1, 2, 1, 2)

    revert = _revert(second)

    assert revert.status == ImportStatus.SUCCEEDED, revert.message
    assert revert.message == (
        f"Reverted import #{second.pk}: 1 restored to their previous values, 1 created by the "
        "import removed. 1 left alone (changed since, not reverted)."
    )
    assert (revert.rows_updated, revert.rows_removed, revert.rows_skipped) == (1, 1, 1)
    assert revert.skipped == [
        {"object_id": pad.pk, "key": "SKU-3", "reason": "changed since, not reverted"}
    ]
    pen = Product.objects.get(gtin="SKU-1")
    assert (pen.inventory, pen.price, pen.name, pen.tags, pen.version) == (
        5,
        Decimal("1.00"),
        "Pen",
        ["a", "b"],
        3,
    )
    pad.refresh_from_db()
    assert (pad.name, pad.price) == ("Notepad", Decimal("3.50"))
    assert not Product.objects.filter(gtin="SKU-4").exists()
    # The restored product is pending at its new version; the removed one has no state left.
    state = SyncState.objects.get(object_id=pen.pk)
    assert (state.status, state.wanted_version) == ("pending", 3)
    assert set(SyncState.objects.values_list("object_id", flat=True)) == set(
        Product.objects.values_list("id", flat=True)
    )
    # The revert is recorded as a change of its own, and audited.
    change = ImportChange.objects.get(job=revert)
    assert (change.object_id, change.before["name"], change.after["name"]) == (pen.pk, "", "Pen")
    event = AuditEvent.objects.get(action="import_reverted")
    assert event.object_id == str(second.pk)
    assert event.after["restored"] == 1 and event.after["not_reverted"] == 1


def models_version():
    from django.db.models import F

    return F("wanted_version")


def test_a_revert_runs_once_and_cannot_be_reverted(tmp_path):
    job = run_import(tmp_path, "products", FIRST)
    revert = import_job_revert(job=job, actor=None, delete_remote=False, enqueue=False)
    assert import_job_revert(job=job, actor=None, delete_remote=False, enqueue=False) == revert
    import_revert_run(job_id=revert.pk)
    assert import_revert_run(job_id=revert.pk).finished_at is not None
    assert not Product.objects.exists()
    revert.refresh_from_db()
    with pytest.raises(ValidationError, match="A revert cannot itself be reverted"):
        import_job_revert(job=revert, actor=None, delete_remote=False, enqueue=False)
    dry = run_import(tmp_path, "products", FIRST, dry_run=True)
    with pytest.raises(ValidationError, match="Only an import that wrote rows"):
        import_job_revert(job=dry, actor=None, delete_remote=False, enqueue=False)


def test_removing_remotely_deletes_the_created_products_in_the_sandbox(tmp_path, sandbox):
    job = run_import(tmp_path, "products", FIRST)
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1") is not None

    revert = _revert(job, delete_remote=True)

    assert revert.rows_removed == 3
    assert revert.message.endswith("3 created by the import removed (deleted in CitrusAd).")
    assert set(Product.objects.values_list("deletion_state", flat=True)) == {"requested"}
    sync_run(wait_for_retries=True)
    deleted = sandbox.received(method="DELETE")
    assert sorted(request.path.rsplit("/", 1)[-1] for request in deleted) == [
        "SKU-1",
        "SKU-2",
        "SKU-3",
    ]


def test_customers_and_orders_are_reverted_field_by_field(tmp_path, path):
    run_import(tmp_path, "customers", "external_id,first_name,COMPANY__tier\nC-1,Ann,gold\n")
    job = run_import(tmp_path, "customers", "external_id,first_name,COMPANY__tier\nC-1,,\n")
    assert Customer.objects.get().company_fields == {}
    _revert(job)
    customer = Customer.objects.get()
    assert (customer.first_name, customer.company_fields) == ("Ann", {"COMPANY__tier": "gold"})

    header = (
        "id,customerId,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts\n"
    )
    run_import(tmp_path, "orders", header + "ORD-1,C-1,2019-12-02,SKU-1,1,1.00,1.00\n")
    job = run_import(
        tmp_path,
        "orders",
        header
        + "ORD-1,,2019-12-02T10:00:00Z,SKU-1,2,1.00,2.00\n"
        + "ORD-1,,2019-12-02T10:00:00Z,SKU-2,1,1.50,1.50\n",
    )
    _revert(job)
    order = Order.objects.get()
    assert order.customer_id == "C-1"
    assert order.order_date.isoformat() == "2019-12-02T00:00:00+00:00"
    assert list(
        order.items.values_list("gtin", "quantity", "total_order_item_price_after_discounts")
    ) == [("SKU-1", 1, Decimal("1.00"))]
    assert order.version == 3


def test_a_revert_job_is_never_run_as_an_import_nor_taken_for_a_follow_up(tmp_path):
    job = run_import(tmp_path, "products", FIRST)
    revert = import_job_revert(job=job, actor=None, delete_remote=False, enqueue=False)
    assert import_job_run(job_id=revert.pk).status == ImportStatus.QUEUED
    assert import_job_follow_up(job=revert) is None
    job.file_path = ""  # its upload removed after the retention days
    assert import_job_follow_up(job=job) is None


STOCK = "catalogId,gtin,inventory\ncat-A,SKU-1,{}\n"


def test_reverting_a_restock_gives_back_the_stock_out_and_what_restore_puts_back(
    tmp_path, path, sandbox
):
    run_import(tmp_path, "products", STOCK.format(12))
    pen = product_set_stock(product=Product.objects.get(), state="out", actor=None)
    assert (pen.inventory, pen.restore_inventory) == (0, 12)
    restock = run_import(tmp_path, "products", STOCK.format(5), confirm_large_change=True)
    assert restock.status == ImportStatus.SUCCEEDED, restock.message
    pen.refresh_from_db()
    assert (pen.inventory, pen.restore_inventory) == (5, None)  # a restock ends the stock-out
    assert _history(restock)["SKU-1"][2:] == (
        {"inventory": 0, "restore_inventory": 12},
        {"inventory": 5, "restore_inventory": None},
    )
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1")["inventory"] == 5

    revert = _revert(restock)

    assert revert.rows_updated == 1, revert.message
    pen.refresh_from_db()
    assert (pen.inventory, pen.restore_inventory) == (0, 12)
    change = ImportChange.objects.get(job=revert)
    assert (change.before, change.after) == (
        {"inventory": 5, "restore_inventory": None},
        {"inventory": 0, "restore_inventory": 12},
    )
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1")["inventory"] == 0  # dark again
    fields = {c.field for c in field_history_list(kind="product", object_id=pen.pk)}
    assert "restore puts back" in fields and "restore_inventory" not in fields
    # The merchandiser's Restore gives back what it gave back before the import.
    pen = product_set_stock(product=pen, state="in", actor=None)
    assert (pen.inventory, pen.restore_inventory) == (12, None)
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1")["inventory"] == 12


def test_reverting_an_import_that_zeroed_a_product_puts_its_inventory_back(tmp_path, path, sandbox):
    run_import(tmp_path, "products", STOCK.format(7))
    zeroed = run_import(tmp_path, "products", STOCK.format(0), confirm_large_change=True)
    pen = Product.objects.get()
    # An import's zero is not a stock-out: there is nothing for Restore to put back.
    assert (pen.inventory, pen.restore_inventory) == (0, None)
    assert _history(zeroed)["SKU-1"][2:] == ({"inventory": 7}, {"inventory": 0})
    sync_run(wait_for_retries=True)

    _revert(zeroed)

    pen.refresh_from_db()
    assert (pen.inventory, pen.restore_inventory) == (7, None)
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1")["inventory"] == 7


def test_a_stock_out_between_an_import_and_its_revert_is_left_alone(tmp_path, path):
    run_import(tmp_path, "products", STOCK.format(12))
    pen = product_set_stock(product=Product.objects.get(), state="out", actor=None)
    restock = run_import(tmp_path, "products", STOCK.format(5), confirm_large_change=True)
    pen = product_set_stock(product=pen, state="out", actor=None)  # remembers 5

    revert = _revert(restock)

    assert revert.skipped[0]["reason"] == "changed since, not reverted"
    pen.refresh_from_db()
    assert (pen.inventory, pen.restore_inventory) == (0, 5)
