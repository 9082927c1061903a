"""The sync history: every HTTP attempt (SyncBatch), filtered, per hour, per carried key."""

import datetime
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Max, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from syncs.models import SyncBatch, SyncState
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page
from syncs.selectors.sync_states import FailedRow, failed_rows


@dataclass(frozen=True)
class HourBucket:
    hour: datetime.datetime
    pushes: int
    items: int


# A batch row is written moments after its `created_at`; an hour that ended longer ago than this
# is settled, and its counts are kept for a day instead of being counted at every poll.
SETTLED_AFTER = datetime.timedelta(minutes=5)
_HOUR_KEY = "citrusadmin:batches-hour:{:%Y-%m-%dT%H}"


def _count_hours(start: datetime.datetime, end: datetime.datetime) -> dict:
    rows = (
        SyncBatch.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(hour=TruncHour("created_at", tzinfo=datetime.UTC))
        .values("hour")
        .annotate(pushes=Count("*"), items=Sum("item_count"))
        .order_by()
    )
    return {row["hour"]: (row["pushes"], row["items"] or 0) for row in rows}


def sync_batch_hourly(*, hours: int = 24, now: datetime.datetime | None = None) -> list[HourBucket]:
    """Pushes and items per hour for the last `hours` hours, oldest first, empty hours as zero.

    At a push a second, 24 hours are 86,400 batches to group at every dashboard poll (40 ms at
    100,000 batches); the settled hours come from the cache, so a poll counts the current hour.
    """
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    start = end - datetime.timedelta(hours=hours)
    wanted = [start + datetime.timedelta(hours=i) for i in range(hours)]
    settled = [hour for hour in wanted if hour + datetime.timedelta(hours=1) <= now - SETTLED_AFTER]
    cached = cache.get_many([_HOUR_KEY.format(hour) for hour in settled])
    counts = {hour: cached[key] for hour in settled if (key := _HOUR_KEY.format(hour)) in cached}
    missing = [hour for hour in settled if hour not in counts]
    if missing:
        found = _count_hours(missing[0], missing[-1] + datetime.timedelta(hours=1))
        fresh = {hour: found.get(hour, (0, 0)) for hour in missing}
        cache.set_many({_HOUR_KEY.format(h): v for h, v in fresh.items()}, timeout=25 * 3600)
        counts.update(fresh)
    live_from = settled[-1] + datetime.timedelta(hours=1) if settled else start
    counts.update(_count_hours(live_from, end))
    return [HourBucket(hour, *counts.get(hour, (0, 0))) for hour in wanted]


def _key_filter(key: str) -> Q:
    # PostgreSQL answers `keys @> '["X"]'` from the GIN index of migration 0005; SQLite has no
    # JSON containment, so it matches the quoted key in the stored JSON text instead.
    if connection.vendor == "postgresql":
        return Q(keys__contains=[key])
    return Q(keys__icontains=json.dumps(key))


BATCH_SORTS = ("-id", "id")  # newest or oldest first: the primary key


def sync_batch_list(
    *,
    destination: str = "",
    kind: str = "",
    outcome: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    key: str = "",
    key_kinds: list[str] | None = None,
    paging: Paging = FIRST_PAGE,
) -> Page[SyncBatch]:
    """Batches, newest first unless sorted otherwise, filtered.

    `key_kinds` limits a `key` search to those kinds: whether a customer id was ever sent is
    itself personal data for a role that may not see customers.
    """
    given = {
        "destination": destination,
        "kind": kind,
        "outcome": outcome,
        "created_at__gte": since,
        "created_at__lt": until,
    }
    qs = SyncBatch.objects.defer("request_body", "response_body", "keys").filter(
        **{name: value for name, value in given.items() if value}
    )
    if key:
        qs = qs.filter(_key_filter(key))
        if key_kinds is not None:
            qs = qs.filter(kind__in=key_kinds)
    return keyset_page(qs, paging=paging, sorts=BATCH_SORTS)


def sync_batch_get(*, batch_id: int) -> SyncBatch | None:
    return SyncBatch.objects.select_related("parent").filter(pk=batch_id).first()


def sync_batch_family_ids(*, batch: SyncBatch) -> list[int]:
    """This batch and every smaller batch split from it, at any depth (one query a level).

    A rejected batch of 100 is split in halves until the rejected items stand alone: about
    seven levels at most, and each row's outcome sits on the smallest batch that carried it.
    """
    ids, level = [batch.pk], [batch.pk]
    while level:
        level = list(SyncBatch.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        ids += level
    return ids


def sync_batch_children(*, batch: SyncBatch) -> list[SyncBatch]:
    """The smaller batches this one was split into, in the order they were sent."""
    return list(
        SyncBatch.objects.filter(parent=batch)
        .defer("request_body", "response_body", "keys")
        .order_by("id")
    )


def sync_batch_rows(*, batch: SyncBatch) -> list[FailedRow]:
    """The rows this batch carried whose latest push was it or a batch split from it."""
    family = sync_batch_family_ids(batch=batch)
    states = SyncState.objects.filter(last_batch_id__in=family).order_by("object_id")[:500]
    return failed_rows(list(states))


def sync_batch_for_key(*, key: str, kind: str, limit: int = 20) -> list[SyncBatch]:
    """The latest batches that carried one GTIN / customer id / order id."""
    return sync_batch_for_keys(keys=[key], kind=kind, limit=limit)


def sync_batch_for_keys(*, keys: list[str], kind: str, limit: int = 20) -> list[SyncBatch]:
    """The latest batches that carried any of these keys (a customer is known to CitrusAd by
    one key and to Custobar by another)."""
    carried = Q()
    for key in {k for k in keys if k}:
        carried |= _key_filter(key)
    if not carried:
        return []
    return list(
        SyncBatch.objects.filter(carried, kind=kind)
        .defer("request_body", "response_body", "keys")
        .order_by("-id")[:limit]
    )


def sync_batch_recent_stats(*, minutes: int = 60) -> list[dict]:
    """Per destination, kind and outcome over the last `minutes`: count, mean and max latency."""
    since = timezone.now() - datetime.timedelta(minutes=minutes)
    return list(
        SyncBatch.objects.filter(created_at__gte=since)
        .values("destination", "kind", "outcome")
        .annotate(n=Count("id"), mean_ms=Avg("duration_ms"), max_ms=Max("duration_ms"))
        .order_by("destination", "kind", "outcome")
    )
