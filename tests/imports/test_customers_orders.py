"""Customer and order imports: identifiers, normalisation, merging, grouping rows into orders."""

import datetime
from decimal import Decimal

import pytest

from syncs.models import Customer, Order, SyncState
from tests.factories import CustomerFactory
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

CUSTOMERS = (
    "external_id,email,phone_number,first_name,country,can_email,date_joined,tags,"
    "mailing_lists,COMPANY__loyalty_level,targeting:customer_type\n"
    "C-1,james@example.org,040 123 4567,James,FI,yes,2015-11-23T13:11:23Z,vip|kitchen,"
    "weekly,gold,Corporate\n"
    ",ann@example.org,+447757138957,Ann,,0,2015-11-23,,,,Retail\n"
)


def test_customers_import(tmp_path):
    job = run_import(tmp_path, "customers", CUSTOMERS)

    assert job.status == "succeeded", job.message
    assert job.rows_created == 2
    james = Customer.objects.get(external_id="C-1")
    assert james.phone_number == "+358401234567"  # national number, country FI
    assert (james.can_email, james.country, james.first_name) == (True, "FI", "James")
    assert james.date_joined == datetime.datetime(2015, 11, 23, 13, 11, 23, tzinfo=datetime.UTC)
    assert (james.tags, james.mailing_lists) == (["vip", "kitchen"], ["weekly"])
    assert james.company_fields == {"COMPANY__loyalty_level": "gold"}
    assert james.targeting_data == {"customer_type": "Corporate"}
    ann = Customer.objects.get(email="ann@example.org")
    assert (ann.external_id, ann.can_email, ann.targeting_data) == (
        "",
        False,
        {"customer_type": "Retail"},
    )
    # Customers go to both destinations.
    assert SyncState.objects.filter(kind="customer").count() == 4


def test_a_customer_reimport_is_unchanged_and_dict_keys_not_in_the_file_are_kept(tmp_path):
    run_import(tmp_path, "customers", CUSTOMERS)
    james = Customer.objects.get(external_id="C-1")
    james.company_fields["COMPANY__shoe_size"] = "44"
    james.save()
    SyncState.objects.update(status="confirmed", confirmed_version=1)

    job = run_import(tmp_path, "customers", CUSTOMERS)

    assert (job.rows_updated, job.rows_unchanged) == (0, 2)
    james.refresh_from_db()
    assert james.company_fields == {"COMPANY__loyalty_level": "gold", "COMPANY__shoe_size": "44"}
    assert not SyncState.objects.filter(status="pending").exists()


def test_an_empty_company_cell_removes_that_key(tmp_path):
    customer = CustomerFactory(external_id="C-9", company_fields={"COMPANY__tier": "a"})
    job = run_import(tmp_path, "customers", "external_id,COMPANY__tier\nC-9,\n")
    customer.refresh_from_db()
    assert job.rows_updated == 1 and customer.company_fields == {}
    assert customer.version == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",,,x", "one of external_id, email or phone_number is required"),
        ("C_1,,,", "external_id 'C_1' may hold only letters, numbers and dashes"),
        (",not-an-email,,", "email 'not-an-email' is not an email address"),
        (
            ",,12345,",
            "phone_number '12345' is not a phone number; use the +country form "
            "(or give the customer's country)",
        ),
        ("C-2,,,maybe", "can_email must be true or false (1/0, yes/no), not 'maybe'"),
    ],
)
def test_bad_customer_rows(tmp_path, row, message):
    job = run_import(tmp_path, "customers", f"external_id,email,phone_number,can_email\n{row}\n")
    assert job.status == "failed"
    assert job.errors == [{"line": 2, "message": message}]
    assert not Customer.objects.exists()


def test_a_false_is_deleted_never_undoes_a_deletion(tmp_path):
    customer = CustomerFactory(external_id="C-3", is_deleted=True)
    job = run_import(tmp_path, "customers", "external_id,is_deleted\nC-3,false\n")
    customer.refresh_from_db()
    assert customer.is_deleted and job.rows_unchanged == 1


ORDERS = (
    "id,customerId,sessionId,orderDate,adIds,gtin,quantity,regularUnitPrice,"
    "totalOrderItemPriceAfterDiscounts,adId,citrusDiscountAmount,substitutedFor\n"
    "ORD-1,C-1,s1,2019-12-02T15:00:00Z,ad1|ad2,9891998566P,3,9.99,9.99,display_1,,\n"
    "ORD-1,C-1,s1,2019-12-02T15:00:00Z,ad1|ad2,4006381333931,1,2.50,2.00,,0.50,\n"
    "ORD-2,,,2019-12-03,,4006381333931,2,2.50,5.00,,,4006381333948\n"
)


def test_rows_sharing_an_id_form_one_order(tmp_path):
    job = run_import(tmp_path, "orders", ORDERS)

    assert job.status == "succeeded", job.message
    assert (job.rows_read, job.rows_created) == (3, 2)
    order = Order.objects.get(order_id="ORD-1")
    assert (order.customer_id, order.session_id, order.ad_ids) == ("C-1", "s1", ["ad1", "ad2"])
    items = list(
        order.items.order_by("position").values_list("gtin", "quantity", "citrus_discount_amount")
    )
    assert items == [("9891998566P", 3, None), ("4006381333931", 1, Decimal("0.50"))]
    assert Order.objects.get(order_id="ORD-2").items.get().substituted_for == "4006381333948"

    again = run_import(tmp_path, "orders", ORDERS)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 2)

    changed = run_import(tmp_path, "orders", ORDERS.replace(",3,9.99,9.99,", ",4,9.99,39.96,"))
    assert changed.rows_updated == 1
    order.refresh_from_db()
    assert order.version == 2 and order.items.get(position=0).quantity == 4


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (
            "ORD-1,,,yesterday,,SKU-1,1,1,1,,,\n",
            2,
            "orderDate 'yesterday' is not an ISO 8601 date, e.g. 2026-11-23T14:10:00Z",
        ),
        (",,,2019-12-02,,SKU-1,1,1,1,,,\n", 2, "id (the order id) is required"),
        ("ORD-1,,,2019-12-02,,SKU-1,0,1,1,,,\n", 2, "quantity must be at least 1"),
        (
            "ORD-1,,,2019-12-02,,SKU-1,1,1,1,,,\nORD-1,,,2019-12-03,,SKU-2,1,1,1,,,\n",
            3,
            "orderDate differs from line 2 of the same order",
        ),
        (
            "ORD-1,,,2019-12-02,,SKU-1,1,1,1,,,\nORD-2,,,2019-12-02,,SKU-1,1,1,1,,,\n"
            "ORD-1,,,2019-12-02,,SKU-1,1,1.00,1,,,\n",
            4,
            "duplicate of line 2",
        ),
    ],
)
def test_bad_order_rows(tmp_path, rows, line, message):
    header = ORDERS.splitlines()[0] + "\n"
    job = run_import(tmp_path, "orders", header + rows)
    assert job.status == "failed"
    assert {"line": line, "message": message} in job.errors
    assert not Order.objects.exists()


def test_one_bad_item_makes_its_whole_order_invalid(tmp_path):
    header = ORDERS.splitlines()[0] + "\n"
    rows = "ORD-1,,,2019-12-02,,SKU-1,1,1,1,,,\nORD-1,,,2019-12-02,,SKU-2,x,1,1,,,\n"
    job = run_import(tmp_path, "orders", header + rows, skip_invalid=True)
    assert job.rows_invalid == 2 and job.errors[0] == {
        "line": 2,
        "message": "line 3 of the same order is invalid",
    }
    assert not Order.objects.exists()
