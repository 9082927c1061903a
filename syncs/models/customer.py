from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from syncs.models.validators import (
    validate_company_fields,
    validate_string_dict,
    validate_string_list,
)

# Custobar: "The external_id must consist of letters, numbers and dashes only."
validate_external_id = RegexValidator(
    r"^[A-Za-z0-9-]+$", "Use letters, numbers and dashes only (Custobar's rule for external_id)."
)
validate_phone_number = RegexValidator(
    r"^\+[1-9][0-9]{5,15}$", "Use the international form with a country prefix, e.g. +358101234567."
)

# Custobar's documented optional and enrichment fields, named as on the wire.
CUSTOBAR_TEXT_FIELDS = (
    "canonical_id",
    "first_name",
    "last_name",
    "shop_id",
    "city",
    "company",
    "country",
    "gender",
    "house_number",
    "house_number_addition",
    "language",
    "province",
    "street_address",
    "street_name",
    "vat_number",
    "zip_code",
)
CUSTOBAR_PERMISSION_FIELDS = ("can_email", "can_post", "can_profile", "can_push", "can_sms")


class Customer(models.Model):
    """One customer record serving CitrusAd (`id`, `targetingData`) and Custobar (the rest)."""

    external_id = models.CharField(
        max_length=100, blank=True, default="", validators=[validate_external_id]
    )
    email = models.EmailField(max_length=254, blank=True, default="")
    phone_number = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_phone_number]
    )
    canonical_id = models.CharField(max_length=100, blank=True, default="")
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    # Permissions: None means "never told", so nothing is sent for it.
    can_email = models.BooleanField(null=True, blank=True)
    can_post = models.BooleanField(null=True, blank=True)
    can_profile = models.BooleanField(null=True, blank=True)
    can_push = models.BooleanField(null=True, blank=True)
    can_sms = models.BooleanField(null=True, blank=True)
    date_joined = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    shop_id = models.CharField(max_length=100, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    company = models.CharField(max_length=200, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166-1 alpha-2")
    gender = models.CharField(max_length=50, blank=True, default="")
    house_number = models.CharField(max_length=20, blank=True, default="")
    house_number_addition = models.CharField(max_length=50, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="", help_text="ISO 639-1")
    province = models.CharField(max_length=100, blank=True, default="")
    street_address = models.CharField(max_length=255, blank=True, default="")
    street_name = models.CharField(max_length=200, blank=True, default="")
    vat_number = models.CharField(max_length=30, blank=True, default="")
    zip_code = models.CharField(max_length=20, blank=True, default="")
    tags = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    mailing_lists = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    # Custobar company-specific fields, keyed as sent: {"COMPANY__loyalty_level": "gold"}.
    company_fields = models.JSONField(
        default=dict, blank=True, validators=[validate_company_fields]
    )
    # CitrusAd targetingData: arbitrary retailer-defined keys.
    targeting_data = models.JSONField(default=dict, blank=True, validators=[validate_string_dict])
    # Custobar: neither can be undone once sent.
    is_deleted = models.BooleanField(default=False)
    is_forgotten = models.BooleanField(default=False)
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="customer_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(external_id="") | ~Q(email="") | ~Q(phone_number=""),
                name="customer_has_identifier",
            ),
        ]
        indexes = [
            models.Index(fields=["email"], name="customer_email_idx"),
            models.Index(fields=["phone_number"], name="customer_phone_idx"),
        ]
        permissions = [
            ("forget_customer", "Can mark customers forgotten or deleted in Custobar"),
        ]

    def __str__(self) -> str:
        return self.external_id or self.email or self.phone_number
