"""What the sync engine knows: per destination, per (row, destination), and per HTTP attempt.

Level-triggered: a row's `version` is the state we want remote; its SyncState says which
version the remote has confirmed. See docs/ARCHITECTURE.md, "Data flow" and "Invariants".
Destination names come from the registry (`syncs/destinations/`), not from choices here: an
admin adds webhook endpoints at run time (`webhook:<id>`).
"""

from django.db import models
from django.db.models import F, Q


class SyncKind(models.TextChoices):
    CATALOG = "catalog", "Catalogs"
    PRODUCT = "product", "Products"
    CUSTOMER = "customer", "Customers"
    ORDER = "order", "Orders"


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # wanted_version > confirmed_version, waiting for a push
    IN_FLIGHT = "in_flight", "Being pushed"  # claimed by a drain, under its SyncLease
    CONFIRMED = "confirmed", "Confirmed"  # the remote acknowledged confirmed_version
    FAILED = "failed", "Failed"  # rejected, or retries exhausted; needs a person
    UNKNOWN = "unknown", "Outcome unknown"  # non-idempotent call timed out: check before retrying


class Priority(models.IntegerChoices):
    MANUAL = 0, "Manual action"
    BULK = 1, "Bulk"


class Destination(models.Model):
    """Per-destination switch: paused when the remote rejects our credentials (401/403), or a
    webhook endpoint answers 410 Gone."""

    name = models.CharField(max_length=20, primary_key=True)
    paused = models.BooleanField(default=False)
    paused_reason = models.TextField(blank=True, default="")
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("resume_destination", "Can resume a paused destination")]

    def __str__(self) -> str:
        return self.name


class SyncLease(models.Model):
    """A drain's hold on the rows it claimed (their `lease_id`), alive while its heartbeat
    renews `expires_at`; `on_wire` is what it has sent and not yet recorded an answer for.
    Lifecycle in `syncs/services/push/leases.py`."""

    destination = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    holder = models.CharField(max_length=200, help_text="host:pid of the drain")
    started_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    on_wire = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return f"lease {self.pk} of {self.holder} on {self.destination}/{self.kind}"


class SyncState(models.Model):
    """Where one row stands with one destination.

    Invariant: the row is pending while `wanted_version > confirmed_version`. A push records the
    version it read (`sent_version`) and confirms exactly that, so an edit committed while the
    push is in flight leaves the row pending for the next push (no lost update).
    """

    destination = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=SyncKind.choices)
    object_id = models.BigIntegerField()
    wanted_version = models.PositiveBigIntegerField(default=1)
    sent_version = models.PositiveBigIntegerField(null=True, blank=True)
    confirmed_version = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.BULK)
    changed_at = models.DateTimeField(
        help_text="When wanted_version last moved: sync lag starts here."
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_failure_at = models.DateTimeField(
        null=True, blank=True, help_text="Start of the retry window."
    )
    lease_id = models.BigIntegerField(
        null=True, blank=True, help_text="The SyncLease it was last claimed under."
    )
    last_error = models.TextField(blank=True, default="")
    last_batch = models.ForeignKey(
        "SyncBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The payload the remote confirmed, for destinations that take partial updates (Custobar).
    remote_snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["destination", "kind", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "kind", "object_id"], name="sync_state_row_unique"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_version__lte=F("wanted_version")),
                name="sync_state_confirmed_lte_wanted",
            ),
        ]
        indexes = [
            # The claim query: pending rows of one destination/kind, manual first, oldest first.
            models.Index(
                fields=["destination", "kind", "priority", "changed_at"],
                condition=Q(status="pending"),
                name="sync_state_pending_idx",
            ),
            # Dashboards and sweeps: counts per status, due retries; rows of a lease.
            models.Index(fields=["destination", "kind", "status"], name="sync_state_status_idx"),
            models.Index(
                fields=["lease_id"],
                condition=Q(status="in_flight"),
                name="sync_state_lease_idx",
            ),
        ]
        permissions = [("retry_sync", "Can retry failed syncs")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} → {self.destination}: {self.status}"


class BatchOutcome(models.TextChoices):
    OK = "ok", "Delivered"
    REJECTED = "rejected", "Rejected (400)"
    TRANSIENT = "transient", "Transient error"
    UNAUTHORISED = "unauthorised", "Credentials rejected"
    GONE = "gone", "Endpoint gone (410)"
    NOT_FOUND = "not_found", "Not found"
    UNKNOWN = "unknown", "Outcome unknown"
    ERROR = "error", "Error"


class BatchTrigger(models.TextChoices):
    BULK = "bulk", "Bulk sync"
    MANUAL = "manual", "Manual action"
    RETRY = "retry", "Retry"
    SPLIT = "split", "Splitting a rejected batch"
    CHECK = "check", "Live check"


class SyncBatch(models.Model):
    """One HTTP attempt against a destination: the sync history."""

    destination = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=SyncKind.choices)
    method = models.CharField(max_length=8, default="POST")
    endpoint = models.CharField(
        max_length=300, help_text="Path only; never the query string's keys."
    )
    trigger = models.CharField(
        max_length=10, choices=BatchTrigger.choices, default=BatchTrigger.BULK
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    item_count = models.PositiveIntegerField(default=0)
    # The keys the batch carried (GTINs, customer ids, order ids), for "which batch carried X".
    keys = models.JSONField(default=list, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=BatchOutcome.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # Kept only on failure, with credentials removed.
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["destination", "kind", "-id"], name="sync_batch_dest_kind_idx"),
            models.Index(fields=["outcome", "-id"], name="sync_batch_outcome_idx"),
        ]
        verbose_name_plural = "sync batches"

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} ({self.item_count}) {self.outcome}"
