"""Each destination's pace as the dashboard shows it: its limit, the pace now (lower after a
429, until good answers bring it back), a Retry-After hold, and the requests waiting for it."""

import logging

import redis

from syncs.destinations import destinations_all
from syncs.services.push.pacing import Pace, PaceStatus

logger = logging.getLogger("syncs.selectors")


def destination_pace_list() -> list[tuple[str, PaceStatus]]:
    """(label, pace) of every configured destination, read from the shared state; empty when
    Redis cannot be read (the dashboard then leaves the card out rather than failing)."""
    try:
        return [(d.label, Pace(d).status()) for d in destinations_all() if d.configured]
    except redis.RedisError as exc:
        logger.warning("Could not read the destinations' pace: %s", exc)
        return []
