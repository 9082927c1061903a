"""Webhook signing secrets are encrypted at rest (syncs/stored_secrets.py), like feed
credentials: the clear `secret` / `previous_secret` columns become `secret_encrypted` /
`previous_secret_encrypted`, and every secret already stored is encrypted in place."""

from django.core.management.base import CommandError
from django.db import migrations, models

from syncs.stored_secrets import KEY_HELP, secret_decrypt, secret_encrypt

CLEAR_PREFIX = "whsec_"  # every secret the console made; a Fernet token starts with "gAAAAA"
FIELDS = ("secret_encrypted", "previous_secret_encrypted")


def encrypt_stored_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("syncs", "WebhookEndpoint")
    endpoints = list(WebhookEndpoint.objects.only("pk", *FIELDS))
    clear = [e for e in endpoints if any(getattr(e, f).startswith(CLEAR_PREFIX) for f in FIELDS)]
    if not clear:
        return
    from django.conf import settings

    if not settings.STORED_SECRETS_KEYS:
        raise CommandError(
            f"{len(clear)} webhook endpoint(s) keep their signing secret in clear, and this "
            f"migration encrypts them. {KEY_HELP}, then run migrate again."
        )
    for endpoint in clear:
        for field in FIELDS:
            value = getattr(endpoint, field)
            if value.startswith(CLEAR_PREFIX):
                setattr(endpoint, field, secret_encrypt(value))
        endpoint.save(update_fields=list(FIELDS))


def decrypt_stored_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("syncs", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.only("pk", *FIELDS):
        for field in FIELDS:
            value = getattr(endpoint, field)
            if value and not value.startswith(CLEAR_PREFIX):
                setattr(endpoint, field, secret_decrypt(value, what="webhook secret"))
        endpoint.save(update_fields=list(FIELDS))


class Migration(migrations.Migration):

    dependencies = [
        ("syncs", "0016_list_indexes"),
    ]

    operations = [
        migrations.RenameField("webhookendpoint", "secret", "secret_encrypted"),
        migrations.RenameField("webhookendpoint", "previous_secret", "previous_secret_encrypted"),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="previous_secret_encrypted",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(encrypt_stored_secrets, decrypt_stored_secrets),
    ]
