"""Sending: one request on the wire, its attempt recorded, its answer settled.

`request_post` is the only code that runs in the drain's HTTP thread: it touches no database.
Everything else here runs in the drain's own thread: `request_settle` records the attempt as a
`SyncBatch` (the sync history) and applies the destination's verdict to the rows; a rejected
batch of several items is split in halves, sent again, until the rejected items stand alone
(one bad item never blocks 99 good ones).
"""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import transaction

from syncs.destinations import Verdict
from syncs.models import BatchOutcome, BatchTrigger, SyncBatch
from syncs.remotes.errors import (
    NotFoundError,
    RejectedError,
    RemoteError,
    RemoteTimeout,
    TransientError,
    UnauthorisedError,
)
from syncs.remotes.result import RemoteResult
from syncs.services.push.leases import lease_on_wire
from syncs.services.push.outcomes import (
    PushCounts,
    items_back_off,
    items_confirm,
    items_fail,
    items_unknown,
)
from syncs.services.push.pacing import Pace, Ticket
from syncs.services.push.pausing import destination_pause
from syncs.services.push.payloads import Request

KEPT_BODY_CHARS = 2000


class Paused(Exception):
    """The destination refused our credentials: stop this drain and hand its rows back."""


@dataclass
class Answer:
    result: RemoteResult | None = None
    error: RemoteError | None = None
    duration_ms: int = 0


