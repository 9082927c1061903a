"""Pacing: one rate per destination account, shared by every worker and host.

Platforms meter requests per account, not per worker, so the pace lives in Redis:

- **GCRA** (throttled-py's, on Redis server time) spaces every request to a destination at its
  current pace, whichever worker sends it. A destination declares its limit through the registry
  (`Destination.rate_limit()`, requests per minute); None means no limit of our own.
- **AIMD.** A 429, or any answer with a `Retry-After`, halves the pace of the whole destination
  (once per round: answers to requests sent before the last cut do not cut again) and holds it
  for the `Retry-After`. Each good answer then gives back 1/RECOVERY_ANSWERS of the ceiling (the
  configured limit, or for an unlimited destination the rate it had when it was cut) until the
  pace is whole again.
- **Manual first.** A request carrying a manual action (stock-out, delete, forget) registers as a
  manual waiter; bulk requests take no slot while one waits, so it gets the next one.
- Waiting requests are counted (a sorted set of waiters with an expiry), for the dashboard.

Without Redis (the demo's file broker) the same rules hold per process: with one worker process
that is the account's pace; with several, each keeps its own (see the README).
"""

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import redis
from django.utils import timezone
from throttled import MemoryStore, RedisStore, Throttled
from throttled.rate_limiter import Quota, Rate

from syncs.destinations import Destination
from syncs.models import SyncBatch
from syncs.remotes.errors import RemoteError, TransientError
from syncs.services.dispatch import redis_client, redis_url

logger = logging.getLogger("syncs.push")

KEY_PREFIX = "citrusadmin:sync:pace"  # under the engine's prefix, which tests and benches clear
DECREASE = 0.5  # a 429 halves the pace ...
RECOVERY_ANSWERS = 25  # ... and this many good answers bring it back to the ceiling
FLOOR_PER_MINUTE = 1.0
# An unlimited destination cut by a 429 starts from the rate it was sent at (the last 10 s of
# history), and never from less than this: a few requests are no measure of what it takes.
UNLIMITED_CEILING_FLOOR = 60.0
BURST = 2  # GCRA tolerance: a sender late by one slot does not lose it
STATE_SECONDS = 3600  # a cut pace nobody touches for an hour is forgotten
WAITER_SECONDS = 30  # a waiter that stopped refreshing (its worker died) stops being counted
MAX_SLEEP = 1.0  # a waiting request looks again at least this often (stop, manual, new pace)


@dataclass(frozen=True)
class Ticket:
    """A slot to send one request; `round` is the pace's round when it was taken."""

    round: int = 0


@dataclass
class PaceStatus:
    """What the dashboard shows of a destination's pace."""

    destination: str
    limit: float | None  # configured, per minute; None: no limit of our own
    current: float | None  # per minute now; None: unlimited
    held_for: float  # seconds a Retry-After still holds it
    waiting: int  # requests waiting for a slot right now
    manual_waiting: int

    @property
    def slowed(self) -> bool:
        return self.held_for > 0 or (
            self.current is not None and (self.limit is None or self.current < self.limit)
        )


@dataclass
class _Reading:
    rate: float | None  # the cut pace, when cut
    ceiling: float | None
    round: int
    held_for: float
    manual_waiting: int


