"""Incidents for the pages, and the reads the alert evaluation judges conditions by."""

from datetime import datetime, timedelta

from django.db.models import Min, Q

from syncs.models import (
    Destination,
    Feed,
    FeedRun,
    FeedRunStatus,
    ImportJob,
    ImportStatus,
    Incident,
    IncidentStatus,
    StockoutCheck,
    StockoutCheckStatus,
    SyncState,
    SyncStatus,
)
from syncs.selectors.pagination import PAGE_SIZE, keyset_page

LIVE = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)
_FINISHED_IMPORT = (ImportStatus.SUCCEEDED, ImportStatus.FAILED)


def incidents_live() -> list[Incident]:
    """Open and acknowledged incidents, oldest first (the dashboard and the Alerts page)."""
    return list(
        Incident.objects.filter(status__in=LIVE).select_related("acknowledged_by").order_by("id")
    )


def incident_list(
    *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Incident], int | None]:
    """Every incident newest first, with who acknowledged it."""
    qs = Incident.objects.select_related("acknowledged_by").prefetch_related("notifications")
    return keyset_page(qs, cursor=before_id, limit=limit, newest_first=True)


def incident_get(*, incident_id: int) -> Incident | None:
    return Incident.objects.filter(pk=incident_id).first()


def destinations_paused() -> list[Destination]:
    return list(Destination.objects.filter(paused=True))


def failed_rows_since(*, since: datetime) -> dict[str, int]:
    """Rows that failed since `since` (their failing attempt is that recent), per destination."""
    rows = (
        SyncState.objects.filter(status=SyncStatus.FAILED, last_batch__created_at__gte=since)
        .values_list("destination")
        .order_by()
    )
    counts: dict[str, int] = {}
    for (destination,) in rows:
        counts[destination] = counts.get(destination, 0) + 1
    return counts


def oldest_waiting_change() -> dict[str, datetime]:
    """Per destination, when the oldest change not yet confirmed was made."""
    rows = (
        SyncState.objects.filter(status__in=[SyncStatus.PENDING, SyncStatus.IN_FLIGHT])
        .values("destination")
        .annotate(oldest=Min("changed_at"))
        .order_by()
    )
    return {row["destination"]: row["oldest"] for row in rows}


def upload_imports_latest() -> dict[str, ImportJob]:
    """Per kind, the newest finished real import started by a person (not by a feed)."""
    latest: dict[str, ImportJob] = {}
    jobs = (
        ImportJob.objects.filter(dry_run=False, status__in=_FINISHED_IMPORT)
        .filter(feed_runs__isnull=True)
        .order_by("-id")
    )
    for kind in ImportJob._meta.get_field("kind").choices:
        job = jobs.filter(kind=kind[0]).first()
        if job is not None:
            latest[kind[0]] = job
    return latest


def import_follow_up_succeeded(*, job: ImportJob) -> bool:
    """A person re-ran this stopped import ("I mean it") and that import succeeded."""
    return ImportJob.objects.filter(
        file_path=job.file_path, id__gt=job.id, dry_run=False, status=ImportStatus.SUCCEEDED
    ).exists()


def feed_runs_latest() -> list[tuple[Feed, FeedRun | None]]:
    """Each feed with its newest finished run that was not interrupted (those are retried)."""
    result = []
    for feed in Feed.objects.order_by("pk"):
        run = (
            FeedRun.objects.filter(feed=feed)
            .exclude(status__in=[FeedRunStatus.RUNNING, FeedRunStatus.CRASHED])
            .select_related("import_job")
            .order_by("-id")
            .first()
        )
        result.append((feed, run))
    return result


def feeds_overdue(*, now: datetime) -> list[tuple[Feed, datetime]]:
    """Enabled feeds whose new file is later than expected, with the time counted from."""
    overdue = []
    for feed in Feed.objects.filter(enabled=True, expect_new_file_hours__isnull=False):
        since = feed.last_new_file_at or feed.created_at
        if now - since > timedelta(hours=feed.expect_new_file_hours):
            overdue.append((feed, since))
    return overdue


def stockout_check_latest() -> StockoutCheck | None:
    return StockoutCheck.objects.filter(status=StockoutCheckStatus.DONE).order_by("-id").first()


def stockout_persisting(*, check: StockoutCheck) -> list:
    """Products of a check still not dark when asked again after their re-send."""
    return list(
        check.items.filter(~Q(recheck_finding="dark") & ~Q(recheck_finding=""))
        .select_related("product")
        .order_by("id")
    )
