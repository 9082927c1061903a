"""Pytest plugin: a real SMTP server (aiosmtpd) and a real HTTP webhook receiver, in-process.

Both are the alert inbox (`syncs/sandbox/inbox.py`), started once per session on free ports:

    def test_alert(smtp_inbox, webhook_inbox):
        ...  # settings point at them; smtp_inbox.messages / webhook_inbox.posts fill up
"""

from urllib.parse import urlsplit

import pytest

from syncs.sandbox.inbox import AlertInbox


class _Mail:
    def __init__(self, inbox: AlertInbox):
        self.inbox = inbox

    @property
    def messages(self) -> list[dict]:
        return self.inbox.emails


class _Webhook:
    def __init__(self, inbox: AlertInbox):
        self.inbox = inbox
        self.url = inbox.webhook_url
        self.path = urlsplit(self.url).path

    @property
    def posts(self) -> list[dict]:
        return self.inbox.posts

    @property
    def answer(self) -> int:
        return self.inbox.webhook_status

    @answer.setter
    def answer(self, status: int) -> None:
        self.inbox.webhook_status = status


@pytest.fixture(scope="session")
def alert_inbox_server():
    inbox = AlertInbox().start()
    yield inbox
    inbox.stop()


@pytest.fixture
def alert_inbox(alert_inbox_server):
    alert_inbox_server.clear()
    return alert_inbox_server


@pytest.fixture
def smtp_inbox(alert_inbox, settings):
    """The SMTP server, emptied, with EMAIL_* and ALERT_EMAILS pointing at it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = alert_inbox.host, alert_inbox.smtp_port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ALERT_EMAILS = ["ops@example.com", "oncall@example.com"]
    settings.DEFAULT_FROM_EMAIL = "citrusadmin@example.com"
    return _Mail(alert_inbox)


@pytest.fixture
def webhook_inbox(alert_inbox, settings):
    """The receiver, emptied and answering 200, with ALERT_WEBHOOK_URL pointing at it."""
    settings.ALERT_WEBHOOK_URL = alert_inbox.webhook_url
    settings.ALERT_WEBHOOK_FORMAT = "slack"
    return _Webhook(alert_inbox)
