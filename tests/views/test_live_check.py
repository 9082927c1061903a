"""Check in CitrusAd: a real GET against the sandbox, side by side with the local record."""

import pytest
from django.urls import reverse

from syncs.destinations import destination_client
from syncs.remotes import payloads
from tests.factories import CatalogFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_product(sandbox):
    catalog = CatalogFactory(name="Live")
    return ProductFactory(catalog=catalog, gtin="06414893400012", name="Rye crisp", inventory=7)


def test_not_ingested_yet_is_explained(client, support, live_product):
    client.force_login(support)
    response = client.get(
        reverse("product_live", args=[live_product.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not ingested yet" in html and "<html" not in html


def test_differences_are_highlighted(client, support, live_product, settings):
    destination_client("citrusad").upsert_catalog_products(
        items=[payloads.catalog_product_payload(live_product)]
    )
    live_product.inventory = 3
    live_product.save()
    client.force_login(support)
    html = client.get(reverse("product_live", args=[live_product.pk])).content.decode()
    assert "1 field differs" in html
    assert html.count('class="differs"') == 1
    assert settings.CITRUSAD_API_KEY not in html, "the API key never reaches a page"


def test_identical_record_says_so(client, support, live_product):
    destination_client("citrusad").upsert_catalog_products(
        items=[payloads.catalog_product_payload(live_product)]
    )
    client.force_login(support)
    html = client.get(reverse("product_live", args=[live_product.pk])).content.decode()
    assert "CitrusAd holds exactly what we have" in html


def test_remote_failure_is_a_message_not_a_500(client, support, live_product, sandbox):
    sandbox.configure(fail_rate=1.0)
    client.force_login(support)
    response = client.get(reverse("product_live", args=[live_product.pk]))
    assert response.status_code == 200
    assert "did not answer usefully" in response.content.decode()


def test_not_configured_is_a_message(client, support, catalog, settings):
    from syncs.destinations import destination_clients_reset

    settings.CITRUSAD_BASE_URL = ""
    destination_clients_reset()
    product = ProductFactory(catalog=catalog)
    client.force_login(support)
    response = client.get(reverse("product_live", args=[product.pk]))
    assert response.status_code == 200
    assert "CitrusAd is off" in response.content.decode()


def test_merchandisers_cannot_check_live(client, merchandiser, live_product):
    client.force_login(merchandiser)
    assert client.get(reverse("product_live", args=[live_product.pk])).status_code == 403


def test_no_page_shows_an_api_key(client, admin_user, live_product, settings):
    client.force_login(admin_user)
    for name, args in [
        ("home", []),
        ("batch_list", []),
        ("product_search", []),
        ("product_detail", [live_product.pk]),
        ("product_live", [live_product.pk]),
        ("catalog_list", []),
    ]:
        html = client.get(reverse(name, args=args)).content.decode()
        assert settings.CITRUSAD_API_KEY not in html
        assert settings.CUSTOBAR_API_TOKEN not in html


def test_a_failed_push_is_named_with_its_reason_not_as_on_its_way(
    client, support, live_product, sandbox
):
    from tests.views.conftest import make_batch, make_state

    batch = make_batch(keys=[live_product.gtin], outcome="rejected", error="price must be > 0")
    make_state(
        live_product,
        kind="product",
        status="failed",
        last_batch=batch,
        last_error="price must be > 0",
    )
    client.force_login(support)
    for stored in (False, True):  # CitrusAd without the product, then with an older copy
        if stored:
            payload = payloads.catalog_product_payload(live_product)
            destination_client("citrusad").upsert_catalog_products(
                items=[{**payload, "inventory": 1}]
            )
        html = client.get(reverse("product_live", args=[live_product.pk])).content.decode()
        assert "The last push failed" in html and "price must be &gt; 0" in html
        assert f"batch #{batch.pk}" in html and "Retry" in html
        assert "on its way" not in html and "Not ingested yet" not in html