def request_post(client, request: Request) -> Answer:
    """Send one request. No database work here: it runs in the drain's HTTP thread."""
    started = time.monotonic()
    try:
        result = request.destination.send(client, request.kind, request)
    except RemoteError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Answer(error=exc, duration_ms=exc.duration_ms or elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    return Answer(result=result, duration_ms=result.duration_ms or elapsed)


class Wire:
    """The drain's line to its destination: the HTTP thread (at most one request on the wire at
    a time, as one client would send them, while the drain's own thread does the database work)
    and the destination's pace, which every request waits for."""

    def __init__(self, client, pace: Pace, stop: threading.Event, lease_id: int):
        self.client = client
        self.pace = pace
        self.stop = stop
        self.lease_id = lease_id
        self.unsettled: list[tuple[Request, dict]] = []  # noted or sent, answer not written
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-http")

    def slot_now(self, request: Request) -> Ticket | None:
        """A slot for `request` if the pace has one free right now."""
        return self.pace.take(manual=request.manual)

    def slot_wait(self, request: Request) -> Ticket | None:
        """Wait for the pace to let `request` go; None when the drain is told to stop first."""
        return self.pace.wait(manual=request.manual, stop=self.stop)

    def send(self, request: Request, ticket: Ticket) -> "OnWire":
        self.going(request)  # noted already when the drain could do it ahead of time
        future = self._thread.submit(request_post, self.client, request)
        return OnWire(request, future, ticket)

    def going(self, request: Request) -> None:
        """Write on the lease what is about to be on the wire, before it goes: if the worker
        dies now, the reap records these requests as unknown outcomes."""
        if any(r is request for r, _ in self.unsettled):
            return
        self.unsettled.append((request, _described(request)))
        lease_on_wire(lease_id=self.lease_id, requests=[note for _, note in self.unsettled])

    def settled(self, request: Request) -> None:
        # Only in memory: the next `going` rewrites the list, and a reap ignores requests
        # whose rows are no longer in flight.
        self.unsettled = [(r, note) for r, note in self.unsettled if r is not request]

    def close(self) -> None:
        self._thread.shutdown(wait=True)


@dataclass
class OnWire:
    request: Request
    future: Future | None  # None: sent from the drain's own thread (a split's half)
    ticket: Ticket

    def answer(self) -> Answer:
        """Wait for the remote's answer."""
        return self.future.result()


def request_send_now(
    wire: Wire, request: Request, counts: PushCounts, parent: SyncBatch | None = None
) -> None:
    """Send one request and settle its answer, both in this thread (the halves of a split)."""
    ticket = wire.slot_wait(request)
    if ticket is None:
        return  # told to stop: the rows stay in flight and the drain hands them back
    counts.requests += 1
    wire.going(request)
    answer = request_post(wire.client, request)
    request_settle(wire, OnWire(request, None, ticket), answer, counts, parent)


def request_settle(
    wire: Wire, sent: "OnWire", answer: Answer, counts: PushCounts, parent: SyncBatch | None = None
) -> None:
    """Record the attempt and apply what its answer means to its rows (and to the destination's
    pace). Raises `Paused` when the destination refused our credentials."""
    request = sent.request
    destination, kind = request.destination, request.kind
    wire.pace.answered(sent.ticket, answer.error)
    wire.settled(request)
    trigger = BatchTrigger.SPLIT if parent else _trigger(request)
    exc = answer.error
    if exc is None:
        # The attempt's record and its rows' confirmation commit together.
        with transaction.atomic():
            batch = _record(request, trigger, parent, BatchOutcome.OK, answer)
            problem = destination.incomplete(kind, request, answer.result)
            if problem:
                items_unknown(request, detail=problem, batch=batch, counts=counts)
                return
            items_confirm(request, batch=batch, counts=counts, answers=answer.result.items)
        return
    verdict = destination.verdict(kind, request, exc)
    if verdict == Verdict.CONFIRM:
        with transaction.atomic():
            batch = _record(request, trigger, parent, _outcome_of(exc, verdict), answer)
            items_confirm(request, batch=batch, counts=counts)
        return
    batch = _record(request, trigger, parent, _outcome_of(exc, verdict), answer)
    if verdict == Verdict.PAUSE:
        destination_pause(destination=destination.name, reason=str(exc))
        raise Paused from exc
    if verdict == Verdict.REJECT and len(request.items) > 1:
        request_send_now(wire, request.half(first=True), counts, batch)
        request_send_now(wire, request.half(first=False), counts, batch)
        return
    if verdict == Verdict.REJECT:
        items_fail(request, message=_rejection_text(exc), batch=batch, counts=counts)
        return
    if verdict == Verdict.UNKNOWN:
        items_unknown(request, detail=str(exc), batch=batch, counts=counts)
        return
    items_back_off(request, exc=exc, batch=batch, counts=counts)


def _described(request: Request) -> dict:
    """A request as its lease keeps it while it is on the wire (see `leases`)."""
    lost = request.destination.verdict(
        request.kind, request, RemoteTimeout("The worker stopped before the answer came.")
    )
    return {
        "method": request.method,
        "endpoint": request.endpoint(),
        "trigger": _trigger(request),
        "keys": [item.key for item in request.items],
        "rows": [item.state.pk for item in request.items],
        "if_lost": Verdict.UNKNOWN if lost == Verdict.UNKNOWN else Verdict.RETRY,
    }


def _trigger(request: Request) -> str:
    if request.manual:
        return BatchTrigger.MANUAL
    if any(item.state.attempts for item in request.items):
        return BatchTrigger.RETRY
    return BatchTrigger.BULK


def _outcome_of(exc: RemoteError, verdict: Verdict) -> str:
    if verdict == Verdict.UNKNOWN:
        return BatchOutcome.UNKNOWN
    if isinstance(exc, UnauthorisedError):
        return BatchOutcome.UNAUTHORISED
    if verdict == Verdict.PAUSE:
        return BatchOutcome.GONE
    if isinstance(exc, RejectedError):
        return BatchOutcome.REJECTED
    if isinstance(exc, NotFoundError):
        return BatchOutcome.NOT_FOUND
    if isinstance(exc, TransientError):
        return BatchOutcome.TRANSIENT
    return BatchOutcome.ERROR


def _record(
    request: Request, trigger: str, parent: SyncBatch | None, outcome: str, answer: Answer
) -> SyncBatch:
    """The attempt in the sync history. Bodies are kept only on failure; the clients have
    scrubbed credentials from every message and body they raise."""
    items, error = request.items, answer.error
    failed = outcome not in (BatchOutcome.OK, BatchOutcome.NOT_FOUND)
    status_code = answer.result.status_code if error is None else error.status_code
    return SyncBatch.objects.create(
        destination=request.destination.name,
        kind=request.kind,
        method=request.method,
        endpoint=request.endpoint(),
        trigger=trigger,
        parent=parent,
        item_count=len(items),
        keys=[item.key for item in items],
        status_code=status_code,
        outcome=outcome,
        duration_ms=answer.duration_ms,
        error=str(error)[:KEPT_BODY_CHARS] if error else "",
        request_body=[item.payload for item in items]
        if failed and request.method == "POST"
        else None,
        response_body=(getattr(error, "body", "") or "")[:KEPT_BODY_CHARS] if failed else "",
    )


def _rejection_text(exc: RemoteError) -> str:
    infos = getattr(exc, "additional_info", [])
    details = [info.get("message", "") for info in infos if info.get("message")]
    text = getattr(exc, "message", "") or str(exc)
    if details and details[0] != text:
        text = f"{text} ({'; '.join(details)})"
    return text[:KEPT_BODY_CHARS]
