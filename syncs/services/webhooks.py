"""Webhook endpoints: add, change, rotate the secret of, and remove one (admins only).

Per-endpoint state: each endpoint is the destination `webhook:<id>`, so it has its own sync
state per row, its own history and its own pause switch. An endpoint receives the changes
made from its creation on (and, for a kind added later, from then on); it is not back-filled
with rows that have not changed since. Switched off, its changes still wait as pending rows
(coalesced, one per row), and go out when it is switched on again. Removing an endpoint
removes its sync states; its history stays, as "Webhook #<id> (removed)".

Secrets are stored encrypted (syncs/stored_secrets.py, STORED_SECRETS_KEY): the clear value
exists only in the answer that shows it once and in the signing client's memory.
"""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncs.models import WEBHOOK_KINDS, Destination, SyncState, WebhookEndpoint
from syncs.remotes.webhook import webhook_secret_generate
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import drain_enqueue
from syncs.services.sync_state import sync_state_forget
from syncs.stored_secrets import StoredSecretError, secret_decrypt, secret_encrypt

# After a rotation the old secret still signs for this long, so receivers can switch over.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
_URL = URLValidator(schemes=["http", "https"])


def _clean(*, name: str, url: str, kinds: list[str]) -> tuple[str, str, list[str]]:
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        raise ValidationError("Give the endpoint a name.")
    if len(name) > WebhookEndpoint._meta.get_field("name").max_length:
        raise ValidationError("A name is at most 100 characters.")
    try:
        _URL(url)
    except ValidationError:
        raise ValidationError("Enter the full http(s):// URL of the receiver.") from None
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationError("A URL is at most 500 characters.")
    unknown = set(kinds) - set(WEBHOOK_KINDS)
    if unknown or not kinds:
        raise ValidationError("Choose what it receives: products, customers and/or orders.")
    return name, url, [k for k in WEBHOOK_KINDS if k in kinds]


def _described(endpoint: WebhookEndpoint) -> dict:
    """What the audit log keeps of an endpoint: never its secret."""
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "kinds": endpoint.kinds,
        "enabled": endpoint.enabled,
    }


def _encrypted(secret: str) -> str:
    try:
        return secret_encrypt(secret)
    except StoredSecretError as exc:
        raise ValidationError(str(exc)) from None


def _still_readable(token: str) -> str:
    """The old secret's token to keep signing with, or "" when no key decrypts it any more
    (it could not sign; rotating is how such an endpoint starts again)."""
    try:
        secret_decrypt(token)
    except StoredSecretError:
        return ""
    return token


def _drains_enqueue_after_commit(endpoint: WebhookEndpoint) -> None:
    for kind in endpoint.kinds:
        transaction.on_commit(
            lambda kind=kind: drain_enqueue(destination=endpoint.destination_name, kind=kind)
        )


def webhook_endpoint_create(
    *, name: str, url: str, kinds: list[str], enabled: bool, actor: AbstractBaseUser | None
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its secret, which is shown this once."""
    name, url, kinds = _clean(name=name, url=url, kinds=kinds)
    secret = webhook_secret_generate()
    secret_encrypted = _encrypted(secret)
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.create(
                name=name,
                url=url,
                kinds=kinds,
                enabled=enabled,
                secret_encrypted=secret_encrypted,
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
            Destination.objects.create(name=endpoint.destination_name)
            audit_event_record(
                actor=actor,
                action="webhook.create",
                object_kind="webhook",
                object_id=endpoint.pk,
                object_repr=endpoint.name,
                after=_described(endpoint),
            )
    except IntegrityError:
        raise ValidationError(f"An endpoint named {name!r} exists already.") from None
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    name: str,
    url: str,
    kinds: list[str],
    enabled: bool,
    actor: AbstractBaseUser | None,
) -> WebhookEndpoint:
    """Change an endpoint. A kind it no longer receives loses its waiting rows; switched on,
    what waited goes out now."""
    name, url, kinds = _clean(name=name, url=url, kinds=kinds)
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            before = _described(endpoint)
            endpoint.name, endpoint.url, endpoint.kinds, endpoint.enabled = (
                name,
                url,
                kinds,
                enabled,
            )
            endpoint.save()
            dropped = SyncState.objects.filter(destination=endpoint.destination_name)
            sync_state_forget(states=dropped.exclude(kind__in=kinds))
            audit_event_record(
                actor=actor,
                action="webhook.update",
                object_kind="webhook",
                object_id=endpoint.pk,
                object_repr=endpoint.name,
                before=before,
                after=_described(endpoint),
            )
            if enabled:
                _drains_enqueue_after_commit(endpoint)
    except IntegrityError:
        raise ValidationError(f"An endpoint named {name!r} exists already.") from None
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None
) -> str:
    """A new secret (returned, shown once); the old one keeps signing for a grace period."""
    secret = webhook_secret_generate()
    secret_encrypted = _encrypted(secret)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret_encrypted = _still_readable(endpoint.secret_encrypted)
        endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_GRACE
        endpoint.secret_encrypted = secret_encrypted
        endpoint.save()
        audit_event_record(
            actor=actor,
            action="webhook.rotate_secret",
            object_kind="webhook",
            object_id=endpoint.pk,
            object_repr=endpoint.name,
        )
    return secret


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> None:
    """Remove an endpoint and its sync states (its history stays)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        name = endpoint.destination_name
        before = _described(endpoint)
        sync_state_forget(states=SyncState.objects.filter(destination=name))
        Destination.objects.filter(name=name).delete()
        endpoint.delete()
        audit_event_record(
            actor=actor,
            action="webhook.delete",
            object_kind="webhook",
            object_id=name.partition(":")[2],
            object_repr=before["name"],
            before=before,
        )
