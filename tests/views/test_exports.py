"""CSV exports of a search: the import's columns, streamed, and an import of one changes nothing."""

import datetime

import pytest
from django.urls import reverse

from syncs.models import AuditEvent, Customer, Product
from tests.factories import CatalogFactory, CustomerFactory, ProductFactory
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db


def _download(client, url: str, query: dict) -> str:
    response = client.get(url, query)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def products():
    catalog = CatalogFactory(name="Pantry", citrusad_id="cat-pantry")
    return [
        ProductFactory(
            catalog=catalog,
            gtin="04006381333931",
            name="=Crème brûlée, 2 × 100 g",  # a spreadsheet would run it as a formula
            inventory=12,
            price="3.49",
            profit="-0.20",
            tags=["season:winter", "a|b"],
            filters=["category:Desserts"],
        ),
        ProductFactory(catalog=catalog, gtin="SKU-9", seller_id="s-1", name="Rye", inventory=0),
        ProductFactory(catalog=catalog, gtin="07310865071705", name="Oat drink", groups=["g"]),
    ]


def test_a_product_export_has_the_import_columns_and_only_the_search(
    client, merchandiser, products
):
    client.force_login(merchandiser)
    text = _download(client, reverse("product_export"), {"q": "creme"})
    lines = text.splitlines()
    assert lines[0] == (
        "catalogId,gtin,sellerId,inventory,price,profit,name,imageUrl,tags,filters,groups,error"
    )
    assert len(lines) == 2 and "'=Crème brûlée" in lines[1] and "cat-pantry" in lines[1]


def test_a_product_export_imported_again_changes_nothing(client, merchandiser, products, tmp_path):
    client.force_login(merchandiser)
    text = _download(client, reverse("product_export"), {"q": ""})
    before = list(Product.objects.order_by("pk").values())
    job = run_import(tmp_path, "products", text, confirm_large_change=True)
    assert job.status == "succeeded", job.message
    assert (job.rows_read, job.rows_created, job.rows_updated, job.rows_invalid) == (3, 0, 0, 0)
    assert job.rows_unchanged == 3
    assert list(Product.objects.order_by("pk").values()) == before


def test_a_customer_export_imported_again_changes_nothing(client, support, tmp_path):
    CustomerFactory(
        external_id="CUST-1",
        email="aino@example.org",
        phone_number="+358401234567",
        country="FI",
        can_email=True,
        can_sms=None,
        birth_date=datetime.date(1991, 6, 14),
        tags=["vip", "=sum"],
        company_fields={"COMPANY__loyalty": "gold"},
        targeting_data={"segment": "A|B"},
    )
    CustomerFactory(external_id="", email="ada@example.org", first_name="@Ada")
    client.force_login(support)
    text = _download(client, reverse("customer_export"), {"q": "@example.org"})
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["external_id", "email", "phone_number"]
    assert "COMPANY__loyalty" in header and "targeting:segment" in header
    assert AuditEvent.objects.filter(action="customer.export", actor=support).exists()
    before = list(Customer.objects.order_by("pk").values())
    job = run_import(tmp_path, "customers", text)
    assert job.status == "succeeded", job.message
    assert (job.rows_read, job.rows_unchanged, job.rows_invalid) == (2, 2, 0)
    assert list(Customer.objects.order_by("pk").values()) == before


def test_customer_exports_are_for_the_roles_that_may_see_customers(client, merchandiser):
    client.force_login(merchandiser)
    assert client.get(reverse("customer_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="customer.export").exists()
