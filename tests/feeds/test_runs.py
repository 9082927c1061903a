"""A feed run end to end against real servers: fetch only when changed, import like an upload."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.feeds import runs
from syncs.models import Feed, FeedRun, FeedRunStatus, FeedRunTrigger, ImportStatus, Product
from syncs.services.feeds import FeedSettings, feed_create, feed_run_in_process, feeds_start_due
from tests.factories import CatalogFactory, ProductFactory
from tests.file_servers import SFTP_PASSWORD

pytestmark = pytest.mark.django_db


def _products_csv(catalog, rows):
    lines = ["catalogId,gtin,inventory,name"]
    lines += [
        f"{catalog.citrusad_id},{gtin},{inventory},Product {gtin}" for gtin, inventory in rows
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def catalog():
    return CatalogFactory(name="Groceries")


def _feed(url, **kwargs):
    return feed_create(
        name="nightly",
        settings=FeedSettings(kind="products", url=url, every="1h", **kwargs),
        actor=None,
    )


def test_a_new_file_is_imported_and_the_same_file_is_not_fetched_again(http_files, catalog):
    http_files.write("products.csv", _products_csv(catalog, [("SKU-1", 5), ("SKU-2", 7)]))
    feed = _feed(http_files.url("products.csv"))

    first = feed_run_in_process(feed=feed)
    assert first.status == FeedRunStatus.IMPORTED
    assert first.import_job.status == ImportStatus.SUCCEEDED
    assert first.import_job.rows_created == 2
    assert "products.csv" in first.found and "bytes" in first.found
    assert set(Product.objects.values_list("gtin", flat=True)) == {"SKU-1", "SKU-2"}
    assert http_files.downloads("products.csv") == 1

    second = feed_run_in_process(feed=Feed.objects.get(pk=feed.pk))
    assert second.status == FeedRunStatus.UNCHANGED
    assert second.import_job is None
    assert second.message == "Unchanged: same file as the last run."
    assert http_files.downloads("products.csv") == 1  # the HEAD was enough


def test_same_content_with_a_new_date_is_unchanged_after_the_hash(http_files, catalog):
    text = _products_csv(catalog, [("SKU-1", 5)])
    http_files.write("products.csv", text, mtime=1_700_000_000)
    feed = _feed(http_files.url("products.csv"))
    feed_run_in_process(feed=feed)
    http_files.write("products.csv", text, mtime=1_700_086_400)  # touched, same bytes

    run = feed_run_in_process(feed=Feed.objects.get(pk=feed.pk))
    assert run.status == FeedRunStatus.UNCHANGED
    assert run.message == "Unchanged: same content as the last file."
    assert http_files.downloads("products.csv") == 2
    assert FeedRun.objects.filter(import_job__isnull=False).count() == 1


def test_a_changed_file_is_imported_again(http_files, catalog):
    rows = [("SKU-1", 5), ("SKU-2", 5), ("SKU-3", 5), ("SKU-4", 5)]
    http_files.write("products.csv", _products_csv(catalog, rows), mtime=1_700_000_000)
    feed = _feed(http_files.url("products.csv"))
    feed_run_in_process(feed=feed)
    rows[0] = ("SKU-1", 9)  # one of four changes: below the safeguard's half
    http_files.write("products.csv", _products_csv(catalog, rows), mtime=1_700_000_600)

    run = feed_run_in_process(feed=Feed.objects.get(pk=feed.pk))
    assert run.status == FeedRunStatus.IMPORTED
    assert run.import_job.rows_updated == 1
    assert Product.objects.get(gtin="SKU-1").inventory == 9
    assert Feed.objects.get(pk=feed.pk).last_new_file_at == run.finished_at


def test_without_validators_every_run_downloads_and_hashes(http_files, catalog):
    http_files.send_validators = False
    http_files.write("products.csv", _products_csv(catalog, [("SKU-1", 5)]))
    feed = _feed(http_files.url("products.csv"))
    feed_run_in_process(feed=feed)
    run = feed_run_in_process(feed=Feed.objects.get(pk=feed.pk))
    assert run.status == FeedRunStatus.UNCHANGED
    assert http_files.downloads("products.csv") == 2


def test_a_missing_file_fails_the_run_with_a_reason(http_files):
    feed = _feed(http_files.url("nothing-here.csv"))
    run = feed_run_in_process(feed=feed)
    assert run.status == FeedRunStatus.FAILED
    assert run.message == f"No file at {http_files.url('nothing-here.csv')}."
    assert run.import_job is None


def test_invalid_rows_stop_the_import_with_an_error_file(http_files, catalog):
    text = _products_csv(catalog, [("SKU-1", 5)]) + f"{catalog.citrusad_id},SKU-2,lots,Bad\n"
    http_files.write("products.csv", text)
    run = feed_run_in_process(feed=_feed(http_files.url("products.csv")))
    job = run.import_job
    assert run.status == FeedRunStatus.IMPORTED
    assert job.status == ImportStatus.FAILED and job.rows_invalid == 1
    assert job.error_file_path and job.errors[0]["line"] == 3
    assert not Product.objects.exists()


def test_skip_invalid_imports_the_valid_rows(http_files, catalog):
    text = _products_csv(catalog, [("SKU-1", 5)]) + f"{catalog.citrusad_id},SKU-2,lots,Bad\n"
    http_files.write("products.csv", text)
    run = feed_run_in_process(feed=_feed(http_files.url("products.csv"), skip_invalid=True))
    assert run.import_job.status == ImportStatus.SUCCEEDED
    assert list(Product.objects.values_list("gtin", flat=True)) == ["SKU-1"]


def test_the_safeguard_stops_a_feed_import_until_a_person_confirms(http_files, catalog):
    products = [ProductFactory(catalog=catalog, gtin=f"SKU-{n}", inventory=10) for n in range(10)]
    http_files.write("products.csv", _products_csv(catalog, [(p.gtin, 0) for p in products]))
    run = feed_run_in_process(feed=_feed(http_files.url("products.csv")))
    job = run.import_job
    assert job.status == ImportStatus.FAILED and job.needs_confirmation
    assert "Confirm that you mean it" in job.message
    assert not Product.objects.filter(inventory=0).exists()


def test_sftp_feed_with_wrong_password_never_shows_or_logs_it(sftp_files, caplog):
    sftp_files.write("products.csv", "catalogId,gtin,inventory\n")
    feed = feed_create(
        name="sftp-feed",
        settings=FeedSettings(
            kind="products",
            url=sftp_files.url("products.csv"),
            every="1h",
            credentials={"password": "wrong-password-123"},
        ),
        actor=None,
    )
    assert "wrong-password-123" not in feed.credentials_encrypted
    with caplog.at_level(logging.DEBUG):
        run = feed_run_in_process(feed=feed)
    assert run.status == FeedRunStatus.FAILED
    assert run.message == "The SFTP server 127.0.0.1 refused the feed's credentials."
    assert "wrong-password-123" not in caplog.text


def test_sftp_feed_pins_the_host_key_on_first_use(sftp_files, catalog):
    sftp_files.write("products.csv", _products_csv(catalog, [("SKU-1", 5)]))
    feed = feed_create(
        name="sftp-feed",
        settings=FeedSettings(
            kind="products",
            url=sftp_files.url("products.csv"),
            every="1h",
            credentials={"password": SFTP_PASSWORD},
        ),
        actor=None,
    )
    run = feed_run_in_process(feed=feed)
    assert run.status == FeedRunStatus.IMPORTED, run.message
    assert Feed.objects.get(pk=feed.pk).options["host_key"] == sftp_files.host_key_line


def test_one_running_run_per_feed(http_files):
    feed = _feed(http_files.url("p.csv"))
    first = runs.run_start(feed=feed, trigger=FeedRunTrigger.MANUAL)
    assert first is not None
    assert runs.run_start(feed=feed, trigger=FeedRunTrigger.SCHEDULE) is None
    assert feed_run_in_process(feed=feed) is None


def test_the_tick_starts_due_feeds_and_moves_their_next_run(
    http_files, django_capture_on_commit_callbacks
):
    due = _feed(http_files.url("p.csv"))
    later = feed_create(
        name="later",
        settings=FeedSettings(kind="products", url=http_files.url("q.csv"), every="1h"),
        actor=None,
    )
    Feed.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        started = feeds_start_due()
    assert [run.feed_id for run in started] == [due.pk]
    assert len(callbacks) == 1
    due.refresh_from_db()
    assert due.next_run_at > timezone.now() + timedelta(minutes=59)


def test_a_crashed_run_is_retried_at_the_next_tick(http_files, catalog):
    http_files.write("p.csv", _products_csv(catalog, [("SKU-1", 5)]))
    feed = _feed(http_files.url("p.csv"))
    Feed.objects.filter(pk=feed.pk).update(next_run_at=timezone.now() + timedelta(hours=1))
    crashed = runs.run_start(feed=feed, trigger=FeedRunTrigger.SCHEDULE)
    FeedRun.objects.filter(pk=crashed.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    (retry,) = feeds_start_due()
    crashed.refresh_from_db()
    assert crashed.status == FeedRunStatus.CRASHED and crashed.finished_at
    assert retry.trigger == FeedRunTrigger.RETRY and retry.status == FeedRunStatus.RUNNING
