import datetime

import pytest
from django.utils import timezone

from syncs.models import SyncBatch
from syncs.selectors import sync_batches
from tests.views.conftest import make_batch

pytestmark = pytest.mark.django_db


def test_history_filters_and_keyset(products):
    gtin = products["exact"].gtin
    old = make_batch(keys=[gtin, "x"], outcome="rejected")
    SyncBatch.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = [make_batch(keys=[f"k{i}"]) for i in range(3)]
    page, next_id = sync_batches.sync_batch_list(limit=2)
    assert page == newer[::-1][:2] and next_id == newer[1].pk
    page, next_id = sync_batches.sync_batch_list(limit=2, before_id=next_id)
    assert page == [newer[0], old] and next_id is None
    assert sync_batches.sync_batch_list(key=gtin)[0] == [old]
    assert sync_batches.sync_batch_list(key=gtin[:-1])[0] == [], "a key matches whole, not a prefix"
    assert sync_batches.sync_batch_list(outcome="rejected")[0] == [old]
    since = timezone.now() - datetime.timedelta(days=1)
    assert old not in sync_batches.sync_batch_list(since=since)[0]
    assert sync_batches.sync_batch_list(until=since)[0] == [old]


def test_hourly_buckets_cover_24_hours_with_zeros():
    make_batch(keys=["a", "b", "c"])
    buckets = sync_batches.sync_batch_hourly(hours=24)
    assert len(buckets) == 24
    assert buckets[-1].pushes == 1 and buckets[-1].items == 3
    assert sum(b.pushes for b in buckets[:-1]) == 0
