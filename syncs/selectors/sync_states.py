"""Sync states: where each destination stands, and the rows that failed."""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from syncs.destinations import KIND_MODELS, destination_labels, destinations_all
from syncs.models import Destination, SyncKind, SyncState, SyncStatus

# A pending row is one the remote does not have yet, whether or not a worker holds it right now.
WAITING_STATUSES = (SyncStatus.PENDING, SyncStatus.IN_FLIGHT)


@dataclass(frozen=True)
class KindCounts:
    kind: str
    label: str
    total: int
    pending: int
    failed: int
    confirmed: int
    unknown: int
    not_queued: int  # rows never marked for this destination (a registered catalog)
    oldest_pending_at: datetime.datetime | None

    @property
    def lag_seconds(self) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, (timezone.now() - self.oldest_pending_at).total_seconds())


@dataclass(frozen=True)
class DestinationOverview:
    name: str
    label: str
    configured: bool
    paused: bool
    paused_reason: str
    paused_at: datetime.datetime | None
    kinds: list[KindCounts] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {
            k.kind: {
                "pending": k.pending,
                "failed": k.failed,
                "confirmed": k.confirmed,
                "unknown": k.unknown,
            }
            for k in self.kinds
        }


@dataclass(frozen=True)
class FailedRow:
    state: SyncState
    obj: object | None  # the Product/Customer/Order/Catalog, None if it has gone

    @property
    def label(self) -> str:
        return (
            str(self.obj) if self.obj is not None else f"{self.state.kind} #{self.state.object_id}"
        )


# Counting every sync state (nearly all of them confirmed) reads the whole status index, and
# counting a million products reads their table: 150 ms at a million rows. Both move slowly,
# so they are cached this long; every other status is counted fresh from a small partial index
# (migration 0005), and "confirmed" is what is left, so the columns always add up.
TOTALS_SECONDS = 30


def _totals() -> dict:
    """{"states": {(destination, kind): sync states}, "rows": {kind: rows in the table}}."""

    def count() -> dict:
        # COUNT(*), not COUNT(id): the index holds no id, and this way the heap is not read.
        states = SyncState.objects.values("destination", "kind").annotate(n=Count("*")).order_by()
        return {
            "states": {(r["destination"], r["kind"]): r["n"] for r in states},
            "rows": {kind: model.objects.count() for kind, model in KIND_MODELS.items()},
        }

    return cache.get_or_set("citrusadmin:sync-totals", count, TOTALS_SECONDS)


def _unconfirmed_counts() -> dict[tuple[str, str, str], int]:
    """(destination, kind, status) -> rows, for every status but confirmed: counted fresh."""
    rows = (
        SyncState.objects.exclude(status=SyncStatus.CONFIRMED)
        .values("destination", "kind", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(r["destination"], r["kind"], r["status"]): r["n"] for r in rows}


def _oldest_waiting() -> dict[tuple[str, str], datetime.datetime]:
    """(destination, kind) -> when the oldest change still waiting was made."""
    oldest: dict[tuple[str, str], datetime.datetime] = {}
    # Per status, so each reads its own partial index (pending: the claim index) alone.
    for status in WAITING_STATUSES:
        rows = (
            SyncState.objects.filter(status=status)
            .values("destination", "kind")
            .annotate(oldest=Min("changed_at"))
            .order_by()
        )
        for row in rows:
            key = (row["destination"], row["kind"])
            if key not in oldest or row["oldest"] < oldest[key]:
                oldest[key] = row["oldest"]
    return oldest


def sync_overview() -> list[DestinationOverview]:
    """Per destination: configured/paused, and per kind it carries the rows there are (in the
    console's tables), how many are pending, failed, confirmed or never queued, and the oldest
    change still waiting."""
    totals, unconfirmed, oldest = _totals(), _unconfirmed_counts(), _oldest_waiting()
    switches = {d.name: d for d in Destination.objects.all()}
    result = []
    for destination in destinations_all():
        name = destination.name
        kinds = []
        for kind, kind_label in SyncKind.choices:
            states = totals["states"].get((name, kind), 0)
            rows = totals["rows"].get(kind, 0)
            if kind not in destination.kinds or not (states or rows):
                continue
            status = {s: unconfirmed.get((name, kind, s), 0) for s in SyncStatus.values}
            waiting = status[SyncStatus.PENDING] + status[SyncStatus.IN_FLIGHT]
            settled = waiting + status[SyncStatus.FAILED] + status[SyncStatus.UNKNOWN]
            kinds.append(
                KindCounts(
                    kind=kind,
                    label=kind_label,
                    total=rows,
                    pending=waiting,
                    failed=status[SyncStatus.FAILED],
                    confirmed=max(0, states - settled),
                    unknown=status[SyncStatus.UNKNOWN],
                    not_queued=max(0, rows - states),
                    oldest_pending_at=oldest.get((name, kind)),
                )
            )
        switch = switches.get(name)
        result.append(
            DestinationOverview(
                name=name,
                label=destination.label,
                configured=destination.configured,
                paused=bool(switch and switch.paused),
                paused_reason=switch.paused_reason if switch else "",
                paused_at=switch.paused_at if switch else None,
                kinds=kinds,
            )
        )
    return result


@dataclass(frozen=True)
class FailedGroup:
    destination: str  # its label
    kind: str  # the kind's label
    rows: int


def sync_failed_groups() -> list[FailedGroup]:
    """Every failed row by destination and kind: exactly what "Retry all failed" queues again
    (one query on the failed rows' partial index, and one for the endpoints' names)."""
    groups = list(
        SyncState.objects.filter(status=SyncStatus.FAILED)
        .values("destination", "kind")
        .annotate(n=Count("*"))
        .order_by("destination", "kind")
    )
    labels = destination_labels({group["destination"] for group in groups})
    kinds = dict(SyncKind.choices)
    return [
        FailedGroup(labels[g["destination"]], kinds.get(g["kind"], g["kind"]), g["n"])
        for g in groups
    ]


def objects_by_kind(states: list[SyncState]) -> dict[tuple[str, int], object]:
    """Fetch the rows behind sync states: one query per kind present, never one per row."""
    wanted: dict[str, set[int]] = {}
    for state in states:
        wanted.setdefault(state.kind, set()).add(state.object_id)
    found: dict[tuple[str, int], object] = {}
    for kind, ids in wanted.items():
        model = KIND_MODELS[SyncKind(kind)]
        for obj in model.objects.filter(pk__in=ids):
            found[(kind, obj.pk)] = obj
    return found


def failed_rows(states: list[SyncState]) -> list[FailedRow]:
    objects = objects_by_kind(states)
    return [FailedRow(state=s, obj=objects.get((s.kind, s.object_id))) for s in states]


def sync_state_recent_failures(
    *, limit: int = 10, kinds: list[str] | None = None
) -> list[FailedRow]:
    """The most recently failed rows (of `kinds`, if given), with the rows, for the retry list."""
    qs = SyncState.objects.filter(status__in=[SyncStatus.FAILED, SyncStatus.UNKNOWN])
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    states = list(qs.select_related("last_batch").order_by("-changed_at", "-id")[:limit])
    return failed_rows(states)


def sync_state_for(*, kind: str, object_ids: list[int]) -> dict[int, dict[str, SyncState]]:
    """object_id -> destination -> SyncState, for a page of rows (one query)."""
    result: dict[int, dict[str, SyncState]] = {}
    for state in SyncState.objects.filter(kind=kind, object_id__in=object_ids):
        result.setdefault(state.object_id, {})[state.destination] = state
    return result
