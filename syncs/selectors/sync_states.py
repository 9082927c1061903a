"""Sync states: where each destination stands, and the rows that failed."""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from syncs.destinations import KIND_MODELS, destinations_all
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


# Confirmed rows are nearly all of a large table and counting them reads the whole status index
# (150 ms at a million rows); they change the least, so their count is cached this long. Every
# other status is counted fresh from a small partial index (migration 0005).
CONFIRMED_COUNT_SECONDS = 30


def _sync_state_counts() -> dict[tuple[str, str, str], int]:
    """(destination, kind, status) -> rows; confirmed counts at most 30 seconds old."""

    def count(qs) -> dict[tuple[str, str, str], int]:
        # COUNT(*), not COUNT(id): the index holds no id, and this way the heap is not read.
        rows = qs.values("destination", "kind", "status").annotate(n=Count("*")).order_by()
        return {(r["destination"], r["kind"], r["status"]): r["n"] for r in rows}

    confirmed = cache.get_or_set(
        "citrusadmin:sync-confirmed-counts",
        lambda: count(SyncState.objects.filter(status=SyncStatus.CONFIRMED)),
        CONFIRMED_COUNT_SECONDS,
    )
    return {**confirmed, **count(SyncState.objects.exclude(status=SyncStatus.CONFIRMED))}


def sync_overview() -> list[DestinationOverview]:
    """Per destination: configured/paused, and per kind the counts and oldest pending change."""
    grouped: dict[tuple[str, str], dict] = {}
    for (destination, kind, status), n in _sync_state_counts().items():
        slot = grouped.setdefault(
            (destination, kind),
            {"total": 0, "oldest": None, **dict.fromkeys(SyncStatus.values, 0)},
        )
        slot[status] += n
        slot["total"] += n
    # Per status, so each reads its own partial index (pending: the claim index) alone.
    for status in WAITING_STATUSES:
        oldest = (
            SyncState.objects.filter(status=status)
            .values("destination", "kind")
            .annotate(oldest=Min("changed_at"))
            .order_by()
        )
        for row in oldest:
            slot = grouped.get((row["destination"], row["kind"]))
            if slot is not None and (slot["oldest"] is None or row["oldest"] < slot["oldest"]):
                slot["oldest"] = row["oldest"]
    destinations = {d.name: d for d in Destination.objects.all()}
    result = []
    for destination in destinations_all():
        name, label = destination.name, destination.label
        state = destinations.get(name)
        kinds = []
        for kind, kind_label in SyncKind.choices:
            slot = grouped.get((name, kind))
            if slot is None:
                continue
            kinds.append(
                KindCounts(
                    kind=kind,
                    label=kind_label,
                    total=slot["total"],
                    pending=slot[SyncStatus.PENDING] + slot[SyncStatus.IN_FLIGHT],
                    failed=slot[SyncStatus.FAILED],
                    confirmed=slot[SyncStatus.CONFIRMED],
                    unknown=slot[SyncStatus.UNKNOWN],
                    oldest_pending_at=slot["oldest"],
                )
            )
        result.append(
            DestinationOverview(
                name=name,
                label=label,
                configured=destination.configured,
                paused=bool(state and state.paused),
                paused_reason=state.paused_reason if state else "",
                paused_at=state.paused_at if state else None,
                kinds=kinds,
            )
        )
    return result


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
