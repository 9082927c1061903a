"""Zeroing a whole catalog: typed confirmation, a background job with progress, per-row chips."""

import re

import pytest
from playwright.sync_api import expect

from syncs.models import BulkStatus, BulkStockAction, Product
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.worker
def test_a_whole_catalog_stock_out_asks_for_the_number_and_runs_in_the_background(
    console, sandbox, celery_workers, settings
):
    settings.BULK_BACKGROUND_ROWS = 10  # this many products or more go to a worker
    celery_workers.start(env=sandbox.env())
    catalog = CatalogFactory(name="Groceries")
    for i in range(24):
        ProductFactory(catalog=catalog, name=f"Crispbread {i}", inventory=3)
    console.login(UserFactory(role="merchandiser"))

    console.go("/products/?q=crispbread")
    console.page.get_by_role("button", name="Stock out all matching this search…").click()
    expect(console.page.locator("h1")).to_have_text("Stock out 24 products?")
    typed = console.page.get_by_label("Type 24 to confirm")
    expect(typed).to_be_visible()
    expect(console.page.get_by_text("this runs in the background")).to_be_visible()
    typed.fill("42")
    console.expect_status(400)  # the page comes back with the error
    console.page.get_by_role("button", name="Yes, stock out 24").click()
    expect(console.page.get_by_role("alert")).to_contain_text("You typed 42")
    assert not Product.objects.filter(inventory=0).exists()

    console.page.get_by_label("Type 24 to confirm").fill("24")
    console.page.get_by_role("button", name="Yes, stock out 24").click()
    expect(console.page.locator("h1")).to_contain_text("Stock-out of 24 products")
    expect(console.page.locator("#progress-h")).to_have_text("Done", timeout=30_000)
    action = BulkStockAction.objects.get()
    assert action.status == BulkStatus.DONE and action.changed == 24
    assert Product.objects.filter(inventory=0).count() == 24
    expect(console.page.locator("#progress")).to_contain_text(
        re.compile(r"24 confirmed, 0 on their way"), timeout=30_000
    )
    console.screenshot("bulk-progress")
