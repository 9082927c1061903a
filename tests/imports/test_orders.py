"""Orders import: rows sharing `id` form one order wherever they are in the file; PostgreSQL takes
the COPY path, SQLite the chunked one, and both give the same counts, the same errors on the same
lines and the same orders (each file below runs through both)."""

import csv
import io

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from syncs.imports import engine
from syncs.imports.errors import ErrorSink
from syncs.models import Order, OrderItem, SyncState
from syncs.services.import_files import import_job_error_csv
from syncs.services.push import sync_run
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

HEADER = (
    "id,customerId,sessionId,orderDate,adIds,gtin,quantity,regularUnitPrice,"
    "totalOrderItemPriceAfterDiscounts,adId,citrusDiscountAmount,substitutedFor\n"
)
# ORD-1's rows are apart, with ORD-2 between them.
SPLIT = (
    HEADER
    + "ORD-1,C-1,s1,2019-12-02T15:00:00Z,ad1|ad2,9891998566P,3,9.99,9.99,display_1,,\n"
    + "ORD-2,C-2,,2019-12-03,,4006381333931,2,2.50,5.00,,,4006381333948\n"
    + "ORD-1,C-1,s1,2019-12-02T16:00:00+01:00,ad1|ad2,4006381333931,1,2.5,2.00,,0.50,\n"
)


def _chunked(monkeypatch):
    monkeypatch.setattr(
        engine, "OrderCopyImport", lambda **kwargs: engine.OrderChunkedImport(**kwargs)
    )


def _orders():
    items = {}
    for item in OrderItem.objects.order_by("order__order_id", "position").values(
        "order__order_id", "position", "gtin", "quantity", "regular_unit_price",
        "total_order_item_price_after_discounts", "ad_id", "citrus_discount_amount",
        "substituted_for",
    ):  # fmt: skip
        items.setdefault(item.pop("order__order_id"), []).append(item)
    return [
        {**order, "items": items.get(order["order_id"], [])}
        for order in Order.objects.order_by("order_id").values(
            "order_id", "customer_id", "session_id", "order_date", "ad_ids", "version"
        )
    ]


def _snapshot(job):
    states = sorted(SyncState.objects.filter(kind="order").values_list("status", "wanted_version"))
    error_csv = "".join(import_job_error_csv(job=job))
    counts = (
        job.status,
        job.rows_read,
        job.rows_created,
        job.rows_updated,
        job.rows_unchanged,
        job.rows_invalid,
    )
    return counts, job.errors, error_csv, _orders(), states


class _Undo(Exception):
    pass


def _import_and_undo(tmp_path, files, **options):
    """Import each file in turn inside a savepoint, note the last result, then roll it back."""
    try:
        with transaction.atomic():
            for content in files:
                job = run_import(tmp_path, "orders", content, **options)
            snapshot = _snapshot(job)
            raise _Undo
    except _Undo:
        return snapshot


def both_paths(tmp_path, monkeypatch, *files, **options):
    """The snapshot after importing the files on this database's path, checked equal to the
    chunked path's."""
    this_database = _import_and_undo(tmp_path, files, **options)
    with monkeypatch.context() as patched:
        _chunked(patched)
        chunked = _import_and_undo(tmp_path, files, **options)
    assert this_database == chunked
    return this_database


def test_postgresql_uses_the_copy_path_and_sqlite_the_chunked_one(tmp_path):
    header = HEADER.strip().split(",")
    errors = ErrorSink(tmp_path / "errors.csv", header, inline=10)
    importer = engine.kind_import_for(
        kind="orders", header=header, errors=errors, job_id=1, catalog_id=None
    )
    try:
        expected = (
            engine.OrderCopyImport
            if connection.vendor == "postgresql"
            else engine.OrderChunkedImport
        )
        assert type(importer) is expected
    finally:
        importer.close()
        errors.close()


