"""Payload builders: the rules beyond the documented examples (see tests/contract/)."""

import datetime
from decimal import Decimal

import pytest

from syncs.remotes import payloads
from tests.factories import (
    CatalogFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def test_product_always_carries_inventory_even_zero():
    payload = payloads.catalog_product_payload(ProductFactory(inventory=0))
    assert payload["inventory"] == 0


def test_product_optional_fields_only_when_set():
    product = ProductFactory(
        price=None, profit=None, name="", image_url="", tags=[], filters=[], groups=[]
    )
    assert payloads.catalog_product_payload(product) == {
        "catalogId": product.catalog.citrusad_id,
        "gtin": product.gtin,
        "inventory": product.inventory,
        "tags": [],
        "filters": [],
    }


def test_product_seller_groups_tags_and_money():
    product = ProductFactory(
        seller_id="seller-9",
        price=Decimal("5"),
        profit=Decimal("-0.5"),
        name="Ærø Æbleskiver 200 g",
        image_url="https://img.example.org/a.jpg",
        tags=["organic"],
        filters=["hfss:false", "location:123"],
        groups=["Brand", "Bakery"],
    )
    payload = payloads.catalog_product_payload(product)
    assert payload["sellerId"] == "seller-9"
    assert payload["price"] == "5.00" and payload["profit"] == "-0.50"
    assert payload["tags"] == [
        "imageurl:https://img.example.org/a.jpg",
        "name:Ærø Æbleskiver 200 g",
        "organic",
    ]
    assert payload["filters"] == ["hfss:false", "location:123"]
    assert payload["groups"] == ["Brand", "Bakery"]


def test_catalog_payload():
    assert payloads.catalog_create_payload(CatalogFactory(name="Main")) == {"name": "Main"}


def test_citrusad_customer_id_is_the_external_id_or_a_stable_one():
    with_id = CustomerFactory(external_id="L-1", targeting_data={"tier": "gold"})
    assert payloads.citrusad_customer_payload(with_id) == {
        "id": "L-1",
        "targetingData": {"tier": "gold"},
    }
    without = CustomerFactory(external_id="", email="x@example.org")
    assert payloads.citrusad_customer_payload(without)["id"] == f"citrusadmin-{without.pk}"


def test_order_items_follow_position_and_skip_empty_fields(settings):
    settings.CITRUSAD_TEAM_ID = ""
    order = OrderFactory(
        customer_id="",
        session_id="sess-1",
        ad_ids=["ad-1", "ad-2"],
        order_date=datetime.datetime(2024, 3, 1, 10, 30, 15, 250000, tzinfo=datetime.UTC),
    )
    OrderItemFactory(order=order, position=2, gtin="second", substituted_for="orig")
    OrderItemFactory(order=order, position=1, gtin="first", citrus_discount_amount=Decimal("1"))
    payload = payloads.order_payload(order)
    assert list(payload) == ["id", "sessionId", "adIds", "orderDate", "orderItems"]
    assert payload["orderDate"] == "2024-03-01T10:30:15.250000Z"
    assert [i["gtin"] for i in payload["orderItems"]] == ["first", "second"]
    assert payload["orderItems"][0]["citrusDiscountAmount"] == "1.00"
    assert "adId" not in payload["orderItems"][0]
    assert payload["orderItems"][1]["substitutedFor"] == "orig"
    assert "citrusDiscountAmount" not in payload["orderItems"][1]


def test_order_date_in_another_zone_is_sent_in_utc():
    helsinki = datetime.timezone(datetime.timedelta(hours=2))
    order = OrderFactory(order_date=datetime.datetime(2024, 1, 1, 1, 0, tzinfo=helsinki))
    assert payloads.order_payload(order)["orderDate"] == "2023-12-31T23:00:00Z"


def test_custobar_partial_sends_identifiers_and_only_changes():
    customer = CustomerFactory(
        external_id="C-1",
        email="old@example.org",
        first_name="Anna",
        city="Turku",
        can_sms=True,
        tags=["a", "b"],
        company_fields={"ACME__tier": "gold", "ACME__old": 1},
    )
    previous = payloads.custobar_customer_snapshot(customer)
    customer.email = "new@example.org"
    customer.city = ""
    customer.can_sms = None
    customer.can_email = False
    customer.tags = ["b", "c"]
    customer.mailing_lists = ["news"]
    customer.company_fields = {"ACME__tier": "silver"}
    assert payloads.custobar_customer_payload(customer, previous=previous) == {
        "external_id": "C-1",
        "email": "new@example.org",
        "can_email": False,
        "ACME__tier": "silver",
        "city": "",
        "can_sms": "",
        "ACME__old": "",
        "tags.add": ["c"],
        "tags.remove": ["a"],
        "mailing_lists.add": ["news"],
    }


def test_custobar_unchanged_customer_sends_identifiers_only():
    customer = CustomerFactory(external_id="C-2", email="c2@example.org", tags=["x"])
    previous = payloads.custobar_customer_snapshot(customer)
    assert payloads.custobar_customer_payload(customer, previous=previous) == {
        "external_id": "C-2",
        "email": "c2@example.org",
    }


def test_custobar_deleted_and_forgotten_are_sent_once_and_never_undone():
    customer = CustomerFactory(external_id="C-3")
    previous = payloads.custobar_customer_snapshot(customer)
    customer.is_deleted = True
    customer.is_forgotten = True
    changed = payloads.custobar_customer_payload(customer, previous=previous)
    assert changed["is_deleted"] is True and changed["is_forgotten"] is True
    later = payloads.custobar_customer_snapshot(customer)
    customer.is_deleted = False  # cannot be undone remotely, so nothing is sent for it
    assert "is_deleted" not in payloads.custobar_customer_payload(customer, previous=later)


def test_custobar_snapshot_formats():
    customer = CustomerFactory(
        birth_date=datetime.date(1991, 6, 14),
        date_joined=datetime.datetime(2015, 8, 28, 14, 10, tzinfo=datetime.UTC),
        can_post=False,
    )
    snapshot = payloads.custobar_customer_snapshot(customer)
    assert snapshot["birth_date"] == "1991-06-14"
    assert snapshot["date_joined"] == "2015-08-28T14:10:00Z"
    assert snapshot["can_post"] is False
    assert "can_email" not in snapshot  # never told: nothing sent


def test_custobar_customer_keys():
    assert payloads.custobar_customer_key({"id": "L-1", "email": "a@example.org"}) == "L-1"
    assert payloads.custobar_customer_key({"email": "a@example.org"}) == "a@example.org"
    assert payloads.custobar_customer_key({"phone_number": "+358401234567"}) == "+358401234567"
    assert payloads.custobar_customer_key({"tags.add": ["x"]}) == ""
