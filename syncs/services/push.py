"""The push engine: claim pending rows, send their current state, confirm each at the version sent.

How one batch goes (`batch_push`):

0. A write marks rows changed (`sync_state_mark_changed`), which enqueues a drain after commit.
1. **Claim**, in one statement: `SELECT … FOR UPDATE SKIP LOCKED` the oldest due pending rows of
   one destination/kind (manual actions first), up to `REQUESTS_PER_CLAIM` requests' worth, and
   mark them `in_flight` with a lease (`UPDATE … RETURNING`).
   The lease time doubles as the claim's token: every later write is guarded by it, so a worker
   whose lease expired (and whose rows another worker took over) changes nothing.
2. **Build** the payloads from the rows as they are now, remembering each row's `version`. No
   transaction and no lock is open from here until the answer is in.
3. **Send** one request of at most `SYNC_BATCH_SIZE` items at a time, each recorded as a
   `SyncBatch`. The sending runs in a thread of its own (`_pipeline`): while one request is on
   the wire, the previous answer is recorded and its rows confirmed, and the next rows are
   claimed and built, so the database work overlaps the wait instead of adding to it. A failed
   answer is handled before anything more is sent. A killed worker loses at most the records
   of the request on the wire and of the one answered just before; their rows are sent again
   once their lease expires (at least once).
4. **Confirm** each row at the version it sent: `confirmed_version = sent`, and the row is
   `confirmed` only if nothing newer was committed meanwhile, else `pending` again (no lost
   update); the request's record and its rows' confirmation commit together. Failures instead
   back off per row (exponential, full jitter, at least `Retry-After`) until
   `SYNC_RETRY_WINDOW` is used up, then the row is `failed`. A 400 on a batch is bisected
   until the rejected items stand alone; 401/403 pause the destination and hand the rows back.

Scheduling, and why "at most one drain per destination/kind" does not cap throughput: what is
deduplicated is the *enqueueing* of drain tasks (`syncs/services/dispatch.py`): `drain_enqueue`
sets a short Redis flag (SET NX) per destination/kind/queue and sends a task only if it set it,
so 10,000 edits enqueue one drain, not 10,000; the drain clears the flag when it starts, so a
change committed after that start enqueues the next one. A running drain claims its own batches
with SKIP LOCKED, and when its first claim comes back full it enqueues one more drain (through
the same flag): drains spread to every free worker process while there is work, and stop
spreading when there is not. The claim,
not a lock on the drain, is what keeps two workers off the same row.

Manual actions (stock-out, delete, retry) get `priority = MANUAL` and a drain on the `priority`
queue that claims only manual rows; every bulk drain also claims manual rows first, so a
stock-out reaches the remote within one round trip of any running drain.

A drain stops after `DRAIN_TIME_BUDGET` seconds and re-enqueues itself, so no task runs near its
time limit; rows waiting for a backoff get a drain scheduled (countdown) for when the first is
due; the beat sweep (`syncs/schedule.py`) releases expired leases and catches anything else.
"""

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Min, Prefetch, Q, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from syncs.models import (
    BatchOutcome,
    BatchTrigger,
    Catalog,
    Customer,
    DeletionState,
    Destination,
    DestinationName,
    Order,
    Priority,
    Product,
    SyncBatch,
    SyncKind,
    SyncState,
    SyncStatus,
)
from syncs.remotes import payloads as wire
from syncs.remotes import remote_client
from syncs.remotes.errors import (
    DestinationNotConfigured,
    NotFoundError,
    RejectedError,
    RemoteError,
    TransientError,
    UnauthorisedError,
)
from syncs.selectors.destinations import destination_is_configured
from syncs.services.changes import KIND_DESTINATIONS
from syncs.services.dispatch import PAUSED_CREDENTIALS_KEY, drain_enqueue, redis_client
from syncs.services.sync import destination_resume

logger = logging.getLogger("syncs.push")

# The order a full sync goes in: products wait for their catalog's id.
KIND_ORDER = (SyncKind.CATALOG, SyncKind.PRODUCT, SyncKind.CUSTOMER, SyncKind.ORDER)

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 5 * 60
DRAIN_TIME_BUDGET = 60.0  # seconds; far below CELERY_TASK_SOFT_TIME_LIMIT
# A claim takes this many requests' worth of rows: one claim and one read serve several
# requests, while each request is still recorded and confirmed before the next one is sent.
REQUESTS_PER_CLAIM = 5
LATER_MAX_COUNTDOWN = 300  # far below the Redis visibility_timeout (2 hours)
KEPT_BODY_CHARS = 2000


