"""The registry of destinations: the one place that knows which remotes exist.

Like healthchecks' `TRANSPORTS` map, `DESTINATION_TYPES` maps a type name to the class that
implements it (one module each). CitrusAd and Custobar are one destination each, configured from
settings; every webhook endpoint an admin adds is a destination of its own, named
`webhook:<id>`. Everything else asks this registry (docs/ARCHITECTURE.md, "Destinations").
"""

from collections.abc import Iterable

from syncs.destinations.base import (
    KIND_MODELS,
    Built,
    Destination,
    Verdict,
    destination_clients_reset,
)
from syncs.destinations.citrusad import CitrusAd
from syncs.destinations.custobar import Custobar
from syncs.destinations.webhook import Webhook
from syncs.remotes.errors import DestinationNotConfigured

__all__ = [
    "DESTINATION_TYPES",
    "KIND_MODELS",
    "Built",
    "Destination",
    "DestinationNotConfigured",
    "Verdict",
    "destination_choices",
    "destination_client",
    "destination_clients_reset",
    "destination_get",
    "destination_label",
    "destination_labels",
    "destination_labels_current",
    "destination_names_for_kind",
    "destinations_all",
]

DESTINATION_TYPES: dict[str, type[Destination]] = {
    CitrusAd.type_name: CitrusAd,
    Custobar.type_name: Custobar,
    Webhook.type_name: Webhook,
}


def _type_of(name: str) -> type[Destination] | None:
    return DESTINATION_TYPES.get(name.partition(":")[0])


def destinations_all() -> list[Destination]:
    """Every destination there is now: CitrusAd, Custobar, then each webhook endpoint."""
    return [d for kind in DESTINATION_TYPES.values() for d in kind.instances()]


def destination_get(name: str) -> Destination:
    """The destination called `name`; ValueError for one that does not exist (any more)."""
    kind = _type_of(name)
    destination = kind.from_name(name) if kind is not None else None
    if destination is None:
        raise ValueError(f"Unknown destination {name!r}.")
    return destination


def destination_client(name: str):
    """The wire client of a destination; raises DestinationNotConfigured while it is off."""
    return destination_get(name).client()


def destination_choices() -> list[tuple[str, str]]:
    """(name, label) of every destination, for forms."""
    return [(d.name, d.label) for d in destinations_all()]


def destination_labels(names: Iterable[str]) -> dict[str, str]:
    """What every page calls each of these destinations, read in one go (one query for the
    webhook endpoints among them, never one per row); a removed one keeps a name."""
    by_type: dict[type[Destination] | None, set[str]] = {}
    for name in names:
        by_type.setdefault(_type_of(name), set()).add(name)
    labels = {name: name for name in by_type.pop(None, ())}
    for kind, group in by_type.items():
        labels.update(kind.labels_for(group))
    return labels


def destination_labels_current() -> dict[str, str]:
    """The label of every destination there is now (one query for the webhook endpoints)."""
    return {d.name: d.label for d in destinations_all()}


def destination_label(name: str) -> str:
    """One destination's label (a list asks `destination_labels` for all its rows at once)."""
    return destination_labels([name])[name]


def destination_names_for_kind(kind: str) -> tuple[str, ...]:
    """The destinations a change of `kind` goes to (switched off ones too: their rows wait)."""
    return tuple(d.name for d in destinations_all() if kind in d.kinds)
