"""No page does a query per row: the count is the same for a few rows and for many."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syncs.models import AuditEvent
from tests.factories import CustomerFactory, OrderItemFactory, ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


def _count(client, url):
    cache.clear()  # the dashboard's cached counts would save a query the second time
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(catalog, n):
    for i in range(n):
        product = ProductFactory(catalog=catalog, name=f"Crispbread {i}")
        batch = make_batch(keys=[product.gtin], outcome="rejected", error="bad")
        make_state(product, kind="product", status="failed", last_batch=batch, last_error="bad")
        customer = CustomerFactory()
        make_state(customer, kind="customer", status="failed", destination="custobar")
        OrderItemFactory(order__customer_id=customer.external_id)
        AuditEvent.objects.create(action="product.stock_out", object_kind="product", object_id=1)


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("batch_list"),
        reverse("batch_list") + "?key=0000",
        reverse("product_search") + "?q=crispbread",
        reverse("product_search") + "?sync=failed",
        reverse("customer_search") + "?q=customer",
        reverse("order_search") + "?q=ORD",
        reverse("catalog_list"),
        reverse("audit_list"),
    ],
)
def test_query_count_does_not_grow_with_rows(client, admin_user, catalog, url):
    client.force_login(admin_user)
    _grow(catalog, 2)
    few = _count(client, url)
    _grow(catalog, 12)
    many = _count(client, url)
    assert few > 3, "the page ran its queries"
    assert many == few, f"{url}: {few} queries for a few rows, {many} for more"


def test_detail_pages_have_a_fixed_query_count(client, admin_user, product, customer, order):
    client.force_login(admin_user)
    make_state(product, kind="product", status="confirmed")
    for _ in range(5):
        make_batch(keys=[product.gtin])
    urls = [
        reverse("product_detail", args=[product.pk]),
        reverse("customer_detail", args=[customer.pk]),
        reverse("order_detail", args=[order.pk]),
    ]
    counts = {url: _count(client, url) for url in urls}
    for _ in range(5):
        make_batch(keys=[product.gtin])
        OrderItemFactory(order=order)
    assert {url: _count(client, url) for url in urls} == counts
