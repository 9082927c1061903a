from django.conf import settings
from django.db import models

from syncs.models.catalog import Catalog


class ImportKind(models.TextChoices):
    PRODUCTS = "products", "Products"
    CUSTOMERS = "customers", "Customers"
    ORDERS = "orders", "Orders"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportEncoding(models.TextChoices):
    DETECT = "", "Detect (UTF-8, else Windows-1252)"
    UTF8 = "utf-8", "UTF-8"
    WINDOWS_1252 = "cp1252", "Windows-1252"
    LATIN_1 = "latin-1", "Latin-1 (ISO-8859-1)"


class ImportJob(models.Model):
    """One CSV upload and what its import did, or would do (dry run).

    Counts: `rows_read` and `rows_invalid` count CSV records; created/updated/unchanged count the
    imported objects (products, customers, orders; an order spans several records). For a dry run
    they are the figures the import would give. Only the first errors are kept inline; every
    invalid record is kept in `error_file_path` for the error CSV download.
    """

    INLINE_ERRORS = 100

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    file_path = models.CharField(max_length=500, help_text="The upload as stored on disk.")
    original_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.PositiveBigIntegerField(default=0)
    # Options chosen when the import was started.
    catalog = models.ForeignKey(
        Catalog,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Products: the catalog for rows without a catalogId.",
    )
    dry_run = models.BooleanField(default=False)
    skip_invalid = models.BooleanField(
        default=False, help_text="Import the valid rows even when some rows are invalid."
    )
    confirm_large_change = models.BooleanField(
        default=False, help_text="The admin confirmed a change the safeguard would stop."
    )
    encoding = models.CharField(
        max_length=10, choices=ImportEncoding.choices, blank=True, default=ImportEncoding.DETECT
    )
    # What the reader found.
    detected_encoding = models.CharField(max_length=10, blank=True, default="")
    delimiter = models.CharField(max_length=1, blank=True, default="")
    # Counts and progress.
    rows_read = models.PositiveBigIntegerField(default=0)
    rows_created = models.PositiveBigIntegerField(default=0)
    rows_updated = models.PositiveBigIntegerField(default=0)
    rows_unchanged = models.PositiveBigIntegerField(default=0)
    rows_invalid = models.PositiveBigIntegerField(default=0)
    rows_warned = models.PositiveBigIntegerField(
        default=0, help_text="Rows imported with a warning (a GTIN's check digit)."
    )
    progress_done = models.PositiveBigIntegerField(default=0, help_text="Bytes of the file read.")
    progress_total = models.PositiveBigIntegerField(default=0, help_text="Bytes in the file.")
    # [{"line": 12, "message": "..."}], at most INLINE_ERRORS of them.
    errors = models.JSONField(default=list, blank=True)
    # [{"line": 12, "message": "..."}], at most INLINE_ERRORS of them.
    warnings = models.JSONField(default=list, blank=True)
    error_file_path = models.CharField(max_length=500, blank=True, default="")
    # What the import changes (a dry run: would change) column by column, per catalog, and
    # what an admin must not miss: see syncs.imports.summary.
    changes = models.JSONField(default=dict, blank=True)
    # A revert is a job too: it undoes `reverts`, and says what it could not undo.
    reverts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reverted_by"
    )
    delete_remote = models.BooleanField(
        default=False, help_text="Revert: delete the rows the import created in the platforms too."
    )
    rows_removed = models.PositiveBigIntegerField(default=0, help_text="Revert: rows removed.")
    rows_skipped = models.PositiveBigIntegerField(
        default=0, help_text="Revert: rows changed since the import, left alone."
    )
    # Revert: [{"object_id", "key", "reason"}], the first INLINE_ERRORS rows left alone.
    skipped = models.JSONField(default=list, blank=True)
    # The outcome in one sentence ("Imported 12 rows.", "Nothing written: 3 rows are invalid.").
    message = models.TextField(blank=True, default="")
    # The safeguard's figures per catalog: [{"catalog_id", "catalog", "products",
    # "stock_outs", "changes", "stock_out_share", "change_share", "exceeded"}].
    safeguard = models.JSONField(default=list, blank=True)
    needs_confirmation = models.BooleanField(
        default=False, help_text="Stopped by the safeguard: re-run with the confirmation."
    )
    catalogs_registered = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="import_job_status_idx")]
        permissions = [("import_data", "Can import CSV files")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def is_revert(self) -> bool:
        return self.reverts_id is not None

    @property
    def is_finished(self) -> bool:
        return self.status in (
            ImportStatus.SUCCEEDED,
            ImportStatus.FAILED,
            ImportStatus.CANCELLED,
        )

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)


class ImportChange(models.Model):
    """One row an import created or updated: what reverting it and the field history need.

    `version` is the row's version the import left: a row whose version moved on since was
    changed again and is not reverted. `before` holds the previous values of the fields the
    import changed (None when it created the row), `after` the values it wrote. Values are
    JSON: amounts as text, dates as ISO 8601 (see syncs.imports.history).
    """

    pk = models.CompositePrimaryKey("job", "object_id")
    # The primary key leads with the job: no index of its own.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    object_id = models.BigIntegerField(db_index=True)
    version = models.PositiveBigIntegerField()
    created = models.BooleanField(default=False)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.job_id}: {self.object_id} v{self.version}"
