"""Reads for the pages: each a keyword-only function named <entity>_<query>."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from syncs.models import Destination, DestinationName, SyncKind, SyncState, SyncStatus


@dataclass(frozen=True)
class DestinationOverview:
    name: str
    label: str
    configured: bool
    paused: bool
    paused_reason: str
    counts: dict[str, dict[str, int]]  # kind -> status -> count


def destination_is_configured(*, destination: str) -> bool:
    if destination == DestinationName.CITRUSAD:
        return bool(settings.CITRUSAD_BASE_URL and settings.CITRUSAD_API_KEY)
    if destination == DestinationName.CUSTOBAR:
        has_login = settings.CUSTOBAR_USERNAME and settings.CUSTOBAR_PASSWORD
        return bool(settings.CUSTOBAR_BASE_URL and (has_login or settings.CUSTOBAR_API_TOKEN))
    raise ValueError(f"unknown destination {destination!r}")


def sync_overview() -> list[DestinationOverview]:
    """Per destination: configured/paused, and row counts per kind and status (one query)."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    rows = SyncState.objects.values("destination", "kind", "status").annotate(n=Count("id"))
    for row in rows.order_by():
        by_kind = counts.setdefault(row["destination"], {})
        by_kind.setdefault(row["kind"], dict.fromkeys(SyncStatus.values, 0))[row["status"]] = row[
            "n"
        ]
    paused = {d.name: d for d in Destination.objects.all()}
    result = []
    for name, label in DestinationName.choices:
        state = paused.get(name)
        result.append(
            DestinationOverview(
                name=name,
                label=label,
                configured=destination_is_configured(destination=name),
                paused=bool(state and state.paused),
                paused_reason=state.paused_reason if state else "",
                counts={
                    kind: counts.get(name, {}).get(kind, dict.fromkeys(SyncStatus.values, 0))
                    for kind in SyncKind.values
                    if kind in counts.get(name, {})
                },
            )
        )
    return result
