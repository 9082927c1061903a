"""A dry run says what each column would change and clear, with examples, on both paths; names
cleared, or a large share of a column, are called out; inventory moves get their own line."""

import pytest

from syncs.models import Product
from tests.factories import CatalogFactory, CustomerFactory, ProductFactory
from tests.imports.helpers import both_paths, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(db):
    catalog = CatalogFactory(citrusad_id="cat-A", name="Groceries")
    rows = [
        ("04006381333931", "Foundation 30mL", 5, "19.99"),
        ("SKU-2", "Cereal", 0, "3.50"),
        ("SKU-3", "Milk", 7, "1.20"),
        ("SKU-4", "Bread", 2, "2.00"),
    ]
    for gtin, name, inventory, price in rows:
        ProductFactory(catalog=catalog, gtin=gtin, name=name, inventory=inventory, price=price)
    return catalog


FILE = (
    "catalogId,gtin,inventory,price,name\n"
    "cat-A,04006381333931,0,19.99,\n"
    "cat-A,SKU-2,4,3.50,Cereal\n"
    "cat-A,SKU-3,7,1.25,\n"
    "cat-A,SKU-4,2,,Bread\n"
    "cat-A,SKU-5,1,1.00,New\n"
)


def test_a_dry_run_counts_changes_and_clears_per_column_on_both_paths(
    tmp_path, monkeypatch, stored
):
    job = both_paths(tmp_path, monkeypatch, "products", FILE, dry_run=True)

    assert (job["rows_created"], job["rows_updated"], job["rows_unchanged"]) == (1, 4, 0)
    columns = {column["column"]: column for column in job["changes"]["columns"]}
    assert columns["name"] == {
        "column": "name",
        "changed": 0,
        "cleared": 2,
        "changed_examples": [],
        "cleared_examples": [
            'line 2, 04006381333931: name "Foundation 30mL" → empty',
            'line 4, SKU-3: name "Milk" → empty',
        ],
    }
    assert columns["price"]["changed"] == 1 and columns["price"]["cleared"] == 1
    assert columns["price"]["changed_examples"] == ["line 4, SKU-3: price 1.20 → 1.25"]
    assert columns["price"]["cleared_examples"] == ["line 5, SKU-4: price 2.00 → empty"]
    assert columns["inventory"]["changed_examples"] == [
        "line 2, 04006381333931: inventory 5 → 0",
        "line 3, SKU-2: inventory 0 → 4",
    ]
    assert job["changes"]["inventory"] == {"to_zero": 1, "from_zero": 1}
    assert job["changes"]["alerts"] == [
        "The file clears 2 stored name values (an empty cell empties the stored value).",
        "The file clears 1 of 4 stored price values (25%, more than 10%).",
    ]
    # Per catalog: what it would create, update and leave.
    entry = job["safeguard"][0]
    assert (entry["catalog"], entry["created"], entry["changes"], entry["unchanged"]) == (
        "Groceries",
        1,
        4,
        0,
    )
    # Nothing written.
    assert Product.objects.get(gtin="04006381333931").name == "Foundation 30mL"


def test_the_real_import_keeps_the_same_figures_after_it_ran(tmp_path, stored):
    job = run_import(tmp_path, "products", FILE, confirm_large_change=True)
    assert job.status == "succeeded", job.message
    names = next(c for c in job.changes["columns"] if c["column"] == "name")
    assert names["cleared"] == 2
    assert Product.objects.get(gtin="04006381333931").name == ""


def test_customers_and_orders_are_summarised_the_same_on_both_paths(tmp_path, monkeypatch):
    CustomerFactory(external_id="C-1", first_name="Ann", last_name="Lee", city="Oulu")
    content = "external_id,first_name,last_name,city,COMPANY__tier\nC-1,Annie,,Oulu,gold\n"
    job = both_paths(tmp_path, monkeypatch, "customers", content, dry_run=True)
    columns = {column["column"]: column for column in job["changes"]["columns"]}
    assert columns["first_name"]["changed_examples"] == ['line 2, C-1: first_name "Ann" → "Annie"']
    assert columns["last_name"]["cleared_examples"] == ['line 2, C-1: last_name "Lee" → empty']
    assert columns["COMPANY__ fields"]["changed_examples"] == [
        'line 2, C-1: COMPANY__ fields empty → "COMPANY__tier=gold"'
    ]
    assert columns["city"]["changed"] == columns["city"]["cleared"] == 0
    assert job["changes"]["alerts"] == [
        "The file clears 1 stored last_name value (an empty cell empties the stored value)."
    ]

    header = (
        "id,customerId,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts\n"
    )
    first = header + "ORD-1,C-1,2019-12-02,SKU-1,1,1.00,1.00\n"
    second = header + "ORD-1,,2019-12-02,SKU-1,2,1.00,2.00\nORD-1,,2019-12-02,SKU-2,1,1.00,1.00\n"
    run_import(tmp_path, "orders", first)
    job = both_paths(tmp_path, monkeypatch, "orders", second, dry_run=True)
    columns = {column["column"]: column for column in job["changes"]["columns"]}
    assert columns["customerId"]["cleared_examples"] == ['line 2, ORD-1: customerId "C-1" → empty']
    assert columns["items"]["changed_examples"] == ["line 2, ORD-1: items 1 item → 2 items"]
