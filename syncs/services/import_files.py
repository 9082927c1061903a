"""An import's files: the error CSV download, and pruning uploads and error files after
IMPORT_FILES_RETENTION_DAYS (the jobs and their counts stay)."""

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from syncs.imports.reading import formula_safe
from syncs.models import ImportJob, ImportStatus
from syncs.services.imports import import_upload_dir

_FINISHED = (ImportStatus.SUCCEEDED, ImportStatus.FAILED, ImportStatus.CANCELLED)


def import_files_prune(*, days: int | None = None) -> int:
    """Delete the upload and error files of imports finished more than
    IMPORT_FILES_RETENTION_DAYS ago; the jobs and their counts stay. Returns the jobs pruned."""
    cutoff = timezone.now() - timedelta(days=days or settings.IMPORT_FILES_RETENTION_DAYS)
    directory = import_upload_dir().resolve()
    old = ImportJob.objects.filter(status__in=_FINISHED, finished_at__lt=cutoff).exclude(
        file_path="", error_file_path=""
    )
    pruned = 0
    for job in old.only("pk", "file_path", "error_file_path").iterator():
        upload = _stored_file(job.file_path, directory)
        # "Import now" re-reads a dry run's upload: it stays while a job using it is recent or
        # still running. A file the command read where it was is not ours to delete.
        if upload is not None and (
            ImportJob.objects.filter(file_path=job.file_path)
            .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=cutoff))
            .exists()
        ):
            upload = None
        error_file = _stored_file(job.error_file_path, directory)
        if upload is None and error_file is None:
            continue
        for path in (upload, error_file):
            if path is not None:
                path.unlink(missing_ok=True)
        # An empty path tells the pages the file is gone (no download, no "Import now").
        ImportJob.objects.filter(pk=job.pk).update(
            file_path="" if upload is not None else job.file_path,
            error_file_path="" if error_file is not None else job.error_file_path,
        )
        pruned += 1
    return pruned


def _stored_file(path: str, directory: Path) -> Path | None:
    """The path when it names a file the imports stored (in the upload directory)."""
    if not path:
        return None
    resolved = Path(path).resolve()
    return resolved if resolved.is_relative_to(directory) else None


def import_job_error_csv(*, job: ImportJob) -> Iterator[str]:
    """The invalid rows as CSV lines (the file's columns plus `error`), safe to open in a
    spreadsheet: a cell that would run as a formula is prefixed with `'`. Streams from disk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # a BOM, so spreadsheet programs read the file as UTF-8
    if not job.error_file_path or not Path(job.error_file_path).is_file():
        return
    with open(job.error_file_path, encoding="utf-8", newline="") as f:
        for cells in csv.reader(f):
            writer.writerow([formula_safe(cell) for cell in cells])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
