from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from syncs.models.catalog import Catalog
from syncs.models.validators import validate_string_list

GTIN_MAX_LENGTH = 50  # CitrusAd: gtin and sellerId are at most 50 characters
# The image URL travels as the tag "imageurl:<url>", and a tag is at most 750 characters.
IMAGE_URL_MAX_LENGTH = 750 - len("imageurl:")


def restore_inventory_after(*, inventory: int, restore_inventory: int | None) -> int | None:
    """A restock ends a stock-out: once inventory is above zero there is nothing to restore;
    a zero keeps what a restore would put back. Every write path applies this rule, here or
    in its SQL form below."""
    return None if inventory > 0 else restore_inventory


def restore_inventory_after_sql(*, inventory: str, restore_inventory: str) -> str:
    """`restore_inventory_after` for set-based writes, over two column expressions."""
    return f"CASE WHEN {inventory} > 0 THEN NULL ELSE {restore_inventory} END"


class DeletionState(models.TextChoices):
    ACTIVE = "", "Active"
    REQUESTED = "requested", "Deletion requested"
    DELETED = "deleted", "Deleted in CitrusAd"


class Product(models.Model):
    """A CitrusAd catalog product, unique per (catalog, gtin, seller_id)."""

    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="products")
    gtin = models.CharField("GTIN", max_length=GTIN_MAX_LENGTH)
    seller_id = models.CharField(max_length=GTIN_MAX_LENGTH, blank=True, default="")
    inventory = models.PositiveIntegerField(default=0)
    # What a restore puts back after a stock-out (inventory 0); empty when not stocked out.
    restore_inventory = models.PositiveIntegerField(null=True, blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    profit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    name = models.CharField(max_length=500, blank=True, default="")
    image_url = models.URLField(max_length=IMAGE_URL_MAX_LENGTH, blank=True, default="")
    tags = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    filters = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    groups = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    deletion_state = models.CharField(
        max_length=10, choices=DeletionState.choices, default=DeletionState.ACTIVE, blank=True
    )
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["catalog_id", "gtin"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalog", "gtin", "seller_id"], name="product_catalog_gtin_seller_unique"
            ),
            # SQLite ignores varchar lengths, so the platform limits are checks of their own.
            models.CheckConstraint(
                condition=Q(GreaterThan(Length("gtin"), 0))
                & Q(LessThanOrEqual(Length("gtin"), GTIN_MAX_LENGTH)),
                name="product_gtin_length",
            ),
            models.CheckConstraint(
                condition=Q(LessThanOrEqual(Length("seller_id"), GTIN_MAX_LENGTH)),
                name="product_seller_id_length",
            ),
            models.CheckConstraint(condition=Q(inventory__gte=0), name="product_inventory_gte_0"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="product_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(LessThanOrEqual(Length("image_url"), IMAGE_URL_MAX_LENGTH)),
                name="product_image_url_length",
            ),
        ]
        indexes = [
            # Exact and prefix GTIN search (scanner input) across catalogs.
            models.Index(fields=["gtin"], name="product_gtin_idx"),
        ]
        permissions = [
            ("set_product_stock", "Can stock out and restore products"),
            ("request_product_deletion", "Can delete products in CitrusAd"),
            ("check_product_live", "Can ask CitrusAd live for a product"),
        ]

    def __str__(self) -> str:
        return f"{self.gtin} {self.name}".strip()

    @property
    def is_stocked_out(self) -> bool:
        return self.inventory == 0
