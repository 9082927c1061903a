"""The push engine: claim pending rows, send their current state, confirm each at the version
sent. docs/ARCHITECTURE.md ("The push engine") tells the whole story; one concern per module:

- `claims`    a drain's claims (the SQL is in `services/sync_state.py`)
- `leases`    a drain's lease, its heartbeat, what it has on the wire; reaping dead drains
- `pacing`    each destination's pace, shared by every worker (GCRA, AIMD, manual first)
- `payloads`  building a claim's rows into the destination's requests
- `sending`   the HTTP thread, recording each attempt, settling its answer, splitting a
              rejected batch
- `outcomes`  confirm / fail / unknown / back off, applied to a request's rows and counted
- `pausing`   pausing and resuming a destination
- `pacing`    one rate per destination account across workers and hosts (GCRA in Redis, AIMD)
- `drain`     the `Drain` object: `run()` reads top to bottom and says what overlaps with what
- `sweep`     the beat's safety net, backoff wake-ups, and `sync_run` (push in-process)
"""

from syncs.services.push.claims import REQUESTS_PER_CLAIM, Claim, batch_claim
from syncs.services.push.drain import (
    DRAIN_TIME_BUDGET,
    Drain,
    batch_push,
    sync_drain,
)
from syncs.services.push.leases import sync_lease_reap
from syncs.services.push.outcomes import PushCounts
from syncs.services.push.pausing import (
    destination_is_paused,
    destination_pause,
    destination_resume,
)
from syncs.services.push.sweep import (
    KIND_ORDER,
    LATER_MAX_COUNTDOWN,
    drain_schedule_backoff,
    sync_run,
    sync_sweep,
)

__all__ = [
    "DRAIN_TIME_BUDGET",
    "KIND_ORDER",
    "LATER_MAX_COUNTDOWN",
    "REQUESTS_PER_CLAIM",
    "Claim",
    "Drain",
    "PushCounts",
    "batch_claim",
    "batch_push",
    "destination_is_paused",
    "destination_pause",
    "destination_resume",
    "drain_schedule_backoff",
    "sync_drain",
    "sync_lease_reap",
    "sync_run",
    "sync_sweep",
]
