"""Webhook endpoints: the retailer's own systems, told about every change of the kinds they chose.

Each endpoint is a destination of its own (`webhook:<id>`, see syncs/destinations/webhook.py),
with its own sync states, history and pause switch.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from syncs.models.sync import SyncKind
from syncs.stored_secrets import secret_decrypt

# The kinds an endpoint may receive (catalogs are CitrusAd's own objects).
WEBHOOK_KINDS = (SyncKind.PRODUCT, SyncKind.CUSTOMER, SyncKind.ORDER)


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100, unique=True)
    url = models.URLField("URL", max_length=500)
    kinds = models.JSONField(default=list, help_text="The kinds of change it receives.")
    enabled = models.BooleanField(
        default=True, help_text="Off holds deliveries; changes wait and go out when it is on."
    )
    # The signing secret, encrypted (syncs/stored_secrets.py): shown once in clear (at creation
    # and rotation), never rendered again, never logged.
    secret_encrypted = models.TextField()
    # After a rotation the old secret (encrypted too) signs as well, until this time, so
    # receivers can switch.
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        permissions = [("manage_webhooks", "Can add, change and remove webhook endpoints")]

    def __str__(self) -> str:
        return self.name

    @property
    def destination_name(self) -> str:
        return f"webhook:{self.pk}"

    def signing_secrets(self) -> list[str]:
        """The current secret, and the previous one while its grace period lasts, decrypted
        (raises StoredSecretError when STORED_SECRETS_KEY cannot decrypt them)."""
        tokens = [self.secret_encrypted]
        if (
            self.previous_secret_encrypted
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > timezone.now()
        ):
            tokens.append(self.previous_secret_encrypted)
        return [secret_decrypt(token, what=f"secret of webhook {self.name}") for token in tokens]
