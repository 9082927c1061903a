"""The sandbox's behaviour, independent of the socket server: route, authorise, validate, answer.

The endpoints live by platform (`citrusad.py`, `custobar.py`, the webhook receiver in
`webhooks.py`); this module holds the state, the routing, the faults and the control endpoints.

`SandboxApp.handle` takes a parsed request and returns (status, headers, body bytes). All state
sits behind one lock; the artificial latency is spent outside it, so slow answers overlap.
"""

import random
import threading
import time
from collections import deque
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from syncs.sandbox.citrusad import CitrusAdEndpoints
from syncs.sandbox.config import SandboxConfig
from syncs.sandbox.custobar import CustobarEndpoints
from syncs.sandbox.ratelimit import AccountBuckets
from syncs.sandbox.replies import BATCH_WRAPPERS, RecordedRequest, Reply, citrus_error, parse_body
from syncs.sandbox.webhooks import WebhookReceiver


class SandboxApp(CitrusAdEndpoints, CustobarEndpoints):
    def __init__(self, config: SandboxConfig):
        self.initial_config = config
        self.lock = threading.Lock()
        self.generation = 0
        self.in_flight = 0  # API requests being handled right now
        self.webhooks = WebhookReceiver()  # a retailer's own system, receiving our webhooks
        self.reset()

    # --- state and control ---

    def reset(self) -> None:
        """Back to the configuration it started with: no state, no recordings, counters at 0."""
        with self.lock:
            # A request still sleeping through injected latency belongs to the old generation:
            # it must not change the state or the recordings the next test starts with.
            self.generation += 1
            self.config = self.initial_config.updated()
            self.random = random.Random(self.config.seed)  # noqa: S311 (fault injection only)
            self.catalogs: dict[str, dict] = {}
            self.products: dict[tuple, dict] = {}
            self.product_visible_at: dict[tuple, float] = {}
            self.customers: dict[tuple, dict] = {}
            self.orders: dict[tuple, dict] = {}
            self.custobar: dict[int, dict] = {}
            self.custobar_index: dict[tuple[str, str], int] = {}
            self.recorded: deque[RecordedRequest] = deque(maxlen=self.config.max_recorded or None)
            self.request_count = 0
            self.stats: dict[str, dict] = {}
            self.accounts = AccountBuckets()
        self.webhooks.reset()

    def configure(self, **changes) -> SandboxConfig:
        with self.lock:
            self.config = self.config.updated(**changes)
            if "max_recorded" in changes:
                self.recorded = deque(self.recorded, maxlen=self.config.max_recorded or None)
            if "seed" in changes:
                self.random = random.Random(self.config.seed)  # noqa: S311
            return self.config

    def received(
        self, *, path_prefix: str = "", method: str | None = None
    ) -> list[RecordedRequest]:
        with self.lock:
            return [
                r
                for r in self.recorded
                if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
            ]

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "catalogs": list(self.catalogs.values()),
                "catalogProducts": list(self.products.values()),
                "customers": list(self.customers.values()),
                "orders": list(self.orders.values()),
                "custobarCustomers": list(self.custobar.values()),
            }

    # --- one request ---

    def handle(self, method: str, target: str, headers, body: bytes) -> tuple[int, dict, bytes]:
        parts = urlsplit(target)
        path = parts.path
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if path.startswith("/_sandbox/"):
            return self._control(method, path, query, body).encode()
        if path.startswith("/webhooks/") and method == "POST":
            # Faults (latency, 5xx, 429, a chosen status) and a per-receiver limit apply too.
            receiver = path.removeprefix("/webhooks/")
            reply = self._faults(self.config, path) or self._over_limit(
                f"webhook:{receiver}", self.config.webhook_rpm
            )
            if reply is None:
                status, answer = self.webhooks.receive(receiver, headers, body)
                reply = Reply(status, answer)
            else:
                self.webhooks.refused(receiver, reply.status)
            return reply.encode()
        with self.lock:
            self.in_flight += 1
            generation = self.generation
        try:
            reply = self._api(method, path, query, headers, body, generation)
        finally:
            with self.lock:
                self.in_flight -= 1
        return reply.encode()

    def _api(self, method, path, query, headers, body, generation) -> Reply:
        parsed, reply = parse_body(body) if method in ("POST", "PUT") else (None, None)
        if reply is None:
            reply = self._faults(self.config, path)
        if generation != self.generation:
            return Reply(503, text="The sandbox was reset while this request waited.")
        if reply is None:
            reply = self._route(method, path, query, headers, parsed)
        with self.lock:
            self._record(method, path, query, parsed, reply)
        return reply

    def _record(self, method, path, query, parsed, reply: Reply) -> None:
        self.request_count += 1
        bodies = self.config.record_bodies
        self.recorded.append(
            RecordedRequest(
                index=self.request_count,
                method=method,
                path=path,
                query=query,
                json=parsed if bodies else None,
                status=reply.status,
                response=(reply.body if not reply.text else reply.text) if bodies else None,
            )
        )
        stat = self.stats.setdefault(
            f"{method} {path}", {"requests": 0, "items": 0, "statuses": {}}
        )
        stat["requests"] += 1
        wrapper = BATCH_WRAPPERS.get(path)
        if wrapper and isinstance(parsed, dict) and isinstance(parsed.get(wrapper), list):
            stat["items"] += len(parsed[wrapper])
        stat["statuses"][str(reply.status)] = stat["statuses"].get(str(reply.status), 0) + 1

    def _faults(self, config: SandboxConfig, path: str) -> Reply | None:
        if config.fault_paths and not any(path.startswith(p) for p in config.fault_paths):
            return None
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        with self.lock:
            throttle = self._take("throttle_next") or (
                config.rate429 and self.random.random() < config.rate429
            )
            fail = not throttle and (
                self._take("fail_next")
                or (config.fail_rate and self.random.random() < config.fail_rate)
            )
        if throttle:
            return Reply(429, headers=self._retry_after(config), text="Too Many Requests")
        if fail:
            headers = self._retry_after(config) if config.fail_status == 503 else {}
            return Reply(config.fail_status, headers=headers, text="Internal Server Error")
        return None

    def _take(self, counter: str) -> bool:
        """Use up one of the `*_next` faults (called under the lock)."""
        remaining = getattr(self.config, counter)
        if remaining <= 0:
            return False
        self.config = self.config.updated(**{counter: remaining - 1})
        return True

    @staticmethod
    def _retry_after(config: SandboxConfig) -> dict:
        if config.retry_after is None:
            return {}
        if config.retry_after_form == "http-date":
            return {"Retry-After": formatdate(time.time() + config.retry_after, usegmt=True)}
        seconds = config.retry_after
        return {"Retry-After": str(int(seconds)) if seconds == int(seconds) else str(seconds)}

    # --- routing ---

    def _route(self, method, path, query, headers, body) -> Reply:
        if path == "/api/customers/upload/":
            if method != "POST":
                return Reply(405, {"detail": f'Method "{method}" not allowed.'})
            return (
                self._custobar_auth(headers)
                or self._over_limit("custobar", self.config.custobar_rpm)
                or self._custobar_upload(body)
            )
        if not path.startswith("/v1/"):
            return Reply(404, text="Not Found")
        segments = [unquote(s) for s in path.split("/")[2:]]
        if segments[0] == "catalog-products" and len(segments) == 3:
            if method not in ("GET", "DELETE"):
                return Reply(405, text="Method Not Allowed")
            team, denied = self._citrus_auth(headers)
            if denied:
                return denied
            throttled = self._over_limit(f"citrusad:{team}", self.config.citrusad_rpm)
            if throttled:
                return throttled
            key = (team, segments[1], segments[2], query.get("sellerId", ""))
            if method == "GET":
                return self._product_get(key)
            return self._product_delete(key)
        handlers = {
            "catalogs": self._catalogs_create,
            "catalog-products": self._products_upsert,
            "customers": self._customers_upsert,
            "orders": self._orders_upsert,
        }
        if len(segments) != 1 or segments[0] not in handlers:
            return Reply(404, text="Not Found")
        if method != "POST":
            return Reply(405, text="Method Not Allowed")
        team, denied = self._citrus_auth(headers)
        if denied:
            return denied
        throttled = self._over_limit(f"citrusad:{team}", self.config.citrusad_rpm)
        if throttled:
            return throttled
        if segments[0] == "catalog-products":
            team_param = query.get("teamId")
            if not team_param:
                return citrus_error(400, "teamId is required as a query parameter")
            if team_param != team:
                return citrus_error(403, "teamId does not belong to this API key")
        return handlers[segments[0]](team, body)

    def _over_limit(self, account: str, per_minute: int) -> Reply | None:
        """429 with Retry-After when the account is over its per-minute limit."""
        with self.lock:
            wait = self.accounts.take(
                account, per_minute=per_minute, burst=self.config.rate_limit_burst
            )
        if wait is None:
            return None
        return Reply(
            429,
            headers={"Retry-After": str(wait)},
            text=f"Too Many Requests: this account may send {per_minute} requests a minute.",
        )

    # --- control endpoints ---

    def _control(self, method: str, path: str, query: dict, body: bytes) -> Reply:
        name = path[len("/_sandbox/") :].strip("/")
        if (method, name) == ("GET", "health"):
            return Reply(200, {"status": "ok"})
        if (method, name) == ("GET", "requests"):
            since = query.get("since", "0") or "0"
            if not (since.isascii() and since.isdigit()):
                return Reply(400, {"message": "since must be a request index (a whole number)."})
            since = int(since)
            bodies = query.get("bodies", "1") not in ("0", "false")
            selected = [
                r.to_dict(bodies=bodies)
                for r in self.received(
                    path_prefix=query.get("path_prefix", ""), method=query.get("method")
                )
                if r.index > since
            ]
            return Reply(200, {"requests": selected, "last_index": self.request_count})
        if (method, name) == ("POST", "reset"):
            self.reset()
            return Reply(200, {"status": "reset"})
        if (method, name) == ("GET", "config"):
            return Reply(200, self.config.public())
        if (method, name) == ("POST", "config"):
            parsed, error = parse_body(body)
            if error:
                return error
            if not isinstance(parsed, dict):
                return Reply(400, {"message": "Send a JSON object of settings to change."})
            try:
                return Reply(200, self.configure(**parsed).public())
            except (TypeError, ValueError) as exc:
                return Reply(400, {"message": str(exc)})
        if (method, name) == ("GET", "webhooks"):
            since = query.get("since", "0")
            return Reply(200, self.webhooks.listing(since=int(since) if since.isdigit() else 0))
        if (method, name) == ("POST", "webhook-secrets"):
            parsed, error = parse_body(body)
            secret = parsed.get("secret") if isinstance(parsed, dict) else None
            if error or not isinstance(secret, str) or not secret.startswith("whsec_"):
                return Reply(400, {"message": 'Send {"secret": "whsec_…"}.'})
            self.webhooks.secret_add(secret)
            return Reply(200, {"secrets": len(self.webhooks.secrets)})
        if (method, name) == ("GET", "state"):
            return Reply(200, self.snapshot())
        if (method, name) == ("GET", "stats"):
            with self.lock:
                return Reply(200, {"requests": self.request_count, "endpoints": self.stats})
        return Reply(404, {"message": f"No control endpoint {method} {path}."})
