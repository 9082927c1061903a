"""Incidents end to end: real SMTP and webhook receivers, the sandbox refusing credentials."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from syncs.alerts.evaluation import AlertEvaluation
from syncs.alerts.incidents import incident_acknowledge
from syncs.models import (
    Destination,
    Incident,
    IncidentKind,
    IncidentNotification,
    IncidentStatus,
    NotificationStatus,
)
from syncs.services.products import product_set_stock
from syncs.services.push import destination_resume, sync_drain
from syncs.services.push.pausing import destination_resume_checked
from tests.factories import CatalogFactory, ProductFactory
from tests.worker_fixtures import wait_for

pytestmark = pytest.mark.django_db


def _pause(name="citrusad", reason="CitrusAd answered 401."):
    Destination.objects.filter(name=name).update(
        paused=True, paused_reason=reason, paused_at=timezone.now()
    )


def test_one_message_on_open_none_while_open_one_on_resolve(smtp_inbox, webhook_inbox):
    _pause()
    result = AlertEvaluation().run()
    (incident,) = result.opened
    assert incident.kind == IncidentKind.DESTINATION_PAUSED and incident.subject == "citrusad"
    assert result.delivered == {"sent": 2, "failed": 0}
    (mail,) = smtp_inbox.messages
    assert mail["to"] == ["ops@example.com", "oncall@example.com"]
    assert mail["subject"] == "[citrusadmin] ALERT: CitrusAd is paused: it refused our credentials"
    assert "CitrusAd answered 401." in mail["body"] and "Resume" in mail["body"]
    (post,) = webhook_inbox.posts
    assert post["path"] == webhook_inbox.path and post["content_type"] == "application/json"
    assert post["json"]["text"].startswith("*[citrusadmin] ALERT: CitrusAd is paused")

    for _ in range(3):  # still paused: no repeats
        assert not AlertEvaluation().run().opened
    assert len(smtp_inbox.messages) == 1 and len(webhook_inbox.posts) == 1

    destination_resume(destination="citrusad", actor=None)
    (resolved,) = AlertEvaluation().run().resolved
    assert resolved.pk == incident.pk
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED
    assert smtp_inbox.messages[1]["subject"].startswith("[citrusadmin] RESOLVED: CitrusAd")
    assert "Resolved at" in smtp_inbox.messages[1]["body"]
    assert webhook_inbox.posts[1]["json"]["text"].startswith("*[citrusadmin] RESOLVED")
    AlertEvaluation().run()
    assert len(smtp_inbox.messages) == 2 and len(webhook_inbox.posts) == 2


def test_sandbox_refusing_credentials_alerts_and_fixing_it_resolves(
    sandbox, smtp_inbox, webhook_inbox
):
    """The demo's story: CitrusAd refuses our key, a push pauses it, a person hears; fixed."""
    product = ProductFactory(catalog=CatalogFactory(citrusad_id="cat-1"), gtin="SKU-1")
    sandbox.configure(api_keys={"some-other-key": "sandbox-team"})
    product_set_stock(product=product, state="out", actor=None)
    sync_drain(destination="citrusad", kind="product", time_budget=5)
    assert Destination.objects.get(name="citrusad").paused

    AlertEvaluation().run()
    assert smtp_inbox.messages[0]["subject"].startswith("[citrusadmin] ALERT: CitrusAd is paused")
    assert webhook_inbox.posts[0]["json"]["text"].startswith("*[citrusadmin] ALERT: CitrusAd")

    sandbox.reset()  # the key is accepted again
    resumed, said = destination_resume_checked(destination="citrusad", actor=None)  # "Resume"
    assert resumed, said
    sync_drain(destination="citrusad", kind="product", time_budget=5)
    AlertEvaluation().run()
    assert [m["subject"].split(":")[0] for m in smtp_inbox.messages] == [
        "[citrusadmin] ALERT",
        "[citrusadmin] RESOLVED",
    ]
    assert len(webhook_inbox.posts) == 2
    assert sandbox.product("cat-1", "SKU-1")["inventory"] == 0


