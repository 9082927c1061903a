"""Product codes: CitrusAd takes any code, so a wrong GS1 check digit is a warning (the row is
imported and pushed), on both paths; a code CitrusAd cannot take stays an error."""

import csv
import io
import json
from pathlib import Path

import pytest

from syncs.models import Order, Product, SyncState
from syncs.services.push import sync_run
from tests.imports.helpers import both_paths, run_import

pytestmark = pytest.mark.django_db

DOC_CATALOG = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"
# The documentation's own example product (citrusad catalog-products), as a file.
DOC_PRODUCTS = (
    "catalogId,gtin,inventory,price,name,imageUrl,filters\n"
    f"{DOC_CATALOG},23556578965543,50,19.99,Covergirl Clean 120 Creamy Natural Liquid "
    "Foundation30mL,https://your.image.host.com/image.jpg,"
    "category:Health&Beauty|category:Grocery|Brand:Covergirl|Special_Flag:0\n"
)
WARNING = "gtin 23556578965543 has a wrong GS1 check digit (imported as it is)"


def test_the_documented_example_product_imports_with_a_warning_on_both_paths(tmp_path, monkeypatch):
    job = both_paths(tmp_path, monkeypatch, "products", DOC_PRODUCTS)

    assert job["status"] == "succeeded", job["message"]
    assert (job["rows_created"], job["rows_invalid"], job["rows_warned"]) == (1, 0, 1)
    assert job["warnings"] == [{"line": 2, "message": WARNING}]
    assert job["message"].endswith("1 row with a warning, imported as it is.")
    rows = list(csv.reader(io.StringIO(job["error_file"].lstrip("\ufeff"))))
    assert rows[0][-2:] == ["error", "warning"]
    assert rows[1][1] == "23556578965543"
    assert rows[1][-2:] == ["", f"line 2: {WARNING}"]


def test_the_documented_example_product_is_pushed_unchanged_to_the_sandbox(tmp_path, sandbox):
    job = run_import(tmp_path, "products", DOC_PRODUCTS)
    assert job.status == "succeeded", job.message
    sync_run(wait_for_retries=True)

    assert not SyncState.objects.exclude(status="confirmed").exists()
    sent = [
        item
        for request in sandbox.received("/v1/catalog-products", method="POST")
        for item in request.json["catalogProducts"]
    ]
    assert sent == [
        {
            "catalogId": DOC_CATALOG,
            "gtin": "23556578965543",
            "inventory": 50,
            "price": "19.99",
            "tags": [
                "imageurl:https://your.image.host.com/image.jpg",
                "name:Covergirl Clean 120 Creamy Natural Liquid Foundation30mL",
            ],
            "filters": [
                "category:Health&Beauty",
                "category:Grocery",
                "Brand:Covergirl",
                "Special_Flag:0",
            ],
        }
    ]
    assert sandbox.product(DOC_CATALOG, "23556578965543")["inventory"] == 50


# The platforms' documented requests, copied into the contract tests (with their source lines).
DOCUMENTED = json.loads(
    (Path(__file__).parents[1] / "contract" / "reference_examples.json").read_text()
)


