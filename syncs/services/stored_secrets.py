"""Re-encrypting every stored secret under the first STORED_SECRETS_KEY (key rotation).

`manage.py stored_secrets_rotate` runs it (and `manage.py feed rotate-key`, its former name).
All or nothing: one transaction, so a secret no key can decrypt stops it with nothing changed.
"""

from django.db import transaction
from django.utils import timezone

from syncs.models import Feed, WebhookEndpoint
from syncs.stored_secrets import secret_rotate


def stored_secrets_rotate() -> dict[str, int]:
    """{"feeds": n, "webhook endpoints": m}: how many rows' secrets were re-encrypted."""
    rotated = {"feeds": 0, "webhook endpoints": 0}
    with transaction.atomic():
        feeds = Feed.objects.select_for_update().exclude(credentials_encrypted="")
        for feed in feeds.only("pk", "name", "credentials_encrypted"):
            feed.credentials_encrypted = secret_rotate(
                feed.credentials_encrypted, what=f"credentials of feed {feed.name}"
            )
            feed.save(update_fields=["credentials_encrypted"])
            rotated["feeds"] += 1
        now = timezone.now()
        for endpoint in WebhookEndpoint.objects.select_for_update():
            what = f"secret of webhook {endpoint.name}"
            endpoint.secret_encrypted = secret_rotate(endpoint.secret_encrypted, what=what)
            expires = endpoint.previous_secret_expires_at
            # A rotated secret past its grace period signs nothing: dropped, not re-encrypted.
            endpoint.previous_secret_encrypted = (
                secret_rotate(endpoint.previous_secret_encrypted, what=what)
                if expires and expires > now
                else ""
            )
            endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted"])
            rotated["webhook endpoints"] += 1
    return rotated
