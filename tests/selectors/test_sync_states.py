import datetime

import pytest
from django.utils import timezone

from syncs.selectors import sync_states
from tests.views.conftest import make_state

pytestmark = pytest.mark.django_db


def test_overview_counts_and_sync_lag(products):
    changed = timezone.now() - datetime.timedelta(minutes=30)
    make_state(products["exact"], kind="product", status="pending", changed_at=changed)
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["other"], kind="product", status="confirmed")
    citrusad = next(d for d in sync_states.sync_overview() if d.name == "citrusad")
    product_counts = next(k for k in citrusad.kinds if k.kind == "product")
    assert (product_counts.total, product_counts.pending, product_counts.failed) == (3, 1, 1)
    assert product_counts.confirmed == 1
    assert 29 * 60 < product_counts.lag_seconds < 31 * 60


def test_totals_are_the_rows_there_are_and_the_columns_add_up(products):
    from django.core.cache import cache

    from syncs.models import Catalog
    from tests.factories import CatalogFactory

    for product in products.values():
        make_state(product, kind="product", status="confirmed")
    for _ in range(4):  # registered: already in CitrusAd, never queued
        CatalogFactory(citrusad_id=f"registered-{Catalog.objects.count()}")
    make_state(CatalogFactory(name="Created"), kind="catalog", status="confirmed")
    citrusad = next(d for d in sync_states.sync_overview() if d.name == "citrusad")
    counts = {k.kind: k for k in citrusad.kinds}
    assert counts["product"].total == 3 == counts["product"].confirmed
    assert counts["catalog"].total == Catalog.objects.count() == 6  # the products' own, too
    assert (counts["catalog"].confirmed, counts["catalog"].not_queued) == (1, 5)

    # Two products stocked out since the totals were cached: counted pending at once, and no
    # longer confirmed, so pending + confirmed stays the number of products (not 3 + 2).
    from syncs.models import SyncState

    SyncState.objects.filter(kind="product").exclude(object_id=products["exact"].pk).update(
        status="pending"
    )
    assert cache.get("citrusadmin:sync-totals") is not None, "the totals are cached"
    citrusad = next(d for d in sync_states.sync_overview() if d.name == "citrusad")
    product = next(k for k in citrusad.kinds if k.kind == "product")
    assert (product.total, product.pending, product.confirmed) == (3, 2, 1)
