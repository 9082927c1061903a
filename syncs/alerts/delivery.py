"""Send the notifications that are due: one claimed message at a time, retried with backoff."""

import logging

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from syncs.alerts import incidents
from syncs.alerts.channels import CHANNELS_BY_NAME, ChannelError, Message
from syncs.models import IncidentNotification, NotificationEvent, NotificationStatus

logger = logging.getLogger("syncs.alerts")

_PREFIX = {
    NotificationEvent.OPENED: "ALERT",
    NotificationEvent.REMINDER: "STILL OPEN",
    NotificationEvent.RESOLVED: "RESOLVED",
}


def notification_message(notification: IncidentNotification) -> Message:
    """The words of one message: what, since when, and where to look."""
    incident = notification.incident
    local = timezone.localtime
    if notification.event == NotificationEvent.RESOLVED:
        lines = [
            f"Resolved at {local(incident.resolved_at):%Y-%m-%d %H:%M %Z}, after "
            f"{timesince(incident.opened_at, incident.resolved_at).replace(chr(160), ' ')}.",
            f"It was: {incident.detail}" if incident.detail else "",
        ]
    else:
        lines = [
            incident.detail,
            f"Open since {local(incident.opened_at):%Y-%m-%d %H:%M %Z}.",
        ]
        if notification.event == NotificationEvent.REMINDER:
            lines.append("Nobody has acknowledged it yet.")
    if settings.CONSOLE_URL:
        lines.append(f"Alerts: {settings.CONSOLE_URL}{reverse('alert_list')}")
    return Message(
        subject=f"[citrusadmin] {_PREFIX[notification.event]}: {incident.title}",
        text="\n".join(line for line in lines if line),
    )


def notifications_deliver() -> dict[str, int]:
    """Send every due notification once; returns counts of sent and failed attempts."""
    counts = {"sent": 0, "failed": 0}
    now = timezone.now()
    due = IncidentNotification.objects.filter(
        (
            Q(status=NotificationStatus.PENDING)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        )
        | Q(status=NotificationStatus.SENDING, lease_expires_at__lt=now)
    ).select_related("incident")
    for notification in due.order_by("id"):
        if not incidents.notification_claim(notification_id=notification.pk):
            continue  # another evaluator took it
        channel = CHANNELS_BY_NAME.get(notification.channel)
        try:
            if channel is None or not channel.configured():
                raise ChannelError(f"The {notification.channel} channel is no longer configured.")
            channel.send(notification_message(notification))
        except ChannelError as exc:
            incidents.notification_failed(notification=notification, error=str(exc))
            logger.warning("Alert %s via %s: %s", notification.pk, notification.channel, exc)
            counts["failed"] += 1
        else:
            incidents.notification_sent(notification_id=notification.pk)
            counts["sent"] += 1
    return counts


def channels_test(*, actor) -> list[tuple[str, str]]:
    """Send a test message on every configured channel now; [(channel, "sent" | error)]."""
    from syncs.alerts.channels import channels_configured
    from syncs.services.audit import audit_event_record

    message = Message(
        subject="[citrusadmin] Test message",
        text=f"{actor.get_username()} sent this from the Alerts page to check the channel.",
    )
    results = []
    for channel in channels_configured():
        try:
            channel.send(message)
        except ChannelError as exc:
            results.append((channel.label, str(exc)))
        else:
            results.append((channel.label, "sent"))
    audit_event_record(
        actor=actor,
        action="alert_channels_tested",
        object_kind="alerts",
        object_id="channels",
        after={label: outcome for label, outcome in results},
    )
    return results