class _RedisBackend:
    """The shared state: a hash (rate, ceiling, round), a hold key with the Retry-After as its
    expiry, and one sorted set of waiters per lane (score: when the waiter stops counting)."""

    def __init__(self, client: redis.Redis, name: str):
        self.client = client
        self.key = f"{KEY_PREFIX}:{name}"
        self.hold_key = f"{self.key}:hold"

    def waiting_key(self, manual: bool) -> str:
        return f"{self.key}:waiting:{'manual' if manual else 'bulk'}"

    def read(self) -> _Reading:
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(self.key, "rate", "ceiling", "round")
        pipe.pttl(self.hold_key)
        pipe.zcount(self.waiting_key(True), time.time(), "+inf")
        (rate, ceiling, round_), hold_ms, manual = pipe.execute()
        return _Reading(
            rate=float(rate) if rate is not None else None,
            ceiling=float(ceiling) if ceiling is not None else None,
            round=int(round_ or 0),
            held_for=max(hold_ms, 0) / 1000,
            manual_waiting=manual,
        )

    def waiting(self) -> tuple[int, int]:
        now = time.time()
        pipe = self.client.pipeline(transaction=False)
        pipe.zcount(self.waiting_key(False), now, "+inf")
        pipe.zcount(self.waiting_key(True), now, "+inf")
        bulk, manual = pipe.execute()
        return bulk + manual, manual

    def waiter_set(self, waiter: str, manual: bool, present: bool) -> None:
        key = self.waiting_key(manual)
        if present:
            pipe = self.client.pipeline(transaction=False)
            pipe.zadd(key, {waiter: time.time() + WAITER_SECONDS})
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.expire(key, WAITER_SECONDS)
            pipe.execute()
        else:
            self.client.zrem(key, waiter)

    def update(self, change) -> None:
        """Apply `change(reading) -> (fields or None to forget the cut, hold seconds)`
        atomically (WATCH/MULTI, retried when another worker got there first)."""

        def transaction(pipe):
            rate, ceiling, round_ = pipe.hmget(self.key, "rate", "ceiling", "round")
            held_for = max(pipe.pttl(self.hold_key), 0) / 1000
            reading = _Reading(
                rate=float(rate) if rate is not None else None,
                ceiling=float(ceiling) if ceiling is not None else None,
                round=int(round_ or 0),
                held_for=held_for,
                manual_waiting=0,
            )
            fields, hold = change(reading)
            pipe.multi()
            if fields is None:
                pipe.hdel(self.key, "rate", "ceiling")
            elif fields:
                pipe.hset(self.key, mapping=fields)
                pipe.expire(self.key, STATE_SECONDS)
            if hold > held_for:
                pipe.set(self.hold_key, "1", px=max(1, int(hold * 1000)))

        self.client.transaction(transaction, self.key, self.hold_key)


