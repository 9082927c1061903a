"""A search so broad that counting it costs as much as its page shows the page first."""

import pytest
from django.urls import reverse

from syncs.selectors import products as product_selectors
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def oats(db):
    return [ProductFactory(name=f"Oat drink {n}") for n in range(3)] + [ProductFactory(name="Rye")]


@pytest.fixture
def broad(monkeypatch):
    """Every name search counts as one PostgreSQL expects to match a million products."""
    monkeypatch.setattr(product_selectors, "_estimated_rows", lambda qs: 1e6)
    monkeypatch.setattr(product_selectors, "_table_rows", lambda: 1e6)


def test_a_broad_search_shows_its_page_and_asks_for_the_count_apart(client, oats, broad):
    from django.db import connection

    from syncs.selectors.pagination import PAGE_SIZE

    ProductFactory.create_batch(PAGE_SIZE, name="Oat bar")  # more than a page: a count to make
    client.force_login(UserFactory(role="merchandiser"))
    html = client.get(reverse("product_search"), {"q": "oat", "sort": "gtin"}).content.decode()
    if connection.vendor == "postgresql":  # the estimate is PostgreSQL's; SQLite always counts
        count_url = reverse("product_search_count") + "?q=oat&amp;sort=gtin"
        assert f'hx-get="{count_url}"' in html and "Counting the products that match" in html
        assert "products match." not in html
    assert f"product-{oats[0].pk}" in html


def test_the_count_of_a_search_says_how_many_match(client, oats):
    client.force_login(UserFactory(role="merchandiser"))
    response = client.get(reverse("product_search_count"), {"q": "oat"})
    assert response.status_code == 200
    assert response.content.decode().strip() == '<span role="status">3 products match.</span>'
    one = client.get(reverse("product_search_count"), {"q": "rye"}).content.decode()
    assert "1 product matches." in one


def test_the_count_needs_login_and_a_readable_search(client, oats):
    response = client.get(reverse("product_search_count"), {"q": "oat"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(role="merchandiser"))
    bad = client.get(reverse("product_search_count"), {"catalog": "abc", "stock": "maybe"})
    assert bad.status_code == 400 and b"could not be read" in bad.content
    assert client.post(reverse("product_search_count"), {"q": "oat"}).status_code == 405


def test_a_narrow_search_still_counts_in_its_page(client, oats):
    client.force_login(UserFactory(role="merchandiser"))
    html = client.get(reverse("product_search"), {"q": "oat"}).content.decode()
    assert "3 products match." in html and "Counting the products" not in html
