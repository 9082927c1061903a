"""Building: a claim's rows read as they are now, turned into the destination's requests.

No transaction and no lock is open while building: each item remembers the `version` it read,
and that version is what gets confirmed once the remote has it.
"""

from dataclasses import dataclass

from syncs.destinations import Destination
from syncs.models import Priority
from syncs.services.push.claims import Claim
from syncs.services.sync_state import ClaimedRow


@dataclass
class Item:
    state: ClaimedRow
    obj: object
    version: int
    payload: dict | None = None  # None: the request carries no body (a DELETE)
    key: str = ""
    snapshot: dict | None = None  # what the remote holds once this is confirmed (Custobar)


@dataclass
class Request:
    """One HTTP request's worth of one claim (at most SYNC_BATCH_SIZE items)."""

    claim: Claim
    items: list[Item]
    method: str = "POST"

    @property
    def destination(self) -> Destination:
        return self.claim.destination

    @property
    def kind(self) -> str:
        return self.claim.kind

    @property
    def manual(self) -> bool:
        """It carries a manual action: it goes first in the destination's pace."""
        return any(item.state.priority == Priority.MANUAL for item in self.items)

    def endpoint(self) -> str:
        return self.destination.endpoint(self.kind, self)

    def half(self, first: bool) -> "Request":
        middle = len(self.items) // 2
        items = self.items[:middle] if first else self.items[middle:]
        return Request(self.claim, items, self.method)


def claim_build(claim: Claim) -> tuple[list[Request], list[tuple[ClaimedRow, str]]]:
    """The claim's requests in the order they go, and the rows that cannot be built (with the
    reason): a row deleted here, or a payload the destination refuses to make."""
    destination, kind = claim.destination, claim.kind
    objects = destination.queryset(kind).in_bulk([s.object_id for s in claim.states])
    items, unbuildable = [], []
    for state in claim.states:
        obj = objects.get(state.object_id)
        if obj is None:
            unbuildable.append((state, "The row no longer exists here; nothing to push."))
            continue
        try:
            built = destination.build(kind, obj, previous=state.remote_snapshot)
        except (ValueError, TypeError) as exc:
            unbuildable.append((state, f"Could not build the payload: {exc}"))
            continue
        items.append(
            Item(
                state=state,
                obj=obj,
                version=obj.version,
                payload=built.payload,
                key=built.key,
                snapshot=built.snapshot,
            )
        )
    requests = [Request(claim, group, method) for method, group in destination.batches(kind, items)]
    return requests, unbuildable
