"""Catalogs with their product counts and CitrusAd sync state."""

from django.db.models import Count

from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import Catalog, SyncKind
from syncs.selectors.sync_states import sync_state_for


def catalog_list() -> list[Catalog]:
    """Every catalog with its product count and CitrusAd `sync_state` (two queries)."""
    catalogs = list(Catalog.objects.annotate(product_count=Count("products")).order_by("name"))
    states = sync_state_for(kind=SyncKind.CATALOG, object_ids=[c.pk for c in catalogs])
    for catalog in catalogs:
        catalog.sync_state = states.get(catalog.pk, {}).get(CITRUSAD)
    return catalogs


def catalog_is_registered(*, name: str, citrusad_id: str) -> bool:
    """Whether this exact catalog is registered already (a repeated register form)."""
    return Catalog.objects.filter(citrusad_id=citrusad_id, name=name).exists()
