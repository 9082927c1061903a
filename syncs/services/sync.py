"""What people do to the sync itself: retry failed rows, prune history. (Resuming a paused
destination is in `syncs/services/push/pausing.py`, beside pausing it.)"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from syncs.destinations import destination_get
from syncs.models import SyncBatch, SyncKind, SyncState, SyncStatus
from syncs.selectors.sync_batches import sync_batch_family_ids
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import drain_enqueue
from syncs.services.sync_state import sync_state_retry

PRUNE_CHUNK = 5000


def row_retry(
    *, kind: str, object_id: int, destination: str, actor: AbstractBaseUser | None
) -> SyncState:
    """Push one failed row again now, with priority (the history keeps the old error)."""
    try:
        target = destination_get(destination)
    except ValueError:
        raise ValidationError("Unknown kind or destination.") from None
    if kind not in SyncKind.values:
        raise ValidationError("Unknown kind or destination.")
    with transaction.atomic():
        state = (
            SyncState.objects.select_for_update()
            .filter(kind=kind, object_id=object_id, destination=destination)
            .first()
        )
        if state is None:
            raise ValidationError("This row has never been marked for sync.")
        if state.status == SyncStatus.UNKNOWN:
            raise ValidationError(
                "The catalog creation's outcome is unknown: check CitrusAd first, then resolve it."
            )
        if state.status not in (SyncStatus.FAILED, SyncStatus.PENDING):
            return state  # confirmed or being pushed: nothing to retry
        before = {"status": state.status, "last_error": state.last_error}
        sync_state_retry(states=SyncState.objects.filter(pk=state.pk), manual=True)
        audit_event_record(
            actor=actor,
            action="sync.retry",
            object_kind=kind,
            object_id=object_id,
            # What My activity and the audit log show: "→ Webhook Shop", as every page says.
            object_repr=f"{kind} {object_id} → {target.label}",
            before=before,
            after={"status": SyncStatus.PENDING},
        )
        transaction.on_commit(
            lambda: drain_enqueue(destination=destination, kind=kind, manual=True)
        )
    state.refresh_from_db()
    return state


def sync_batch_retry_failed(*, batch: SyncBatch, actor: AbstractBaseUser | None) -> int:
    """Retry every row this batch (or a batch split from it) left failed; returns how many."""
    # Only rows still failed: a second click finds none and changes nothing.
    failed = SyncState.objects.filter(
        last_batch_id__in=sync_batch_family_ids(batch=batch), status=SyncStatus.FAILED
    ).order_by("pk")
    retried = 0
    for state in failed:
        row_retry(
            kind=state.kind, object_id=state.object_id, destination=state.destination, actor=actor
        )
        retried += 1
    return retried


def rows_retry_failed(
    *,
    actor: AbstractBaseUser | None,
    destination: str | None = None,
    kind: str | None = None,
    expected: int | None = None,
) -> int:
    """Queue every failed row (optionally of one destination/kind) again; returns how many.

    `expected` is the count the person confirmed: when the failed rows are no longer that many,
    nothing is queued and ValidationError says so (they confirmed another set of rows)."""
    rows = SyncState.objects.filter(status=SyncStatus.FAILED)
    if destination:
        rows = rows.filter(destination=destination)
    if kind:
        rows = rows.filter(kind=kind)
    with transaction.atomic():
        pairs = set(rows.values_list("destination", "kind").distinct().order_by())
        # The UPDATE's own count is the check: a row failing or retried meanwhile cannot slip
        # between a count and the write, and raising here rolls the write back.
        count = sync_state_retry(states=rows, manual=False)
        if expected is not None and count != expected:
            raise ValidationError(
                f"The failed rows changed since the page was shown ({expected:,} then, "
                f"{count:,} now): nothing was retried. Check them below and confirm again.",
                code="changed",
            )
        if count:
            audit_event_record(
                actor=actor,
                action="sync.retry_failed",
                object_kind="sync",
                object_id=f"{destination or 'all'}/{kind or 'all'}",
                after={"rows": count},
            )
        for pair_destination, pair_kind in pairs:
            transaction.on_commit(
                lambda d=pair_destination, k=pair_kind: drain_enqueue(destination=d, kind=k)
            )
    return count


def sync_history_prune(*, days: int | None = None) -> int:
    """Delete SyncBatch rows older than the retention (`SYNC_HISTORY_RETENTION_DAYS`)."""
    cutoff = timezone.now() - timedelta(days=days or settings.SYNC_HISTORY_RETENTION_DAYS)
    deleted = 0
    # In chunks, so a large backlog never holds one long delete transaction.
    while True:
        ids = list(
            SyncBatch.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:PRUNE_CHUNK]
        )
        if not ids:
            return deleted
        deleted += SyncBatch.objects.filter(pk__in=ids).delete()[0]
