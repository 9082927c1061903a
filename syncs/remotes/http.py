"""The HTTP plumbing both clients share: one pooled Session, timeouts, errors made typed.

The clients never retry: whether a retry is safe (catalog creation is not idempotent) and when
is the sync engine's decision, so every failure is raised as the class the engine acts on.
"""

import base64
import json
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from syncs.remotes.errors import (
    BODY_LIMIT,
    NotFoundError,
    RejectedError,
    RemoteError,
    RemoteTimeout,
    TransientError,
    UnauthorisedError,
)

logger = logging.getLogger("syncs.remotes")

MAX_ITEMS = 100  # both platforms: at most 100 items per request
POOL_SIZE = 16
REDACTED = "[redacted]"
PARSE_LIMIT = 256 * 1024  # of an error body, read to find its message


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header in either form (delta-seconds or HTTP-date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def json_body(payload) -> bytes:
    """Compact UTF-8 JSON, as every request body goes out."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def check_item_count(items: list) -> None:
    if len(items) > MAX_ITEMS:
        raise ValueError(f"At most {MAX_ITEMS} items go in one request, not {len(items)}.")


class RemoteHTTP:
    """One destination's pooled session. `secrets` are scrubbed from every text that leaves here."""

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        headers: dict[str, str],
        secrets: list[str],
        connect_timeout: float,
        read_timeout: float,
    ):
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.session = requests.Session()
        # Retries are the engine's job; the adapter only pools keep-alive connections.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.trust_env = False  # no ~/.netrc credentials or proxies from the environment
        self.session.headers.update(
            {"accept": "application/json", "content-type": "application/json", **headers}
        )

    def close(self) -> None:
        self.session.close()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        payload: dict | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[requests.Response, object, int]:
        """Send one request; return (response, parsed JSON or None, duration_ms) for a 2xx.

        `payload` is sent as JSON; `body` is sent as it is (a signed body must not be encoded
        again). Raises the typed RemoteError for everything else. `path` is logged; the query
        is not.
        """
        data = body if payload is None else json_body(payload)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            raise self._transient(
                "could not connect in time", started, method, path, request_sent=False
            ) from None
        except requests.exceptions.ReadTimeout:
            duration = _ms(started)
            logger.info("%s %s %s: no answer within %ss", self.label, method, path, self.timeout[1])
            raise RemoteTimeout(
                f"{self.label} did not answer {method} {path} within {self.timeout[1]:g}s; "
                "it may have acted on the request.",
                duration_ms=duration,
                request_sent=True,
            ) from None
        except requests.exceptions.ConnectionError as exc:
            refused = _connection_never_opened(exc)
            reason = "could not connect" if refused else "the connection broke"
            raise self._transient(reason, started, method, path, request_sent=not refused) from None
        except requests.exceptions.RequestException as exc:
            raise self._transient(
                f"the request failed ({type(exc).__name__})", started, method, path
            ) from None
        duration = _ms(started)
        status = response.status_code
        logger.debug("%s %s %s -> %s in %sms", self.label, method, path, status, duration)
        if 200 <= status < 300:
            return response, self._json_or_none(response), duration
        raise self._error_for(response, method, path, duration)

    def _transient(
        self, reason: str, started: float, method: str, path: str, *, request_sent: bool = True
    ) -> TransientError:
        duration = _ms(started)
        logger.info("%s %s %s: %s", self.label, method, path, reason)
        return TransientError(
            f"{self.label} {method} {path}: {reason} ({self.base_url}).",
            duration_ms=duration,
            request_sent=request_sent,
        )

    def _json_or_none(self, response: requests.Response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return _NOT_JSON

    def body_text(self, response: requests.Response, *, limit: int = BODY_LIMIT) -> str:
        """The body as text with secrets removed (before cutting, so no secret is half-kept)."""
        text = response.content[:PARSE_LIMIT].decode("utf-8", errors="replace")
        return self.scrub(text)[:limit]

    def _error_for(
        self, response: requests.Response, method: str, path: str, duration: int
    ) -> RemoteError:
        status = response.status_code
        full_body = self.body_text(response, limit=PARSE_LIMIT)
        body = full_body[:BODY_LIMIT]
        remote_message, additional_info = _parse_error_body(full_body)
        where = f"{self.label} answered {status} to {method} {path}"
        detail = f": {remote_message}" if remote_message else "."
        common = {"status_code": status, "body": body, "duration_ms": duration}
        logger.info("%s %s %s -> %s in %sms", self.label, method, path, status, duration)
        if status == 429 or status >= 500 or status == 408:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = f" (retry after {retry_after:.0f}s)" if retry_after is not None else ""
            return TransientError(
                f"{where}{wait}{detail}", retry_after=retry_after, request_sent=True, **common
            )
        if status in (401, 403):
            return UnauthorisedError(
                f"{where}: the credentials were refused; check the {self.label} settings.",
                **common,
            )
        if status == 404:
            return NotFoundError(f"{where}{detail}", **common)
        if 400 <= status < 500:
            return RejectedError(
                f"{where}{detail}",
                remote_message=remote_message,
                additional_info=additional_info,
                **common,
            )
        return RemoteError(f"{where} (an unexpected status){detail}", **common)


_NOT_JSON = object()


def is_json(value) -> bool:
    return value is not _NOT_JSON


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _connection_never_opened(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the socket never connected (refused, DNS), so nothing reached the remote."""
    seen = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError | NameResolutionError):
            return True
        reason = getattr(current, "reason", None)
        if reason is None and current.args and isinstance(current.args[0], BaseException):
            reason = current.args[0]
        current = reason or current.__cause__ or current.__context__
    return False


def _parse_error_body(body: str) -> tuple[str, list[dict]]:
    """(message, additionalInfo) from a JSON error body, or the plain text itself."""
    text = body.strip()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        message = next(
            (
                str(parsed[key])
                for key in ("message", "error", "detail", "errors")
                if parsed.get(key) not in (None, "")
            ),
            "",
        )
        raw_info = parsed.get("additionalInfo")
        info = (
            [
                {"code": str(item.get("code", "")), "message": str(item.get("message", ""))}
                for item in raw_info
                if isinstance(item, dict)
            ]
            if isinstance(raw_info, list)
            else []
        )
        if not message and info:
            message = info[0]["message"]
        return message[:500], info
    return " ".join(text.split())[:500], []


def basic_credentials(username: str, password: str) -> str:
    token = f"{username}:{password}".encode()
    return base64.b64encode(token).decode("ascii")
