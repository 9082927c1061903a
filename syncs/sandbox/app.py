"""The sandbox's behaviour, independent of the socket server: route, authorise, validate, answer.

`SandboxApp.handle` takes a parsed request and returns (status, headers, body bytes). All state
sits behind one lock; the artificial latency is spent outside it, so slow answers overlap.
"""

import base64
import binascii
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from syncs.sandbox import validation as v
from syncs.sandbox.config import SandboxConfig
from syncs.sandbox.ratelimit import AccountBuckets
from syncs.sandbox.webhooks import WebhookReceiver

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BATCH_WRAPPERS = {
    "/v1/catalogs": "catalogs",
    "/v1/catalog-products": "catalogProducts",
    "/v1/customers": "customers",
    "/v1/orders": "orders",
    "/api/customers/upload/": "customers",
}


@dataclass
class RecordedRequest:
    """One API request as the sandbox saw it (never its credentials)."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    json: object
    status: int
    response: object = None
    at: float = field(default_factory=time.time)

    def __getitem__(self, key):
        return getattr(self, key)

    @property
    def items(self) -> list:
        """The batch's items (catalogProducts, customers, orders, catalogs), or []."""
        wrapper = BATCH_WRAPPERS.get(self.path)
        if wrapper and isinstance(self.json, dict) and isinstance(self.json.get(wrapper), list):
            return self.json[wrapper]
        return []

    def to_dict(self, *, bodies: bool = True) -> dict:
        data = asdict(self)
        if not bodies:
            data.pop("json")
            data.pop("response")
        return data


class Reply:
    def __init__(self, status: int, body=None, *, headers: dict | None = None, text: str = ""):
        self.status = status
        self.body = body
        self.text = text
        self.headers = headers or {}

    def encode(self) -> tuple[int, dict[str, str], bytes]:
        if self.text:
            return self.status, {"Content-Type": TEXT_TYPE, **self.headers}, self.text.encode()
        payload = json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()
        return self.status, {"Content-Type": JSON_TYPE, **self.headers}, payload


def citrus_error(status: int, message: str, info: list | None = None) -> Reply:
    return Reply(status, {"message": message, "additionalInfo": info or []})


