"""A drain: one destination/kind's due rows pushed, claim after claim, one step per method.

`Drain.run()` is the whole story. What overlaps with what is decided in `_pipeline` and
nowhere else: while request N is on the wire (the HTTP thread), this thread claims and builds
request N+1, then waits for N's answer; when N succeeded, N+1 goes on the wire before N's
answer is written (recorded, rows confirmed), so the database work is done while waiting for
the remote instead of after it. A failed answer is handled (split, back off, pause) with
nothing on the wire. So: one request on the wire at a time, as a single client would, and
every answer written before the one after next is sent.

Every request waits for the destination's pace first (`pacing`); when the pace makes the next
one wait, the answer in hand is written before the wait, not after it.

The drain holds its rows under a lease renewed by a heartbeat (`leases`), and writes each
request on the lease before sending it. Killed (SIGKILL), it loses at most the records of the
request on the wire and of the one answered just before: once the lease expires, a reap records
them as unknown outcomes and their rows go again (at least once); rows it claimed but never
sent are handed back and go once. Told to stop (SIGTERM), it sends nothing more, writes the
answer it waits for, and hands back the rest before the worker exits.
"""

import logging
import os
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager

from django.conf import settings

from syncs.destinations import DestinationNotConfigured, destination_get
from syncs.services.dispatch import drain_enqueue
from syncs.services.push.claims import REQUESTS_PER_CLAIM, Claim, claim_take
from syncs.services.push.leases import Heartbeat, lease_end, lease_take, sync_lease_reap
from syncs.services.push.outcomes import PushCounts
from syncs.services.push.pacing import Pace
from syncs.services.push.pausing import destination_paused_unless_credentials_changed
from syncs.services.push.payloads import Request, claim_build
from syncs.services.push.sending import OnWire, Paused, Wire, request_settle
from syncs.services.sync_state import sync_state_fail

logger = logging.getLogger("syncs.push")

DRAIN_TIME_BUDGET = 60.0  # seconds; far below CELERY_TASK_SOFT_TIME_LIMIT


