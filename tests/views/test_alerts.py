"""The Alerts page and the dashboard's open alerts."""

import pytest
from django.urls import reverse
from django.utils import timezone

from syncs.alerts.incidents import incident_open
from syncs.models import AuditEvent, Incident, IncidentKind, IncidentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(settings):
    settings.ALERT_EMAILS = []
    settings.ALERT_WEBHOOK_URL = ""
    return incident_open(
        kind=IncidentKind.DESTINATION_PAUSED,
        subject="citrusad",
        title="CitrusAd is paused: it refused our credentials",
        detail="CitrusAd answered 401.",
    )


def test_roles(client, merchandiser, support, incident):
    url = reverse("alert_list")
    assert client.get(url).status_code == 302
    client.force_login(merchandiser)
    assert client.get(url).status_code == 403
    assert client.post(reverse("alert_acknowledge", args=[incident.pk])).status_code == 403
    client.force_login(support)
    assert client.get(url).status_code == 200
    assert client.post(reverse("alert_channels_test")).status_code == 403
    assert client.get(reverse("alert_acknowledge", args=[incident.pk])).status_code == 405


def test_acknowledge_records_who_and_when(client, support, incident):
    client.force_login(support)
    page = client.get(reverse("alert_list")).content.decode()
    assert "CitrusAd is paused" in page and "Acknowledge</button>" in page
    client.post(reverse("alert_acknowledge", args=[incident.pk]))
    again = client.post(reverse("alert_acknowledge", args=[incident.pk]), follow=True)
    assert "already acknowledged" in again.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == support
    assert AuditEvent.objects.filter(action="incident_acknowledged").count() == 1
    page = client.get(reverse("alert_list")).content.decode()
    assert (
        f"{support.username} at {timezone.localtime(incident.acknowledged_at):%Y-%m-%d %H:%M}"
        in page
    )


def test_channels_are_shown_without_secrets(client, admin_user, settings, incident):
    settings.ALERT_EMAILS = ["ops@example.com"]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp.example.com", 587
    settings.EMAIL_USE_TLS = True
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "alerts", "smtp-password-xyz"
    settings.ALERT_WEBHOOK_URL = "https://hooks.slack.com/services/T1/B2/secretpath123"
    settings.ALERT_WEBHOOK_FORMAT = "auto"
    client.force_login(admin_user)
    page = client.get(reverse("alert_list")).content.decode()
    assert "to ops@example.com" in page and "smtp.example.com:587 with TLS" in page
    assert "Slack format, to https://hooks.slack.com/…" in page
    assert "smtp-password-xyz" not in page and "secretpath123" not in page


def test_test_message_reaches_both_channels(client, admin_user, smtp_inbox, webhook_inbox):
    client.force_login(admin_user)
    page = client.post(reverse("alert_channels_test"), follow=True).content.decode()
    assert "E-mail: test message sent." in page and "Webhook: test message sent." in page
    assert smtp_inbox.messages[0]["subject"] == "[citrusadmin] Test message"
    assert webhook_inbox.posts[0]["json"]["text"].startswith("*[citrusadmin] Test message*")


def test_no_channel_says_so(client, admin_user, settings):
    settings.ALERT_EMAILS, settings.ALERT_WEBHOOK_URL = [], ""
    client.force_login(admin_user)
    page = client.post(reverse("alert_channels_test"), follow=True).content.decode()
    assert "No channel is configured" in page


def test_the_dashboard_shows_open_alerts_to_everyone(client, merchandiser, incident):
    client.force_login(merchandiser)
    page = client.get(reverse("home")).content.decode()
    assert "Open alerts" in page and "CitrusAd is paused" in page
    Incident.objects.update(status=IncidentStatus.RESOLVED)
    assert "Open alerts" not in client.get(reverse("home")).content.decode()


def test_htmx_refresh_renders_the_live_partial(client, support, incident):
    client.force_login(support)
    fragment = client.get(reverse("alert_list"), headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<section class="card" id="live"')
