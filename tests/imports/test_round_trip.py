"""Import a file, drain the sync engine in-process, and check the sandbox (real HTTP) received
exactly what the file said."""

import pytest

from syncs.models import SyncState
from syncs.services.push import sync_run
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

CATALOG = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"


def _drain():
    sync_run(wait_for_retries=True)
    assert not SyncState.objects.filter(status="pending").exists()


def test_products_round_trip(tmp_path, sandbox):
    csv = (
        "catalogId,gtin,sellerId,inventory,price,profit,name,imageUrl,tags,filters,groups\n"
        f"{CATALOG},04006381333931,,50,19.99,1.50,Covergirl Foundation 30mL,"
        "https://your.image.host.com/image.jpg,,category:Health&Beauty|Brand:Covergirl,\n"
        f'{CATALOG},SKU-9,seller-1,0,8.50,,Froot Loops,,promo,["category:Pantry"],Kelloggs\n'
    )
    job = run_import(tmp_path, "products", csv, confirm_large_change=True)
    assert job.status == "succeeded", job.message
    _drain()

    sent = [
        item
        for request in sandbox.received("/v1/catalog-products", method="POST")
        for item in request.json["catalogProducts"]
    ]
    by_gtin = {item["gtin"]: item for item in sent}
    assert by_gtin["04006381333931"] == {
        "catalogId": CATALOG,
        "gtin": "04006381333931",
        "inventory": 50,
        "price": "19.99",
        "tags": [
            "imageurl:https://your.image.host.com/image.jpg",
            "name:Covergirl Foundation 30mL",
        ],
        "filters": ["category:Health&Beauty", "Brand:Covergirl"],
        "profit": "1.50",
    }
    assert by_gtin["SKU-9"] == {
        "catalogId": CATALOG,
        "gtin": "SKU-9",
        "sellerId": "seller-1",
        "inventory": 0,
        "price": "8.50",
        "tags": ["name:Froot Loops", "promo"],
        "filters": ["category:Pantry"],
        "groups": ["Kelloggs"],
    }
    assert len(sent) == 2

    # The same file again: nothing is queued, nothing is sent.
    before = len(sandbox.received("/v1/catalog-products", method="POST"))
    again = run_import(tmp_path, "products", csv)
    assert again.rows_unchanged == 2
    sync_run(wait_for_retries=True)
    assert len(sandbox.received("/v1/catalog-products", method="POST")) == before


def test_customers_round_trip(tmp_path, sandbox):
    csv = (
        "external_id,email,phone_number,first_name,can_email,tags,COMPANY__customer_group,"
        "targeting:customer_type\n"
        "3619490226,james.carroll@example.org,+447757138957,James,true,kitchenware|vip,1,Corporate\n"
    )
    job = run_import(tmp_path, "customers", csv)
    assert job.status == "succeeded", job.message
    _drain()

    citrus = [
        item
        for request in sandbox.received("/v1/customers", method="POST")
        for item in request.json["customers"]
    ]
    assert citrus == [{"id": "3619490226", "targetingData": {"customer_type": "Corporate"}}]
    custobar = [
        item
        for request in sandbox.received("/api/customers/upload/", method="POST")
        for item in request.json["customers"]
    ]
    assert len(custobar) == 1
    assert {k: custobar[0][k] for k in custobar[0] if k not in ("tags",)} == {
        "external_id": "3619490226",
        "email": "james.carroll@example.org",
        "phone_number": "+447757138957",
        "first_name": "James",
        "can_email": True,
        "COMPANY__customer_group": "1",
    }
    assert sorted(custobar[0]["tags"]) == ["kitchenware", "vip"]


def test_orders_round_trip(tmp_path, sandbox):
    csv = (
        "id,customerId,sessionId,orderDate,gtin,quantity,regularUnitPrice,"
        "totalOrderItemPriceAfterDiscounts,adId\n"
        "ORD-1,3619490226,s-1,2019-12-02T15:00:00Z,9891998566P,3,9.99,9.99,"
        "display_zeowj3jV8VRxB1w_iEPy_upxFPc5ODkxNTY2UA==\n"
        "ORD-1,3619490226,s-1,2019-12-02T15:00:00Z,4006381333931,1,2.50,2.50,\n"
    )
    job = run_import(tmp_path, "orders", csv)
    assert job.status == "succeeded", job.message
    _drain()

    sent = [
        item
        for request in sandbox.received("/v1/orders", method="POST")
        for item in request.json["orders"]
    ]
    assert len(sent) == 1
    order = {k: v for k, v in sent[0].items() if k != "teamId"}
    assert order == {
        "id": "ORD-1",
        "customerId": "3619490226",
        "sessionId": "s-1",
        "orderDate": "2019-12-02T15:00:00Z",
        "orderItems": [
            {
                "gtin": "9891998566P",
                "quantity": 3,
                "regularUnitPrice": "9.99",
                "totalOrderItemPriceAfterDiscounts": "9.99",
                "adId": "display_zeowj3jV8VRxB1w_iEPy_upxFPc5ODkxNTY2UA==",
            },
            {
                "gtin": "4006381333931",
                "quantity": 1,
                "regularUnitPrice": "2.50",
                "totalOrderItemPriceAfterDiscounts": "2.50",
            },
        ],
    }