def test_rows_of_one_order_need_not_be_adjacent(tmp_path, monkeypatch):
    counts, errors, _csv, orders, states = both_paths(tmp_path, monkeypatch, SPLIT)

    assert counts == ("succeeded", 3, 2, 0, 0, 0) and errors == []
    one, two = orders
    assert (one["order_id"], one["customer_id"], one["ad_ids"]) == ("ORD-1", "C-1", ["ad1", "ad2"])
    # Items keep the file's order; 16:00+01:00 is the same moment as 15:00Z.
    assert [(i["position"], i["gtin"], i["quantity"]) for i in one["items"]] == [
        (0, "9891998566P", 3),
        (1, "4006381333931", 1),
    ]
    assert two["items"][0]["substituted_for"] == "4006381333948"
    assert states == [("pending", 1), ("pending", 1)]


def test_conflicting_order_level_fields_name_the_field_and_the_first_line(tmp_path, monkeypatch):
    csv = (
        HEADER
        + "ORD-1,C-1,s1,2019-12-02,,SKU-1,1,1,1,,,\n"
        + "ORD-1,C-9,s1,2019-12-02,,SKU-2,1,1,1,,,\n"
        + "ORD-2,C-2,s2,2019-12-02,,SKU-1,1,1,1,,,\n"
        + "ORD-1,C-1,s1,2019-12-02,x,SKU-3,1,1,1,,,\n"
        + "ORD-1,C-1,s1,2019-12-02,,SKU-4,1,1,1,,,\n"
    )
    counts, errors, error_csv, orders, _states = both_paths(
        tmp_path, monkeypatch, csv, skip_invalid=True
    )

    assert errors == [
        {"line": 2, "message": "line 3 of the same order is invalid"},
        {"line": 3, "message": "customerId differs from line 2 of the same order"},
        {"line": 5, "message": "adIds differs from line 2 of the same order"},
        {"line": 6, "message": "line 3 of the same order is invalid"},
    ]
    assert counts == ("succeeded", 5, 1, 0, 0, 4)
    assert [order["order_id"] for order in orders] == ["ORD-2"]
    # The error file has the rows as they were, in line order.
    assert error_csv.splitlines()[2] == (
        "ORD-1,C-9,s1,2019-12-02,,SKU-2,1,1,1,,,,"
        "line 3: customerId differs from line 2 of the same order,"
    )


def test_one_bad_row_poisons_its_order_only(tmp_path, monkeypatch):
    csv = (
        HEADER
        + "ORD-1,,,2019-12-02,,SKU-1,1,1,1,,,\n"
        + "ORD-2,,,2019-12-02,,SKU-1,1,1,1,,,\n"
        + "ORD-1,,,2019-12-02,,SKU-2,x,1,1,,,\n"
        + "ORD-1,,,2019-12-02,,SKU-3,1,1,1,,,\n"
        + ",,,2019-12-02,,SKU-1,1,1,1,,,\n"
    )
    counts, errors, _csv, orders, _states = both_paths(
        tmp_path, monkeypatch, csv, skip_invalid=True
    )

    assert errors == [
        {"line": 2, "message": "line 4 of the same order is invalid"},
        {"line": 4, "message": "quantity must be a whole number, not 'x'"},
        {"line": 5, "message": "line 4 of the same order is invalid"},
        {"line": 6, "message": "id (the order id) is required"},
    ]
    assert counts == ("succeeded", 5, 1, 0, 0, 4)
    assert [order["order_id"] for order in orders] == ["ORD-2"]


def test_the_same_row_twice_is_a_duplicate_the_same_gtin_differently_is_two_items(
    tmp_path, monkeypatch
):
    csv = (
        HEADER
        + "ORD-1,,,2019-12-02,,SKU-1,1,9.9,9.9,,,\n"
        + "ORD-1,,,2019-12-02,,SKU-1,2,9.9,19.8,,,\n"
        + "ORD-2,,,2019-12-02,,SKU-1,1,9.9,9.9,,,\n"
        + "ORD-2,,,2019-12-02,,SKU-1,1,9.90,9.90,,,\n"
    )
    counts, errors, _csv, orders, _states = both_paths(
        tmp_path, monkeypatch, csv, skip_invalid=True
    )

    assert errors == [
        {"line": 4, "message": "line 5 of the same order is invalid"},
        {"line": 5, "message": "duplicate of line 4"},
    ]
    assert counts == ("succeeded", 4, 1, 0, 0, 2)
    assert [(i["gtin"], i["quantity"]) for i in orders[0]["items"]] == [("SKU-1", 1), ("SKU-1", 2)]


