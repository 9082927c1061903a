"""One pass of the alerts: what needs a person now, compared with the incidents already open.

    check_*()             each condition adds what it finds wrong (a Finding per subject), or
                          says a subject is undecided (an import still running): keep it as it is
    open_new()            a finding with no live incident opens one (its "opened" messages)
    refresh_live()        a live incident that is still found keeps its words current, silently
    resolve_cleared()     a live incident whose condition is gone resolves ("resolved" messages)
    remind()              the one reminder of incidents nobody acknowledged
    deliver()             send what is due, each message claimed by one evaluator only

Thresholds are settings (README, "Alerts"). Beat runs this every minute (syncs/schedule.py).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince

from syncs.alerts import delivery, incidents
from syncs.destinations import destination_label
from syncs.models import (
    FeedRunStatus,
    ImportJob,
    ImportStatus,
    IncidentKind,
)
from syncs.selectors import alerts as reads
from syncs.selectors.destinations import destination_reachability


@dataclass(frozen=True)
class Finding:
    title: str
    detail: str


@dataclass
class EvaluationResult:
    opened: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    reminded: int = 0
    delivered: dict = field(default_factory=dict)


class AlertEvaluation:
    def __init__(self) -> None:
        self.now: datetime = timezone.now()
        self.findings: dict[tuple[str, str], Finding] = {}
        self.undecided: set[tuple[str, str]] = set()
        self.live = {(i.kind, i.subject): i for i in reads.incidents_live()}
        self.result = EvaluationResult()

    def run(self) -> EvaluationResult:
        self.check_destinations_paused()
        self.check_destinations_unreachable()
        self.check_rows_failed()
        self.check_sync_lag()
        self.check_upload_imports()
        self.check_feed_runs()
        self.check_feed_files()
        self.check_stockouts()
        self.open_new()
        self.refresh_live()
        self.resolve_cleared()
        self.remind()
        self.deliver()
        return self.result

    # --- conditions ---------------------------------------------------------------------

    def found(self, kind: str, subject: str, title: str, detail: str) -> None:
        self.findings[(kind, subject)] = Finding(title=title, detail=detail)

    def check_destinations_paused(self) -> None:
        for destination in reads.destinations_paused():
            self.found(
                IncidentKind.DESTINATION_PAUSED,
                destination.name,
                f"{destination_label(destination.name)} is paused: it refused our credentials",
                f"{destination.paused_reason} Nothing is sent to it until an admin fixes the "
                "credentials and presses Resume on the dashboard.".strip(),
            )

    def check_destinations_unreachable(self) -> None:
        # "Unreachable" is defined once, by the selector the dashboard's banner uses too; an
        # alert waits until nothing got through for longer than the same number of minutes.
        limit = timedelta(minutes=settings.DESTINATION_UNREACHABLE_MINUTES)
        for reach in destination_reachability(now=self.now):
            if not reach.unreachable:
                continue
            since = reach.last_success_at
            if since is not None and self.now - since <= limit:
                continue
            self.found(
                IncidentKind.DESTINATION_UNREACHABLE,
                reach.destination,
                f"{reach.label} is unreachable",
                f"{reach.failures} attempt{'s' if reach.failures != 1 else ''} got no answer in "
                f"the last {reach.window_minutes} minutes "
                f"(last: {reach.last_error or 'no answer'}). "
                + (
                    f"The last push it took was at {timezone.localtime(since):%Y-%m-%d %H:%M}."
                    if since
                    else "It has not taken a push yet."
                )
                + " Changes wait and are retried; check its URL and the network.",
            )

    def check_rows_failed(self) -> None:
        minutes = settings.ALERT_FAILED_ROWS_MINUTES
        since = self.now - timedelta(minutes=minutes)
        for destination, count in reads.failed_rows_since(since=since).items():
            if count > settings.ALERT_FAILED_ROWS:
                label = destination_label(destination)
                self.found(
                    IncidentKind.ROWS_FAILED,
                    destination,
                    f"{count:,} rows failed in {label} in the last {minutes} minutes",
                    f"More than {settings.ALERT_FAILED_ROWS} rows failed in {minutes} minutes; "
                    "the dashboard's Recent failures say why, and Retry sends them again.",
                )

    def check_sync_lag(self) -> None:
        paused = {d.name for d in reads.destinations_paused()}  # already an incident of its own
        limit = timedelta(minutes=settings.ALERT_SYNC_LAG_MINUTES)
        for destination, oldest in reads.oldest_waiting_change().items():
            if destination in paused or self.now - oldest <= limit:
                continue
            label = destination_label(destination)
            self.found(
                IncidentKind.SYNC_LAG,
                destination,
                f"Changes have waited {_span(oldest, self.now)} to reach {label}",
                f"The oldest change not yet confirmed by {label} was made "
                f"{timezone.localtime(oldest):%Y-%m-%d %H:%M}; the limit is "
                f"{settings.ALERT_SYNC_LAG_MINUTES} minutes. Are the workers running?",
            )

    def check_upload_imports(self) -> None:
        for kind, job in reads.upload_imports_latest().items():
            if job.status == ImportStatus.FAILED and not reads.import_follow_up_succeeded(job=job):
                title, detail = _import_words(job)
                self.found(IncidentKind.IMPORT_FAILED, f"upload:{kind}", title, detail)

    def check_feed_runs(self) -> None:
        for feed, run in reads.feed_runs_latest():
            subject = f"feed:{feed.pk}"
            if run is None:
                continue
            if run.status == FeedRunStatus.FAILED:
                self.found(
                    IncidentKind.FEED_FAILED,
                    subject,
                    f"Feed {feed.name} failed",
                    f"Run of {timezone.localtime(run.started_at):%Y-%m-%d %H:%M}: {run.message}",
                )
            elif run.import_job is not None:
                job = run.import_job
                if not job.is_finished:
                    self.undecided.add((IncidentKind.FEED_FAILED, subject))
                elif job.status == ImportStatus.FAILED and not reads.import_follow_up_succeeded(
                    job=job
                ):
                    title, detail = _import_words(job)
                    self.found(
                        IncidentKind.FEED_FAILED, subject, f"Feed {feed.name}: {title}", detail
                    )

    def check_feed_files(self) -> None:
        for feed, since in reads.feeds_overdue(now=self.now):
            self.found(
                IncidentKind.FEED_FILE_MISSING,
                f"feed:{feed.pk}",
                f"Feed {feed.name}: no new file for {_span(since, self.now)}",
                f"A new file is expected at least every {feed.expect_new_file_hours} hours at "
                f"{feed.url}; the last one came "
                + (
                    f"{timezone.localtime(feed.last_new_file_at):%Y-%m-%d %H:%M}."
                    if feed.last_new_file_at
                    else "never (the feed was added "
                    f"{timezone.localtime(feed.created_at):%Y-%m-%d %H:%M})."
                ),
            )

    def check_stockouts(self) -> None:
        check = reads.stockout_check_latest()
        if check is None:
            return
        persisting = reads.stockout_persisting(check=check)
        if persisting:
            codes = ", ".join(item.product.gtin for item in persisting[:10])
            more = f" and {len(persisting) - 10:,} more" if len(persisting) > 10 else ""
            self.found(
                IncidentKind.STOCKOUTS_LIVE,
                "citrusad",
                f"{len(persisting):,} stocked-out products are still live in CitrusAd after a "
                "re-send",
                f"CitrusAd still holds them with inventory above zero, or not at all: {codes}"
                f"{more}. Advertisers may be paying for ads on products we do not have.",
            )

    # --- incidents ----------------------------------------------------------------------

    def open_new(self) -> None:
        for (kind, subject), finding in self.findings.items():
            if (kind, subject) not in self.live:
                incident = incidents.incident_open(
                    kind=kind, subject=subject, title=finding.title, detail=finding.detail
                )
                if incident is not None:
                    self.result.opened.append(incident)

    def refresh_live(self) -> None:
        for key, incident in self.live.items():
            finding = self.findings.get(key)
            if finding is not None:
                incidents.incident_refresh(
                    incident=incident, title=finding.title, detail=finding.detail
                )

    def resolve_cleared(self) -> None:
        for key, incident in self.live.items():
            cleared = key not in self.findings and key not in self.undecided
            if cleared and incidents.incident_resolve(incident=incident):
                self.result.resolved.append(incident)

    def remind(self) -> None:
        self.result.reminded = incidents.incidents_remind()

    def deliver(self) -> None:
        self.result.delivered = delivery.notifications_deliver()


def _import_words(job: ImportJob) -> tuple[str, str]:
    what = f"{job.get_kind_display()} import #{job.pk} ({job.original_name})"
    if job.needs_confirmation:
        return (
            f"{what} stopped by the safeguard: waiting for a person",
            f"{job.message} Open the import to confirm it or to leave it.",
        )
    return f"{what} failed", job.message


def _span(start: datetime, end: datetime) -> str:
    """ "1 day, 3 hours" with plain spaces (timesince joins with no-break spaces, for HTML)."""
    return timesince(start, end).replace("\xa0", " ")
