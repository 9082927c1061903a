"""The product pages say what they found and offer only what can work."""

import pytest
from django.urls import reverse

from syncs.models import DeletionState, Product
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchandiser(client):
    client.force_login(UserFactory(role="merchandiser"))
    return client


@pytest.mark.parametrize("state", [DeletionState.REQUESTED, DeletionState.DELETED])
def test_a_deleted_product_offers_no_stock_out_and_says_it_is_deleted(merchandiser, product, state):
    Product.objects.filter(pk=product.pk).update(deletion_state=state)
    label = dict(DeletionState.choices)[state]
    for url in (
        reverse("product_search") + f"?q={product.gtin}",
        reverse("product_detail", args=[product.pk]),
    ):
        html = merchandiser.get(url).content.decode()
        assert f"Stock out {product.gtin}" not in html and f"Restore {product.gtin}" not in html
        assert label in html


def test_a_deleted_product_promises_no_restore_nor_a_stock_out_check(merchandiser, product):
    """The stock-out check asks CitrusAd about active products only, and Restore is gone."""
    Product.objects.filter(pk=product.pk).update(
        inventory=0, restore_inventory=53, deletion_state=DeletionState.DELETED
    )
    html = merchandiser.get(reverse("product_detail", args=[product.pk])).content.decode()
    assert "out of stock" in html
    assert "restore puts back" not in html
    assert "the nightly stock-out check asks CitrusAd" not in html
    assert "Verified dark in CitrusAd" not in html


def test_a_live_product_offers_stock_out_on_both_pages(merchandiser, product):
    for url in (
        reverse("product_search") + f"?q={product.gtin}",
        reverse("product_detail", args=[product.pk]),
    ):
        assert f"Stock out {product.gtin}" in merchandiser.get(url).content.decode()


def test_the_list_says_which_form_of_a_scanned_code_matched(merchandiser, product):
    scanned = product.gtin.lstrip("0")  # 7310865071705, the EAN-13 of the stored GTIN-14
    html = merchandiser.get(reverse("product_search") + f"?q={scanned}").content.decode()
    assert f"product-{product.pk}" in html and "matched as GTIN-14" in html
