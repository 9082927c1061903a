import datetime

import pytest
from django.utils import timezone

from syncs.models import SyncBatch
from syncs.selectors import sync_batches
from syncs.selectors.pagination import Paging
from tests.views.conftest import make_batch

pytestmark = pytest.mark.django_db


def test_history_filters_and_keyset(products):
    gtin = products["exact"].gtin
    old = make_batch(keys=[gtin, "x"], outcome="rejected")
    SyncBatch.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = [make_batch(keys=[f"k{i}"]) for i in range(3)]
    first = sync_batches.sync_batch_list(paging=Paging(limit=2))
    page, next_id = first.rows, first.next_after
    assert page == newer[::-1][:2] and next_id == newer[1].pk
    second = sync_batches.sync_batch_list(paging=Paging(limit=2, after=next_id))
    page, next_id = second.rows, second.next_after
    assert page == [newer[0], old] and next_id is None
    assert sync_batches.sync_batch_list(key=gtin).rows == [old]
    assert sync_batches.sync_batch_list(key=gtin[:-1]).rows == [], (
        "a key matches whole, not a prefix"
    )
    assert sync_batches.sync_batch_list(outcome="rejected").rows == [old]
    since = timezone.now() - datetime.timedelta(days=1)
    assert old not in sync_batches.sync_batch_list(since=since).rows
    assert sync_batches.sync_batch_list(until=since).rows == [old]


def test_hourly_buckets_cover_24_hours_with_zeros():
    make_batch(keys=["a", "b", "c"])
    buckets = sync_batches.sync_batch_hourly(hours=24)
    assert len(buckets) == 24
    assert buckets[-1].pushes == 1 and buckets[-1].items == 3
    assert sum(b.pushes for b in buckets[:-1]) == 0


def test_settled_hours_are_counted_once_and_the_current_hour_at_every_poll(
    django_assert_num_queries,
):
    now = timezone.now().replace(minute=30)
    earlier = make_batch(keys=["a", "b"])
    SyncBatch.objects.filter(pk=earlier.pk).update(created_at=now - datetime.timedelta(hours=3))
    first = sync_batches.sync_batch_hourly(hours=24, now=now)
    assert (first[-4].pushes, first[-4].items) == (1, 2)
    assert (first[-1].pushes, first[-1].items) == (0, 0)
    make_batch(keys=["c"])
    SyncBatch.objects.filter(created_at__gt=now - datetime.timedelta(hours=1)).update(
        created_at=now
    )
    with django_assert_num_queries(1):  # the current hour only
        second = sync_batches.sync_batch_hourly(hours=24, now=now)
    assert (second[-1].pushes, second[-1].items) == (1, 1)
    assert second[:-1] == first[:-1]
    # Not counted again: a row can only arrive late by moments, never hours.
    backdated = make_batch(keys=["d"])
    SyncBatch.objects.filter(pk=backdated.pk).update(created_at=now - datetime.timedelta(hours=3))
    assert sync_batches.sync_batch_hourly(hours=24, now=now)[-4].pushes == 1


def test_an_hour_that_just_ended_is_still_counted_live():
    now = timezone.now().replace(minute=2)  # within SETTLED_AFTER of the last hour's end
    assert datetime.timedelta(minutes=2) < sync_batches.SETTLED_AFTER
    sync_batches.sync_batch_hourly(hours=24, now=now)
    late = make_batch(keys=["x"])
    SyncBatch.objects.filter(pk=late.pk).update(created_at=now - datetime.timedelta(minutes=5))
    buckets = sync_batches.sync_batch_hourly(hours=24, now=now)
    assert buckets[-2].pushes == 1, "a batch written late into the last hour still shows"
