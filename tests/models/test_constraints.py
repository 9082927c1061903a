"""The database itself enforces the platform limits, not only forms."""

import pytest
from django.db import DataError, IntegrityError, transaction

from syncs.models import Customer, Product
from tests.factories import CatalogFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _violates(**fields):
    # PostgreSQL refuses an over-long varchar with DataError; SQLite trips the check constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Product.objects.create(catalog=CatalogFactory(), **fields)


def test_product_unique_per_catalog_gtin_and_seller():
    product = ProductFactory(gtin="12345670")
    ProductFactory(catalog=product.catalog, gtin="12345670", seller_id="seller-2")
    ProductFactory(gtin="12345670")  # the same GTIN in another catalog is another product
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(catalog=product.catalog, gtin="12345670")


def test_product_inventory_cannot_be_negative():
    _violates(gtin="12345670", inventory=-1)


def test_gtin_longer_than_50_characters_is_refused():
    _violates(gtin="1" * 51)


def test_gtin_of_exactly_50_characters_is_accepted():
    assert Product.objects.create(catalog=CatalogFactory(), gtin="9" * 50).pk


def test_empty_gtin_is_refused():
    _violates(gtin="")


def test_seller_id_longer_than_50_characters_is_refused():
    _violates(gtin="12345670", seller_id="s" * 51)


def test_customer_external_id_is_unique_but_may_be_empty_many_times():
    CustomerFactory(external_id="A-1")
    CustomerFactory(external_id="", email="one@example.org")
    CustomerFactory(external_id="", email="two@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(external_id="A-1")


def test_customer_needs_one_identifier():
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(first_name="Nobody")


def test_catalog_remote_id_is_unique_when_set():
    CatalogFactory(citrusad_id="abc")
    CatalogFactory(citrusad_id="")
    CatalogFactory(citrusad_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogFactory(citrusad_id="abc")


def test_negative_price_is_refused():
    _violates(gtin="12345670", price=-1)


def test_image_url_that_would_make_a_tag_over_750_characters_is_refused():
    url = "https://img.example.com/" + "a" * 718  # 742 characters: "imageurl:" + url = 751
    _violates(gtin="12345670", image_url=url)
    assert Product.objects.create(catalog=CatalogFactory(), gtin="1", image_url=url[:-1]).pk