class SandboxApp:
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
            # Faults (latency, 5xx, 429, a chosen status) apply to the receiver too.
            reply = self._faults(self.config, path)
            if reply is None:
                status, answer = self.webhooks.receive(
                    path.removeprefix("/webhooks/"), headers, body
                )
                reply = Reply(status, answer)
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
        parsed, reply = _parse_body(body) if method in ("POST", "PUT") else (None, None)
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

    def _citrus_auth(self, headers) -> tuple[str, Reply | None]:
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        team = self.config.api_keys.get(credential.strip()) if scheme.lower() == "basic" else None
        if team is None:
            return "", Reply(401, text="Unauthorized")
        return team, None

    def _custobar_auth(self, headers) -> Reply | None:
        config = self.config
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        credential = credential.strip()
        if not scheme:
            return Reply(401, {"detail": "Authentication credentials were not provided."})
        if (
            scheme.lower() == "token"
            and config.custobar_token
            and credential == config.custobar_token
        ):
            return None
        if scheme.lower() == "basic" and config.custobar_username:
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded == f"{config.custobar_username}:{config.custobar_password}":
                return None
        return Reply(401, {"detail": "Invalid username/password or token."})

    # --- CitrusAd ---

    def _batch(self, body, wrapper: str, check) -> tuple[list | None, Reply | None]:
        items, problems = v.batch_items(body, wrapper, self.config.max_items)
        if items is not None and not problems:
            for index, item in enumerate(items):
                check(problems, f"{wrapper}[{index}]", item)
        if problems:
            return None, citrus_error(400, _summary(problems), problems[:50])
        return items, None

    def _catalogs_create(self, team: str, body) -> Reply:
        items, error = self._batch(body, "catalogs", v.check_catalog)
        if error:
            return error
        created = []
        with self.lock:
            # Not idempotent, like CitrusAd: the same name twice makes two catalogs.
            for item in items:
                catalog = {"id": str(uuid.uuid4()), "name": item["name"], "teamId": team}
                self.catalogs[catalog["id"]] = catalog
                created.append(catalog)
        return self._answer({"catalogs": created}, "catalogs")

    def _products_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "catalogProducts", v.check_product)
        if error:
            return error
        config = self.config
        rejected = v.Problems()
        for index, item in enumerate(items):
            where = f"catalogProducts[{index}]"
            if item["gtin"] in config.reject_gtins:
                rejected.add("PRODUCT_REJECTED", where, f"gtin {item['gtin']} was rejected")
            if config.require_known_catalogs and item["catalogId"] not in self.catalogs:
                rejected.add("CATALOG_NOT_FOUND", f"{where}.catalogId", "no such catalog")
        if rejected:
            return citrus_error(400, _summary(rejected), rejected)
        answered = []
        visible_at = time.monotonic() + config.ingest_delay_ms / 1000
        with self.lock:
            for item in items:
                product = {
                    "teamId": team,
                    "catalogId": item["catalogId"],
                    "gtin": item["gtin"],
                    "inventory": item.get("inventory", 1),  # CitrusAd's default when omitted
                    "price": v.to_number(item.get("price")),
                    "tags": list(item.get("tags") or []),
                    "filters": list(item.get("filters") or []),
                    "groups": list(item.get("groups") or []),
                    "profit": v.to_number(item.get("profit")),
                }
                if item.get("sellerId"):
                    product["sellerId"] = item["sellerId"]
                key = (team, item["catalogId"], item["gtin"], item.get("sellerId") or "")
                self.products[key] = product
                self.product_visible_at[key] = visible_at
                answered.append(product)
        return self._answer({"catalogProducts": answered}, "catalogProducts")

    def _product_get(self, key: tuple) -> Reply:
        with self.lock:
            product = self.products.get(key)
            visible = product is not None and self.product_visible_at[key] <= time.monotonic()
        if not visible:
            return citrus_error(404, "product not found")
        return Reply(200, product)

    def _product_delete(self, key: tuple) -> Reply:
        with self.lock:
            product = self.products.pop(key, None)
            self.product_visible_at.pop(key, None)
        if product is None:
            return citrus_error(404, "product not found")
        return Reply(200, {})

    def _customers_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "customers", v.check_citrus_customer)
        if error:
            return error
        rejected = v.Problems()
        for index, item in enumerate(items):
            if item.get("id") and item["id"] in self.config.reject_customers:
                rejected.add(
                    "CUSTOMER_REJECTED", f"customers[{index}]", f"id {item['id']} was rejected"
                )
        if rejected:
            return citrus_error(400, _summary(rejected), rejected)
        answered = []
        with self.lock:
            for item in items:
                customer = {
                    "targetingData": item.get("targetingData") or {},
                    "gender": item.get("gender") or "Other",
                    "teamId": team,
                    "postcode": item.get("postcode") or "",
                    "suburb": item.get("suburb") or "",
                    "id": item.get("id") or str(uuid.uuid4()),
                    "yearOfBirth": item.get("yearOfBirth") or 0,
                }
                self.customers[(team, customer["id"])] = customer
                answered.append(customer)
        return self._answer({"customers": answered}, "customers")

    def _orders_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "orders", v.check_order)
        if error:
            return error
        rejected = v.Problems()
        for index, item in enumerate(items):
            for order_item in item["orderItems"]:
                if order_item["gtin"] in self.config.reject_gtins:
                    rejected.add(
                        "ORDER_REJECTED",
                        f"orders[{index}]",
                        f"gtin {order_item['gtin']} was rejected",
                    )
        if rejected:
            return citrus_error(400, _summary(rejected), rejected)
        answered = []
        with self.lock:
            for item in items:
                order = {
                    "adIds": item.get("adIds"),
                    "teamId": item.get("teamId") or team,
                    "customerId": item.get("customerId") or "",
                    "sessionId": item.get("sessionId"),
                    "id": item.get("id") or str(uuid.uuid4()),
                    "orderItems": [_order_item(order_item) for order_item in item["orderItems"]],
                    "orderDate": item["orderDate"],
                }
                self.orders[(team, order["id"])] = order
                answered.append(order)
        return self._answer({"orders": answered}, "orders")

    def _answer(self, body: dict, wrapper: str) -> Reply:
        """A 200, unless a `mismatch_next` fault garbles it the way `mismatch_mode` says."""
        with self.lock:
            if not self._take("mismatch_next"):
                return Reply(200, body)
            mode = self.config.mismatch_mode
        if mode == "garble":
            return Reply(200, text="OK")
        if mode == "reverse":
            return Reply(200, {wrapper: body[wrapper][::-1]})
        return Reply(200, {wrapper: body[wrapper][:-1]})

    # --- Custobar ---

    def _custobar_upload(self, body) -> Reply:
        items, problems = v.batch_items(body, "customers", self.config.max_items)
        if items is not None and not problems:
            for index, item in enumerate(items):
                v.check_custobar_customer(problems, f"customers[{index}]", item)
                identifiers = {str(item.get(k)) for k in v.CUSTOBAR_IDENTIFIERS if item.get(k)}
                if identifiers & set(self.config.reject_customers):
                    problems.add(
                        "CUSTOMER_REJECTED", f"customers[{index}]", "customer was rejected"
                    )
        if problems:
            return Reply(
                400, {"error": _summary(problems), "errors": [p["message"] for p in problems[:50]]}
            )
        with self.lock:
            for item in items:
                self._custobar_apply(item)
            if self._take("mismatch_next"):
                return (
                    Reply(200, text="OK")
                    if self.config.mismatch_mode == "garble"
                    else Reply(200, {"response": "queued"})
                )
        return Reply(200, {"response": "ok"})

    def _custobar_apply(self, item: dict) -> None:
        """Custobar's merge: only sent keys change, "" removes one, list edits add/remove."""
        record_id = next(
            (
                self.custobar_index[(key, str(item[key]))]
                for key in v.CUSTOBAR_IDENTIFIERS
                if item.get(key) and (key, str(item[key])) in self.custobar_index
            ),
            None,
        )
        if record_id is None:
            record_id = len(self.custobar) + 1
            self.custobar[record_id] = {}
        record = self.custobar[record_id]
        for key, value in item.items():
            base, _, edit = key.partition(".")
            if edit in ("add", "remove"):
                values = [value] if isinstance(value, str) else value
                current = record.get(base) or []
                current = [current] if isinstance(current, str) else list(current)
                if edit == "add":
                    current += [x for x in values if x not in current]
                else:
                    current = [x for x in current if x not in values]
                record[base] = current
            elif value == "":
                record.pop(key, None)
            elif key in ("is_deleted", "is_forgotten"):
                # Neither can be undone: false is ignored once true.
                record[key] = record.get(key, False) or value
            elif key == "mailing_lists" and isinstance(value, str):
                record[key] = [value]
            else:
                record[key] = value
        if record.get("is_forgotten"):
            keep = {"external_id", "is_deleted", "is_forgotten"}
            for key in list(record):
                if key not in keep:
                    record.pop(key)
        for key in v.CUSTOBAR_IDENTIFIERS:
            if record.get(key):
                self.custobar_index[(key, str(record[key]))] = record_id

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
            parsed, error = _parse_body(body)
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
            parsed, error = _parse_body(body)
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


def _parse_body(body: bytes):
    if not body:
        return None, None
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError):
        return None, citrus_error(400, "The request body is not valid JSON.")


def _summary(problems: list[dict]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]['message']}{more}"


def _order_item(item: dict) -> dict:
    return {
        "regularUnitPrice": v.to_number(item["regularUnitPrice"]),
        "citrusDiscountAmount": v.to_number(item.get("citrusDiscountAmount")),
        "gtin": item["gtin"],
        "adId": item.get("adId"),
        "quantity": item["quantity"],
        "substitutedFor": item.get("substitutedFor"),
        "totalOrderItemPriceAfterDiscounts": v.to_number(item["totalOrderItemPriceAfterDiscounts"]),
    }
