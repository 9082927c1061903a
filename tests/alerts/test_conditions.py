"""What opens an incident, and what resolves it, condition by condition."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.alerts.evaluation import AlertEvaluation
from syncs.models import (
    FeedRun,
    FeedRunStatus,
    ImportJob,
    ImportStatus,
    Incident,
    IncidentKind,
    IncidentStatus,
    SyncStatus,
)
from syncs.services.feeds import FeedSettings, feed_create
from tests.factories import ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_channels(settings):
    settings.ALERT_EMAILS = []
    settings.ALERT_WEBHOOK_URL = ""


def _live(kind):
    return list(Incident.objects.filter(kind=kind).exclude(status=IncidentStatus.RESOLVED))


def test_more_than_n_rows_failed_in_the_window(settings):
    settings.ALERT_FAILED_ROWS = 2
    batch = make_batch(outcome="rejected")
    products = [ProductFactory() for _ in range(3)]
    for product in products[:2]:
        make_state(product, kind="product", status=SyncStatus.FAILED, last_batch=batch)
    AlertEvaluation().run()
    assert not _live(IncidentKind.ROWS_FAILED)  # two is not more than two
    make_state(products[2], kind="product", status=SyncStatus.FAILED, last_batch=batch)
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.ROWS_FAILED)
    assert incident.title == "3 rows failed in CitrusAd in the last 15 minutes"
    batch.__class__.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    AlertEvaluation().run()
    assert not _live(IncidentKind.ROWS_FAILED)


def test_the_oldest_pending_change_too_old(settings):
    settings.ALERT_SYNC_LAG_MINUTES = 30
    product = ProductFactory()
    state = make_state(product, kind="product", changed_at=timezone.now() - timedelta(minutes=20))
    AlertEvaluation().run()
    assert not _live(IncidentKind.SYNC_LAG)
    state.__class__.objects.filter(pk=state.pk).update(
        changed_at=timezone.now() - timedelta(minutes=45)
    )
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.SYNC_LAG)
    assert incident.title.startswith("Changes have waited 45") and "CitrusAd" in incident.title
    state.__class__.objects.filter(pk=state.pk).update(status=SyncStatus.CONFIRMED)
    AlertEvaluation().run()
    assert not _live(IncidentKind.SYNC_LAG)


def _job(**fields):
    fields = {"kind": "products", "file_path": "/tmp/x.csv", "original_name": "x.csv", **fields}
    return ImportJob.objects.create(**fields)


def test_a_failed_upload_import_opens_and_a_later_success_resolves():
    failed = _job(status=ImportStatus.FAILED, message="Nothing was written: 3 rows are invalid.")
    _job(status=ImportStatus.FAILED, dry_run=True, message="a dry run never alerts")
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.IMPORT_FAILED)
    assert incident.subject == "upload:products"
    assert incident.title == f"Products import #{failed.pk} (x.csv) failed"
    assert incident.detail == "Nothing was written: 3 rows are invalid."
    _job(status=ImportStatus.SUCCEEDED)
    AlertEvaluation().run()
    assert not _live(IncidentKind.IMPORT_FAILED)


def test_a_safeguard_stop_waits_for_a_person_and_their_confirmation_resolves():
    stopped = _job(status=ImportStatus.FAILED, needs_confirmation=True, message="Nothing…")
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.IMPORT_FAILED)
    assert "stopped by the safeguard: waiting for a person" in incident.title
    _job(status=ImportStatus.SUCCEEDED, confirm_large_change=True, file_path=stopped.file_path)
    assert stopped.pk
    AlertEvaluation().run()
    assert not _live(IncidentKind.IMPORT_FAILED)


def _feed(**kwargs):
    return feed_create(
        name="nightly",
        settings=FeedSettings(kind="products", url="s3://b/p.csv", every="1h", **kwargs),
        actor=None,
    )


def _run(feed, status, **fields):
    return FeedRun.objects.create(
        feed=feed, trigger="schedule", status=status, started_at=timezone.now(), **fields
    )


def test_a_failed_feed_run_opens_and_a_good_run_resolves():
    feed = _feed()
    _run(feed, FeedRunStatus.FAILED, message="No file at s3://b/p.csv.")
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.FEED_FAILED)
    assert incident.title == "Feed nightly failed" and "No file at" in incident.detail
    _run(feed, FeedRunStatus.CRASHED)  # interrupted runs are retried, they decide nothing
    AlertEvaluation().run()
    assert _live(IncidentKind.FEED_FAILED)
    _run(feed, FeedRunStatus.UNCHANGED)
    AlertEvaluation().run()
    assert not _live(IncidentKind.FEED_FAILED)


def test_a_feed_import_stopped_by_the_safeguard_alerts_once_it_is_decided():
    feed = _feed()
    job = _job(status=ImportStatus.RUNNING)
    _run(feed, FeedRunStatus.IMPORTED, import_job=job)
    AlertEvaluation().run()
    assert not _live(IncidentKind.FEED_FAILED)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, needs_confirmation=True)
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.FEED_FAILED)
    assert incident.title.startswith("Feed nightly: Products import")
    assert "waiting for a person" in incident.title


def test_a_feed_whose_new_file_is_late():
    feed = _feed(expect_new_file_hours=26)
    AlertEvaluation().run()
    assert not _live(IncidentKind.FEED_FILE_MISSING)
    feed.__class__.objects.filter(pk=feed.pk).update(
        last_new_file_at=timezone.now() - timedelta(hours=27)
    )
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.FEED_FILE_MISSING)
    assert incident.title == "Feed nightly: no new file for 1 day, 3 hours"
    assert "at least every 26 hours" in incident.detail
    feed.__class__.objects.filter(pk=feed.pk).update(last_new_file_at=timezone.now())
    AlertEvaluation().run()
    assert not _live(IncidentKind.FEED_FILE_MISSING)


def test_a_destination_unreachable_for_longer_than_the_limit(settings):
    settings.DESTINATION_UNREACHABLE_MINUTES = 5
    now = timezone.now()
    ok = make_batch(outcome="ok")
    lost = make_batch(outcome="transient", status_code=None, error="Connection refused")
    for batch, minutes_ago in ((ok, 9), (lost, 2)):
        batch.__class__.objects.filter(pk=batch.pk).update(
            created_at=now - timedelta(minutes=minutes_ago)
        )
    AlertEvaluation().run()
    (incident,) = _live(IncidentKind.DESTINATION_UNREACHABLE)
    assert incident.title == "CitrusAd is unreachable"
    assert "1 attempt got no answer in the last 5 minutes (last: Connection refused)." in (
        incident.detail
    )

    make_batch(outcome="ok")  # it answers again
    AlertEvaluation().run()
    assert not _live(IncidentKind.DESTINATION_UNREACHABLE)


def test_a_blip_shorter_than_the_limit_opens_nothing(settings):
    settings.DESTINATION_UNREACHABLE_MINUTES = 5
    ok = make_batch(outcome="ok")
    ok.__class__.objects.filter(pk=ok.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    make_batch(outcome="transient", status_code=None, error="Read timed out")
    AlertEvaluation().run()
    assert not _live(IncidentKind.DESTINATION_UNREACHABLE)
