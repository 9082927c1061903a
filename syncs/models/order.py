from django.db import models
from django.db.models import Q

from syncs.models.validators import validate_string_list

# The most items one order may carry: CitrusAd refuses a larger order (the sandbox emulates it).
MAX_ORDER_ITEMS = 1000


class Order(models.Model):
    """A CitrusAd order; `order_id` is the documented `id`, reused when an edit is re-sent."""

    order_id = models.CharField("order id", max_length=100, unique=True)
    customer_id = models.CharField("customer id", max_length=100, blank=True, default="")
    session_id = models.CharField(max_length=200, blank=True, default="")
    order_date = models.DateTimeField()
    ad_ids = models.JSONField("ad ids", default=list, blank=True, validators=[validate_string_list])
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_date", "id"]
        indexes = [
            models.Index(fields=["customer_id"], name="order_customer_idx"),
            models.Index(fields=["order_date"], name="order_date_idx"),
        ]

    def __str__(self) -> str:
        return self.order_id


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    gtin = models.CharField("GTIN", max_length=50)
    quantity = models.PositiveIntegerField()
    regular_unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    total_order_item_price_after_discounts = models.DecimalField(max_digits=12, decimal_places=2)
    ad_id = models.CharField("ad id", max_length=200, blank=True, default="")
    citrus_discount_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    substituted_for = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"], name="order_item_position_unique"
            ),
            models.CheckConstraint(condition=~Q(gtin=""), name="order_item_gtin_not_empty"),
        ]
        indexes = [models.Index(fields=["gtin"], name="order_item_gtin_idx")]

    def __str__(self) -> str:
        return f"{self.gtin} x{self.quantity}"
