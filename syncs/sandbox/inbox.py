"""An alert inbox on this machine: an SMTP server and a chat-webhook receiver that keep every
message they get and show them on a page, so alerts can be tried without a mail server or a
Slack workspace. `manage.py alert_inbox` runs it; `make demo` starts it and points the console's
ALERT_EMAILS / EMAIL_* / ALERT_WEBHOOK_URL at it; the tests use it as their receivers.
"""

import html
import http.server
import json
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class AlertInbox:
    def __init__(self, *, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0):
        self.host = host
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.emails: list[dict] = []
        self.posts: list[dict] = []
        # What the webhook answers: 200 like Slack, or an error to try the retries.
        self.webhook_status = 200
        self._lock = threading.Lock()
        self._smtp: Controller | None = None
        self._http: http.server.ThreadingHTTPServer | None = None

    # --- lifecycle ---

    def start(self) -> "AlertInbox":
        if not self.smtp_port:
            # aiosmtpd connects to its own port to know it is up: it needs the number first.
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.smtp_port = probe.getsockname()[1]
        self._smtp = Controller(_SmtpHandler(self), hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        self.smtp_port = self._smtp.port
        self._http = http.server.ThreadingHTTPServer((self.host, self.http_port), _handler(self))
        self.http_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def clear(self) -> None:
        with self._lock:
            self.emails.clear()
            self.posts.clear()
        self.webhook_status = 200

    @property
    def webhook_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/hooks/alerts"

    def env(self) -> dict[str, str]:
        """The console's settings that send its alerts here."""
        return {
            "ALERT_EMAILS": "ops@example.com",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.smtp_port),
            "ALERT_WEBHOOK_URL": self.webhook_url,
            "ALERT_WEBHOOK_FORMAT": "slack",
        }

    # --- what came in ---

    def received_email(self, envelope) -> None:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        body = parsed.get_body(("plain",))
        with self._lock:
            self.emails.append(
                {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(parsed["subject"]),
                    "body": body.get_content() if body is not None else "",
                }
            )

    def received_post(self, path: str, content_type: str, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = body.decode(errors="replace")
        with self._lock:
            self.posts.append(
                {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "path": path,
                    "content_type": content_type,
                    "json": payload,
                }
            )

    def page(self) -> str:
        with self._lock:
            emails, posts = list(reversed(self.emails)), list(reversed(self.posts))
        rows = "".join(
            f"<li><b>{html.escape(m['subject'])}</b> <small>{m['at']} to "
            f"{html.escape(', '.join(m['to']))}</small><pre>{html.escape(m['body'])}</pre></li>"
            for m in emails
        )
        hooks = "".join(
            f"<li><small>{p['at']} {html.escape(p['path'])}</small>"
            f"<pre>{html.escape(json.dumps(p['json'], indent=2))}</pre></li>"
            for p in posts
        )
        return (
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5>"
            "<title>Alert inbox</title><h1>Alert inbox</h1>"
            f"<h2>E-mail ({len(emails)})</h2><ul>{rows or '<li>none yet</li>'}</ul>"
            f"<h2>Webhook ({len(posts)})</h2><ul>{hooks or '<li>none yet</li>'}</ul>"
        )


class _SmtpHandler:
    def __init__(self, inbox: AlertInbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.inbox.received_email(envelope)
        return "250 Message accepted for delivery"


def _handler(inbox: AlertInbox):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, content_type: str, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            inbox.received_post(
                self.path, self.headers.get("Content-Type", ""), self.rfile.read(length)
            )
            # Slack answers "ok" as text/plain, and "invalid_payload" and the like on errors.
            status = inbox.webhook_status
            self._send(status, "text/plain", "ok" if status == 200 else "invalid_payload")

        def do_GET(self):  # noqa: N802
            if self.path.startswith("/messages"):
                with inbox._lock:
                    payload = {"emails": inbox.emails, "webhook": inbox.posts}
                self._send(200, "application/json", json.dumps(payload))
            else:
                self._send(200, "text/html; charset=utf-8", inbox.page())

    return Handler
