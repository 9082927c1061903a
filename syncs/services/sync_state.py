"""Every move of a `SyncState` row, in one module (docs/ARCHITECTURE.md, "Sync states").

    (none) --mark changed--> pending --claim--> in_flight --confirm--> confirmed
                 ^              ^  ^                |  |  |
                 |              |  +----back off----+  |  +--fail--> failed --retry--> pending
                 +--------------+---------release------+  +--unknown--> unknown --resolve-->
                                                                      confirmed or pending

- **Mark changed**: a write bumped rows' `version`; each (row, destination of its kind) becomes
  pending at that version. One statement, used row-by-row (`sync_state_mark_changed`) and
  set-based inside an import's CTE (`sync_state_mark_pending_cte`).
- **Claim**: the oldest due pending rows go in flight under the drain's lease (a `SyncLease`,
  kept alive by its heartbeat: `services/push/leases.py`); every later move of those rows is
  guarded by the lease's id, so a drain whose lease expired (and whose rows were handed back
  and maybe taken by another) changes nothing.
- **Confirm at the version sent**: `confirmed_version = sent`; the row is confirmed only if
  nothing newer was committed meanwhile, else pending again (no lost update).
- **Fail / unknown / back off / release**: rejected; no answer to a non-idempotent call;
  transient (until the retry window is used up); handed back (untouched, or with a note when its
  drain died with the request on the wire: then it is pushed again).
- **Retry / resolve**: a person queues failed rows again, or settles an unknown one.
- **Forget**: nothing is left to push (the row or the destination is gone).
"""

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, JSONField, Q, QuerySet, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from syncs.destinations import KIND_MODELS, destination_names_for_kind
from syncs.models import Priority, SyncBatch, SyncKind, SyncState, SyncStatus
from syncs.services.dispatch import drain_enqueue_after_commit

KEPT_ERROR_CHARS = 2000
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 5 * 60
_CHUNK = 5000
_TABLE = SyncState._meta.db_table

# --- mark changed ---

# Insert a pending state, or move an existing one to the row's current version. A row being
# pushed right now stays in_flight (its worker holds the claim); the worker sees
# wanted_version > sent_version when it finishes and leaves the row pending. Manual actions
# keep the higher priority (the lower number) until the row is pushed. Our own table and
# column names only; every value is a parameter (hence S608).
_MARK_PENDING = """
INSERT INTO {table} AS st (destination, kind, object_id, wanted_version, confirmed_version,
                           status, priority, changed_at, attempts, last_error)
SELECT d.destination, %(mark_kind)s, r.id, r.version, 0, 'pending', %(mark_priority)s,
       %(mark_now)s, 0, ''
FROM {source} r CROSS JOIN {destinations}
WHERE {where}
ON CONFLICT (destination, kind, object_id) DO UPDATE SET
    wanted_version = EXCLUDED.wanted_version,
    status = CASE WHEN st.status = 'in_flight' THEN 'in_flight' ELSE 'pending' END,
    priority = CASE WHEN EXCLUDED.priority < st.priority
                    THEN EXCLUDED.priority ELSE st.priority END,
    changed_at = EXCLUDED.changed_at,
    attempts = 0,
    next_attempt_at = NULL,
    first_failure_at = NULL,
    last_error = ''
WHERE st.wanted_version < EXCLUDED.wanted_version
"""  # noqa: S608
# A list parameter as rows: PostgreSQL takes an array, SQLite (the demo) a JSON text.
_DESTINATIONS = {
    "postgresql": "unnest(%(mark_destinations)s::text[]) AS d(destination)",
    "sqlite": "(SELECT value AS destination FROM json_each(%(mark_destinations)s)) AS d",
}
_IDS = {
    "postgresql": "r.id = ANY(%(mark_ids)s)",
    "sqlite": "r.id IN (SELECT value FROM json_each(%(mark_ids)s))",
}


def _list_param(values: list) -> list | str:
    return values if connection.vendor == "postgresql" else json.dumps(values)


