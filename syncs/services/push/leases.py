"""Leases: a drain's hold on the rows it claimed, kept alive by a heartbeat.

A drain takes one lease (a `SyncLease` row) as it starts; every row it claims carries the
lease's id, and every later write to those rows is guarded by it. While the drain runs, a
heartbeat thread pushes the lease's expiry SYNC_LEASE_SECONDS ahead every quarter of that. So:

- a live drain keeps its rows however slow the remote is (the heartbeat does not wait for it);
- a dead one (SIGKILL, a lost host) stops renewing: once its lease expired, the next reap (every
  drain as it starts, and the beat's sweep every SYNC_SWEEP_SECONDS) hands its rows back and they
  are claimable again;
- before each request goes on the wire, the drain writes what it sends on its lease
  (`on_wire`). A reap records each request whose rows were still in flight as an attempt with
  an unknown outcome, and its rows are pushed again (at least once; a non-idempotent call is
  left `unknown` for a person instead). Rows claimed but never sent are only handed back: they
  are pushed once.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from syncs.destinations import Verdict
from syncs.models import BatchOutcome, BatchTrigger, SyncBatch, SyncLease
from syncs.services.sync_state import sync_state_release, sync_state_unknown

logger = logging.getLogger("syncs.push")

LOST_MESSAGE = (
    "The worker stopped while this request was on the wire: the remote may or may not have it."
)


def lease_seconds() -> float:
    return float(settings.SYNC_LEASE_SECONDS)


def lease_take(*, destination: str, kind: str) -> SyncLease:
    """A new lease for one drain, valid for SYNC_LEASE_SECONDS unless renewed."""
    return SyncLease.objects.create(
        destination=destination,
        kind=kind,
        holder=f"{socket.gethostname()}:{os.getpid()}"[:200],
        expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
    )


def lease_renew(*, lease_id: int) -> bool:
    """Push the expiry ahead; False if the lease expired or was reaped meanwhile (its rows may
    be someone else's now)."""
    now = timezone.now()
    return bool(
        SyncLease.objects.filter(pk=lease_id, expires_at__gt=now).update(
            expires_at=now + timedelta(seconds=lease_seconds())
        )
    )


def lease_on_wire(*, lease_id: int, requests: list[dict]) -> None:
    """What is sent and not yet answered, written before it goes (one small UPDATE)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Visible to every other session at once, as it must be for a reap; only a crash
            # of PostgreSQL itself could lose it (then the rows still go again, unrecorded).
            # Not waiting for the WAL flush takes a disk sync off every request's path.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        SyncLease.objects.filter(pk=lease_id).update(on_wire=requests)


def lease_end(*, lease_id: int) -> int:
    """The drain is done: hand back what it still holds (rows claimed, never sent), drop the
    lease. Returns the rows handed back."""
    with transaction.atomic():
        released = sync_state_release(lease=lease_id)
        SyncLease.objects.filter(pk=lease_id).delete()
    return released


def lease_holders() -> set[tuple[str, str]]:
    """(destination, kind) of every drain alive now."""
    leases = SyncLease.objects.filter(expires_at__gt=timezone.now())
    return set(leases.values_list("destination", "kind").distinct().order_by())


def sync_lease_reap() -> int:
    """Leases whose drain died: record their unanswered requests, hand their rows back.
    Returns the rows handed back (or left unknown)."""
    handed_back = 0
    while True:
        with transaction.atomic():
            lease = (
                SyncLease.objects.select_for_update(skip_locked=True)
                .filter(expires_at__lt=timezone.now())
                .order_by("expires_at")
                .first()
            )
            if lease is None:
                return handed_back
            handed_back += _reap(lease)
            lease.delete()


def _reap(lease: SyncLease) -> int:
    moved = 0
    for request in lease.on_wire or []:
        batch = SyncBatch.objects.create(
            destination=lease.destination,
            kind=lease.kind,
            method=request["method"],
            endpoint=request["endpoint"],
            trigger=request.get("trigger", BatchTrigger.BULK),
            item_count=len(request["rows"]),
            keys=request["keys"],
            outcome=BatchOutcome.UNKNOWN,
            error=LOST_MESSAGE,
        )
        pks = request["rows"]
        if request.get("if_lost") == Verdict.UNKNOWN:
            moved += sync_state_unknown(
                lease=lease.pk,
                pks=pks,
                message=f"{LOST_MESSAGE} Check before retrying.",
                batch=batch,
            )
            continue
        count = sync_state_release(
            lease=lease.pk, pks=pks, note=f"{LOST_MESSAGE} Pushed again.", batch=batch
        )
        if count == 0:
            batch.delete()  # its answer was recorded after all (the rows moved on)
        moved += count
    moved += sync_state_release(lease=lease.pk)
    if moved:
        logger.warning(
            "Reaped the lease of %s (%s/%s): %s rows handed back",
            lease.holder,
            lease.destination,
            lease.kind,
            moved,
        )
    return moved


class Heartbeat:
    """Renews a lease every quarter of SYNC_LEASE_SECONDS from a thread of its own, so a drain
    waiting on a slow remote or on the pace keeps its rows; sets `lost` (and the drain's stop
    event) if the lease could not be renewed in time."""

    def __init__(self, lease_id: int, stop: threading.Event):
        self.lease_id = lease_id
        self.stop = stop
        self.lost = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def end(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._done.wait(lease_seconds() / 4):
                try:
                    renewed = lease_renew(lease_id=self.lease_id)
                except Exception:  # a database hiccup: try again at the next beat
                    logger.exception("Could not renew lease %s", self.lease_id)
                    continue
                if not renewed:
                    logger.warning("Lease %s was lost: stopping its drain", self.lease_id)
                    self.lost = True
                    self.stop.set()
                    return
        finally:
            connection.close()  # this thread's own connection
