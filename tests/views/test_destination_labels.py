"""A webhook endpoint has one name on every page ("Webhook <its name>"), read without a query
per row; one removed since keeps a label ("Webhook #3 (removed)")."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syncs.destinations import destination_label, destination_labels
from syncs.models import AuditEvent, Destination, SyncKind
from syncs.services.webhooks import webhook_endpoint_create, webhook_endpoint_delete
from tests.factories import ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


def _endpoint(name, admin_user):
    created, _secret = webhook_endpoint_create(
        name=name, url=f"https://{name.lower()}.example.com/in", kinds=["product"], enabled=True,
        actor=admin_user,
    )  # fmt: skip
    return created


@pytest.fixture
def shop(admin_user):
    return _endpoint("Shop", admin_user)


def _failed_push(product, endpoint):
    batch = make_batch(
        keys=[product.gtin], destination=endpoint.destination_name, outcome="rejected", error="no"
    )
    make_state(
        product,
        kind=SyncKind.PRODUCT,
        destination=endpoint.destination_name,
        status="failed",
        last_batch=batch,
        last_error="the receiver said no",
    )
    return batch


def test_every_page_names_an_endpoint_by_its_name(client, admin_user, catalog, shop):
    product = ProductFactory(catalog=catalog, name="Rye crispbread")
    batch = _failed_push(product, shop)
    AuditEvent.objects.create(
        actor=admin_user, action="product.stock_out", object_kind="product", object_id=product.pk
    )
    client.force_login(admin_user)
    pages = {
        "dashboard": reverse("home"),
        "history": reverse("batch_list"),
        "batch": reverse("batch_detail", args=[batch.pk]),
        "product": reverse("product_detail", args=[product.pk]),
        "my activity": reverse("my_activity"),
    }
    for page, url in pages.items():
        html = client.get(url).content.decode()
        assert "Webhook Shop" in html, page
        assert "Webhook #" not in html, page
    # The banner every page shows while it is paused, the Webhooks page's included.
    Destination.objects.filter(name=shop.destination_name).update(paused=True, paused_reason="Gone")
    for url in (reverse("webhook_list"), reverse("product_search")):
        assert "Webhook Shop is paused" in client.get(url).content.decode()


def test_a_retry_in_my_activity_names_the_endpoint(client, admin_user, catalog, shop):
    product = ProductFactory(catalog=catalog)
    _failed_push(product, shop)
    client.force_login(admin_user)
    retry = {"kind": "product", "object_id": product.pk, "destination": shop.destination_name}
    client.post(reverse("row_retry"), retry)
    html = client.get(reverse("my_activity")).content.decode()
    assert f"product {product.pk} → Webhook Shop" in html
    assert "webhook:" not in html.split('id="results"')[1]


def test_a_removed_endpoint_keeps_a_label_in_the_history(client, admin_user, catalog, shop):
    pk = shop.pk
    batch = _failed_push(ProductFactory(catalog=catalog), shop)
    webhook_endpoint_delete(endpoint=shop, actor=admin_user)
    client.force_login(admin_user)
    assert f"Webhook #{pk} (removed)" in client.get(reverse("batch_list")).content.decode()
    detail = client.get(reverse("batch_detail", args=[batch.pk])).content.decode()
    assert f"to Webhook #{pk} (removed)" in detail
    assert destination_label(f"webhook:{pk}") == f"Webhook #{pk} (removed)"


def test_labels_of_many_destinations_take_one_query(admin_user, shop):
    warehouse = _endpoint("Warehouse", admin_user)
    names = ["citrusad", "custobar", shop.destination_name, warehouse.destination_name]
    with CaptureQueriesContext(connection) as queries:
        labels = destination_labels([*names, "webhook:999999", "webhook:x"])
    assert len(queries.captured_queries) == 1
    assert labels == {
        "citrusad": "CitrusAd",
        "custobar": "Custobar",
        shop.destination_name: "Webhook Shop",
        warehouse.destination_name: "Webhook Warehouse",
        "webhook:999999": "Webhook #999999 (removed)",
        "webhook:x": "Webhook #x (removed)",
    }


@pytest.mark.parametrize("page", ["batch_list", "home", "my_activity"])
def test_pages_name_endpoints_without_a_query_per_row(client, admin_user, catalog, page):
    endpoints = [_endpoint(name, admin_user) for name in ("Shop", "Warehouse", "Outlet")]
    client.force_login(admin_user)

    def grow(n):
        for i in range(n):
            product = ProductFactory(catalog=catalog)
            _failed_push(product, endpoints[i % len(endpoints)])
            AuditEvent.objects.create(
                actor=admin_user, action="product.stock_out", object_kind="product",
                object_id=product.pk,
            )  # fmt: skip

    def count():
        cache.clear()  # the dashboard's cached totals would save queries the second time
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse(page)).content.decode()
        assert "Webhook Shop" in html and "Webhook Outlet" in html
        return len(queries.captured_queries)

    grow(3)
    few = count()
    grow(12)
    assert count() == few
