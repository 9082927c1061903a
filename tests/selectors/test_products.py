import pytest

from syncs.models import Product
from syncs.selectors import products as product_selectors
from tests.factories import ProductFactory
from tests.views.conftest import make_state

pytestmark = pytest.mark.django_db


def test_an_existing_gtin_is_an_exact_search(products):
    assert list(product_selectors.product_search(q="6410000001")) == [products["exact"]]
    code = ProductFactory(gtin="SKU-123", name="Cereal")
    assert list(product_selectors.product_search(q=" SKU-123 ")) == [code]


def test_digits_that_match_no_gtin_are_a_prefix(products):
    found = set(product_selectors.product_search(q="641"))
    assert found == {products["exact"], products["longer"]}


def test_words_must_all_occur_in_the_name(products):
    assert set(product_selectors.product_search(q="oat")) == {products["exact"], products["longer"]}
    assert list(product_selectors.product_search(q="BARISTA oat")) == [products["longer"]]


def test_stock_and_sync_filters(products):
    assert list(product_selectors.product_search(stock="out")) == [products["other"]]
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["exact"], kind="product", status="in_flight")
    assert list(product_selectors.product_search(sync="failed")) == [products["longer"]]
    assert list(product_selectors.product_search(sync="pending")) == [products["exact"]]


def test_search_pages_by_id_with_states_attached(products):
    make_state(products["exact"], kind="product", status="confirmed")
    page, next_id = product_selectors.product_search_page(limit=2)
    assert [p.pk for p in page] == sorted(p.pk for p in products.values())[:2]
    assert next_id == page[-1].pk
    assert page[0].sync_state is not None and page[1].sync_state is None
    rest, after = product_selectors.product_search_page(limit=2, after_id=next_id)
    assert len(rest) == 1 and after is None


def test_a_slow_ordered_walk_falls_back_to_the_index_plan_with_the_same_rows(products):
    """Rare words make PostgreSQL's walk by id slow; past FAST_PLAN_MS the search re-plans."""
    from django.db import connection

    qs = Product.objects.all()
    if connection.vendor == "postgresql":
        # Each row takes longer than the fast plan's budget, so the walk is cancelled.
        qs = qs.extra(
            where=["pg_sleep(%s) IS NOT NULL"], params=[product_selectors.FAST_PLAN_MS / 500]
        )  # noqa: S610
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = product_selectors._first_by_id(qs, 2, narrow=True)
    assert page == sorted(products.values(), key=lambda p: p.pk)[:2]
    if connection.vendor == "postgresql":
        assert '"id" + 0' in queries.captured_queries[-1]["sql"], "the fallback plan ran"
    assert list(Product.objects.all()[:1]), "the connection is usable afterwards"
