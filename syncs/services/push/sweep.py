"""Around the drains: the beat's safety net, backoff wake-ups, and pushing in-process.

Drains are started by writes (after commit) and by each other; the sweep catches what no
queued task covers (a dead drain's expired lease, a lost message, a flushed Redis).
"""

import time
from collections.abc import Iterable

from django.db.models import Min, Q
from django.utils import timezone

from syncs.destinations import destination_names_for_kind, destinations_all
from syncs.models import Destination as DestinationSwitch
from syncs.models import Priority, SyncKind, SyncState, SyncStatus
from syncs.services.dispatch import drain_enqueue
from syncs.services.push.drain import sync_drain
from syncs.services.push.leases import lease_holders, sync_lease_reap
from syncs.services.push.outcomes import PushCounts
from syncs.services.push.pausing import destination_paused_unless_credentials_changed

# The order a full sync goes in: products wait for their catalog's id.
KIND_ORDER = (SyncKind.CATALOG, SyncKind.PRODUCT, SyncKind.CUSTOMER, SyncKind.ORDER)
LATER_MAX_COUNTDOWN = 300  # far below the Redis visibility_timeout (2 hours)


def drain_schedule_backoff(*, destination: str, kind: str) -> bool:
    """If rows are waiting out a backoff, schedule a drain for when the first one is due."""
    due = SyncState.objects.filter(
        destination=destination, kind=kind, status=SyncStatus.PENDING, next_attempt_at__isnull=False
    ).aggregate(first=Min("next_attempt_at"))["first"]
    if due is None:
        return False
    countdown = min(max((due - timezone.now()).total_seconds(), 0.0) + 0.05, LATER_MAX_COUNTDOWN)
    return drain_enqueue(destination=destination, kind=kind, countdown=max(countdown, 0.1))


def _destinations_taking_work() -> set[str]:
    """Destinations that exist, are configured and are not paused (a paused one whose
    credentials changed since they were refused is resumed on the way)."""
    return {
        d.name
        for d in destinations_all()
        if d.configured and not destination_paused_unless_credentials_changed(d)
    }


def sync_sweep() -> dict[str, int]:
    """Reap dead drains' leases and enqueue a drain wherever rows are due (the beat's safety
    net, every SYNC_SWEEP_SECONDS).

    One index probe per destination, kind and priority, whatever the number of pending rows.
    Where rows are due and no drain holds a live lease, a drain is enqueued even if the enqueue
    flag says one is queued: that one was lost with a dead worker. A destination switched off
    (no URL or key) or paused keeps its rows pending, unasked.
    """
    reaped = sync_lease_reap()
    now = timezone.now()
    alive = lease_holders()
    working = _destinations_taking_work()
    enqueued = 0
    for destination in destinations_all():
        if destination.name not in working:
            continue
        for kind in destination.kinds:
            pending = SyncState.objects.filter(
                destination=destination.name, kind=kind, status=SyncStatus.PENDING
            )
            for priority in (Priority.MANUAL, Priority.BULK):
                due = pending.filter(priority=priority).filter(
                    Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
                )
                if due.exists():
                    enqueued += drain_enqueue(
                        destination=destination.name,
                        kind=kind,
                        manual=priority == Priority.MANUAL,
                        force=(destination.name, kind) not in alive,
                    )
            drain_schedule_backoff(destination=destination.name, kind=kind)
    return {"reaped": reaped, "enqueued": enqueued}


def sync_run(
    *,
    kinds: Iterable[str] | None = None,
    destinations: Iterable[str] | None = None,
    wait_for_retries: bool = False,
) -> dict[tuple[str, str], PushCounts]:
    """Push in this process (no worker) until nothing is due; the `sync` command's engine.

    With `wait_for_retries`, also wait out backoffs until no row is pending any more (rows that
    cannot go, like products of a catalog without an id, do not hold it up).
    """
    kinds = [k for k in KIND_ORDER if kinds is None or k in set(kinds)]
    wanted_destinations = set(destinations) if destinations is not None else None
    pairs = [
        (destination, kind)
        for kind in kinds
        for destination in destination_names_for_kind(kind)
        if wanted_destinations is None or destination in wanted_destinations
    ]
    results = {pair: PushCounts() for pair in pairs}
    sync_lease_reap()
    while True:
        for destination, kind in pairs:
            counts, _ = sync_drain(destination=destination, kind=kind, time_budget=None)
            results[(destination, kind)].add(counts)
        if not wait_for_retries:
            return results
        paused = set(DestinationSwitch.objects.filter(paused=True).values_list("name", flat=True))
        waiting = SyncState.objects.filter(
            status=SyncStatus.PENDING,
            next_attempt_at__isnull=False,
            kind__in=kinds,
            destination__in=[d for d, _ in pairs if d not in paused],
        ).aggregate(first=Min("next_attempt_at"))["first"]
        if waiting is None:
            return results
        time.sleep(min(max((waiting - timezone.now()).total_seconds(), 0.0) + 0.01, 60.0))
