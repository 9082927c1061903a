"""Retry one failed push from wherever it shows: the dashboard's list or the product's page."""

import pytest
from playwright.sync_api import expect

from syncs.models import SyncState, SyncStatus
from tests.factories import CatalogFactory, ProductFactory, UserFactory
from tests.views.conftest import make_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("where", ["product page", "dashboard"])
def test_retry_queues_the_row_again_in_place(console, where):
    product = ProductFactory(catalog=CatalogFactory(name="Groceries"), name="Oat drink")
    state = make_state(
        product, kind="product", status="failed", last_error="price must be positive"
    )
    console.login(UserFactory(role="support"))
    console.go(f"/products/{product.pk}/" if where == "product page" else "/")
    console.page.get_by_role("button", name="Retry", exact=True).first.click()
    expect(console.page.get_by_role("status").filter(has_text="Queued again")).to_be_visible()
    state.refresh_from_db()
    assert state.status == SyncStatus.PENDING
    assert SyncState.objects.filter(status=SyncStatus.FAILED).count() == 0
