"""The 500s the security review found, one test each: bad input gets a message, never a 500."""

import pytest
from django.urls import reverse

from syncs.models import Product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "99999-01-01"])
def test_history_with_a_date_at_the_end_of_the_calendar_is_a_message(client, merchandiser, until):
    client.force_login(merchandiser)
    response = client.get(reverse("batch_list"), {"since": "0001-01-01", "until": until})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


@pytest.mark.parametrize("before", ["²", "١٢", "-1", "99999999999999999999", ""])
def test_imports_page_with_an_odd_keyset_is_a_page_not_a_500(client, admin_user, before):
    client.force_login(admin_user)
    response = client.get(reverse("import_list"), {"before": before})
    assert response.status_code == 200


@pytest.mark.parametrize("product_id", ["²", "-3", "1e3", "99999999999999999999", "١"])
def test_bulk_stock_with_an_odd_product_id_is_a_400_that_changes_nothing(
    client, merchandiser, product, product_id
):
    client.force_login(merchandiser)
    response = client.post(
        reverse("product_bulk_stock"),
        {"state": "out", "scope": "selected", "product_ids": [product_id], "confirm": "on"},
    )
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert Product.objects.get(pk=product.pk).inventory == product.inventory
