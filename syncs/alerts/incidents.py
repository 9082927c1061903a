"""Every transition of an incident and of its notifications, in one place.

    Incident:       (none) ──open──▶ open ──acknowledge──▶ acknowledged
                                      │                        │
                                      └───────resolve──────────┴──▶ resolved
    Notification:   pending ──claim──▶ sending ──▶ sent
                       ▲                  │
                       └──(retry later)───┴──▶ failed (after ALERT_DELIVERY_ATTEMPTS)

One message per channel when an incident opens, one when it resolves, and at most one reminder
in between (ALERT_REMIND_AFTER_MINUTES after it opened, if nobody acknowledged it). The database
keeps a single live incident per (kind, subject), so two evaluators cannot open it twice, and a
notification is sent only by whoever claimed it.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from syncs.alerts.channels import channels_configured
from syncs.models import (
    Incident,
    IncidentNotification,
    IncidentStatus,
    NotificationEvent,
    NotificationStatus,
)
from syncs.services.audit import audit_event_record

_SENDING_LEASE = timedelta(minutes=5)
_LIVE = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


def _notify(incident: Incident, event: str) -> None:
    IncidentNotification.objects.bulk_create(
        IncidentNotification(incident=incident, event=event, channel=channel.name)
        for channel in channels_configured()
    )


def incident_open(*, kind: str, subject: str, title: str, detail: str) -> Incident | None:
    """open: a new incident and its "opened" messages; None when one is live already."""
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                kind=kind,
                subject=subject,
                title=title[:300],
                detail=detail,
                opened_at=timezone.now(),
            )
            _notify(incident, NotificationEvent.OPENED)
    except IntegrityError:
        return None
    return incident


def incident_refresh(*, incident: Incident, title: str, detail: str) -> None:
    """Keep a live incident's words current (the figures move); no message is sent."""
    if (incident.title, incident.detail) != (title[:300], detail):
        Incident.objects.filter(pk=incident.pk, status__in=_LIVE).update(
            title=title[:300], detail=detail
        )


def incident_resolve(*, incident: Incident) -> bool:
    """open/acknowledged → resolved, with its "resolved" messages."""
    with transaction.atomic():
        done = Incident.objects.filter(pk=incident.pk, status__in=_LIVE).update(
            status=IncidentStatus.RESOLVED, resolved_at=timezone.now()
        )
        if done:
            _notify(incident, NotificationEvent.RESOLVED)
    return bool(done)


def incident_acknowledge(*, incident: Incident, actor: AbstractBaseUser) -> bool:
    """open → acknowledged: someone is on it (no reminder will be sent)."""
    with transaction.atomic():
        done = Incident.objects.filter(pk=incident.pk, status=IncidentStatus.OPEN).update(
            status=IncidentStatus.ACKNOWLEDGED,
            acknowledged_at=timezone.now(),
            acknowledged_by=actor,
        )
        if done:
            audit_event_record(
                actor=actor,
                action="incident_acknowledged",
                object_kind="incident",
                object_id=incident.pk,
                object_repr=incident.title,
            )
    return bool(done)


def incidents_remind() -> int:
    """The one reminder of each incident open (unacknowledged) for ALERT_REMIND_AFTER_MINUTES."""
    minutes = settings.ALERT_REMIND_AFTER_MINUTES
    if not minutes:
        return 0
    now = timezone.now()
    reminded = 0
    overdue = Incident.objects.filter(
        status=IncidentStatus.OPEN,
        reminded_at__isnull=True,
        opened_at__lte=now - timedelta(minutes=minutes),
    )
    for incident in overdue:
        with transaction.atomic():
            if Incident.objects.filter(
                pk=incident.pk, status=IncidentStatus.OPEN, reminded_at__isnull=True
            ).update(reminded_at=now):
                _notify(incident, NotificationEvent.REMINDER)
                reminded += 1
    return reminded


def notification_claim(*, notification_id: int) -> bool:
    """pending (due) or a stale sending → sending, for this caller only."""
    now = timezone.now()
    due = Q(status=NotificationStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stale = Q(status=NotificationStatus.SENDING, lease_expires_at__lt=now)
    return bool(
        IncidentNotification.objects.filter(Q(pk=notification_id) & (due | stale)).update(
            status=NotificationStatus.SENDING,
            lease_expires_at=now + _SENDING_LEASE,
            attempts=F("attempts") + 1,
        )
    )


def notification_sent(*, notification_id: int) -> None:
    IncidentNotification.objects.filter(
        pk=notification_id, status=NotificationStatus.SENDING
    ).update(status=NotificationStatus.SENT, sent_at=timezone.now(), error="")


def notification_failed(*, notification: IncidentNotification, error: str) -> None:
    """sending → pending again later (backoff), or failed after ALERT_DELIVERY_ATTEMPTS."""
    attempts = IncidentNotification.objects.get(pk=notification.pk).attempts
    if attempts >= settings.ALERT_DELIVERY_ATTEMPTS:
        fields = {"status": NotificationStatus.FAILED}
    else:
        delay = timedelta(minutes=min(60, 2 ** (attempts - 1)))
        fields = {"status": NotificationStatus.PENDING, "next_attempt_at": timezone.now() + delay}
    IncidentNotification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING
    ).update(error=error[:1000], lease_expires_at=None, **fields)
