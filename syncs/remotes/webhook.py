"""A webhook endpoint's receiver, signed as the Standard Webhooks specification says.

Each request carries `webhook-id` (unique per message), `webhook-timestamp` (Unix seconds) and
`webhook-signature`: `v1,<base64 HMAC-SHA256>` of `"{id}.{timestamp}.{body}"`, keyed with the
base64-decoded part of the endpoint's `whsec_…` secret. While a rotated secret is still in its
grace period the request is signed with both, space-separated, so a receiver that has not yet
switched keeps verifying.
"""

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from syncs.remotes.http import RemoteHTTP, check_item_count, json_body
from syncs.remotes.result import RemoteResult

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def webhook_secret_generate() -> str:
    """A new endpoint secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<signature>` of one message with one secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookClient:
    """Posts signed messages to one endpoint URL. Never retries: the engine decides."""

    def __init__(
        self,
        *,
        url: str,
        secrets: list[str],
        label: str = "Webhook",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ):
        parts = urlsplit(url)
        self.path = self.path_of(url)
        # The query may hold a token of the receiver's: sent, never logged nor recorded.
        self.params = dict(parse_qsl(parts.query, keep_blank_values=True)) or None
        self.secrets = [s for s in secrets if s]
        self.http = RemoteHTTP(
            label=label,
            base_url=f"{parts.scheme}://{parts.netloc}",
            headers={},
            secrets=[*self.secrets, *(self.params or {}).values()],
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def path_of(url: str) -> str:
        """What the history shows of an endpoint URL: its path, never its query."""
        return urlsplit(url).path or "/"

    def deliver(self, *, event_type: str, data: dict, items: list | None = None) -> RemoteResult:
        """POST one signed message `{"type", "timestamp", "data"}`; any 2xx is delivery."""
        if items is not None:
            check_item_count(items)
        now = datetime.now(UTC)
        body = json_body(
            {
                "type": event_type,
                "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "data": data,
            }
        )
        msg_id = f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time())
        signatures = " ".join(
            webhook_signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
            for secret in self.secrets
        )
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures,
        }
        response, _parsed, duration = self.http.request(
            "POST", self.path, params=self.params, body=body, headers=headers
        )
        return RemoteResult(status_code=response.status_code, items=[], duration_ms=duration)
