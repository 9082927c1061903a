"""The stock-out check: proof, product by product, that what we stocked out is dark in CitrusAd."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from syncs.models.product import Product


class StockoutCheckStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class StockoutCheck(models.Model):
    """One pass over every stocked-out product: asked CitrusAd, compared, re-sent the live ones."""

    trigger = models.CharField(max_length=10, default="schedule")  # schedule | manual | command
    status = models.CharField(
        max_length=10, choices=StockoutCheckStatus.choices, default=StockoutCheckStatus.RUNNING
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The id of the last product asked: a check that ran out of time (or whose worker died)
    # goes on from here.
    cursor = models.PositiveBigIntegerField(default=0)
    products = models.PositiveIntegerField(default=0, help_text="Stocked-out products to check.")
    checked = models.PositiveIntegerField(default=0)
    dark = models.PositiveIntegerField(default=0)
    resent = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0, help_text="Products CitrusAd did not answer.")
    message = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="stockout_check_one_running"
            ),
        ]
        permissions = [("run_stockout_check", "Can run the stock-out check")]

    def __str__(self) -> str:
        return f"Stock-out check {self.pk} ({self.status})"


class StockoutFinding(models.TextChoices):
    DARK = "dark", "Dark (inventory 0)"
    LIVE = "live", "Live (inventory above 0)"
    MISSING = "missing", "Not held by CitrusAd"
    ERROR = "error", "No answer"


class StockoutCheckItem(models.Model):
    """What CitrusAd held for one stocked-out product, and what was done about it."""

    check_run = models.ForeignKey(StockoutCheck, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="dark_checks")
    finding = models.CharField(max_length=10, choices=StockoutFinding.choices)
    remote_inventory = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    checked_at = models.DateTimeField()
    resent_version = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The product version re-sent because it was not dark."
    )
    # After the re-send was confirmed and had time to be ingested, CitrusAd is asked again.
    recheck_finding = models.CharField(
        max_length=10, choices=StockoutFinding.choices, blank=True, default=""
    )
    rechecked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["product", "-id"], name="stockout_item_product_idx"),
            models.Index(
                fields=["check_run"],
                condition=Q(resent_version__isnull=False, rechecked_at__isnull=True),
                name="stockout_item_recheck_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.finding}"

    @property
    def persists(self) -> bool:
        """Still not dark after the re-send reached CitrusAd."""
        return bool(self.recheck_finding) and self.recheck_finding != StockoutFinding.DARK
