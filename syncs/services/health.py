"""What /healthz checks: the database and the broker, each in its own thread with a deadline,
so a dependency that accepts connections and never answers makes /healthz say so in time
instead of hanging with it."""

import os
from concurrent.futures import ThreadPoolExecutor, wait

import redis
from django.conf import settings
from django.db import connections

OK, UNAVAILABLE, TIMED_OUT = "ok", "unavailable", "timed out"


def _database() -> dict[str, str]:
    """SELECT 1, then each destination's state (paused is a database row)."""
    from syncs.selectors.sync_states import sync_overview

    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        destinations = {}
        for overview in sync_overview():
            state = "ok"
            if not overview.configured:
                state = "not_configured"
            elif overview.paused:
                state = "paused"
            destinations[overview.name] = state
        return destinations
    finally:
        connections.close_all()  # this thread's connections only: they are thread-local


def _broker() -> None:
    """A PING to Redis, or the file broker's folders exist and can be written."""
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        timeout = settings.HEALTHZ_TIMEOUT
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    # The file-system broker (the demo): its folders must be there and writable, or a worker
    # has nothing to read and a web process nowhere to write.
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out"):
        folder = options[key]
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
            raise OSError(f"{folder} is missing or not writable")


CHECKS = {"database": _database, "broker": _broker}


def health_check() -> tuple[dict[str, str], dict[str, str]]:
    """Each part's state, "ok", "unavailable" or "timed out" (no answer within HEALTHZ_TIMEOUT),
    and the destinations' states when the database answered."""
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    futures = {name: pool.submit(check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=settings.HEALTHZ_TIMEOUT)
    # A hung check's thread ends with its own socket timeout; nobody waits for it here.
    pool.shutdown(wait=False, cancel_futures=True)
    parts = {}
    for name, future in futures.items():
        if not future.done():
            parts[name] = TIMED_OUT
        elif future.exception() is not None:
            parts[name] = UNAVAILABLE
        else:
            parts[name] = OK
    destinations = futures["database"].result() if parts["database"] == OK else {}
    return parts, destinations
