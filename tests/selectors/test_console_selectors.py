import datetime

import pytest
from django.utils import timezone

from syncs import selectors
from syncs.models import Product, SyncBatch
from tests.factories import CatalogFactory, ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    catalog = CatalogFactory()
    return {
        "exact": ProductFactory(catalog=catalog, gtin="6410000001", name="Oat drink"),
        "longer": ProductFactory(catalog=catalog, gtin="64100000012", name="Oat drink barista"),
        "other": ProductFactory(catalog=catalog, gtin="7310000000", name="Rye bread", inventory=0),
    }


def test_an_existing_gtin_is_an_exact_search(products):
    assert list(selectors.product_search(q="6410000001")) == [products["exact"]]
    code = ProductFactory(gtin="SKU-123", name="Cereal")
    assert list(selectors.product_search(q=" SKU-123 ")) == [code]


def test_digits_that_match_no_gtin_are_a_prefix(products):
    found = set(selectors.product_search(q="641"))
    assert found == {products["exact"], products["longer"]}


def test_words_must_all_occur_in_the_name(products):
    assert set(selectors.product_search(q="oat")) == {products["exact"], products["longer"]}
    assert list(selectors.product_search(q="BARISTA oat")) == [products["longer"]]


def test_stock_and_sync_filters(products):
    assert list(selectors.product_search(stock="out")) == [products["other"]]
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["exact"], kind="product", status="in_flight")
    assert list(selectors.product_search(sync="failed")) == [products["longer"]]
    assert list(selectors.product_search(sync="pending")) == [products["exact"]]


def test_search_pages_by_id_with_states_attached(products):
    make_state(products["exact"], kind="product", status="confirmed")
    page, next_id = selectors.product_search_page(limit=2)
    assert [p.pk for p in page] == sorted(p.pk for p in products.values())[:2]
    assert next_id == page[-1].pk
    assert page[0].sync_state is not None and page[1].sync_state is None
    rest, after = selectors.product_search_page(limit=2, after_id=next_id)
    assert len(rest) == 1 and after is None


def test_history_filters_and_keyset(products):
    gtin = products["exact"].gtin
    old = make_batch(keys=[gtin, "x"], outcome="rejected")
    SyncBatch.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = [make_batch(keys=[f"k{i}"]) for i in range(3)]
    page, next_id = selectors.sync_batch_list(limit=2)
    assert page == newer[::-1][:2] and next_id == newer[1].pk
    page, next_id = selectors.sync_batch_list(limit=2, before_id=next_id)
    assert page == [newer[0], old] and next_id is None
    assert selectors.sync_batch_list(key=gtin)[0] == [old]
    assert selectors.sync_batch_list(key=gtin[:-1])[0] == [], "a key matches whole, not a prefix"
    assert selectors.sync_batch_list(outcome="rejected")[0] == [old]
    since = timezone.now() - datetime.timedelta(days=1)
    assert old not in selectors.sync_batch_list(since=since)[0]
    assert selectors.sync_batch_list(until=since)[0] == [old]


def test_overview_counts_and_sync_lag(products):
    changed = timezone.now() - datetime.timedelta(minutes=30)
    make_state(products["exact"], kind="product", status="pending", changed_at=changed)
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["other"], kind="product", status="confirmed")
    citrusad = next(d for d in selectors.sync_overview() if d.name == "citrusad")
    (product_counts,) = citrusad.kinds
    assert (product_counts.total, product_counts.pending, product_counts.failed) == (3, 1, 1)
    assert product_counts.confirmed == 1
    assert 29 * 60 < product_counts.lag_seconds < 31 * 60


def test_hourly_buckets_cover_24_hours_with_zeros():
    make_batch(keys=["a", "b", "c"])
    buckets = selectors.sync_batch_hourly(hours=24)
    assert len(buckets) == 24
    assert buckets[-1].pushes == 1 and buckets[-1].items == 3
    assert sum(b.pushes for b in buckets[:-1]) == 0


def test_a_slow_ordered_walk_falls_back_to_the_index_plan_with_the_same_rows(products):
    """Rare words make PostgreSQL's walk by id slow; past FAST_PLAN_MS the search re-plans."""
    from django.db import connection

    qs = Product.objects.all()
    if connection.vendor == "postgresql":
        # Each row takes longer than the fast plan's budget, so the walk is cancelled.
        qs = qs.extra(where=["pg_sleep(%s) IS NOT NULL"], params=[selectors.FAST_PLAN_MS / 500])  # noqa: S610
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = selectors._first_by_id(qs, 2, narrow=True)
    assert page == sorted(products.values(), key=lambda p: p.pk)[:2]
    if connection.vendor == "postgresql":
        assert '"id" + 0' in queries.captured_queries[-1]["sql"], "the fallback plan ran"
    assert list(Product.objects.all()[:1]), "the connection is usable afterwards"
