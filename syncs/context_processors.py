"""What every signed-in page shows: destinations that are paused or unreachable.

Lazy: a fragment that never shows the banner (a chip's poll) runs no query for it.
"""

import logging

from django.db import DatabaseError
from django.utils.functional import SimpleLazyObject

from syncs.selectors.destinations import destination_alerts, destination_resumers

logger = logging.getLogger("syncs.views")


def _alerts() -> list:
    try:
        return destination_alerts()
    except DatabaseError:
        # An error page (the database too slow to answer) must still render: without banner.
        logger.warning("destination banner left out: the database did not answer")
        return []


def destination_banner(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    alerts = SimpleLazyObject(_alerts)
    return {
        "destination_alerts": alerts,
        "paused_destinations": SimpleLazyObject(
            lambda: {alert.destination for alert in alerts if alert.paused}
        ),
        "destination_resumers": SimpleLazyObject(destination_resumers),
    }
