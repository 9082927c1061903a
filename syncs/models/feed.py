"""Scheduled feeds: a file the retailer's systems drop somewhere, fetched and imported on its own.

A `Feed` says where the file is (an fsspec URL: sftp://, https://, s3://, gs://, a local path),
when to look (every N seconds or a cron expression), how to import it (the options of an upload)
and, optionally, how often a new file is expected. Each look is a `FeedRun`; its transitions are
in `syncs/feeds/runs.py` only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from syncs.models.catalog import Catalog
from syncs.models.imports import ImportEncoding, ImportJob, ImportKind


class Feed(models.Model):
    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    # Never holds a password: one given in the URL is moved to the encrypted credentials.
    url = models.CharField("URL", max_length=1000)
    every_seconds = models.PositiveIntegerField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True, default="")
    catalog = models.ForeignKey(
        Catalog, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    skip_invalid = models.BooleanField(default=False)
    encoding = models.CharField(
        max_length=10, choices=ImportEncoding.choices, blank=True, default=ImportEncoding.DETECT
    )
    # Settings of the source that are not secret (S3 endpoint and region, SFTP port, ...).
    options = models.JSONField(default=dict, blank=True)
    # {"field": value} encrypted (syncs/stored_secrets.py, STORED_SECRETS_KEY), never shown back.
    credentials_encrypted = models.TextField(blank=True, default="")
    # {"field": "ENV_VAR_NAME"}: credentials read from the environment at run time instead.
    credentials_env = models.JSONField(default=dict, blank=True)
    expect_new_file_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="A new file is expected at least this often."
    )
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # What the source said about the file last imported (or found unchanged), to skip it.
    seen_fingerprint = models.JSONField(default=dict, blank=True)
    seen_sha256 = models.CharField(max_length=64, blank=True, default="")
    last_new_file_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(every_seconds__isnull=False) & Q(cron=""))
                | (Q(every_seconds__isnull=True) & ~Q(cron="")),
                name="feed_one_schedule",
            ),
        ]
        indexes = [
            models.Index(fields=["next_run_at"], condition=Q(enabled=True), name="feed_due_idx")
        ]
        permissions = [("manage_feeds", "Can add, change and run scheduled feeds")]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule_text(self) -> str:
        from syncs.feeds.timing import schedule_describe

        return schedule_describe(every_seconds=self.every_seconds, cron=self.cron)


class FeedRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    UNCHANGED = "unchanged", "Unchanged"  # same file as last time: no import
    IMPORTED = "imported", "New file imported"  # an import job was started for it
    FAILED = "failed", "Failed"
    CRASHED = "crashed", "Interrupted"  # the worker died; the next tick runs the feed again


class FeedRunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"
    COMMAND = "command", "Command"
    RETRY = "retry", "Retry after an interruption"


class FeedRun(models.Model):
    """One look at a feed's file: what was found, the import it started, the outcome."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=FeedRunTrigger.choices)
    status = models.CharField(
        max_length=10, choices=FeedRunStatus.choices, default=FeedRunStatus.RUNNING
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running run renews this as it goes; past it, the run is taken for crashed.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    found = models.CharField(max_length=500, blank=True, default="")
    fingerprint = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    import_job = models.ForeignKey(
        ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="feed_runs"
    )
    message = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Two workers never run the same feed at once: the database refuses a second run.
            models.UniqueConstraint(
                fields=["feed"], condition=Q(status="running"), name="feed_run_one_running"
            ),
        ]
        indexes = [models.Index(fields=["feed", "-id"], name="feed_run_feed_idx")]

    def __str__(self) -> str:
        return f"{self.feed} run {self.pk} ({self.status})"
