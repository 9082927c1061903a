"""Enqueue push drains after commit, deduplicated: 10,000 changes start one drain, not 10,000.

`drain_enqueue` sets a short Redis flag (SET NX) per destination/kind/queue and sends the task
only if it set it; a drain clears its flag as it starts, so a change committed after that start
enqueues the next drain. See docs/ARCHITECTURE.md ("The push engine") for how drains then
share the work.
"""

import logging
from functools import cache

import redis
from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from syncs.queues import Queue, TaskName

logger = logging.getLogger("syncs.dispatch")

DRAIN_FLAG_SECONDS = 120  # a lost drain task stops blocking new ones after this


def redis_url() -> str | None:
    """The URL of the Redis the broker uses, or None (the demo's file broker)."""
    url = settings.REDIS_URL or settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


@cache
def redis_client() -> redis.Redis | None:
    """The Redis the broker uses, or None (the demo's file broker)."""
    url = redis_url()
    if url is None:
        return None
    # Timeouts: this runs in web requests (after a stock-out commits); a silent Redis must not
    # hang them.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_READ_TIMEOUT,
    )


def _flag_key(destination: str, kind: str, queue: str, later: bool = False) -> str:
    return f"citrusadmin:sync:drain:{destination}:{kind}:{queue}{':later' if later else ''}"


def _flag_set(key: str, seconds: int) -> bool:
    client = redis_client()
    if client is None:
        # Without Redis (the SQLite demo with its file broker) every request enqueues a drain;
        # the claims still keep drains off each other's rows.
        return True
    return bool(client.set(key, "1", nx=True, ex=max(1, int(seconds))))


def drain_flag_clear(*, destination: str, kind: str, manual: bool = False) -> None:
    """Called by a drain as it starts: changes committed from now on enqueue the next drain.

    The "later" flag (a drain scheduled for when a backoff ends) goes too: this drain will
    schedule its own for the earliest row still waiting, which may be sooner.
    """
    client = redis_client()
    if client is not None:
        client.delete(
            _flag_key(destination, kind, Queue.PRIORITY if manual else Queue.SYNC),
            _flag_key(destination, kind, Queue.SYNC, later=True),
        )


def drain_enqueue(
    *,
    destination: str,
    kind: str,
    manual: bool = False,
    countdown: float | None = None,
    force: bool = False,
) -> bool:
    """Send a drain task unless one is already queued for this destination/kind/queue (or,
    with `force`, even then: the sweep found due rows and no live drain, so the queued one was
    lost with a dead worker).

    A broker that cannot be reached is logged, not raised: this runs after the commit (the
    change is safe), and the beat sweep enqueues the drain once the broker is back.
    """
    queue = Queue.PRIORITY if manual else Queue.SYNC
    later = bool(countdown)
    seconds = int(countdown or 0) + (1 if later else DRAIN_FLAG_SECONDS)
    try:
        if not _flag_set(_flag_key(destination, kind, queue, later), seconds) and not force:
            return False
        current_app.send_task(
            TaskName.SYNC_DRAIN_MANUAL if manual else TaskName.SYNC_DRAIN,
            kwargs={"destination": destination, "kind": kind},
            queue=queue,
            countdown=countdown or None,
        )
    except (redis.RedisError, OperationalError, OSError) as exc:
        logger.warning(
            "Could not enqueue a %s/%s drain (%s); the sweep will.", destination, kind, exc
        )
        return False
    return True


def task_send_after_commit(name: TaskName, **kwargs) -> None:
    """Send a task by name (routed by `syncs/schedule.py`) once the transaction commits.

    By name, so a service never imports the task module that imports it (no import cycle)."""
    transaction.on_commit(lambda: current_app.send_task(name, kwargs=kwargs), robust=True)


def drain_enqueue_after_commit(*, destinations: tuple[str, ...], kind: str, manual: bool) -> None:
    """After the current transaction commits (never before), start pushing `kind`."""
    for destination in destinations:
        transaction.on_commit(
            lambda destination=destination: drain_enqueue(
                destination=destination, kind=kind, manual=manual
            )
        )