def _mark_params(kind: str, destinations: tuple[str, ...], priority: int) -> dict:
    return {
        "mark_kind": str(kind),
        "mark_priority": int(priority),
        "mark_now": timezone.now(),
        "mark_destinations": _list_param([str(d) for d in destinations]),
    }


def sync_state_mark_changed(
    *, kind: str, object_ids: Iterable[int], priority: int = Priority.BULK
) -> int:
    """Make each row pending at its current version for every destination of its kind.

    Call inside the transaction that bumped the rows' versions. Returns the states touched.
    When it touched any, a push of `kind` is enqueued after the transaction commits (on the
    priority queue for manual actions), so no write path can forget to start one.
    """
    destinations = destination_names_for_kind(kind)
    if not destinations:
        return 0
    sql = _MARK_PENDING.format(
        table=_TABLE,
        source=KIND_MODELS[SyncKind(kind)]._meta.db_table,
        destinations=_DESTINATIONS[connection.vendor],
        where=_IDS[connection.vendor],
    )
    params = _mark_params(kind, destinations, priority)
    touched = 0
    ids = iter(object_ids)
    with connection.cursor() as cursor:
        while chunk := [int(pk) for pk in islice(ids, _CHUNK)]:
            cursor.execute(sql, {**params, "mark_ids": _list_param(chunk)})
            touched += cursor.rowcount
    if touched:
        drain_enqueue_after_commit(
            destinations=destinations, kind=kind, manual=priority == Priority.MANUAL
        )
    return touched


@dataclass(frozen=True)
class MarkPending:
    """The same statement for a set-based writer (PostgreSQL): `sql` is a CTE named `marked`
    over `source`, a CTE of (id, version) rows written in the same statement."""

    sql: str
    params: dict
    kind: str
    destinations: tuple[str, ...]

    def enqueue_after_commit(self) -> None:
        """Call when `marked` had rows: a push of the kind starts once the writer commits."""
        drain_enqueue_after_commit(destinations=self.destinations, kind=self.kind, manual=False)


def sync_state_mark_pending_cte(*, kind: str, source: str = "up") -> MarkPending:
    destinations = destination_names_for_kind(kind)
    statement = _MARK_PENDING.format(
        table=_TABLE, source=source, destinations=_DESTINATIONS["postgresql"], where="true"
    )
    return MarkPending(
        sql=f"marked AS ({statement} RETURNING 1)",
        params=_mark_params(kind, destinations, Priority.BULK),
        kind=kind,
        destinations=destinations,
    )


# --- claim ---


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """What the push needs of a claimed sync state (read straight from the claim's RETURNING)."""

    pk: int
    object_id: int
    wanted_version: int
    priority: int
    attempts: int
    remote_snapshot: dict | None


# One statement claims: pick the oldest due rows (manual first) and mark them in flight, returning
# them. `FOR UPDATE … SKIP LOCKED` (PostgreSQL) lets concurrent claims take disjoint rows instead of
# waiting for each other; SQLite serialises writers, so it needs no lock clause. The CTE is
# MATERIALIZED so the row choice is made once, whatever plan the UPDATE gets.
_CLAIM_SQL = """
WITH due AS MATERIALIZED (
    SELECT s.id FROM {table} s
    WHERE s.destination = %(destination)s AND s.kind = %(kind)s AND s.status = 'pending'
      AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= %(now)s)
      {conditions}
    ORDER BY s.priority, s.changed_at
    LIMIT %(limit)s
    {lock}
)
UPDATE {table}
SET status = 'in_flight', lease_id = %(lease)s, sent_version = wanted_version
WHERE id {chosen}
RETURNING id, object_id, wanted_version, priority, attempts, remote_snapshot, changed_at
"""  # noqa: S608
# PostgreSQL guesses a CTE's size badly and would scan the whole table for `IN (SELECT …)`.
_CHOSEN = {"postgresql": "= ANY(ARRAY(SELECT id FROM due))"}
_MANUAL_ONLY = "AND s.priority = %(manual)s"


