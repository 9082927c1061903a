"""Feeds with real Celery workers: the beat tick's runs are taken by a worker, the new file is
imported by the import task and pushed; an unchanged file starts nothing; a worker killed in
the middle of a run loses nothing."""

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import Feed, FeedRun, FeedRunStatus, FeedRunTrigger, ImportJob, Product
from syncs.services.feeds import FeedSettings, feed_create, feeds_start_due
from tests.worker_fixtures import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CATALOG = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"


def _due(feed):
    Feed.objects.filter(pk=feed.pk).update(next_run_at=timezone.now())


def test_the_tick_runs_feeds_on_workers_and_skips_an_unchanged_file(
    celery_workers, sandbox, settings, tmp_path, http_files
):
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "uploads"
    celery_workers.start(env={**sandbox.env(), "CITRUSADMIN_VAR_DIR": str(var_dir)})
    http_files.write("products.csv", f"catalogId,gtin,inventory\n{CATALOG},FEED-1,4\n")
    feed = feed_create(
        name="nightly",
        settings=FeedSettings(kind="products", url=http_files.url("products.csv"), every="1h"),
        actor=None,
    )

    (first,) = feeds_start_due()
    wait_for(
        lambda: FeedRun.objects.get(pk=first.pk).status != FeedRunStatus.RUNNING,
        timeout=60,
        message=lambda: (
            "the worker did not run the feed: " + celery_workers.workers[0].log()[-3000:]
        ),
    )
    first.refresh_from_db()
    assert first.status == FeedRunStatus.IMPORTED, first.message
    wait_for(lambda: ImportJob.objects.get(pk=first.import_job_id).is_finished, timeout=60)
    assert Product.objects.get(gtin="FEED-1").inventory == 4
    wait_for(lambda: sandbox.product(CATALOG, "FEED-1") is not None, timeout=60)

    assert feeds_start_due() == []  # not due again for an hour
    _due(feed)
    (second,) = feeds_start_due()
    wait_for(
        lambda: FeedRun.objects.get(pk=second.pk).status == FeedRunStatus.UNCHANGED, timeout=60
    )
    assert ImportJob.objects.count() == 1
    assert http_files.downloads("products.csv") == 1


def test_a_worker_killed_during_a_run_is_retried_at_the_next_tick(
    celery_workers, settings, tmp_path, http_files
):
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "uploads"
    http_files.write("products.csv", f"catalogId,gtin,inventory\n{CATALOG},FEED-2,9\n")
    http_files.get_delay = 30  # the download hangs: the worker is mid-run when it dies
    feed_create(
        name="drop",
        settings=FeedSettings(kind="products", url=http_files.url("products.csv"), every="1h"),
        actor=None,
    )
    worker = celery_workers.start(env={"CITRUSADMIN_VAR_DIR": str(var_dir)})
    (lost,) = feeds_start_due()
    wait_for(
        lambda: http_files.downloads("products.csv") == 1,
        timeout=60,
        message="the worker never started the download",
    )
    os.killpg(worker.pid, signal.SIGKILL)
    worker.process.wait(timeout=30)
    assert FeedRun.objects.get(pk=lost.pk).status == FeedRunStatus.RUNNING
    assert feeds_start_due() == []  # its lease still holds: nobody else may run the feed

    http_files.get_delay = 0
    celery_workers.start(env={"CITRUSADMIN_VAR_DIR": str(var_dir)})
    # The lease runs out (FEED_RUN_LEASE_SECONDS, shortened here instead of waited for).
    FeedRun.objects.filter(pk=lost.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    (retry,) = feeds_start_due()
    assert retry.trigger == FeedRunTrigger.RETRY
    wait_for(
        lambda: FeedRun.objects.get(pk=retry.pk).status == FeedRunStatus.IMPORTED,
        timeout=60,
        message=lambda: f"the retry did not finish: {FeedRun.objects.get(pk=retry.pk).message}",
    )
    assert FeedRun.objects.get(pk=lost.pk).status == FeedRunStatus.CRASHED
    wait_for(lambda: Product.objects.filter(gtin="FEED-2").exists(), timeout=60)
