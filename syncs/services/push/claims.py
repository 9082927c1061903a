"""Claims: the rows one drain takes at a time, under the drain's lease.

The statement itself is `sync_state_claim` (syncs/services/sync_state.py); this module adds
what a drain needs around it: the destination's own claim condition and the lease id that
guards every later write.
"""

from dataclasses import dataclass, field

from django.conf import settings

from syncs.destinations import Destination, destination_get
from syncs.services.push.leases import lease_take
from syncs.services.sync_state import ClaimedRow, sync_state_claim

# A claim takes this many requests' worth of rows: one claim and one read serve several
# requests, while each request is still recorded and confirmed before the next one is sent.
REQUESTS_PER_CLAIM = 5


@dataclass
class Claim:
    destination: Destination
    kind: str
    lease: int  # the SyncLease its rows are held under
    states: list[ClaimedRow] = field(default_factory=list)


def batch_claim(
    *, destination: str, kind: str, limit: int | None = None, manual_only: bool = False
) -> Claim:
    """Claim up to `limit` due rows (default: one request's worth) of one destination/kind, under
    a lease of its own that nobody renews (tests, one-off tools)."""
    return claim_take(
        destination=destination_get(destination),
        kind=kind,
        lease=lease_take(destination=destination, kind=kind).pk,
        limit=limit or settings.SYNC_BATCH_SIZE,
        manual_only=manual_only,
    )


def claim_take(
    *, destination: Destination, kind: str, lease: int, limit: int, manual_only: bool
) -> Claim:
    states = sync_state_claim(
        destination=destination.name,
        kind=kind,
        lease=lease,
        limit=limit,
        manual_only=manual_only,
        condition=destination.claim_condition(kind),
    )
    return Claim(destination=destination, kind=kind, lease=lease, states=states)