def test_teams_gets_an_adaptive_card(smtp_inbox, webhook_inbox, settings):
    settings.ALERT_WEBHOOK_FORMAT = "teams"
    _pause("custobar", "Custobar answered 403.")
    AlertEvaluation().run()
    card = webhook_inbox.posts[0]["json"]
    assert card["type"] == "message"
    (attachment,) = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    body = attachment["content"]["body"]
    assert body[0]["text"] == "[citrusadmin] ALERT: Custobar is paused: it refused our credentials"
    assert "Custobar answered 403." in body[1]["text"]


def test_a_failing_webhook_is_retried_later_and_never_shows_its_secret_path(
    smtp_inbox, webhook_inbox
):
    webhook_inbox.answer = 500
    _pause()
    AlertEvaluation().run()
    failed = IncidentNotification.objects.get(channel="webhook")
    assert failed.status == NotificationStatus.PENDING and failed.attempts == 1
    assert failed.next_attempt_at > timezone.now()
    assert "answered 500" in failed.error and webhook_inbox.path not in failed.error
    assert IncidentNotification.objects.get(channel="email").status == NotificationStatus.SENT

    webhook_inbox.answer = 200
    AlertEvaluation().run()  # not due yet: nothing sent
    assert len(webhook_inbox.posts) == 1
    IncidentNotification.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    AlertEvaluation().run()
    assert len(webhook_inbox.posts) == 2
    assert IncidentNotification.objects.get(pk=failed.pk).status == NotificationStatus.SENT
    assert len(smtp_inbox.messages) == 1


def test_an_unreachable_smtp_server_fails_after_the_attempts(settings, webhook_inbox):
    settings.ALERT_EMAILS = ["ops@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    settings.ALERT_DELIVERY_ATTEMPTS = 2
    _pause()
    AlertEvaluation().run()
    mail = IncidentNotification.objects.get(channel="email")
    assert mail.status == NotificationStatus.PENDING and "127.0.0.1:9 failed" in mail.error
    IncidentNotification.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
    AlertEvaluation().run()
    assert IncidentNotification.objects.get(pk=mail.pk).status == NotificationStatus.FAILED


def test_one_reminder_unless_acknowledged(smtp_inbox, webhook_inbox, settings, admin_user):
    settings.ALERT_REMIND_AFTER_MINUTES = 30
    _pause()
    _pause("custobar")
    AlertEvaluation().run()
    citrusad, custobar = Incident.objects.order_by("subject")
    assert incident_acknowledge(incident=custobar, actor=admin_user)
    Incident.objects.update(opened_at=timezone.now() - timedelta(minutes=31))
    for _ in range(2):
        AlertEvaluation().run()
    reminders = [m for m in smtp_inbox.messages if "STILL OPEN" in m["subject"]]
    assert len(reminders) == 1 and "CitrusAd" in reminders[0]["subject"]
    custobar.refresh_from_db()
    assert custobar.acknowledged_by == admin_user and custobar.acknowledged_at
    assert custobar.status == IncidentStatus.ACKNOWLEDGED


def test_without_channels_incidents_are_still_listed(settings):
    settings.ALERT_EMAILS = []
    settings.ALERT_WEBHOOK_URL = ""
    _pause()
    (incident,) = AlertEvaluation().run().opened
    assert not incident.notifications.exists()


@pytest.mark.django_db(transaction=True)
def test_two_evaluators_at_once_open_one_incident_and_send_once(smtp_inbox, webhook_inbox):
    _pause()
    barrier = threading.Barrier(2)

    def evaluate():
        barrier.wait()
        try:
            AlertEvaluation().run()
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Incident.objects.count() == 1
    wait_for(lambda: len(smtp_inbox.messages) >= 1, timeout=10)
    assert len(smtp_inbox.messages) == 1 and len(webhook_inbox.posts) == 1
