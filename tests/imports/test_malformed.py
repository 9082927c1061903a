"""Malformed files fail on the right line, the same on both paths: an unclosed quote, a quoted
cell past the cell limit, a NUL in a cell, a line past the cell limit (read in bounded memory),
an order with more items than CitrusAd takes."""

import tracemalloc

import pytest

from syncs.imports.reading import MAX_CELL_CHARS
from syncs.models import Customer, Order, Product
from syncs.models.order import MAX_ORDER_ITEMS
from syncs.sandbox import validation as sandbox_rules
from syncs.services.imports import import_job_create, import_job_run
from tests.imports.helpers import both_paths, run_import, write_csv

pytestmark = pytest.mark.django_db

PRODUCTS = "catalogId,gtin,inventory,name\n"


def test_an_unclosed_quote_fails_at_the_line_where_it_opened(tmp_path, monkeypatch):
    content = PRODUCTS + 'c,SKU-1,1,ok\nc,SKU-2,1,"Cereal\nc,SKU-3,1,never read as a row\n'
    job = both_paths(tmp_path, monkeypatch, "products", content, skip_invalid=True)

    assert job["status"] == "failed"
    assert job["message"] == (
        "Line 3: a quoted cell opened on this line is not closed by the end of the file "
        "(a '\"' is missing)."
    )
    assert not Product.objects.exists()


def test_a_quote_that_swallows_more_than_a_cell_fails_at_its_line(tmp_path, monkeypatch):
    swallowed = "c,SKU-9,1,filler\n" * (MAX_CELL_CHARS // 16 + 10)
    content = PRODUCTS + 'c,SKU-1,1,ok\nc,SKU-2,1,"Cereal\n' + swallowed + 'c,SKU-3,1,"end"\n'
    job = both_paths(tmp_path, monkeypatch, "products", content, skip_invalid=True)

    assert job["status"] == "failed"
    assert job["message"].startswith(
        f"Line 3: a cell runs past {MAX_CELL_CHARS:,} characters (a quoted cell opened on this "
        "line is probably not closed)."
    )


def test_a_closed_multiline_quote_is_one_record_starting_on_its_line(tmp_path):
    content = PRODUCTS + 'c,SKU-1,1,"two\nlines"\nc,SKU-2,x,bad\n'
    job = run_import(tmp_path, "products", content)
    assert job.rows_read == 2
    assert job.errors == [{"line": 4, "message": "inventory must be a whole number, not 'x'"}]


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("products", PRODUCTS + "c,SKU-1,1,Pen\x00cil\nc,SKU-2,1,ok\n", "name contains a NUL"),
        (
            "customers",
            "external_id,first_name\nC-1,An\x00n\nC-2,Bob\n",
            "first_name contains a NUL",
        ),
        (
            "orders",
            "id,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts,adId\n"
            "ORD-1,2019-12-02,SKU-1,1,1.00,1.00,ad\x001\nORD-2,2019-12-02,SKU-1,1,1.00,1.00,\n",
            "adId contains a NUL",
        ),
    ],
)
def test_a_nul_in_a_cell_is_a_row_error_with_its_line_on_both_paths(
    tmp_path, monkeypatch, kind, content, message
):
    job = both_paths(tmp_path, monkeypatch, kind, content, skip_invalid=True)

    assert job["status"] == "succeeded", job["message"]
    assert (job["rows_created"], job["rows_invalid"]) == (1, 1)
    assert job["errors"] == [{"line": 2, "message": f"{message} character, which cannot be stored"}]


def test_a_nul_stops_the_import_without_skip_invalid_and_writes_nothing(tmp_path):
    job = run_import(tmp_path, "customers", "external_id,first_name\nC-1,An\x00n\nC-2,Bob\n")
    assert job.status == "failed"
    assert "1 row is invalid" in job.message
    assert not Customer.objects.exists()


def test_a_line_longer_than_a_cell_is_refused_while_read_in_bounded_memory(tmp_path):
    # 40 MB without a newline after the header: reading it whole would hold 40 MB at once.
    path = write_csv(tmp_path, "")
    with open(path, "w", encoding="utf-8") as f:
        f.write(PRODUCTS)
        for _ in range(40):
            f.write("x" * 1_000_000)
    created = import_job_create(kind="products", actor=None, path=path, enqueue=False)
    tracemalloc.start()
    try:
        job = import_job_run(job_id=created.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert job.status == "failed"
    assert job.message == (
        f"Line 2 is longer than {MAX_CELL_CHARS:,} characters; the file is probably not a CSV "
        "with one record per line."
    )
    # One line's worth (a few MB of decoded text and buffers), not the 40 MB of the file.
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_an_order_with_more_items_than_citrusad_takes_is_an_invalid_order(tmp_path, monkeypatch):
    assert MAX_ORDER_ITEMS == sandbox_rules.MAX_ORDER_ITEMS
    header = "id,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts\n"
    big = "".join(f"BIG,2019-12-02,SKU-{n},1,1.00,1.00\n" for n in range(MAX_ORDER_ITEMS + 1))
    content = header + "ORD-1,2019-12-02,SKU-1,1,1.00,1.00\n" + big + "BIG,2019-12-02,x,x,1,1\n"
    job = both_paths(tmp_path, monkeypatch, "orders", content, skip_invalid=True)

    assert job["status"] == "succeeded", job["message"]
    assert (job["rows_created"], job["rows_invalid"]) == (1, MAX_ORDER_ITEMS + 2)
    too_many = "the order has 1,002 items; CitrusAd takes at most 1,000 in one order"
    assert job["errors"][:2] == [
        {"line": 3, "message": too_many},
        {"line": 4, "message": too_many},
    ]
    assert job["errors"][-1]["line"] == 102
    lines = job["error_file"].splitlines()
    assert len(lines) == 1 + MAX_ORDER_ITEMS + 2
    assert lines[-1].endswith("\"line 1004: quantity must be a whole number, not 'x'\",")

    job = run_import(tmp_path, "orders", content, skip_invalid=True)
    assert list(Order.objects.values_list("order_id", flat=True)) == ["ORD-1"]
