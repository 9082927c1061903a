"""The sandbox's webhook receiver: what a retailer's own system would do with our webhooks.

`POST /webhooks/<receiver>` verifies the Standard Webhooks signature as a receiver should
(HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" with the base64-decoded `whsec_`
secret, any of the space-separated `v1,` signatures, a timestamp within five minutes,
constant-time comparison), answers 200 when it verifies and 401 when it does not, and keeps
every delivery with its verdict. `GET /_sandbox/webhooks` shows them; the secrets it accepts
are registered with `POST /_sandbox/webhook-secrets` (`make demo` does it for its endpoint).

Written from the specification, independently of the signing code in syncs/remotes/webhook.py.
"""

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections import deque

TOLERANCE_SECONDS = 5 * 60
KEPT_DELIVERIES = 500


def signature_verify(
    *, secrets: list[str], headers, body: bytes, now: float | None = None
) -> tuple[bool, str]:
    """(verified, why not) for one request, as the specification tells a receiver to check."""
    msg_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    signatures = (headers.get("webhook-signature") or "").split()
    if not (msg_id and timestamp and signatures):
        return False, "missing webhook-id, webhook-timestamp or webhook-signature"
    if not timestamp.isdigit():
        return False, "webhook-timestamp is not a Unix time"
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False, "webhook-timestamp is more than five minutes away from now"
    if not secrets:
        return False, "no secret registered with the sandbox (POST /_sandbox/webhook-secrets)"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    for secret in secrets:
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            continue
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for signature in signatures:
            version, _, value = signature.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return True, ""
    return False, "no signature matches a registered secret"


class WebhookReceiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.secrets: list[str] = []
            self.deliveries: deque[dict] = deque(maxlen=KEPT_DELIVERIES)
            self.count = 0
            self.refusals: dict[str, int] = {}  # status -> requests answered before verifying

    def secret_add(self, secret: str) -> None:
        with self.lock:
            if secret not in self.secrets:
                self.secrets.append(secret)

    def refused(self, receiver: str, status: int) -> None:
        """Count a request answered by a fault or the rate limit (429) instead of the receiver."""
        with self.lock:
            self.refusals[str(status)] = self.refusals.get(str(status), 0) + 1

    def receive(self, receiver: str, headers, body: bytes) -> tuple[int, dict]:
        """Verify and keep one delivery; (status, answer)."""
        with self.lock:
            secrets = list(self.secrets)
        verified, problem = signature_verify(secrets=secrets, headers=headers, body=body)
        try:
            message = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            message = None
        data = message.get("data") if isinstance(message, dict) else None
        items = data.get("items") if isinstance(data, dict) else None
        with self.lock:
            self.count += 1
            self.deliveries.append(
                {
                    "index": self.count,
                    "receiver": receiver,
                    "verified": verified,
                    "problem": problem,
                    "webhook_id": headers.get("webhook-id") or "",
                    "webhook_timestamp": headers.get("webhook-timestamp") or "",
                    "webhook_signature": headers.get("webhook-signature") or "",
                    "type": message.get("type") if isinstance(message, dict) else None,
                    "item_count": len(items) if isinstance(items, list) else 0,
                    "body": body.decode("utf-8", errors="replace"),
                    "at": time.time(),
                }
            )
        if not verified:
            return 401, {"message": f"Signature not verified: {problem}."}
        return 200, {"verified": True}

    def listing(self, *, since: int = 0) -> dict:
        with self.lock:
            deliveries = [d for d in self.deliveries if d["index"] > since]
            return {
                "deliveries": deliveries,
                "verified": sum(d["verified"] for d in self.deliveries),
                "rejected": sum(not d["verified"] for d in self.deliveries),
                "secrets": len(self.secrets),
                "refused": dict(self.refusals),
                "last_index": self.count,
            }
