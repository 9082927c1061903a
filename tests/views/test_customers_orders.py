"""Finding customers and orders the way support is asked about them, and linking the two."""

import pytest
from django.urls import reverse

from syncs.services.push import batch_push
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CustomerFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_client(client, support):
    client.force_login(support)
    return client


def _found(client, url_name: str, q: str) -> str:
    return client.get(reverse(url_name), {"q": q}).content.decode()


@pytest.mark.parametrize("typed", ["aino@", "@example.org", "AINO@EXAMPLE"])
def test_a_customer_is_found_by_part_of_the_email(support_client, typed):
    aino = CustomerFactory(external_id="", email="aino@example.org", first_name="A")
    other = CustomerFactory(email="mikko@example.com")
    html = _found(support_client, "customer_search", typed)
    assert reverse("customer_detail", args=[aino.pk]) in html
    assert reverse("customer_detail", args=[other.pk]) not in html


@pytest.mark.parametrize(
    "typed", ["07700 922809", "07700922809", "+44 7700 922809", "0044 7700 922809"]
)
def test_a_phone_number_is_found_however_it_is_written_for_the_customers_country(
    support_client, typed
):
    briton = CustomerFactory(phone_number="+447700922809", country="GB")
    html = _found(support_client, "customer_search", typed)
    assert reverse("customer_detail", args=[briton.pk]) in html


def test_a_national_number_is_read_in_the_customers_country(support_client):
    # A British number of a customer in Finland: "07700 922809" there would be +358…
    finn = CustomerFactory(phone_number="+447700922809", country="FI")
    html = _found(support_client, "customer_search", "07700 922809")
    assert reverse("customer_detail", args=[finn.pk]) not in html


def test_an_order_is_found_without_its_prefix_when_only_one_ends_so(support_client):
    wanted = OrderItemFactory(order__order_id="ORD-10023").order
    OrderItemFactory(order__order_id="ORD-110023")  # ends with the digits, not after a prefix
    html = _found(support_client, "order_search", "10023")
    assert reverse("order_detail", args=[wanted.pk]) in html
    assert "the id of this order ends with it" in html and html.count("/orders/") >= 1
    assert "ORD-110023" not in html


def test_several_orders_ending_so_are_listed_and_said_to_be_several(support_client):
    for year in (2025, 2026):
        OrderItemFactory(order__order_id=f"ORD-{year}-0001")
    html = _found(support_client, "order_search", "0001")
    assert "ORD-2025-0001" in html and "ORD-2026-0001" in html and "Which one?" in html


def test_the_order_page_links_its_customer_and_names_its_products(support_client, catalog):
    customer = CustomerFactory(external_id="CUST-7")
    product = ProductFactory(catalog=catalog, gtin="06414893400012", name="Rye crisp 250 g")
    item = OrderItemFactory(order__customer_id="CUST-7", gtin=product.gtin)
    OrderItemFactory(order=item.order, gtin="09999999999999", position=1)
    html = support_client.get(reverse("order_detail", args=[item.order.pk])).content.decode()
    assert reverse("customer_detail", args=[customer.pk]) in html
    assert "Rye crisp 250 g" in html and "not a product known here" in html


def test_a_customer_without_an_id_of_their_own_shows_the_pushes_that_confirmed_it(
    support_client, sandbox
):
    customer = CustomerFactory(
        external_id="", email="ada@example.org", phone_number="+358401234567"
    )
    sync_state_mark_changed(kind="customer", object_ids=[customer.pk])
    for destination in ("citrusad", "custobar"):
        batch_push(destination=destination, kind="customer")
    html = support_client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert html.count('class="chip confirmed"') == 2, "confirmed in both destinations"
    assert "Never pushed yet" not in html
    assert html.count("/history/") >= 2, "both pushes are listed"
