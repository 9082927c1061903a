"""A threaded HTTP/1.1 (keep-alive) server around SandboxApp, run in a background thread."""

import ipaddress
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from syncs.sandbox.app import SandboxApp
from syncs.sandbox.config import SandboxConfig
from syncs.sandbox.replies import RecordedRequest

logger = logging.getLogger("syncs.sandbox")

MAX_BODY_BYTES = 20 * 1024 * 1024


def bind_is_loopback(host: str) -> bool:
    """Whether `host` (an address or a name) reaches this machine's loopback only: "" and
    0.0.0.0 / :: are every interface; a name counts as loopback when all it resolves to is."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not host:
        return False
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(
        ipaddress.ip_address(address.split("%")[0]).is_loopback for address in found
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "citrusadmin-sandbox"
    sys_version = ""
    # Headers and body go out in separate writes; without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._reply(411, {"Content-Type": "text/plain"}, b"Send a Content-Length.")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._reply(413, {"Content-Type": "text/plain"}, b"Request body too large.")
            return
        body = self.rfile.read(length) if length else b""
        try:
            status, headers, payload = self.server.app.handle(method, self.path, self.headers, body)
        except Exception:
            logger.exception("sandbox error on %s %s", method, self.path.split("?")[0])
            status, headers, payload = 500, {"Content-Type": "text/plain"}, b"Sandbox error"
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict, payload: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a read timeout on its side): nothing left to answer.
            self.close_connection = True

    def log_request(self, code="-", size="-"):
        # Path only: the query may carry a teamId, and headers are never logged.
        logger.debug("%s %s -> %s", self.command, self.path.split("?")[0], code)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app: SandboxApp):
        self.app = app
        super().__init__(address, _Handler)


class SandboxServer:
    """The sandbox on `host:port` (port 0 picks a free one); `.url` once started."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, config: SandboxConfig | None = None
    ):
        self.app = SandboxApp(config or SandboxConfig())
        self._httpd = _Server((host, port), self.app)
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
            name=f"sandbox-{self.port}",
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the management command)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- the Python side of the control endpoints ---

    @property
    def config(self) -> SandboxConfig:
        return self.app.config

    def configure(self, **changes) -> SandboxConfig:
        """Change settings at runtime, e.g. configure(fail_rate=0.5, reject_gtins=["123"])."""
        return self.app.configure(**changes)

    def reset(self) -> None:
        """Forget state, recordings and configuration changes."""
        self.app.reset()

    def received(
        self, path_prefix: str = "", *, method: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded API requests (oldest first), optionally under a path prefix / of one method."""
        return self.app.received(path_prefix=path_prefix, method=method)

    def state(self) -> dict:
        """Everything it holds: catalogs, catalogProducts, customers, orders, custobarCustomers."""
        return self.app.snapshot()

    def product(
        self, catalog_id: str, gtin: str, seller_id: str = "", *, team_id: str | None = None
    ):
        """The product as stored (ignoring ingestion delay), or None."""
        team = team_id or next(iter(self.app.config.api_keys.values()))
        with self.app.lock:
            product = self.app.products.get((team, catalog_id, gtin, seller_id))
        return dict(product) if product is not None else None

    def custobar_customer(self, identifier: str) -> dict | None:
        """The Custobar record known by this external_id, phone_number or email, or None."""
        with self.app.lock:
            for key in ("external_id", "phone_number", "email"):
                record_id = self.app.custobar_index.get((key, identifier))
                if record_id is not None:
                    return dict(self.app.custobar[record_id])
        return None

    def webhook_secret_add(self, secret: str) -> None:
        """Let the webhook receiver verify messages signed with this `whsec_` secret."""
        self.app.webhooks.secret_add(secret)

    def webhooks_received(self) -> list[dict]:
        """What the webhook receiver got, oldest first, each with `verified` and the raw body
        and headers."""
        return self.app.webhooks.listing()["deliveries"]

    def env(self) -> dict[str, str]:
        """Environment variables pointing a subprocess (a worker, a benchmark) at this sandbox."""
        config = self.app.config
        api_key, team_id = next(iter(config.api_keys.items()))
        env = {
            "CITRUSAD_BASE_URL": self.url,
            "CITRUSAD_API_KEY": api_key,
            "CITRUSAD_TEAM_ID": team_id,
            "CUSTOBAR_BASE_URL": self.url,
            "CUSTOBAR_API_TOKEN": config.custobar_token,
            "CUSTOBAR_USERNAME": "",
            "CUSTOBAR_PASSWORD": "",
            "SANDBOX_IN_USE": "1",
        }
        return env
