"""Pausing and resuming a destination: the one switch the engine flips by itself.

A 401/403 (or a webhook's 410) pauses the destination instead of burning retries: its drains
stop and hand their rows back, the dashboard shows a banner. It resumes when an admin says so,
or by itself as soon as a process runs with other credentials than the refused ones (their
keyed fingerprint is kept in Redis, never the secret).
"""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from syncs.destinations import Destination, DestinationNotConfigured, destination_get
from syncs.models import Destination as DestinationSwitch
from syncs.models import SyncKind
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import drain_enqueue, redis_client

logger = logging.getLogger("syncs.push")

# Holds a keyed hash of the credentials a destination refused, so a change can resume it.
PAUSED_CREDENTIALS_KEY = "citrusadmin:sync:paused-credentials:{destination}"


def paused_credentials_key(destination: str) -> str:
    return PAUSED_CREDENTIALS_KEY.format(destination=destination)


def destination_is_paused(*, destination: str) -> bool:
    return DestinationSwitch.objects.filter(name=destination, paused=True).exists()


def destination_pause(*, destination: str, reason: str) -> None:
    """Stop pushing to a destination whose credentials were refused, until they change or
    someone resumes it."""
    DestinationSwitch.objects.update_or_create(
        name=destination,
        defaults={"paused": True, "paused_reason": reason[:1000], "paused_at": timezone.now()},
    )
    client = redis_client()
    if client is not None:
        fingerprint = destination_get(destination).fingerprint()
        client.set(paused_credentials_key(destination), fingerprint)
    logger.warning("Paused %s: %s", destination, reason)


def destination_paused_unless_credentials_changed(destination: Destination) -> bool:
    """True while paused; a process running with other credentials than the refused ones
    (fixed settings, restarted workers, a rotated secret) resumes the destination by itself."""
    if not destination_is_paused(destination=destination.name):
        return False
    client = redis_client()
    key = paused_credentials_key(destination.name)
    refused = client.get(key) if client is not None else None
    if refused is None or refused.decode() == destination.fingerprint():
        return True
    client.delete(key)
    destination_resume(destination=destination.name, actor=None)
    logger.warning("Resumed %s: its credentials changed since they were refused", destination.name)
    return False


def destination_resume(*, destination: str, actor: AbstractBaseUser | None) -> DestinationSwitch:
    """Unpause a destination (credentials fixed) and push everything that waited."""
    try:
        label = destination_get(destination).label
    except ValueError:
        raise ValidationError(f"Unknown destination {destination!r}.") from None
    with transaction.atomic():
        row, _ = DestinationSwitch.objects.select_for_update().get_or_create(name=destination)
        if not row.paused:
            return row
        before = {"paused": True, "paused_reason": row.paused_reason}
        row.paused, row.paused_reason, row.paused_at = False, "", None
        client = redis_client()
        if client is not None:
            client.delete(paused_credentials_key(destination))
        row.save(update_fields=["paused", "paused_reason", "paused_at"])
        audit_event_record(
            actor=actor,
            action="destination.resume",
            object_kind="destination",
            object_id=destination,
            object_repr=label,
            before=before,
            after={"paused": False},
        )
        for kind in SyncKind.values:
            for manual in (True, False):
                transaction.on_commit(
                    lambda k=kind, m=manual: drain_enqueue(
                        destination=destination, kind=k, manual=m
                    )
                )
    return row


def destination_resume_checked(
    *, destination: str, actor: AbstractBaseUser | None
) -> tuple[bool, list[str]]:
    """Ask the remote first whether it takes the credentials now, and resume only if it does.

    Resuming with credentials still wrong would only pause it again at the first push; this
    way the person who clicked Resume reads why at once. Returns (resumed, what the check said).
    """
    try:
        target = destination_get(destination)
    except ValueError:
        raise ValidationError(f"Unknown destination {destination!r}.") from None
    try:
        ok, lines = target.check(target.client())
    except DestinationNotConfigured as exc:
        ok, lines = False, [str(exc)]
    if ok:
        destination_resume(destination=destination, actor=actor)
    return ok, lines