def sync_state_claim(
    *,
    destination: str,
    kind: str,
    lease: int,
    limit: int,
    manual_only: bool = False,
    condition: str = "",
) -> list[ClaimedRow]:
    """Put up to `limit` due rows in flight under `lease` in one statement; returns them,
    oldest first. Nothing stays locked after it.

    `condition` is the destination's own extra SQL on `s` (e.g. "the catalog has an id")."""
    now = timezone.now()
    conditions = [_MANUAL_ONLY] if manual_only else []
    if condition:
        conditions.append(condition)
    skip_locked = connection.features.has_select_for_update_skip_locked
    sql = _CLAIM_SQL.format(
        table=_TABLE,
        conditions="\n      ".join(conditions),
        lock="FOR UPDATE OF s SKIP LOCKED" if skip_locked else "",
        chosen=_CHOSEN.get(connection.vendor, "IN (SELECT id FROM due)"),
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "destination": destination,
        "kind": kind,
        "now": adapt(now),
        "limit": limit,
        "manual": Priority.MANUAL,
        "lease": lease,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall(), key=lambda row: (row[3], row[6], row[0]))
    return [
        ClaimedRow(
            pk=pk,
            object_id=object_id,
            wanted_version=wanted_version,
            priority=priority,
            attempts=attempts,
            # Both backends hand JSON columns to Django as text.
            remote_snapshot=json.loads(snapshot) if snapshot is not None else None,
        )
        for pk, object_id, wanted_version, priority, attempts, snapshot, _changed in rows
    ]


# --- outcomes of a claim (every write guarded by the drain's lease) ---


def _claimed(lease: int, pks: Iterable[int]) -> QuerySet:
    return SyncState.objects.filter(pk__in=list(pks), status=SyncStatus.IN_FLIGHT, lease_id=lease)


def sync_state_confirm(
    *, lease: int, sent: dict[int, list[int]], batch: SyncBatch, snapshots: dict[int, dict]
) -> None:
    """Confirm rows at the version each was sent (`sent`: version -> row pks); a row edited
    meanwhile is pending again. `snapshots` (row pk -> payload) is what the remote now holds."""
    now = timezone.now()
    # What the remote holds now, row by row, written by the same UPDATE as the confirmation
    # (one statement per request, not one per row).
    held = {}
    if snapshots:
        held["remote_snapshot"] = Case(
            *[
                When(pk=pk, then=Value(snapshot, output_field=JSONField()))
                for pk, snapshot in snapshots.items()
            ],
            default=F("remote_snapshot"),
        )
    with transaction.atomic(savepoint=False):
        # One UPDATE per distinct version (usually one per batch). The CASE is evaluated on the
        # row as it is when the UPDATE takes its lock, so an edit committed meanwhile wins.
        for version, pks in sent.items():
            newer = Q(wanted_version__gt=version)
            _claimed(lease, pks).update(
                **held,
                sent_version=version,
                confirmed_version=Least(Value(version), F("wanted_version")),
                confirmed_at=now,
                status=Case(
                    When(newer, then=Value(SyncStatus.PENDING)), default=Value(SyncStatus.CONFIRMED)
                ),
                priority=Case(When(newer, then=F("priority")), default=Value(Priority.BULK)),
                attempts=0,
                next_attempt_at=None,
                first_failure_at=None,
                last_error="",
                last_batch=batch,
            )


def _claimed_stop(
    lease: int, pks: list[int], status: str, message: str, batch: SyncBatch | None
) -> int:
    """Out of flight into a status only a person moves it from (failed, unknown)."""
    return _claimed(lease, pks).update(
        status=status,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        last_error=message[:KEPT_ERROR_CHARS],
        last_batch=batch,
    )


def sync_state_fail(*, lease: int, pks: list[int], message: str, batch: SyncBatch | None) -> int:
    """Rejected (or cannot be built): failed until a person retries it."""
    return _claimed_stop(lease, pks, SyncStatus.FAILED, message, batch)


