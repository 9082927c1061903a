"""A broad search shows its rows at once and its count a moment later, in the same place."""

import pytest
from playwright.sync_api import expect

from syncs.selectors import products as product_selectors
from syncs.selectors.pagination import PAGE_SIZE
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_broad_search_fills_in_its_count_after_its_rows(console, monkeypatch):
    # PostgreSQL expecting a million matches is what makes a search broad; say so outright.
    monkeypatch.setattr(product_selectors, "_estimated_rows", lambda qs: 1e6)
    monkeypatch.setattr(product_selectors, "_table_rows", lambda: 1e6)
    catalog = CatalogFactory(name="Groceries")
    ProductFactory.create_batch(PAGE_SIZE + 5, catalog=catalog, name="Oat drink")
    ProductFactory(catalog=catalog, name="Rye bread")
    console.login(UserFactory(role="merchandiser"))
    with console.page.expect_response(lambda r: "/products/count/" in r.url) as counted:
        response = console.page.goto(f"{console.base_url}/products/?q=oat")
    assert "Counting the products that match" in response.text(), "the page came without it"
    assert counted.value.ok
    expect(console.page.locator("#results tbody tr")).to_have_count(PAGE_SIZE)
    head = console.page.locator("#results .list-head [role=status]")
    expect(head).to_have_text(f"{PAGE_SIZE + 5} products match.")
