"""Bulk stock-out and restore: honest counts, typed confirmation, one page per action."""

import pytest
from django.urls import reverse

from syncs.models import BulkStockAction, Product, SyncState
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/products/bulk-stock/"


@pytest.fixture
def merchandiser(client):
    client.force_login(UserFactory(role="merchandiser"))
    return client


@pytest.fixture
def rye():
    """Three rye products (one already out of stock) in a catalog of twenty."""
    catalog = CatalogFactory(name="Groceries")
    products = [ProductFactory(catalog=catalog, name=f"Rye bread {i}") for i in range(3)]
    Product.objects.filter(pk=products[0].pk).update(inventory=0, restore_inventory=4)
    for i in range(17):
        ProductFactory(catalog=catalog, name=f"Oat {i}")
    return products


def test_the_list_offers_restore_beside_stock_out(merchandiser, rye):
    html = merchandiser.get(reverse("product_search") + "?q=rye").content.decode()
    for label in (
        "Stock out selected…",
        "Stock out all matching this search…",
        "Restore selected…",
        "Restore all matching this search…",
    ):
        assert label in html


def test_the_confirmation_counts_only_the_rows_that_would_change(merchandiser, rye):
    html = merchandiser.post(URL, {"q": "rye", "bulk": "out:search"}).content.decode()
    assert "Stock out 2 products?" in html
    assert "1 already out of stock" in html
    restore = merchandiser.post(URL, {"q": "rye", "bulk": "in:search"}).content.decode()
    assert "Restore 1 product?" in restore and "2 already in stock" in restore


def test_the_confirmation_says_the_stock_filter_in_words(merchandiser, rye):
    html = merchandiser.post(URL, {"stock": "out", "bulk": "in:search"}).content.decode()
    assert "(all products), stocked out:" in html and "stock: out" not in html
    html = merchandiser.post(URL, {"q": "rye", "stock": "in", "bulk": "out:search"}).content
    assert "“rye”, in stock:" in html.decode()


def test_nothing_to_change_says_so_and_offers_nothing_to_confirm(merchandiser, rye):
    response = merchandiser.post(
        URL, {"bulk": "out:selected", "product_ids": [rye[0].pk], "confirm": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing to change" in html and "already out of stock" in html
    assert "<form" not in html.split("<main", 1)[1]
    assert not BulkStockAction.objects.exists()


def test_a_small_action_runs_at_once_and_its_message_adds_up(merchandiser, rye):
    form = {"q": "rye", "state": "out", "scope": "search", "confirm": "on"}
    response = merchandiser.post(URL, form, follow=True)
    html = response.content.decode()
    action = BulkStockAction.objects.get()
    assert response.redirect_chain[-1][0] == reverse("product_bulk_detail", args=[action.pk])
    assert "3 products requested: 2 stocked out, 1 already out of stock, 0 skipped." in html
    assert Product.objects.filter(inventory=0).count() == 3


def test_above_the_share_the_number_must_be_typed(merchandiser, rye, settings):
    settings.BULK_TYPED_CONFIRM_SHARE = 0.05  # 2 of 20 is 10 %
    form = {"q": "rye", "state": "out", "scope": "search", "confirm": "on"}
    page = merchandiser.post(URL, {"q": "rye", "bulk": "out:search"}).content.decode()
    assert "Type 2 to confirm" in page and "Groceries (2 of its 20 products)" in page
    for typed in ("", "3"):
        response = merchandiser.post(URL, {**form, "typed_count": typed})
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert Product.objects.filter(inventory=0).count() == 1, "a wrong number changes nothing"
    assert merchandiser.post(URL, {**form, "typed_count": "2"}).status_code == 302
    event = BulkStockAction.objects.get().audit_event
    assert event.after["typed_confirmation"] == 2


def test_the_action_page_shows_each_rows_outcome_and_the_pushes_that_failed(merchandiser, rye):
    merchandiser.post(URL, {"q": "rye", "state": "out", "scope": "search", "confirm": "on"})
    action = BulkStockAction.objects.get()
    SyncState.objects.filter(object_id=rye[1].pk).update(status="failed", last_error="price")
    html = merchandiser.get(reverse("product_bulk_detail", args=[action.pk])).content.decode()
    assert "0 confirmed, 1 on their way" in html and "1 failed" in html
    assert "failed: price" in html  # the row's chip
    assert "already out" in html and html.count("stocked out</span>") == 2