def test_an_invalid_row_stops_everything_unless_invalid_rows_are_skipped(tmp_path, monkeypatch):
    csv = SPLIT + "ORD-3,,,2019-12-02,,SKU-1,0,1,1,,,\n"

    counts, errors, _csv, orders, states = both_paths(tmp_path, monkeypatch, csv)
    assert counts == ("failed", 4, 2, 0, 0, 1)
    assert errors == [{"line": 5, "message": "quantity must be at least 1"}]
    assert orders == [] and states == []

    counts, _errors, _csv, orders, _states = both_paths(
        tmp_path, monkeypatch, csv, skip_invalid=True
    )
    assert counts == ("succeeded", 4, 2, 0, 0, 1)
    assert [order["order_id"] for order in orders] == ["ORD-1", "ORD-2"]


def test_a_dry_run_writes_nothing(tmp_path, monkeypatch):
    counts, _errors, _csv, orders, states = both_paths(tmp_path, monkeypatch, SPLIT, dry_run=True)
    assert counts == ("succeeded", 3, 2, 0, 0, 0)
    assert orders == [] and states == []


def test_an_unchanged_reimport_queues_nothing(tmp_path, enqueued):
    run_import(tmp_path, "orders", SPLIT)
    assert enqueued == [("order", ("citrusad",))]
    SyncState.objects.update(status="confirmed", confirmed_version=1)
    enqueued.clear()

    # The same orders, ORD-2 moved to the end and written differently (2.5 = 2.50): unchanged.
    one, two, one_more = SPLIT.splitlines(keepends=True)[1:]
    job = run_import(tmp_path, "orders", HEADER + one + one_more + two.replace(",2.50,", ",2.5,"))

    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 0, 2)
    assert enqueued == []
    assert set(Order.objects.values_list("version", flat=True)) == {1}
    assert set(SyncState.objects.values_list("status", "wanted_version")) == {("confirmed", 1)}


def test_a_change_replaces_the_items_on_both_paths(tmp_path, monkeypatch):
    # ORD-1 loses an item, ORD-2 changes its customer only, ORD-3 is new.
    edited = (
        HEADER
        + "ORD-1,C-1,s1,2019-12-02T15:00:00Z,ad1|ad2,9891998566P,4,9.99,39.96,display_1,,\n"
        + "ORD-2,C-7,,2019-12-03,,4006381333931,2,2.50,5.00,,,4006381333948\n"
        + "ORD-3,,,2019-12-04,,SKU-1,1,1,1,,,\n"
    )
    counts, errors, _csv, orders, states = both_paths(tmp_path, monkeypatch, SPLIT, edited)

    assert counts == ("succeeded", 3, 1, 2, 0, 0) and errors == []
    one, two, three = orders
    assert one["version"] == 2
    assert [(i["position"], i["gtin"], i["quantity"]) for i in one["items"]] == [
        (0, "9891998566P", 4)
    ]
    assert (two["customer_id"], two["version"], len(two["items"])) == ("C-7", 2, 1)
    assert three["version"] == 1
    assert states == [("pending", 1), ("pending", 2), ("pending", 2)]
    assert OrderItem.objects.count() == 0  # rolled back after the comparison


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_row = st.tuples(
    st.sampled_from(["ORD-1", "ORD-2", " ORD-1", "", "ORD-3"]),
    st.sampled_from(["", "C-1", "C-2"]),
    st.sampled_from(["2019-12-02", "2019-12-02T00:00:00Z", "2019-12-03", "soon"]),
    st.sampled_from(["", "ad1", "ad1|ad2"]),
    st.sampled_from(["SKU-1", "4006381333931", "4006381333932", "", "a b"]),
    st.sampled_from(["1", "2", "0", "-1", "x", ""]),
    st.sampled_from(["1", "1.00", "2.5", "9.999", "", "1e3"]),
    _cell,
)


@hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stored=st.lists(_row, max_size=6),
    rows=st.lists(st.one_of(_row, st.lists(_cell, max_size=9).map(tuple)), min_size=1, max_size=8),
    skip_invalid=st.booleans(),
)
def test_generated_order_rows_never_crash_and_both_paths_agree(
    tmp_path, monkeypatch, stored, rows, skip_invalid
):
    header = [
        "id",
        "customerId",
        "orderDate",
        "adIds",
        "gtin",
        "quantity",
        "regularUnitPrice",
        "totalOrderItemPriceAfterDiscounts",
    ]

    def as_csv(records):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for record in records:
            # A generated row of the right shape repeats its price as the total.
            writer.writerow(record[:7] + record[6:7] if len(record) == 8 else record)
        return buffer.getvalue()

    files = [as_csv(stored), as_csv(rows)] if stored else [as_csv(rows)]
    counts, _errors, _csv, _orders, _states = both_paths(
        tmp_path, monkeypatch, *files, skip_invalid=True
    )
    status, read, created, updated, unchanged, invalid = counts
    assert status in ("succeeded", "failed")
    assert invalid + created + updated + unchanged <= max(read, 1)
    if not skip_invalid:
        both_paths(tmp_path, monkeypatch, *files)


def _drain():
    sync_run(wait_for_retries=True)
    assert not SyncState.objects.filter(status="pending").exists()


def _sent(sandbox):
    return [
        {k: v for k, v in order.items() if k != "teamId"}
        for request in sandbox.received("/v1/orders", method="POST")
        for order in request.json["orders"]
    ]


def test_orders_round_trip_and_an_edited_item_is_pushed_again_under_the_same_id(tmp_path, sandbox):
    job = run_import(tmp_path, "orders", SPLIT)
    assert job.status == "succeeded", job.message
    _drain()

    by_id = {order["id"]: order for order in _sent(sandbox)}
    assert by_id == {
        "ORD-1": {
            "id": "ORD-1",
            "customerId": "C-1",
            "sessionId": "s1",
            "orderDate": "2019-12-02T15:00:00Z",
            "adIds": ["ad1", "ad2"],
            "orderItems": [
                {
                    "gtin": "9891998566P",
                    "quantity": 3,
                    "regularUnitPrice": "9.99",
                    "totalOrderItemPriceAfterDiscounts": "9.99",
                    "adId": "display_1",
                },
                {
                    "gtin": "4006381333931",
                    "quantity": 1,
                    "regularUnitPrice": "2.50",
                    "totalOrderItemPriceAfterDiscounts": "2.00",
                    "citrusDiscountAmount": "0.50",
                },
            ],
        },
        "ORD-2": {
            "id": "ORD-2",
            "customerId": "C-2",
            "orderDate": "2019-12-03T00:00:00Z",
            "orderItems": [
                {
                    "gtin": "4006381333931",
                    "quantity": 2,
                    "regularUnitPrice": "2.50",
                    "totalOrderItemPriceAfterDiscounts": "5.00",
                    "substitutedFor": "4006381333948",
                }
            ],
        },
    }

    # One item edited: ORD-1 alone is sent again, under its id, with both items as the file says.
    before = len(_sent(sandbox))
    edited = SPLIT.replace(",1,2.5,2.00,,0.50,", ",2,2.5,4.00,,0.50,")
    again = run_import(tmp_path, "orders", edited)
    assert (again.rows_updated, again.rows_unchanged) == (1, 1)
    _drain()
    resent = _sent(sandbox)[before:]
    assert [order["id"] for order in resent] == ["ORD-1"]
    assert [(i["gtin"], i["quantity"]) for i in resent[0]["orderItems"]] == [
        ("9891998566P", 3),
        ("4006381333931", 2),
    ]
    assert Order.objects.get(order_id="ORD-1").items.count() == 2


def test_the_same_items_in_another_order_are_a_change(tmp_path, monkeypatch):
    one, two, one_more = SPLIT.splitlines(keepends=True)[1:]
    counts, _errors, _csv, orders, _states = both_paths(
        tmp_path, monkeypatch, SPLIT, HEADER + one_more + two + one
    )

    assert counts == ("succeeded", 3, 0, 1, 1, 0)
    assert [item["gtin"] for item in orders[0]["items"]] == ["4006381333931", "9891998566P"]
