"""Alerts: an incident opens when a condition needs a person and resolves when it clears.

One message when it opens, one when it resolves, at most a reminder in between. Transitions live
in `syncs/alerts/incidents.py` only; what opens and resolves them in `syncs/alerts/evaluation.py`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class IncidentKind(models.TextChoices):
    DESTINATION_PAUSED = "destination_paused", "Destination paused"
    DESTINATION_UNREACHABLE = "destination_unreachable", "Destination unreachable"
    ROWS_FAILED = "rows_failed", "Rows failing"
    SYNC_LAG = "sync_lag", "Changes waiting too long"
    IMPORT_FAILED = "import_failed", "Import failed"
    FEED_FAILED = "feed_failed", "Feed run failed"
    FEED_FILE_MISSING = "feed_file_missing", "Feed file missing"
    STOCKOUTS_LIVE = "stockouts_live", "Stock-outs live in CitrusAd"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Incident(models.Model):
    kind = models.CharField(max_length=30, choices=IncidentKind.choices)
    # What it is about within its kind ("citrusad", "feed:3", "upload:products").
    subject = models.CharField(max_length=100)
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True, default="")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One live incident per condition: a second evaluator cannot open it twice.
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=~Q(status="resolved"),
                name="incident_one_live_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="incident_status_idx")]
        permissions = [
            ("acknowledge_incident", "Can acknowledge alerts"),
            ("test_alert_channels", "Can send a test message to the alert channels"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class NotificationEvent(models.TextChoices):
    OPENED = "opened", "Opened"
    REMINDER = "reminder", "Reminder"
    RESOLVED = "resolved", "Resolved"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # gave up after ALERT_DELIVERY_ATTEMPTS


class IncidentNotification(models.Model):
    """One message about one incident event on one channel, delivered at most once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=10, choices=NotificationEvent.choices)
    channel = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.event} via {self.channel}: {self.status}"
