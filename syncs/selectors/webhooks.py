"""Webhook endpoints as the Webhooks page shows them: each with where its rows stand."""

from dataclasses import dataclass

from django.db.models import Count, Max

from syncs.models import Destination, SyncBatch, SyncState, SyncStatus, WebhookEndpoint
from syncs.stored_secrets import StoredSecretError


@dataclass(frozen=True)
class WebhookRow:
    endpoint: WebhookEndpoint
    pending: int
    failed: int
    confirmed: int
    paused: bool
    paused_reason: str
    last_batch: SyncBatch | None
    secret_unreadable: bool  # no STORED_SECRETS_KEY decrypts its secret: nothing goes out


def _secret_unreadable(endpoint: WebhookEndpoint) -> bool:
    try:
        endpoint.signing_secrets()
    except StoredSecretError:
        return True
    return False


def webhook_endpoint_list() -> list[WebhookRow]:
    """Every endpoint with its counts, pause state and last attempt (four queries)."""
    endpoints = list(WebhookEndpoint.objects.order_by("name"))
    names = [e.destination_name for e in endpoints]
    counts: dict[tuple[str, str], int] = {
        (row["destination"], row["status"]): row["n"]
        for row in SyncState.objects.filter(destination__in=names)
        .values("destination", "status")
        .annotate(n=Count("*"))
        .order_by()
    }
    switches = {d.name: d for d in Destination.objects.filter(name__in=names)}
    last_ids = (
        SyncBatch.objects.filter(destination__in=names)
        .values("destination")
        .annotate(last=Max("id"))
        .order_by()
    )
    batches = {
        b.destination: b for b in SyncBatch.objects.filter(id__in=[r["last"] for r in last_ids])
    }
    rows = []
    for endpoint in endpoints:
        name = endpoint.destination_name
        switch = switches.get(name)
        rows.append(
            WebhookRow(
                endpoint=endpoint,
                pending=counts.get((name, SyncStatus.PENDING), 0)
                + counts.get((name, SyncStatus.IN_FLIGHT), 0),
                failed=counts.get((name, SyncStatus.FAILED), 0),
                confirmed=counts.get((name, SyncStatus.CONFIRMED), 0),
                paused=bool(switch and switch.paused),
                paused_reason=switch.paused_reason if switch else "",
                last_batch=batches.get(name),
                secret_unreadable=_secret_unreadable(endpoint),
            )
        )
    return rows


def webhook_endpoint_get(*, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id).first()
