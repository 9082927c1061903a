"""Where alerts go, configured in the environment: e-mail and a chat webhook.

- **E-mail** through Django's SMTP backend (EMAIL_HOST, EMAIL_PORT, …) to ALERT_EMAILS.
- **Webhook** ALERT_WEBHOOK_URL: a Slack incoming webhook gets `{"text": …}`; a Microsoft Teams
  one (a Workflows "when a webhook request is received" URL, or a legacy connector) gets a
  message with an Adaptive Card. The format follows the URL's host unless ALERT_WEBHOOK_FORMAT
  says otherwise. The URL's path is its secret: it is never shown or logged.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection


class ChannelError(Exception):
    """Delivery failed; the message is safe to show (no URL path, no password)."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


class EmailChannel:
    name = "email"
    label = "E-mail"

    def configured(self) -> bool:
        return bool(settings.ALERT_EMAILS)

    def describe(self) -> str:
        security = (
            " with TLS" if settings.EMAIL_USE_TLS else " over SSL" if settings.EMAIL_USE_SSL else ""
        )
        login = f", logging in as {settings.EMAIL_HOST_USER}" if settings.EMAIL_HOST_USER else ""
        return (
            f"to {', '.join(settings.ALERT_EMAILS)} from {settings.DEFAULT_FROM_EMAIL}, via "
            f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}{security}{login}"
        )

    def send(self, message: Message) -> None:
        try:
            connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
            EmailMessage(
                subject=message.subject,
                body=message.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=settings.ALERT_EMAILS,
                connection=connection,
            ).send()
        except Exception as exc:  # smtplib, socket and ssl errors alike
            reason = str(exc)
            if settings.EMAIL_HOST_PASSWORD:
                reason = reason.replace(settings.EMAIL_HOST_PASSWORD, "***")
            raise ChannelError(
                f"E-mail via {settings.EMAIL_HOST}:{settings.EMAIL_PORT} failed: "
                f"{type(exc).__name__}: {reason}"
            ) from None


def webhook_format() -> str:
    chosen = settings.ALERT_WEBHOOK_FORMAT
    if chosen != "auto":
        return chosen
    host = (urlsplit(settings.ALERT_WEBHOOK_URL).hostname or "").lower()
    teams_hosts = (".webhook.office.com", ".logic.azure.com", ".powerplatform.com")
    return "teams" if host.endswith(teams_hosts) else "slack"


def webhook_payload(message: Message, *, style: str) -> dict:
    if style == "teams":
        return {
            "type": "message",
            "summary": message.subject,
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {
                                "type": "TextBlock",
                                "text": message.subject,
                                "weight": "Bolder",
                                "size": "Medium",
                                "wrap": True,
                            },
                            {"type": "TextBlock", "text": message.text, "wrap": True},
                        ],
                    },
                }
            ],
        }
    return {"text": f"*{message.subject}*\n{message.text}"}


class WebhookChannel:
    name = "webhook"
    label = "Webhook"

    def configured(self) -> bool:
        return bool(settings.ALERT_WEBHOOK_URL)

    def describe(self) -> str:
        parts = urlsplit(settings.ALERT_WEBHOOK_URL)
        style = {"teams": "Microsoft Teams", "slack": "Slack"}[webhook_format()]
        return (
            f"{style} format, to {parts.scheme}://{parts.netloc}/… (the rest of the URL is secret)"
        )

    def send(self, message: Message) -> None:
        host = urlsplit(settings.ALERT_WEBHOOK_URL).netloc
        try:
            response = requests.post(
                settings.ALERT_WEBHOOK_URL,
                json=webhook_payload(message, style=webhook_format()),
                timeout=(settings.REMOTE_CONNECT_TIMEOUT, settings.REMOTE_READ_TIMEOUT),
            )
        except requests.RequestException as exc:
            raise ChannelError(f"Webhook to {host} failed: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise ChannelError(
                f"Webhook to {host} answered {response.status_code}: {response.text[:200]}"
            )


CHANNELS = (EmailChannel(), WebhookChannel())
CHANNELS_BY_NAME = {channel.name: channel for channel in CHANNELS}


def channels_configured() -> list:
    return [channel for channel in CHANNELS if channel.configured()]
