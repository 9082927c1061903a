"""Every transition of a FeedRun, in one place.

    (none) ──start──▶ running ──▶ unchanged   the file is the one seen last time: no import
                         │  ────▶ imported    a new file: its import job was started
                         │  ────▶ failed      the source could not be read (the message says why)
                         └─────▶ crashed      its lease ran out (the worker died): retried next tick

Creating a run *is* the claim: the database allows one running run per feed, so two workers
never run the same feed at once. Every later write is guarded by `status = running`, so a run
taken for crashed changes nothing afterwards, whatever its worker still does.

A feed that looks every minute makes 1,440 runs a day: `runs_prune` (every night) bounds them
to FEED_RUN_RETENTION_DAYS, keeping what people and alerts read (see its docstring).
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncs.models import Feed, FeedRun, FeedRunStatus, ImportJob


class RunLost(Exception):
    """The run is no longer this worker's: it was taken for crashed meanwhile."""


def _lease():
    return timezone.now() + timedelta(seconds=settings.FEED_RUN_LEASE_SECONDS)


def run_start(*, feed: Feed, trigger: str, actor=None) -> FeedRun | None:
    """A new running run of `feed`, or None when one is running already."""
    try:
        with transaction.atomic():
            return FeedRun.objects.create(
                feed=feed,
                trigger=trigger,
                started_at=timezone.now(),
                lease_expires_at=_lease(),
                started_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        return None


def run_renew(*, run_id: int) -> None:
    """Extend the lease while the run works; RunLost when it is no longer ours."""
    if not FeedRun.objects.filter(pk=run_id, status=FeedRunStatus.RUNNING).update(
        lease_expires_at=_lease()
    ):
        raise RunLost


def run_found(*, run_id: int, found: str, fingerprint: dict, size: int | None) -> None:
    """Note what the source said about the file (the run goes on)."""
    if not FeedRun.objects.filter(pk=run_id, status=FeedRunStatus.RUNNING).update(
        found=found[:500], fingerprint=fingerprint, size=size, lease_expires_at=_lease()
    ):
        raise RunLost


def run_unchanged(*, run_id: int, fingerprint: dict, sha256: str, message: str) -> None:
    """running → unchanged; the feed remembers the fingerprint, so the next look is cheaper."""
    with transaction.atomic():
        run = _locked(run_id)
        run.status, run.finished_at, run.message = FeedRunStatus.UNCHANGED, timezone.now(), message
        run.sha256 = sha256 or run.sha256
        run.lease_expires_at = None
        run.save(update_fields=["status", "finished_at", "message", "sha256", "lease_expires_at"])
        Feed.objects.filter(pk=run.feed_id).update(seen_fingerprint=fingerprint)


def run_imported(
    *, run_id: int, fingerprint: dict, sha256: str, start_import: Callable[[], ImportJob]
) -> ImportJob:
    """running → imported: `start_import` creates the import job in the same transaction."""
    with transaction.atomic():
        run = _locked(run_id)
        job = start_import()
        now = timezone.now()
        run.status, run.finished_at, run.import_job = FeedRunStatus.IMPORTED, now, job
        run.sha256, run.lease_expires_at = sha256, None
        run.message = f"New file: import #{job.pk} started."
        run.save(
            update_fields=[
                "status",
                "finished_at",
                "import_job",
                "sha256",
                "lease_expires_at",
                "message",
            ]
        )
        Feed.objects.filter(pk=run.feed_id).update(
            seen_fingerprint=fingerprint, seen_sha256=sha256, last_new_file_at=now
        )
    return job


def run_failed(*, run_id: int, message: str) -> None:
    """running → failed, with a message safe to show (the caller removed every secret)."""
    FeedRun.objects.filter(pk=run_id, status=FeedRunStatus.RUNNING).update(
        status=FeedRunStatus.FAILED,
        finished_at=timezone.now(),
        message=message,
        lease_expires_at=None,
    )


def runs_crashed_release() -> int:
    """running → crashed for every run whose lease ran out; their feeds are due at once."""
    now = timezone.now()
    released = 0
    for run in FeedRun.objects.filter(status=FeedRunStatus.RUNNING, lease_expires_at__lt=now):
        with transaction.atomic():
            if FeedRun.objects.filter(
                pk=run.pk, status=FeedRunStatus.RUNNING, lease_expires_at__lt=now
            ).update(
                status=FeedRunStatus.CRASHED,
                finished_at=now,
                lease_expires_at=None,
                message="The worker running this stopped before it finished; "
                "the feed runs again at the next tick.",
            ):
                Feed.objects.filter(pk=run.feed_id).update(next_run_at=now)
                released += 1
    return released


# A feed's page opens on its latest runs, and they tell how it has been doing lately: they stay
# however old they are (a feed run weekly, or switched off for a month).
KEEP_LATEST = 20
PRUNE_CHUNK = 5000


def runs_prune(*, days: int | None = None) -> int:
    """Delete feed runs started more than FEED_RUN_RETENTION_DAYS ago; returns how many.

    Kept whatever their age: each feed's KEEP_LATEST latest runs; its latest finished one that
    was not interrupted (the alerts judge the feed by it); a running one; and every run that
    started an import, for as long as its import job exists (the imports list and the alerts
    tell a feed's imports from people's uploads by that link). Every run within the window
    stays, failed ones included."""
    cutoff = timezone.now() - timedelta(days=days or settings.FEED_RUN_RETENTION_DAYS)
    deleted = 0
    for feed_id in Feed.objects.order_by("pk").values_list("pk", flat=True):
        runs = FeedRun.objects.filter(feed_id=feed_id).order_by("-id")
        keep = list(runs.values_list("id", flat=True)[:KEEP_LATEST])
        settled = runs.exclude(status__in=[FeedRunStatus.RUNNING, FeedRunStatus.CRASHED])
        keep += settled.values_list("id", flat=True)[:1]
        old = (
            runs.filter(started_at__lt=cutoff, import_job__isnull=True)
            .exclude(status=FeedRunStatus.RUNNING)
            .exclude(pk__in=keep)
        )
        # In chunks, so a year of minutely runs never holds one long delete transaction.
        while ids := list(old.values_list("id", flat=True)[:PRUNE_CHUNK]):
            deleted += FeedRun.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _locked(run_id: int) -> FeedRun:
    run = FeedRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status != FeedRunStatus.RUNNING:
        raise RunLost
    return run
