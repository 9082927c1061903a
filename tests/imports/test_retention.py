"""Uploads and error files go IMPORT_FILES_RETENTION_DAYS after their import finished; the job and
its counts stay, and its page says the file was removed instead of offering a dead link."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from citrusadmin.celery import app
from syncs.models import ImportJob
from syncs.services.import_files import import_files_prune
from syncs.services.imports import import_job_create, import_job_run
from syncs.tasks import import_files_prune_task

pytestmark = pytest.mark.django_db

BAD = "catalogId,gtin,inventory\ncat-A,4006381333931,5\ncat-A,SKU-2,lots\n"


def _job(*, days_ago: float | None, dry_run: bool = True, content: str = BAD) -> ImportJob:
    """An uploaded import, run; finished `days_ago` (None: still running)."""
    upload = SimpleUploadedFile("products.csv", content.encode(), content_type="text/csv")
    job = import_job_create(
        kind="products", actor=None, uploaded_file=upload, dry_run=dry_run, enqueue=False
    )
    job = import_job_run(job_id=job.pk)
    if days_ago is None:
        ImportJob.objects.filter(pk=job.pk).update(status="running", finished_at=None)
    else:
        finished = timezone.now() - datetime.timedelta(days=days_ago)
        ImportJob.objects.filter(pk=job.pk).update(finished_at=finished)
    job.refresh_from_db()
    return job


def test_old_files_are_deleted_and_the_job_and_its_counts_stay(settings, client, admin_user):
    settings.IMPORT_FILES_RETENTION_DAYS = 30
    old = _job(days_ago=31)
    upload, error_file = Path(old.file_path), Path(old.error_file_path)
    assert upload.is_file() and error_file.is_file()
    recent = _job(days_ago=29)
    running = _job(days_ago=None)
    ImportJob.objects.filter(pk=running.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )

    assert import_files_prune() == 1

    assert not upload.exists() and not error_file.exists()
    old.refresh_from_db()
    assert (old.file_path, old.error_file_path) == ("", "")
    assert (old.rows_read, old.rows_created, old.rows_invalid) == (2, 1, 1)
    for job in (recent, running):
        kept = ImportJob.objects.get(pk=job.pk)
        assert Path(kept.file_path).is_file() and Path(kept.error_file_path).is_file()
    # Nothing left to do the next day.
    assert import_files_prune() == 0

    client.force_login(admin_user)
    page = client.get(reverse("import_detail", args=[old.pk])).content.decode()
    assert "The file and its error file were removed after 30 days" in page
    assert reverse("import_errors_csv", args=[old.pk]) not in page
    page = client.get(reverse("import_detail", args=[recent.pk])).content.decode()
    assert "removed after" not in page
    assert reverse("import_errors_csv", args=[recent.pk]) in page


def test_a_clean_dry_run_whose_file_is_gone_offers_no_import_now(client, admin_user):
    job = _job(days_ago=45, content="catalogId,gtin,inventory\ncat-A,4006381333931,5\n")
    import_files_prune()

    client.force_login(admin_user)
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "The file was removed after 30 days" in page
    assert "Import now" not in page


def test_an_upload_a_recent_import_reads_again_is_kept(tmp_path):
    dry_run = _job(days_ago=40)
    follow_up = import_job_create(
        kind="products", actor=None, path=dry_run.file_path, dry_run=False, enqueue=False
    )

    assert import_files_prune() == 1  # the dry run's own error file only

    dry_run.refresh_from_db()
    assert Path(dry_run.file_path).is_file() and dry_run.error_file_path == ""
    assert Path(follow_up.file_path) == Path(dry_run.file_path)


def test_a_file_the_command_read_where_it_was_is_not_deleted(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("catalogId,gtin,inventory\ncat-A,4006381333931,5\n")
    job = import_job_create(kind="products", actor=None, path=outside, enqueue=False)
    import_job_run(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=90)
    )

    assert import_files_prune() == 0
    assert outside.is_file()


def test_the_task_prunes_and_beat_runs_it_daily(settings):
    settings.IMPORT_FILES_RETENTION_DAYS = 1
    job = _job(days_ago=2)
    import_files_prune_task()
    assert not Path(job.file_path).exists()

    entry = app.conf.beat_schedule["import-files-prune"]
    assert entry["task"] == "syncs.tasks.import_files_prune"
    assert entry["schedule"].remaining_estimate(timezone.now()) <= datetime.timedelta(days=1)
    assert app.amqp.router.route({}, entry["task"])["queue"].name == "sync"
