"""The registry of destinations: the one place that knows which remotes exist.

Like healthchecks' `TRANSPORTS` map, `DESTINATION_TYPES` maps a type name to the class that
implements it (one module each). CitrusAd and Custobar are one destination each, configured from
settings; every webhook endpoint an admin adds is a destination of its own, named
`webhook:<id>`. Everything else asks this registry (docs/ARCHITECTURE.md, "Destinations").
"""

from syncs.destinations.base import (
    KIND_MODELS,
    Built,
    Destination,
    Verdict,
    destination_clients_reset,
)
from syncs.destinations.citrusad import CitrusAd
from syncs.destinations.custobar import Custobar
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
    "destination_names_for_kind",
    "destinations_all",
]

# Destinations configured from settings: one instance each.
_FIXED: dict[str, Destination] = {d.name: d for d in (CitrusAd(), Custobar())}

DESTINATION_TYPES: dict[str, type[Destination]] = {
    CitrusAd.type_name: CitrusAd,
    Custobar.type_name: Custobar,
}


def destinations_all() -> list[Destination]:
    """Every destination there is now, fixed ones first."""
    return list(_FIXED.values())


def destination_get(name: str) -> Destination:
    """The destination called `name`; ValueError for one that does not exist (any more)."""
    destination = _FIXED.get(name)
    if destination is None:
        raise ValueError(f"Unknown destination {name!r}.")
    return destination


def destination_client(name: str):
    """The wire client of a destination; raises DestinationNotConfigured while it is off."""
    return destination_get(name).client()


def destination_choices() -> list[tuple[str, str]]:
    """(name, label) of every destination, for forms."""
    return [(d.name, d.label) for d in destinations_all()]


def destination_label(name: str) -> str:
    """What people call a destination; a removed one still gets a readable name."""
    try:
        return destination_get(name).label
    except ValueError:
        return name


def destination_names_for_kind(kind: str) -> tuple[str, ...]:
    """The destinations a change of `kind` goes to (switched off ones too: their rows wait)."""
    return tuple(d.name for d in destinations_all() if kind in d.kinds)
