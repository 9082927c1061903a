"""Feed runs are pruned after FEED_RUN_RETENTION_DAYS: a feed looking every minute no longer keeps
a row per minute forever, and what people and the alerts read stays."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from syncs.feeds import runs
from syncs.models import Feed, FeedRun, FeedRunStatus, FeedRunTrigger, ImportJob
from syncs.schedule import BEAT_SCHEDULE, TASK_ROUTES
from syncs.selectors.alerts import feed_runs_latest
from syncs.tasks import feed_runs_prune

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _feed(name: str) -> Feed:
    return Feed.objects.create(name=name, kind="products", url="/feeds/x.csv", every_seconds=60)


def _runs(feed: Feed, *ages_and_statuses, import_job=None) -> list[FeedRun]:
    """One run per (age, status), oldest first, as a feed's worker would have made them."""
    return FeedRun.objects.bulk_create(
        FeedRun(
            feed=feed,
            trigger=FeedRunTrigger.SCHEDULE,
            status=status,
            started_at=NOW - age,
            finished_at=None if status == FeedRunStatus.RUNNING else NOW - age,
            import_job=import_job,
        )
        for age, status in ages_and_statuses
    )


def _minutely(feed: Feed, *, days: int, step: timedelta) -> None:
    """`days` of looks every `step` (half a step off the hour: none on the cut-off), mostly
    unchanged, a failure every 50th, oldest first."""
    count = int(timedelta(days=days) / step)
    _runs(
        feed,
        *(
            (
                step * (count - i) - step / 2,
                FeedRunStatus.FAILED if i % 50 == 0 else FeedRunStatus.UNCHANGED,
            )
            for i in range(count)
        ),
    )


@pytest.fixture
def retention(settings):
    settings.FEED_RUN_RETENTION_DAYS = 30
    return settings


def test_runs_older_than_the_window_go_and_every_run_within_it_stays(retention, monkeypatch):
    monkeypatch.setattr(runs, "PRUNE_CHUNK", 100)  # several chunks
    feed = _feed("minutely")
    _minutely(feed, days=40, step=timedelta(minutes=30))
    cutoff = NOW - timedelta(days=30)
    within = set(FeedRun.objects.filter(started_at__gte=cutoff).values_list("pk", flat=True))
    failed_within = FeedRun.objects.filter(started_at__gte=cutoff, status=FeedRunStatus.FAILED)
    assert failed_within.count() > 10 and FeedRun.objects.count() == 40 * 48

    deleted = runs.runs_prune()

    assert deleted == 10 * 48
    assert set(FeedRun.objects.values_list("pk", flat=True)) == within
    assert failed_within.count() > 10, "failed runs within the window stay"
    assert runs.runs_prune() == 0, "a second night finds nothing more"


def test_each_feeds_latest_runs_stay_however_old(retention):
    weekly = _feed("weekly")
    _runs(weekly, *((timedelta(days=400 - 7 * i), FeedRunStatus.UNCHANGED) for i in range(30)))
    latest = list(weekly.runs.order_by("-id").values_list("pk", flat=True)[: runs.KEEP_LATEST])

    assert runs.runs_prune() == 30 - runs.KEEP_LATEST
    assert sorted(weekly.runs.values_list("pk", flat=True)) == sorted(latest)


def test_the_run_the_alerts_judge_a_feed_by_stays(retention):
    """A feed whose last real outcome was a failure, then only interrupted runs: its alert
    must not resolve because the failure was pruned."""
    feed = _feed("flaky")
    (failure,) = _runs(feed, (timedelta(days=90), FeedRunStatus.FAILED))
    _runs(feed, *((timedelta(days=89, minutes=-i), FeedRunStatus.CRASHED) for i in range(30)))

    runs.runs_prune()

    assert dict(feed_runs_latest())[feed] == failure
    assert feed.runs.count() == runs.KEEP_LATEST + 1


def test_runs_that_started_an_import_and_a_running_run_stay(retention):
    feed = _feed("nightly")
    job = ImportJob.objects.create(kind="products", file_path="feeds/nightly.csv")
    (imported,) = _runs(feed, (timedelta(days=200), FeedRunStatus.IMPORTED), import_job=job)
    (running,) = _runs(feed, (timedelta(days=199), FeedRunStatus.RUNNING))
    _runs(feed, *((timedelta(days=100, minutes=-i), FeedRunStatus.UNCHANGED) for i in range(40)))

    assert runs.runs_prune() == 40 - runs.KEEP_LATEST
    assert set(feed.runs.filter(started_at__lt=NOW - timedelta(days=150))) == {imported, running}
    # The import job still says it came from this feed (not an upload by a person).
    assert ImportJob.objects.filter(pk=job.pk, feed_runs__isnull=False).exists()


def test_one_feeds_runs_never_count_for_another(retention):
    busy, quiet = _feed("busy"), _feed("quiet")
    _runs(busy, *((timedelta(days=60, minutes=-i), FeedRunStatus.UNCHANGED) for i in range(50)))
    (only,) = _runs(quiet, (timedelta(days=300), FeedRunStatus.UNCHANGED))

    runs.runs_prune()

    assert busy.runs.count() == runs.KEEP_LATEST
    assert list(quiet.runs.all()) == [only]


def test_the_retention_is_a_setting_and_beat_prunes_every_night(settings):
    feed = _feed("minutely")
    _runs(feed, *((timedelta(days=3, minutes=-i), FeedRunStatus.UNCHANGED) for i in range(25)))
    settings.FEED_RUN_RETENTION_DAYS = 7
    feed_runs_prune()
    assert feed.runs.count() == 25
    settings.FEED_RUN_RETENTION_DAYS = 2
    feed_runs_prune()  # the task beat sends
    assert feed.runs.count() == runs.KEEP_LATEST

    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "syncs.tasks.feed_runs_prune")
    assert entry["schedule"] == crontab(minute=47, hour=3)  # once a night
    assert TASK_ROUTES["syncs.tasks.feed_runs_prune"]["queue"] == "sync"