def _as_csv(products: list[dict]) -> str:
    """The documented catalogProducts as the file an admin would upload for them (filters as a
    JSON array, so each documented string is kept as it is)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["catalogId", "gtin", "inventory", "price", "profit", "name", "imageUrl", "filters"]
    writer.writerow(header)
    for item in products:
        tags = dict(tag.split(":", 1) for tag in item["tags"])
        assert set(tags) == {"name", "imageurl"}
        writer.writerow(
            [
                item["catalogId"],
                item["gtin"],
                item["inventory"],
                item["price"],
                item.get("profit", ""),
                tags["name"],
                tags["imageurl"],
                json.dumps(item["filters"]),
            ]
        )
    return out.getvalue()


@pytest.mark.parametrize(
    "example",
    ["product_standard", "product_location", "product_hfss", "product_multiple"],
)
def test_each_documented_product_request_is_what_its_file_pushes(tmp_path, sandbox, example):
    documented = DOCUMENTED[example]["request"]["catalogProducts"]
    job = run_import(tmp_path, "products", _as_csv(documented))
    assert job.status == "succeeded", job.message
    assert job.rows_created == len(documented)
    sync_run(wait_for_retries=True)

    sent = [
        item
        for request in sandbox.received("/v1/catalog-products", method="POST")
        for item in request.json["catalogProducts"]
    ]
    assert sorted(sent, key=lambda item: item["gtin"]) == sorted(
        documented, key=lambda item: item["gtin"]
    )


def test_an_order_gtin_and_substitution_with_wrong_check_digits_are_warnings(tmp_path, monkeypatch):
    content = (
        "id,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts,"
        "substitutedFor\n"
        "ORD-1,2019-12-02,23556578965543,1,9.99,9.99,4006381333932\n"
        "ORD-1,2019-12-02,4006381333931,1,2.50,2.50,\n"
    )
    job = both_paths(tmp_path, monkeypatch, "orders", content)

    assert job["status"] == "succeeded", job["message"]
    assert (job["rows_created"], job["rows_warned"]) == (1, 1)
    assert job["warnings"] == [
        {
            "line": 2,
            "message": "gtin 23556578965543 has a wrong GS1 check digit (imported as it is); "
            "substitutedFor 4006381333932 has a wrong GS1 check digit (imported as it is)",
        }
    ]


def test_the_order_is_pushed_with_its_codes_as_given(tmp_path, sandbox):
    content = (
        "id,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts,"
        "substitutedFor\n"
        "ORD-1,2019-12-02T15:00:00Z,23556578965543,1,9.99,9.99,4006381333932\n"
    )
    job = run_import(tmp_path, "orders", content)
    assert job.status == "succeeded", job.message
    sync_run(wait_for_retries=True)
    sent = [
        item
        for request in sandbox.received("/v1/orders", method="POST")
        for item in request.json["orders"]
    ]
    assert [item["gtin"] for item in sent[0]["orderItems"]] == ["23556578965543"]
    assert sent[0]["orderItems"][0]["substitutedFor"] == "4006381333932"
    assert Order.objects.get().items.get().gtin == "23556578965543"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("1" * 51, "gtin is 51 characters long; the limit is 50"),
        ("SKU/1", "gtin 'SKU/1' contains a space, '/', '?', '#' or '%'"),
        ("SKU?1", "gtin 'SKU?1' contains a space, '/', '?', '#' or '%'"),
        ("SKU#1", "gtin 'SKU#1' contains a space, '/', '?', '#' or '%'"),
        ("SKU%1", "gtin 'SKU%1' contains a space, '/', '?', '#' or '%'"),
        ("SKU 1", "gtin 'SKU 1' contains a space, '/', '?', '#' or '%'"),
    ],
)
def test_a_code_citrusad_cannot_take_stays_an_error(tmp_path, monkeypatch, code, message):
    job = both_paths(tmp_path, monkeypatch, "products", f"catalogId,gtin,inventory\nc,{code},1\n")
    assert job["status"] == "failed"
    assert job["errors"] == [{"line": 2, "message": message}]
    assert job["rows_warned"] == 0
    assert not Product.objects.exists()


def test_a_row_with_a_warning_and_an_error_carries_both(tmp_path, monkeypatch):
    content = "catalogId,gtin,inventory\nc,23556578965543,x\nc,SKU-1,1\n"
    job = both_paths(tmp_path, monkeypatch, "products", content, skip_invalid=True)
    assert (job["rows_created"], job["rows_invalid"], job["rows_warned"]) == (1, 1, 1)
    # The warned row was skipped as invalid: the job must not say it was imported.
    assert job["message"] == (
        "Imported: 1 created, 0 updated, 0 unchanged; 1 row skipped as invalid. "
        "1 row with a warning, also invalid: not imported."
    )
    rows = list(csv.reader(io.StringIO(job["error_file"].lstrip("\ufeff"))))
    assert rows[1] == [
        "c",
        "23556578965543",
        "x",
        "line 2: inventory must be a whole number, not 'x'",
        f"line 2: {WARNING}",
    ]