class _MemoryBackend:
    """The same state in this process only (no Redis: the demo's file broker)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.fields: dict = {}
        self.hold_until = 0.0
        self.waiters: dict[str, tuple[bool, float]] = {}

    def read(self) -> _Reading:
        with self.lock:
            now = time.monotonic()
            return _Reading(
                rate=self.fields.get("rate"),
                ceiling=self.fields.get("ceiling"),
                round=self.fields.get("round", 0),
                held_for=max(self.hold_until - now, 0.0),
                manual_waiting=sum(manual for manual, _ in self.waiters.values()),
            )

    def waiting(self) -> tuple[int, int]:
        with self.lock:
            return len(self.waiters), sum(m for m, _ in self.waiters.values())

    def waiter_set(self, waiter: str, manual: bool, present: bool) -> None:
        with self.lock:
            if present:
                self.waiters[waiter] = (manual, time.monotonic())
            else:
                self.waiters.pop(waiter, None)

    def update(self, change) -> None:
        with self.lock:
            now = time.monotonic()
            reading = _Reading(
                rate=self.fields.get("rate"),
                ceiling=self.fields.get("ceiling"),
                round=self.fields.get("round", 0),
                held_for=max(self.hold_until - now, 0.0),
                manual_waiting=0,
            )
            fields, hold = change(reading)
            if fields is None:
                self.fields.pop("rate", None)
                self.fields.pop("ceiling", None)
            else:
                self.fields.update(fields)
            self.hold_until = max(self.hold_until, now + hold)


@cache
def _memory_backend(name: str, pid: int) -> _MemoryBackend:
    return _MemoryBackend()


@cache
def _stores(url: str | None, pid: int):
    """throttled-py's store: Redis shared by every worker, or this process's memory."""
    return RedisStore(server=url) if url else MemoryStore()


class Pace:
    """One destination's pace, as seen from this process."""

    def __init__(self, destination: Destination):
        self.name = destination.name
        self.limit = destination.rate_limit()
        client = redis_client()
        pid = os.getpid()
        if client is not None:
            self.backend = _RedisBackend(client, self.name)
        else:
            self.backend = _memory_backend(self.name, pid)
        self.store = _stores(redis_url(), pid)
        self._limiters: dict[int, Throttled] = {}

    # --- taking a slot ---

    def take(self, *, manual: bool) -> Ticket | None:
        """A slot now, or None (someone must wait)."""
        ticket, _delay = self._try(manual)
        return ticket

    def wait(self, *, manual: bool, stop: threading.Event) -> Ticket | None:
        """Wait for a slot (counted as a waiter meanwhile); None if `stop` is set first."""
        ticket, delay = self._try(manual)
        if ticket is not None:
            return ticket
        waiter = f"{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        try:
            while True:
                self.backend.waiter_set(waiter, manual, True)
                if stop.wait(min(delay, MAX_SLEEP)):
                    return None
                ticket, delay = self._try(manual)
                if ticket is not None:
                    return ticket
        finally:
            self.backend.waiter_set(waiter, manual, False)

    def _try(self, manual: bool) -> tuple[Ticket | None, float]:
        reading = self.backend.read()
        if reading.held_for > 0:
            return None, reading.held_for
        rate = self._rate(reading)
        if not manual and reading.manual_waiting:
            # Manual actions go first: look again soon, after they took their slot.
            return None, 60.0 / rate / 4 if rate else 0.02
        if rate is None:
            return Ticket(reading.round), 0.0
        result = self._limiter(rate).limit(self.name, timeout=-1)
        if result.limited:
            return None, max(result.state.retry_after, 0.005)
        return Ticket(reading.round), 0.0

    def _rate(self, reading: _Reading) -> float | None:
        if reading.rate is None:
            return self.limit
        return reading.rate if self.limit is None else min(reading.rate, self.limit)

    def _limiter(self, rate: float) -> Throttled:
        per_minute = max(int(rate), 1)
        limiter = self._limiters.get(per_minute)
        if limiter is None:
            quota = Quota(Rate(period=timedelta(minutes=1), limit=per_minute), burst=BURST)
            limiter = Throttled(
                key=self.name, using="gcra", quota=quota, store=self.store, key_prefix=KEY_PREFIX
            )
            self._limiters[per_minute] = limiter
        return limiter

    def saturated(self) -> bool:
        """Requests already wait for this pace: another drain would only wait too."""
        waiting, _manual = self.backend.waiting()
        return waiting > 0

    # --- what the answers say ---

    def answered(self, ticket: Ticket, error: RemoteError | None) -> None:
        """Feed an answer back: a 429 or a Retry-After slows the whole destination down; a good
        answer brings a slowed pace back up by one step."""
        if error is None:
            self._recover()
        elif isinstance(error, TransientError) and (
            error.status_code == 429 or error.retry_after is not None
        ):
            self._cut(ticket, error.retry_after or 0.0)

    def _cut(self, ticket: Ticket, hold: float) -> None:
        observed = None if self.limit is not None else self._observed_rate()

        def change(reading: _Reading):
            if ticket.round < reading.round:
                return {}, hold  # sent before the last cut: that cut already counted it
            ceiling = reading.ceiling or self.limit or observed or FLOOR_PER_MINUTE
            current = self._rate(reading) or ceiling
            rate = max(current * DECREASE, FLOOR_PER_MINUTE)
            return {"rate": rate, "ceiling": ceiling, "round": reading.round + 1}, hold

        self.backend.update(change)
        logger.warning("Slowed %s down (429 or Retry-After %.1f s)", self.name, hold)

    def _recover(self) -> None:
        reading = self.backend.read()
        if reading.rate is None:
            return  # not cut: nothing to give back (the common case costs one read)

        def change(reading: _Reading):
            if reading.rate is None:
                return {}, 0.0
            ceiling = reading.ceiling or self.limit or FLOOR_PER_MINUTE
            rate = reading.rate + ceiling / RECOVERY_ANSWERS
            if rate >= ceiling:
                return None, 0.0  # whole again: back to the configured pace
            return {"rate": rate}, 0.0

        self.backend.update(change)

    def _observed_rate(self) -> float:
        """Requests per minute this destination took lately (it has no limit of ours)."""
        since = timezone.now() - timedelta(seconds=10)
        sent = SyncBatch.objects.filter(destination=self.name, created_at__gte=since).count()
        return max(sent * 6.0, UNLIMITED_CEILING_FLOOR)

    # --- for the dashboard ---

    def status(self) -> PaceStatus:
        reading = self.backend.read()
        waiting, manual = self.backend.waiting()
        return PaceStatus(
            destination=self.name,
            limit=self.limit,
            current=self._rate(reading),
            held_for=reading.held_for,
            waiting=waiting,
            manual_waiting=manual,
        )


def pace_reset() -> None:
    """Forget every destination's pace state: cuts, holds, waiters, GCRA (tests, benchmarks)."""
    client = redis_client()
    if client is not None:
        keys = list(client.scan_iter(f"{KEY_PREFIX}:*"))
        if keys:
            client.delete(*keys)
    _memory_backend.cache_clear()
    _stores.cache_clear()
