"""Outcomes: what an answer does to the rows of its request, counted for the drain.

Each function applies one `sync_state` transition to a request's items, guarded by the
claim's token, and adds to the drain's `PushCounts`.
"""

from dataclasses import dataclass, fields

from django.db import transaction

from syncs.models import SyncBatch
from syncs.remotes.errors import RemoteError
from syncs.services.push.payloads import Item, Request
from syncs.services.sync_state import (
    sync_state_back_off,
    sync_state_confirm,
    sync_state_fail,
    sync_state_unknown,
)


@dataclass
class PushCounts:
    """What one or more batches did, for logs, the command's output and the tests."""

    claimed: int = 0
    delivered: int = 0  # confirmed at the version sent (may be pending again if edited meanwhile)
    retrying: int = 0  # transient failure, backing off
    failed: int = 0  # rejected, or out of retry window
    unknown: int = 0  # a non-idempotent call (catalog creation) without an answer
    released: int = 0  # handed back unpushed (destination paused or switched off)
    requests: int = 0
    paused: bool = False

    def add(self, other: "PushCounts") -> None:
        for spec in fields(self):
            if spec.name != "paused":
                setattr(self, spec.name, getattr(self, spec.name) + getattr(other, spec.name))
        self.paused = self.paused or other.paused


def _pks(items: list[Item]) -> list[int]:
    return [item.state.pk for item in items]


def items_confirm(
    request: Request, *, batch: SyncBatch, counts: PushCounts, answers: list | None = None
) -> None:
    """Confirm each row at the version it sent, with what the destination keeps of the answer
    (catalog ids, deletions done) in the same transaction; a row edited meanwhile stays
    pending."""
    destination, kind, items = request.destination, request.kind, request.items
    sent: dict[int, list[int]] = {}
    for item in items:
        sent.setdefault(item.version, []).append(item.state.pk)
    snapshots = {item.state.pk: item.snapshot for item in items if item.snapshot is not None}
    with transaction.atomic(savepoint=False):
        destination.confirmed(kind, items, answers or [])
        sync_state_confirm(lease=request.claim.lease, sent=sent, batch=batch, snapshots=snapshots)
    counts.delivered += len(items)
    destination.after_confirm(kind)


def items_fail(
    request: Request, *, message: str, batch: SyncBatch | None, counts: PushCounts
) -> None:
    sync_state_fail(
        lease=request.claim.lease, pks=_pks(request.items), message=message, batch=batch
    )
    counts.failed += len(request.items)


def items_unknown(request: Request, *, detail: str, batch: SyncBatch, counts: PushCounts) -> None:
    message = request.destination.unknown_message(request.kind, detail)
    sync_state_unknown(
        lease=request.claim.lease, pks=_pks(request.items), message=message, batch=batch
    )
    counts.unknown += len(request.items)


def items_back_off(
    request: Request, *, exc: RemoteError, batch: SyncBatch, counts: PushCounts
) -> None:
    """Transient failure: each row waits its own jittered delay, or fails past the window."""
    retrying, failed = sync_state_back_off(
        lease=request.claim.lease,
        pks=_pks(request.items),
        message=str(exc),
        retry_after=getattr(exc, "retry_after", None),
        batch=batch,
    )
    counts.retrying += retrying
    counts.failed += failed