@dataclass
class PushCounts:
    """What one or more batches did, for logs, the command's output and the tests."""

    claimed: int = 0
    delivered: int = 0  # confirmed at the version sent (may be pending again if edited meanwhile)
    retrying: int = 0  # transient failure, backing off
    failed: int = 0  # rejected, or out of retry window
    unknown: int = 0  # catalog creation without an answer
    released: int = 0  # handed back unpushed (destination paused or switched off)
    requests: int = 0
    paused: bool = False

    def add(self, other: "PushCounts") -> None:
        for name in (
            "claimed",
            "delivered",
            "retrying",
            "failed",
            "unknown",
            "released",
            "requests",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.paused = self.paused or other.paused


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """What the push needs of a claimed sync state (read straight from the claim's RETURNING)."""

    pk: int
    object_id: int
    wanted_version: int
    priority: int
    attempts: int
    remote_snapshot: dict | None


@dataclass
class _Item:
    state: ClaimedRow
    obj: object
    version: int
    payload: dict | None = None
    key: str = ""
    snapshot: dict | None = None  # Custobar: what the remote holds once this is confirmed


@dataclass
class _Claim:
    destination: str
    kind: str
    token: datetime  # lease_expires_at of every row in this claim
    states: list[ClaimedRow] = field(default_factory=list)


@dataclass
class _Request:
    """One HTTP request's worth of one claim: a POST of up to SYNC_BATCH_SIZE items, or the
    DELETE of one product."""

    claim: _Claim
    items: list[_Item]
    method: str = "POST"

    def endpoint(self) -> str:
        if self.method == "DELETE":
            product = self.items[0].obj
            return f"/v1/catalog-products/{product.catalog.citrusad_id}/{product.gtin}"
        return _endpoint(self.claim.destination, self.claim.kind)


@dataclass
class _Answer:
    result: object | None = None
    error: RemoteError | None = None
    duration_ms: int = 0


class _Paused(Exception):
    """The destination refused our credentials: stop this claim and hand the rest back."""


# --- Claiming ---


def destination_is_paused(*, destination: str) -> bool:
    return Destination.objects.filter(name=destination, paused=True).exists()


# One statement claims: pick the oldest due rows (manual first) and mark them in flight, returning
# them. `FOR UPDATE … SKIP LOCKED` (PostgreSQL) lets concurrent claims take disjoint rows instead of
# waiting for each other; SQLite serialises writers, so it needs no lock clause. The CTE is
# MATERIALIZED so the row choice is made once, whatever plan the UPDATE gets. Table and column
# names are our own; every value is a parameter (hence S608).
_CLAIM_SQL = """
WITH due AS MATERIALIZED (
    SELECT s.id FROM syncs_syncstate s
    WHERE s.destination = %(destination)s AND s.kind = %(kind)s AND s.status = 'pending'
      AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= %(now)s)
      {conditions}
    ORDER BY s.priority, s.changed_at
    LIMIT %(limit)s
    {lock}
)
UPDATE syncs_syncstate
SET status = 'in_flight', lease_expires_at = %(token)s, sent_version = wanted_version
WHERE id {chosen}
RETURNING id, object_id, wanted_version, priority, attempts, remote_snapshot, changed_at
"""  # noqa: S608
# PostgreSQL guesses a CTE's size badly and would scan the whole table for `IN (SELECT …)`.
_CHOSEN = {"postgresql": "= ANY(ARRAY(SELECT id FROM due))"}
_MANUAL_ONLY = "AND s.priority = %(manual)s"
# A product can only be pushed once its catalog exists in CitrusAd.
_CATALOG_HAS_ID = """AND EXISTS (
        SELECT 1 FROM syncs_product p JOIN syncs_catalog c ON c.id = p.catalog_id
        WHERE p.id = s.object_id AND c.citrusad_id <> '')"""


def batch_claim(
    *, destination: str, kind: str, limit: int | None = None, manual_only: bool = False
) -> _Claim:
    """Claim up to `limit` due rows (default: one request's worth) in one statement; nothing
    stays locked after it."""
    limit = limit or settings.SYNC_BATCH_SIZE
    now = timezone.now()
    # A random microsecond makes the lease time unique to this claim: it is the claim's token.
    token = now + timedelta(
        seconds=settings.SYNC_LEASE_SECONDS, microseconds=random.randrange(1, 1_000_000)
    )
    conditions = [_MANUAL_ONLY] if manual_only else []
    if kind == SyncKind.PRODUCT:
        conditions.append(_CATALOG_HAS_ID)
    skip_locked = connection.features.has_select_for_update_skip_locked
    sql = _CLAIM_SQL.format(
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
        "token": adapt(token),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall(), key=lambda row: (row[3], row[6], row[0]))
    states = [
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
    return _Claim(destination=destination, kind=kind, token=token, states=states)


def leases_release_expired() -> int:
    """Hand rows whose worker died (lease expired) back to the pending pool."""
    return SyncState.objects.filter(
        status=SyncStatus.IN_FLIGHT, lease_expires_at__lt=timezone.now()
    ).update(status=SyncStatus.PENDING, lease_expires_at=None)


# --- Building items ---


# What building a product's payload (or its DELETE) reads; the claim's few catalogs are read
# once, not once per product. Loading no more than this halves the cost of the biggest kind.
_PRODUCT_PUSH_FIELDS = (
    "catalog_id",
    "gtin",
    "seller_id",
    "inventory",
    "price",
    "profit",
    "name",
    "image_url",
    "tags",
    "filters",
    "groups",
    "deletion_state",
    "version",
)


def _load(kind: str, ids: list[int]) -> dict[int, object]:
    if kind == SyncKind.PRODUCT:
        catalogs = Prefetch("catalog", queryset=Catalog.objects.only("citrusad_id"))
        rows = Product.objects.only(*_PRODUCT_PUSH_FIELDS).prefetch_related(catalogs)
    elif kind == SyncKind.CUSTOMER:
        rows = Customer.objects.all()
    elif kind == SyncKind.ORDER:
        rows = Order.objects.prefetch_related("items")
    else:
        rows = Catalog.objects.all()
    return rows.in_bulk(ids)


def _build(claim: _Claim) -> tuple[list[_Item], list[tuple[SyncState, str]]]:
    """Items ready to send, and rows that cannot be built (with the reason)."""
    objects = _load(claim.kind, [s.object_id for s in claim.states])
    items, unbuildable = [], []
    for state in claim.states:
        obj = objects.get(state.object_id)
        if obj is None:
            unbuildable.append((state, "The row no longer exists here; nothing to push."))
            continue
        item = _Item(state=state, obj=obj, version=obj.version)
        try:
            _fill_payload(claim, item)
        except (ValueError, TypeError) as exc:
            unbuildable.append((state, f"Could not build the payload: {exc}"))
            continue
        items.append(item)
    return items, unbuildable


def _fill_payload(claim: _Claim, item: _Item) -> None:
    kind, obj = claim.kind, item.obj
    if kind == SyncKind.PRODUCT:
        if obj.deletion_state:
            item.key = obj.gtin  # sent as a DELETE, no body
            return
        item.payload = wire.catalog_product_payload(obj)
    elif kind == SyncKind.CUSTOMER and claim.destination == DestinationName.CUSTOBAR:
        item.payload = wire.custobar_customer_payload(obj, previous=item.state.remote_snapshot)
        item.snapshot = wire.custobar_customer_snapshot(obj)
    elif kind == SyncKind.CUSTOMER:
        item.payload = wire.citrusad_customer_payload(obj)
    elif kind == SyncKind.ORDER:
        item.payload = wire.order_payload(obj)
    else:
        item.payload = wire.catalog_create_payload(obj)
        item.key = obj.name
        return
    item.key = wire.payload_key(kind, item.payload)


# --- Sending ---


def _endpoint(destination: str, kind: str) -> str:
    if destination == DestinationName.CUSTOBAR:
        return "/api/customers/upload/"
    return {
        SyncKind.CATALOG: "/v1/catalogs",
        SyncKind.PRODUCT: "/v1/catalog-products",
        SyncKind.CUSTOMER: "/v1/customers",
        SyncKind.ORDER: "/v1/orders",
    }[kind]


def _sender(client, destination: str, kind: str) -> Callable[[list[dict]], object]:
    if destination == DestinationName.CUSTOBAR:
        return lambda items: client.upload_customers(items=items)
    if kind == SyncKind.PRODUCT:
        return lambda items: client.upsert_catalog_products(items=items)
    if kind == SyncKind.CUSTOMER:
        return lambda items: client.upsert_customers(items=items)
    if kind == SyncKind.ORDER:
        return lambda items: client.upsert_orders(items=items)
    return lambda items: client.create_catalogs(names=[item["name"] for item in items])


def _trigger(items: list[_Item]) -> str:
    if any(item.state.priority == Priority.MANUAL for item in items):
        return BatchTrigger.MANUAL
    if any(item.state.attempts for item in items):
        return BatchTrigger.RETRY
    return BatchTrigger.BULK


def _record(
    request: _Request,
    *,
    trigger: str,
    parent: SyncBatch | None,
    outcome: str,
    status_code: int | None,
    duration_ms: int,
    error: Exception | None = None,
) -> SyncBatch:
    claim, items = request.claim, request.items
    failed = outcome not in (BatchOutcome.OK, BatchOutcome.NOT_FOUND)
    return SyncBatch.objects.create(
        destination=claim.destination,
        kind=claim.kind,
        method=request.method,
        endpoint=request.endpoint(),
        trigger=trigger,
        parent=parent,
        item_count=len(items),
        keys=[item.key for item in items],
        status_code=status_code,
        outcome=outcome,
        duration_ms=duration_ms,
        # The clients scrub credentials from every message and body they raise.
        error=str(error)[:KEPT_BODY_CHARS] if error else "",
        request_body=[item.payload for item in items]
        if failed and request.method == "POST"
        else None,
        response_body=(getattr(error, "body", "") or "")[:KEPT_BODY_CHARS] if failed else "",
    )


def _outcome_of(exc: Exception) -> str:
    if isinstance(exc, UnauthorisedError):
        return BatchOutcome.UNAUTHORISED
    if isinstance(exc, RejectedError):
        return BatchOutcome.REJECTED
    if isinstance(exc, NotFoundError):
        return BatchOutcome.NOT_FOUND
    if isinstance(exc, TransientError):
        return BatchOutcome.TRANSIENT
    return BatchOutcome.ERROR


def _rejection_text(exc: RejectedError) -> str:
    details = [info.get("message", "") for info in exc.additional_info if info.get("message")]
    text = exc.message or str(exc)
    if details and details[0] != text:
        text = f"{text} ({'; '.join(details)})"
    return text[:KEPT_BODY_CHARS]


def _post(client, request: _Request) -> _Answer:
    """Send one request; no database work here (it may run in the pipeline's HTTP thread)."""
    started = time.monotonic()
    try:
        if request.method == "DELETE":
            product = request.items[0].obj
            result = client.delete_catalog_product(
                catalog_id=product.catalog.citrusad_id,
                gtin=product.gtin,
                seller_id=product.seller_id,
            )
        else:
            send = _sender(client, request.claim.destination, request.claim.kind)
            result = send([item.payload for item in request.items])
    except RemoteError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return _Answer(error=exc, duration_ms=exc.duration_ms or elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    return _Answer(result=result, duration_ms=result.duration_ms or elapsed)


def _send(client, request: _Request, counts: PushCounts, parent: SyncBatch | None) -> None:
    """Send one request and write its outcome, both in this thread."""
    counts.requests += 1
    _settle(client, request, _post(client, request), counts, parent)


def _settle(
    client, request: _Request, answer: _Answer, counts: PushCounts, parent: SyncBatch | None
) -> None:
    """Record the attempt and write what it means for its rows. A 400 on a POST is split in
    halves, sent again, until the rejected items stand alone; a 401/403 pauses the destination
    (raises _Paused)."""
    claim, items = request.claim, request.items
    trigger = BatchTrigger.BISECT if parent else _trigger(items)
    exc = answer.error
    if exc is None:
        # The attempt's record and its rows' confirmation commit together.
        with transaction.atomic():
            batch = _record(
                request,
                trigger=trigger,
                parent=parent,
                outcome=BatchOutcome.OK,
                status_code=answer.result.status_code,
                duration_ms=answer.duration_ms,
            )
            if claim.kind == SyncKind.CATALOG and not _catalog_ids_returned(
                items, answer.result.items
            ):
                message = "CitrusAd answered without the new catalog's id."
                _rows_unknown(claim, items, message=message, batch=batch, counts=counts)
                return
            _rows_confirm(
                claim, items, batch=batch, counts=counts, result_items=answer.result.items
            )
        return
    if request.method == "DELETE" and isinstance(exc, NotFoundError):
        with transaction.atomic():  # already gone: what the deletion wanted
            batch = _record(
                request,
                trigger=trigger,
                parent=parent,
                outcome=BatchOutcome.NOT_FOUND,
                status_code=exc.status_code,
                duration_ms=answer.duration_ms,
                error=exc,
            )
            _rows_confirm(claim, items, batch=batch, counts=counts)
        return
    batch = _record(
        request,
        trigger=trigger,
        parent=parent,
        outcome=_catalog_outcome(claim, exc) or _outcome_of(exc),
        status_code=exc.status_code,
        duration_ms=answer.duration_ms,
        error=exc,
    )
    if isinstance(exc, UnauthorisedError):
        destination_pause(destination=claim.destination, reason=str(exc))
        raise _Paused from exc
    if isinstance(exc, RejectedError) and len(items) > 1:
        middle = len(items) // 2
        _send(client, _Request(claim, items[:middle]), counts, batch)
        _send(client, _Request(claim, items[middle:]), counts, batch)
        return
    if isinstance(exc, RejectedError):
        _rows_fail(claim, items, message=_rejection_text(exc), batch=batch, counts=counts)
        return
    if _catalog_outcome(claim, exc) == BatchOutcome.UNKNOWN:
        _rows_unknown(claim, items, message=str(exc), batch=batch, counts=counts)
        return
    _rows_back_off(claim, items, exc=exc, batch=batch, counts=counts)


def _catalog_ids_returned(items: list[_Item], answers: list) -> bool:
    return len(answers) >= len(items) and all(
        isinstance(answer, dict) and answer.get("id") for answer in answers[: len(items)]
    )


def _catalog_outcome(claim: _Claim, exc: Exception) -> str | None:
    """Catalog creation is not idempotent: an answer we did not get may have created it."""
    if claim.kind != SyncKind.CATALOG or not isinstance(exc, TransientError):
        return None
    if not exc.request_sent or exc.status_code == 429:
        return None  # the remote surely did nothing: a normal retry is safe
    return BatchOutcome.UNKNOWN


# --- Writing the outcome (every write guarded by the claim's token) ---


def _ours(claim: _Claim, states: Iterable[ClaimedRow]):
    return SyncState.objects.filter(
        pk__in=[s.pk for s in states], status=SyncStatus.IN_FLIGHT, lease_expires_at=claim.token
    )


def _rows_confirm(
    claim: _Claim,
    items: list[_Item],
    *,
    batch: SyncBatch,
    counts: PushCounts,
    result_items: list[dict] | None = None,
) -> None:
    """Confirm each row at the version it sent; a row edited meanwhile stays pending."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        if claim.kind == SyncKind.CATALOG:
            _catalogs_store_ids(claim, items, result_items or [])
        if claim.kind == SyncKind.PRODUCT:
            deleted = [item.obj.pk for item in items if item.obj.deletion_state]
            if deleted:
                # Remote state, not a wanted change: the version does not move.
                Product.objects.filter(pk__in=deleted).update(deletion_state=DeletionState.DELETED)
        for item in items:
            if item.snapshot is not None:
                _ours(claim, [item.state]).update(remote_snapshot=item.snapshot)
        by_version: dict[int, list[_Item]] = {}
        for item in items:
            by_version.setdefault(item.version, []).append(item)
        # One UPDATE per distinct version (usually one per batch). The CASE is evaluated on the
        # row as it is when the UPDATE takes its lock, so an edit committed meanwhile wins.
        for version, group in by_version.items():
            newer = Q(wanted_version__gt=version)
            _ours(claim, [item.state for item in group]).update(
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
                lease_expires_at=None,
                last_error="",
                last_batch=batch,
            )
    counts.delivered += len(items)
    if claim.kind == SyncKind.CATALOG:
        # Products that waited for these catalogs' ids can go now.
        transaction.on_commit(
            lambda: drain_enqueue(destination=DestinationName.CITRUSAD, kind=SyncKind.PRODUCT)
        )


def _catalogs_store_ids(claim: _Claim, items: list[_Item], result_items: list[dict]) -> None:
    """Store the id CitrusAd returned in the transaction that confirms, before anything else."""
    for item, answer in zip(items, result_items, strict=False):
        remote_id = str(answer.get("id") or "")
        team_id = str(answer.get("teamId") or item.obj.team_id or "")
        if remote_id:
            Catalog.objects.filter(pk=item.obj.pk, citrusad_id="").update(
                citrusad_id=remote_id, team_id=team_id
            )


def _rows_fail(
    claim: _Claim, items: list[_Item], *, message: str, batch: SyncBatch | None, counts: PushCounts
) -> None:
    _ours(claim, [item.state for item in items]).update(
        status=SyncStatus.FAILED,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        lease_expires_at=None,
        last_error=message,
        last_batch=batch,
    )
    counts.failed += len(items)


def _rows_unknown(
    claim: _Claim, items: list[_Item], *, message: str, batch: SyncBatch, counts: PushCounts
) -> None:
    _ours(claim, [item.state for item in items]).update(
        status=SyncStatus.UNKNOWN,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        lease_expires_at=None,
        last_error=(
            "No answer to the catalog creation: it may exist in CitrusAd. Check there before "
            f"retrying, or register it with its id. ({message})"
        )[:KEPT_BODY_CHARS],
        last_batch=batch,
    )
    counts.unknown += len(items)


def backoff_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Full jitter (uniform up to an exponential cap), but never sooner than Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts, 30))
    return max(retry_after or 0.0, random.uniform(0, ceiling))


def _rows_back_off(
    claim: _Claim, items: list[_Item], *, exc: RemoteError, batch: SyncBatch, counts: PushCounts
) -> None:
    """Transient failure: each row waits its own jittered delay, or fails past the window."""
    now = timezone.now()
    window = timedelta(seconds=settings.SYNC_RETRY_WINDOW)
    retry_after = getattr(exc, "retry_after", None)
    with transaction.atomic():
        states = list(_ours(claim, [item.state for item in items]).select_for_update())
        for state in states:
            state.attempts += 1
            state.first_failure_at = state.first_failure_at or now
            state.lease_expires_at = None
            state.last_error = str(exc)[:KEPT_BODY_CHARS]
            state.last_batch = batch
            if now - state.first_failure_at >= window:
                state.status = SyncStatus.FAILED
                state.next_attempt_at = None
                counts.failed += 1
            else:
                state.status = SyncStatus.PENDING
                delay = backoff_delay(attempts=state.attempts, retry_after=retry_after)
                state.next_attempt_at = now + timedelta(seconds=delay)
                counts.retrying += 1
        SyncState.objects.bulk_update(
            states,
            [
                "attempts",
                "first_failure_at",
                "lease_expires_at",
                "last_error",
                "last_batch",
                "status",
                "next_attempt_at",
            ],
        )


def _claims_release(claims: list[_Claim]) -> int:
    """Hand back, untouched (no attempt counted), every row of these claims still in flight:
    the destination cannot take them now, or the drain stopped. One statement over the
    claims' tokens (the lease index serves it), however many claims the drain made."""
    if not claims:
        return 0
    return SyncState.objects.filter(
        status=SyncStatus.IN_FLIGHT, lease_expires_at__in=[claim.token for claim in claims]
    ).update(status=SyncStatus.PENDING, lease_expires_at=None)


def _credentials_fingerprint(destination: str) -> str:
    """A keyed hash of the destination's settings: tells "changed" without keeping the secret."""
    if destination == DestinationName.CITRUSAD:
        parts = (settings.CITRUSAD_BASE_URL, settings.CITRUSAD_API_KEY, settings.CITRUSAD_TEAM_ID)
    else:
        parts = (
            settings.CUSTOBAR_BASE_URL,
            settings.CUSTOBAR_USERNAME,
            settings.CUSTOBAR_PASSWORD,
            settings.CUSTOBAR_API_TOKEN,
        )
    message = "\x00".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def paused_credentials_key(destination: str) -> str:
    return PAUSED_CREDENTIALS_KEY.format(destination=destination)


def destination_pause(*, destination: str, reason: str) -> None:
    """Stop pushing to a destination whose credentials were refused, until they change or
    someone resumes it."""
    Destination.objects.update_or_create(
        name=destination,
        defaults={"paused": True, "paused_reason": reason[:1000], "paused_at": timezone.now()},
    )
    client = redis_client()
    if client is not None:
        client.set(paused_credentials_key(destination), _credentials_fingerprint(destination))
    logger.warning("Paused %s: %s", destination, reason)


def _paused_unless_credentials_changed(destination: str) -> bool:
    """True while paused; a process running with other credentials than the refused ones
    (fixed settings, restarted workers) resumes the destination by itself."""
    if not destination_is_paused(destination=destination):
        return False
    client = redis_client()
    refused = client.get(paused_credentials_key(destination)) if client is not None else None
    if refused is None or refused.decode() == _credentials_fingerprint(destination):
        return True
    client.delete(paused_credentials_key(destination))
    destination_resume(destination=destination, actor=None)
    logger.warning("Resumed %s: its credentials changed since they were refused", destination)
    return False


# --- One batch, one drain ---


def _requests(claim: _Claim, counts: PushCounts) -> Iterator[_Request]:
    """A claim's rows as requests: rows that cannot be built fail at once; deletions (people's
    actions) go first, one per product; then the upserts, up to SYNC_BATCH_SIZE per request,
    and one per request for catalogs (a lost answer then leaves one catalog unknown, not many)."""
    items, unbuildable = _build(claim)
    for state, reason in unbuildable:
        fake = _Item(state=state, obj=None, version=state.wanted_version)
        _rows_fail(claim, [fake], message=reason, batch=None, counts=counts)
    for item in items:
        if item.payload is None and claim.kind == SyncKind.PRODUCT:
            yield _Request(claim, [item], method="DELETE")
    upserts = [item for item in items if item.payload is not None]
    step = 1 if claim.kind == SyncKind.CATALOG else settings.SYNC_BATCH_SIZE
    for start in range(0, len(upserts), step):
        yield _Request(claim, upserts[start : start + step])


def _pipeline(client, requests: Iterator[_Request], counts: PushCounts) -> None:
    """Send the requests one at a time, in order, and write each one's outcome while the next
    one is on the wire: the database work (recording, confirming, claiming the next rows) is
    done while waiting for the remote, not after it. Still one request in flight, as a single
    client would; a failed answer is handled (bisect, backoff, pause) before anything more is
    sent, and every answer is written before the one after next is sent."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-http") as http:

        def send(request: _Request) -> tuple[_Request, Future]:
            counts.requests += 1
            return request, http.submit(_post, client, request)

        in_flight: tuple[_Request, Future] | None = None
        for request in requests:
            if in_flight is not None:
                previous, future = in_flight
                answer = future.result()
                if answer.error is None:
                    in_flight = send(request)  # on the wire while the answer is written
                    _settle(client, previous, answer, counts, None)
                    continue
                _settle(client, previous, answer, counts, None)  # with nothing on the wire
            in_flight = send(request)
        if in_flight is not None:
            previous, future = in_flight
            _settle(client, previous, future.result(), counts, None)


def _claims(
    destination: str, kind: str, *, manual_only: bool, limit: int, made: list[_Claim]
) -> Iterator[_Claim]:
    """Claim after claim until nothing is due (the caller stops pulling when it is done); each
    is added to `made`, what to hand back if the drain stops early."""
    while True:
        claim = batch_claim(
            destination=destination, kind=kind, limit=limit, manual_only=manual_only
        )
        if not claim.states:
            return
        made.append(claim)
        yield claim


def _drive(
    destination: str, kind: str, claims: Callable[[list[_Claim]], Iterator[_Claim]]
) -> PushCounts:
    """Push the requests of the claims `claims` yields and write every outcome."""
    counts = PushCounts()
    if _paused_unless_credentials_changed(destination):
        counts.paused = True
        return counts
    try:
        client = remote_client(destination)
    except DestinationNotConfigured:
        return counts  # switched off: rows wait, pending, until it is configured
    made: list[_Claim] = []

    def requests() -> Iterator[_Request]:
        for claim in claims(made):
            counts.claimed += len(claim.states)
            yield from _requests(claim, counts)

    try:
        _pipeline(client, requests(), counts)
    except _Paused:
        counts.paused = True
        counts.released += _claims_release(made)
    except BaseException:
        # Anything unexpected (a bug, a soft time limit): hand the rows back so they are not
        # stuck until their lease expires, then let the error surface.
        _claims_release(made)
        raise
    return counts


def batch_push(
    *, destination: str, kind: str, manual_only: bool = False, limit: int | None = None
) -> PushCounts:
    """Claim due rows once (REQUESTS_PER_CLAIM requests' worth unless `limit` says otherwise),
    push them, and record the outcome of every row."""
    limit = limit or settings.SYNC_BATCH_SIZE * REQUESTS_PER_CLAIM

    def one_claim(made: list[_Claim]) -> Iterator[_Claim]:
        for claim in _claims(destination, kind, manual_only=manual_only, limit=limit, made=made):
            yield claim
            return

    return _drive(destination, kind, one_claim)


def sync_drain(
    *,
    destination: str,
    kind: str,
    manual_only: bool = False,
    time_budget: float | None = DRAIN_TIME_BUDGET,
    fan_out: bool = False,
) -> tuple[PushCounts, bool]:
    """Push claim after claim until nothing is due or the time budget is spent; returns the
    counts and whether work was left over.

    With `fan_out`, a full first claim enqueues one more drain, so idle workers join in.
    """
    started = time.monotonic()
    limit = settings.SYNC_BATCH_SIZE * REQUESTS_PER_CLAIM
    left_over = False

    def until_budget(made: list[_Claim]) -> Iterator[_Claim]:
        nonlocal left_over
        claims = _claims(destination, kind, manual_only=manual_only, limit=limit, made=made)
        for number, claim in enumerate(claims):
            if number == 0 and fan_out and len(claim.states) >= limit:
                drain_enqueue(destination=destination, kind=kind)
            yield claim
            if time_budget is not None and time.monotonic() - started > time_budget:
                left_over = True
                return

    counts = _drive(destination, kind, until_budget)
    return counts, left_over and not counts.paused


def drain_schedule_backoff(*, destination: str, kind: str) -> bool:
    """If rows are waiting out a backoff, schedule a drain for when the first one is due."""
    due = SyncState.objects.filter(
        destination=destination, kind=kind, status=SyncStatus.PENDING, next_attempt_at__isnull=False
    ).aggregate(first=Min("next_attempt_at"))["first"]
    if due is None:
        return False
    countdown = min(max((due - timezone.now()).total_seconds(), 0.0) + 0.05, LATER_MAX_COUNTDOWN)
    return drain_enqueue(destination=destination, kind=kind, countdown=max(countdown, 0.1))


def sync_sweep() -> dict[str, int]:
    """Release expired leases and enqueue a drain wherever rows are due (the beat safety net).

    A paused destination whose credentials changed since they were refused is resumed here.
    """
    released = leases_release_expired()
    paused = {
        name
        for name in Destination.objects.filter(paused=True).values_list("name", flat=True)
        if _paused_unless_credentials_changed(name)
    }
    now = timezone.now()
    due = (
        SyncState.objects.filter(status=SyncStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("destination", "kind", "priority")
        .distinct()
        .order_by()
    )
    enqueued = 0
    # A destination that is switched off (no URL or key) keeps its rows pending, unasked.
    off = {
        name for name in DestinationName.values if not destination_is_configured(destination=name)
    }
    for destination, kind, priority in due:
        if destination in paused or destination in off:
            continue
        enqueued += drain_enqueue(
            destination=destination, kind=kind, manual=priority == Priority.MANUAL
        )
    waiting = (
        SyncState.objects.filter(status=SyncStatus.PENDING, next_attempt_at__gt=now)
        .values_list("destination", "kind")
        .distinct()
        .order_by()
    )
    for destination, kind in waiting:
        if destination not in paused and destination not in off:
            drain_schedule_backoff(destination=destination, kind=kind)
    return {"released": released, "enqueued": enqueued}


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
        for destination in KIND_DESTINATIONS[kind]
        if wanted_destinations is None or destination in wanted_destinations
    ]
    results = {pair: PushCounts() for pair in pairs}
    leases_release_expired()
    while True:
        for destination, kind in pairs:
            counts, _ = sync_drain(destination=destination, kind=kind, time_budget=None)
            results[(destination, kind)].add(counts)
        if not wait_for_retries:
            return results
        paused = set(Destination.objects.filter(paused=True).values_list("name", flat=True))
        waiting = SyncState.objects.filter(
            status=SyncStatus.PENDING,
            next_attempt_at__isnull=False,
            kind__in=kinds,
            destination__in=[d for d, _ in pairs if d not in paused],
        ).aggregate(first=Min("next_attempt_at"))["first"]
        if waiting is None:
            return results
        time.sleep(min(max((waiting - timezone.now()).total_seconds(), 0.0) + 0.01, 60.0))