@contextmanager
def _sigterm_stops(drain: "Drain"):
    """While a drain runs on the process's main thread (a pool process, `manage.py sync`), a
    SIGTERM asks it to stop instead of killing it mid-request. Once it has handed its rows back
    the signal goes to whatever handled it before, so the process then exits as it would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def stop(signum, frame):
        received.append(signum)
        drain.stop.set()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)


class Drain:
    """Push one destination/kind: claims of `limit` rows until nothing is due, `max_claims`
    claims were made, or `time_budget` seconds are spent (then `left_over` is set).

    With `fan_out`, a full first claim enqueues one more drain, so idle workers join in.
    """

    def __init__(
        self,
        *,
        destination: str,
        kind: str,
        manual_only: bool = False,
        limit: int | None = None,
        max_claims: int | None = None,
        time_budget: float | None = DRAIN_TIME_BUDGET,
        fan_out: bool = False,
    ):
        self.destination = destination_get(destination)
        self.kind = kind
        self.manual_only = manual_only
        self.limit = limit or settings.SYNC_BATCH_SIZE * REQUESTS_PER_CLAIM
        self.max_claims = max_claims
        self.time_budget = time_budget
        self.fan_out = fan_out
        self.counts = PushCounts()
        self.claims: list[Claim] = []
        self.queued: deque[Request] = deque()  # built, not sent yet
        self.left_over = False
        self.client = None
        self.pace = Pace(self.destination)
        self.stop = threading.Event()  # set: send nothing more, hand the unsent rows back
        self._started = time.monotonic()

    def run(self) -> PushCounts:
        if destination_paused_unless_credentials_changed(self.destination):
            self.counts.paused = True
            return self.counts
        try:
            self.client = self.destination.client()
        except DestinationNotConfigured:
            return self.counts  # switched off: rows wait, pending, until it is configured
        sync_lease_reap()  # a dead drain's rows are claimable again (cheap when there is none)
        self.lease = lease_take(destination=self.destination.name, kind=self.kind)
        heartbeat = Heartbeat(self.lease.pk, self.stop).start()
        wire = Wire(self.client, self.pace, self.stop, self.lease.pk)
        try:
            with _sigterm_stops(self):
                self._pipeline(wire)
        except Paused:
            self.counts.paused = True
        finally:
            # Whatever ended it (done, paused, stopped, a bug, a soft time limit): what was
            # claimed and not sent goes back now, not when the lease would have expired.
            wire.close()
            heartbeat.end()
            self.counts.released += lease_end(lease_id=self.lease.pk)
        if self.stop.is_set():
            self.left_over = True  # another drain takes over what this one handed back
        return self.counts

    def _pipeline(self, wire: Wire) -> None:
        on_wire: OnWire | None = self._send(wire, self._next_request())
        while on_wire is not None:
            upcoming = self._next_request()  # claimed and built while `on_wire` is out
            if upcoming is not None and not self.stop.is_set():
                # Noted now, while `on_wire` is out, rather than between its answer and the
                # next send. A worker dying before `upcoming` leaves gets it recorded as an
                # unknown outcome too: its rows then go for the first time, not twice.
                wire.going(upcoming)
            answer = on_wire.answer()
            ticket = None
            if answer.error is None and upcoming is not None and not self.stop.is_set():
                ticket = wire.slot_now(upcoming)
            if ticket is not None:
                sent_next = self._submit(wire, upcoming, ticket)  # on the wire while ...
                self._settle(wire, on_wire, answer)  # ... this answer is written
                on_wire = sent_next
            else:
                # A failed answer, or the pace makes the next request wait: write this answer
                # first, with nothing on the wire.
                self._settle(wire, on_wire, answer)
                on_wire = self._send(wire, upcoming)

    def _send(self, wire: Wire, request: Request | None) -> OnWire | None:
        """Send `request` once the pace lets it go; None if there is none or we must stop."""
        if request is None or self.stop.is_set():
            return None
        ticket = wire.slot_wait(request)
        if ticket is None:
            return None
        return self._submit(wire, request, ticket)

    def _submit(self, wire: Wire, request: Request, ticket) -> OnWire:
        self.counts.requests += 1
        return wire.send(request, ticket)

    def _settle(self, wire: Wire, on_wire: OnWire, answer) -> None:
        request_settle(wire, on_wire, answer, self.counts)

    def _next_request(self) -> Request | None:
        """The next request to send, claiming and building more rows when the last claim's
        requests are used up; None when there is nothing more (or no more time)."""
        while not self.queued:
            claim = self._claim()
            if claim is None:
                return None
            requests, unbuildable = claim_build(claim)
            for state, reason in unbuildable:
                sync_state_fail(lease=claim.lease, pks=[state.pk], message=reason, batch=None)
                self.counts.failed += 1
            self.queued.extend(requests)
        return self.queued.popleft()

    def _claim(self) -> Claim | None:
        if self.stop.is_set() or (self.claims and self._out_of_claims()):
            return None
        claim = claim_take(
            destination=self.destination,
            kind=self.kind,
            lease=self.lease.pk,
            limit=self.limit,
            manual_only=self.manual_only,
        )
        if not claim.states:
            return None
        if self._more_hands_help(claim):
            drain_enqueue(destination=self.destination.name, kind=self.kind)
        self.claims.append(claim)
        self.counts.claimed += len(claim.states)
        return claim

    def _more_hands_help(self, claim: Claim) -> bool:
        """A full first claim asks for one more drain, unless requests already wait for the
        destination's pace: then the pace, not the workers, is what limits the push, and the
        workers are better left free for other destinations and manual actions."""
        if self.claims or not self.fan_out or len(claim.states) < self.limit:
            return False
        return not self.pace.saturated()

    def _out_of_claims(self) -> bool:
        if self.max_claims is not None and len(self.claims) >= self.max_claims:
            return True
        spent = time.monotonic() - self._started
        if self.time_budget is not None and spent > self.time_budget:
            self.left_over = True
            return True
        return False


def batch_push(
    *, destination: str, kind: str, manual_only: bool = False, limit: int | None = None
) -> PushCounts:
    """Claim due rows once (REQUESTS_PER_CLAIM requests' worth unless `limit` says otherwise),
    push them, and record the outcome of every row."""
    drain = Drain(
        destination=destination, kind=kind, manual_only=manual_only, limit=limit, max_claims=1
    )
    return drain.run()


def sync_drain(
    *,
    destination: str,
    kind: str,
    manual_only: bool = False,
    time_budget: float | None = DRAIN_TIME_BUDGET,
    fan_out: bool = False,
) -> tuple[PushCounts, bool]:
    """Push claim after claim until nothing is due or the time budget is spent; returns the
    counts and whether work was left over."""
    drain = Drain(
        destination=destination,
        kind=kind,
        manual_only=manual_only,
        time_budget=time_budget,
        fan_out=fan_out,
    )
    counts = drain.run()
    return counts, drain.left_over and not counts.paused
