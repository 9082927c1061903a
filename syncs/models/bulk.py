from django.conf import settings
from django.db import models


class BulkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BulkOutcome(models.TextChoices):
    CHANGED = "changed", "Changed"
    UNCHANGED = "unchanged", "Already so"
    SKIPPED = "skipped", "Skipped"


class BulkStockAction(models.Model):
    """One "stock out / restore these products" a person confirmed, and how far it has got.

    Small ones run inside the request; large ones (BULK_BACKGROUND_ROWS) in a worker, in
    chunks, each chunk its own transaction, so no request locks thousands of rows at once.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, default="")
    state = models.CharField(max_length=3, choices=[("out", "Stock out"), ("in", "Restore")])
    # Exactly one of the two: the ids ticked on a page, or the search "all matching" meant.
    product_ids = models.JSONField(null=True, blank=True)
    search = models.JSONField(null=True, blank=True)
    requested = models.PositiveIntegerField(help_text="Products chosen when it was confirmed.")
    to_change = models.PositiveIntegerField(help_text="Of those, the ones that would change.")
    typed_confirmation = models.PositiveIntegerField(
        null=True, blank=True, help_text="The number the person typed, when a share was crossed."
    )
    status = models.CharField(max_length=10, choices=BulkStatus.choices, default=BulkStatus.QUEUED)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # The one audit entry that stands for the whole action; each product's entry hangs off it.
    audit_event = models.OneToOneField(
        "AuditEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="bulk_action"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_state_display()} of {self.requested} products"

    @property
    def is_finished(self) -> bool:
        return self.status in (BulkStatus.DONE, BulkStatus.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.requested else min(100, round(100 * self.processed / self.requested))


class BulkStockItem(models.Model):
    """What a bulk action did to one product: the page lists these with their sync chips."""

    action = models.ForeignKey(BulkStockAction, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("Product", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=BulkOutcome.choices)

    class Meta:
        ordering = ["action", "id"]
        constraints = [
            models.UniqueConstraint(fields=["action", "product"], name="bulk_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.outcome}"
