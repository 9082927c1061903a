"""What the console knows about each destination without asking it."""

from django.conf import settings

from syncs.models import DestinationName


def destination_is_configured(*, destination: str) -> bool:
    if destination == DestinationName.CITRUSAD:
        return bool(settings.CITRUSAD_BASE_URL and settings.CITRUSAD_API_KEY)
    if destination == DestinationName.CUSTOBAR:
        has_login = settings.CUSTOBAR_USERNAME and settings.CUSTOBAR_PASSWORD
        return bool(settings.CUSTOBAR_BASE_URL and (has_login or settings.CUSTOBAR_API_TOKEN))
    raise ValueError(f"unknown destination {destination!r}")
