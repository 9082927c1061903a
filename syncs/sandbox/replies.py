"""What the sandbox records of each request, and how it answers."""

import json
import time
from dataclasses import asdict, dataclass, field

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


def parse_body(body: bytes):
    if not body:
        return None, None
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError):
        return None, citrus_error(400, "The request body is not valid JSON.")


def summary(problems: list[dict]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]['message']}{more}"
