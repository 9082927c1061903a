"""An admin's revert is pushed on the priority lane like other manual actions when it is small
(at most MANUAL_REVERT_REQUESTS requests to a destination); a large one goes as bulk work."""

import pytest

from syncs.imports.revert import MANUAL_REVERT_REQUESTS, revert_requests
from syncs.models import ImportKind, Priority, Product, SyncState
from syncs.services.import_revert import import_job_revert, import_revert_run
from syncs.services.push import sync_drain, sync_run
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

HEADER = "catalogId,gtin,inventory,name\n"


def _products(n: int, inventory: int) -> str:
    return HEADER + "".join(f"cat-A,SKU-{i},{inventory},Pen {i}\n" for i in range(n))


def _revert(job, *, delete_remote=False):
    revert = import_job_revert(job=job, actor=None, enqueue=False, delete_remote=delete_remote)
    return import_revert_run(job_id=revert.pk)


def _priorities() -> set[int]:
    return set(SyncState.objects.filter(kind="product").values_list("priority", flat=True))


def _manual_drain():
    counts, _more = sync_drain(destination="citrusad", kind="product", manual_only=True)
    return counts


@pytest.mark.parametrize(
    ("kind", "created", "updated", "delete_remote", "requests"),
    [
        (ImportKind.PRODUCTS, 0, 1000, False, 10),  # ten batches of 100
        (ImportKind.PRODUCTS, 0, 1001, False, 11),
        (ImportKind.PRODUCTS, 5000, 0, False, 0),  # removed here only: nothing is pushed
        (ImportKind.PRODUCTS, 10, 0, True, 10),  # one DELETE per product
        (ImportKind.PRODUCTS, 3, 250, True, 6),
        (ImportKind.CUSTOMERS, 150, 0, True, 2),  # "is_deleted" goes in batches
        (ImportKind.ORDERS, 40, 120, False, 2),
    ],
)
def test_what_a_revert_sends_is_counted_in_requests(
    settings, kind, created, updated, delete_remote, requests
):
    settings.SYNC_BATCH_SIZE = 100
    counted = revert_requests(
        kind=kind, created=created, updated=updated, delete_remote=delete_remote
    )
    assert counted == requests


def test_a_small_revert_goes_through_the_priority_lane(tmp_path, sandbox):
    run_import(tmp_path, "products", _products(3, 5))
    restock = run_import(tmp_path, "products", _products(3, 9), confirm_large_change=True)
    sync_run(wait_for_retries=True)
    assert sandbox.product("cat-A", "SKU-1")["inventory"] == 9

    _revert(restock)

    assert _priorities() == {Priority.MANUAL}
    # The drain on the `priority` queue, which takes manual rows only, pushes it all.
    assert _manual_drain().delivered == 3
    assert all(sandbox.product("cat-A", f"SKU-{i}")["inventory"] == 5 for i in range(3))


@pytest.mark.parametrize(("rows", "priority"), [(10, Priority.MANUAL), (11, Priority.BULK)])
def test_a_revert_is_manual_up_to_the_limit_and_bulk_above(
    tmp_path, sandbox, settings, rows, priority
):
    settings.SYNC_BATCH_SIZE = 1  # a request per row: the limit is MANUAL_REVERT_REQUESTS rows
    assert MANUAL_REVERT_REQUESTS == 10
    run_import(tmp_path, "products", _products(rows, 5))
    restock = run_import(tmp_path, "products", _products(rows, 9), confirm_large_change=True)
    sync_run(wait_for_retries=True)

    _revert(restock)

    assert _priorities() == {priority}
    manual = _manual_drain().delivered
    assert manual == (rows if priority == Priority.MANUAL else 0)
    sync_run(wait_for_retries=True)  # the bulk drains push what the lane left
    assert all(sandbox.product("cat-A", f"SKU-{i}")["inventory"] == 5 for i in range(rows))


@pytest.mark.parametrize(("rows", "priority"), [(10, Priority.MANUAL), (11, Priority.BULK)])
def test_deleting_in_citrusad_counts_one_request_per_product(
    tmp_path, sandbox, settings, rows, priority
):
    settings.SYNC_BATCH_SIZE = 100
    job = run_import(tmp_path, "products", _products(rows, 5))
    sync_run(wait_for_retries=True)

    _revert(job, delete_remote=True)

    assert set(Product.objects.values_list("deletion_state", flat=True)) == {"requested"}
    assert _priorities() == {priority}
    _manual_drain()
    deleted = len(sandbox.received(method="DELETE"))
    assert deleted == (rows if priority == Priority.MANUAL else 0)
