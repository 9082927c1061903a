"""Point a webhook endpoint at a running sandbox's receiver, which then verifies its messages."""

import requests
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from syncs.models import WEBHOOK_KINDS, WebhookEndpoint
from syncs.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

ENDPOINT_NAME = "Sandbox receiver"


class Command(BaseCommand):
    help = (
        f"Create (or update) the webhook endpoint {ENDPOINT_NAME!r} at the sandbox's "
        "/webhooks/demo, receiving every kind, and hand its secret to the sandbox, whose "
        "receiver then verifies each signed batch (GET /_sandbox/webhooks shows them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-url", required=True, help="e.g. http://127.0.0.1:8700")

    def handle(self, *args, sandbox_url: str, **options):
        sandbox_url = sandbox_url.rstrip("/")
        url = f"{sandbox_url}/webhooks/demo"
        kinds = list(WEBHOOK_KINDS)
        existing = WebhookEndpoint.objects.filter(name=ENDPOINT_NAME).first()
        try:
            if existing is None:
                endpoint, secret = webhook_endpoint_create(
                    name=ENDPOINT_NAME, url=url, kinds=kinds, enabled=True, actor=None
                )
            else:
                # Its secret was shown once, long ago: a new one goes to the sandbox instead.
                endpoint = webhook_endpoint_update(
                    endpoint=existing, name=ENDPOINT_NAME, url=url, kinds=kinds, enabled=True,
                    actor=None,
                )  # fmt: skip
                secret = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        try:
            response = requests.post(
                f"{sandbox_url}/_sandbox/webhook-secrets", json={"secret": secret}, timeout=10
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            message = f"The sandbox at {sandbox_url} did not take the secret: {exc}"
            raise CommandError(message) from None
        self.stdout.write(
            f"Webhook endpoint {ENDPOINT_NAME!r} -> {url}; the sandbox verifies its messages "
            f"(see {sandbox_url}/_sandbox/webhooks)."
        )
