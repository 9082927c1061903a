"""Per-account rate limits, as the platforms meter them: one token bucket per account.

A bucket holds up to `burst` requests and refills at `per_minute / 60` a second; a request that
finds it empty is answered 429 with `Retry-After` (whole seconds, at least 1) and takes nothing.
So an account gets `per_minute` requests a minute, plus a burst of `burst` after a quiet spell.
"""

import math
import time


def default_burst(per_minute: int) -> int:
    """Three seconds' worth of requests, at least one."""
    return max(1, per_minute // 20)


class AccountBuckets:
    """The buckets of every account; the caller holds the sandbox's lock."""

    def __init__(self):
        self.buckets: dict[str, tuple[float, float]] = {}  # account -> (tokens, when)

    def take(self, account: str, *, per_minute: int, burst: int) -> int | None:
        """None if the request may go now, else the seconds to send in Retry-After."""
        if per_minute <= 0:
            return None
        capacity = burst or default_burst(per_minute)
        rate = per_minute / 60.0
        now = time.monotonic()
        tokens, when = self.buckets.get(account, (float(capacity), now))
        tokens = min(float(capacity), tokens + (now - when) * rate)
        if tokens >= 1.0:
            self.buckets[account] = (tokens - 1.0, now)
            return None
        self.buckets[account] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / rate))
