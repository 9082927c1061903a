"""Pytest plugin: a real SMTP server (aiosmtpd) and a real HTTP webhook receiver, in-process.

def test_alert(smtp_inbox, webhook_inbox, settings):
    ...  # settings point at them; smtp_inbox.messages / webhook_inbox.posts fill up
"""

import http.server
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.file_servers import free_port


@dataclass
class SmtpInbox:
    port: int
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": str(parsed["subject"]),
                "body": parsed.get_body(("plain",)).get_content(),
            }
        )
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def _smtp_server():
    inbox = SmtpInbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_inbox(_smtp_server, settings):
    """The SMTP server, emptied, with EMAIL_* and ALERT_EMAILS pointing at it."""
    _smtp_server.messages.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ALERT_EMAILS = ["ops@example.com", "oncall@example.com"]
    settings.DEFAULT_FROM_EMAIL = "citrusadmin@example.com"
    return _smtp_server


@dataclass
class WebhookInbox:
    port: int
    posts: list = field(default_factory=list)
    answer: int = 200
    path: str = "/services/T000/B000/XXXXSECRETPATH"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


def _webhook_handler(inbox: WebhookInbox):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            inbox.posts.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(body),
                }
            )
            # Slack answers "ok" as text/plain; Teams workflows 202 with an empty body.
            self.send_response(inbox.answer)
            self.send_header("Content-Type", "text/plain")
            text = b"ok" if inbox.answer == 200 else b"invalid_payload"
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    return Handler


@pytest.fixture(scope="session")
def _webhook_server():
    inbox = WebhookInbox(port=0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _webhook_handler(inbox))
    inbox.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield inbox
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_inbox(_webhook_server, settings):
    """The receiver, emptied and answering 200, with ALERT_WEBHOOK_URL pointing at it."""
    _webhook_server.posts.clear()
    _webhook_server.answer = 200
    settings.ALERT_WEBHOOK_URL = _webhook_server.url
    settings.ALERT_WEBHOOK_FORMAT = "slack"
    return _webhook_server