def sync_state_unknown(*, lease: int, pks: list[int], message: str, batch: SyncBatch) -> int:
    """A call that is not idempotent got no answer: it may have happened; a person checks."""
    return _claimed_stop(lease, pks, SyncStatus.UNKNOWN, message, batch)


def backoff_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Full jitter (uniform up to an exponential cap), but never sooner than Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts, 30))
    return max(retry_after or 0.0, random.uniform(0, ceiling))


def sync_state_back_off(
    *,
    lease: int,
    pks: list[int],
    message: str,
    retry_after: float | None,
    batch: SyncBatch,
) -> tuple[int, int]:
    """Transient failure: each row waits its own jittered delay, or fails once the retry
    window (`SYNC_RETRY_WINDOW`) is used up. Returns (retrying, failed)."""
    now = timezone.now()
    window = timedelta(seconds=settings.SYNC_RETRY_WINDOW)
    retrying = failed = 0
    with transaction.atomic():
        states = list(_claimed(lease, pks).select_for_update())
        for state in states:
            state.attempts += 1
            state.first_failure_at = state.first_failure_at or now
            state.last_error = message[:KEPT_ERROR_CHARS]
            state.last_batch = batch
            if now - state.first_failure_at >= window:
                state.status = SyncStatus.FAILED
                state.next_attempt_at = None
                failed += 1
            else:
                state.status = SyncStatus.PENDING
                delay = backoff_delay(attempts=state.attempts, retry_after=retry_after)
                state.next_attempt_at = now + timedelta(seconds=delay)
                retrying += 1
        SyncState.objects.bulk_update(
            states,
            [
                "attempts",
                "first_failure_at",
                "last_error",
                "last_batch",
                "status",
                "next_attempt_at",
            ],
        )
    return retrying, failed


def sync_state_release(
    *,
    lease: int,
    pks: list[int] | None = None,
    note: str = "",
    batch: SyncBatch | None = None,
) -> int:
    """Hand back every row `lease` still holds in flight (or those of `pks`), without an attempt
    counted: the destination cannot take them now, the drain stopped, or it died (then `note`
    and `batch` say what became of the request they were on). One statement (the lease index
    serves it)."""
    rows = SyncState.objects.filter(status=SyncStatus.IN_FLIGHT, lease_id=lease)
    if pks is not None:
        rows = rows.filter(pk__in=pks)
    changes = {"status": SyncStatus.PENDING}
    if note:
        changes.update(last_error=note[:KEPT_ERROR_CHARS], last_batch=batch)
    return rows.update(**changes)


# --- what people do ---

_RETRY_RESET = {
    "status": SyncStatus.PENDING,
    "attempts": 0,
    "next_attempt_at": None,
    "first_failure_at": None,
}


def sync_state_retry(*, states: QuerySet, manual: bool) -> int:
    """Queue failed (or waiting) rows again from scratch; `manual` puts them first in line."""
    changes = {**_RETRY_RESET, **({"priority": Priority.MANUAL} if manual else {})}
    return states.update(**changes)


def sync_state_forget(*, states: QuerySet) -> int:
    """Drop states with nothing left to push: their row is gone here (deleted, an import
    reverted), or their destination no longer carries them (a webhook endpoint removed, or
    a kind it stopped receiving)."""
    return states.delete()[0]


def sync_state_resolve(*, state: SyncState, confirmed: bool) -> None:
    """Settle a row whose outcome was unknown: confirmed at its wanted version (it is there),
    or pending again first in line (it is not)."""
    rows = SyncState.objects.filter(pk=state.pk)
    if confirmed:
        rows.update(
            status=SyncStatus.CONFIRMED,
            confirmed_version=state.wanted_version,
            sent_version=state.wanted_version,
            last_error="",
            next_attempt_at=None,
            first_failure_at=None,
        )
    else:
        rows.update(
            status=SyncStatus.PENDING,
            priority=Priority.MANUAL,
            attempts=0,
            next_attempt_at=None,
            first_failure_at=None,
            last_error="",
        )
