"""CSV imports: start one (store the upload, queue the task), run it, cancel it.

The reading, validation and bulk writing live in `syncs/imports/`; see its engine's docstring for
the stage / plan / write steps. An import writes everything or nothing: invalid rows stop it unless
the admin chose "skip invalid rows", and the safeguard stops one that would stock out or change
too much of a catalog unless the admin confirmed it ("I mean it").
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from syncs.imports.base import ImportCancelled, Plan
from syncs.imports.engine import import_file
from syncs.imports.errors import ErrorSink
from syncs.imports.reading import CsvStream, ImportFileError
from syncs.models import Catalog, ImportEncoding, ImportJob, ImportKind, ImportStatus
from syncs.queues import TaskName
from syncs.selectors.imports import import_job_follow_up
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import task_send_after_commit

logger = logging.getLogger(__name__)

_COPY_CHUNK = 1024 * 1024


def import_upload_dir() -> Path:
    """Where uploads and error files are kept (MEDIA_ROOT/imports)."""
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _too_large(size: int) -> ValidationError:
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    return ValidationError(
        f"The file is {filesizeformat(size)}; the largest import accepted is "
        f"{filesizeformat(limit)} (IMPORT_MAX_UPLOAD_BYTES). Split it into smaller files.",
        code="too_large",
    )


def _store_upload(uploaded_file: UploadedFile, destination: Path) -> int:
    """Copy the upload to disk in chunks, counting: the size an upload claims is not trusted."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    written = 0
    try:
        with open(destination, "wb") as out:
            for chunk in uploaded_file.chunks(_COPY_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _too_large(written)
                out.write(chunk)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return written


def import_job_create(
    *,
    kind: str,
    actor: AbstractBaseUser | None,
    uploaded_file: UploadedFile | None = None,
    path: str | Path | None = None,
    catalog: Catalog | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    confirm_large_change: bool = False,
    encoding: str | None = None,
    original_name: str = "",
    enqueue: bool = True,
) -> ImportJob:
    """Store the file (an upload is copied to disk; a path is read where it is) and queue the run.

    Raises ValidationError with a message for the admin when the kind, encoding or size is not
    acceptable. The task is sent only after the job's row is committed. `enqueue=False` leaves
    the job queued for the caller to run in-process (`import_job_run`), as the command does.
    """
    if kind not in ImportKind.values:
        raise ValidationError(
            f"Unknown import kind {kind!r}; choose products, customers or orders."
        )
    encoding = encoding or ""
    if encoding not in ImportEncoding.values:
        raise ValidationError(f"Unknown encoding {encoding!r}.")
    if (uploaded_file is None) == (path is None):
        raise ValidationError("Give either an uploaded file or a path, not both.")
    if catalog is not None and kind != ImportKind.PRODUCTS:
        raise ValidationError("A catalog can be chosen for product imports only.")
    if uploaded_file is not None:
        original_name = Path(uploaded_file.name or "upload.csv").name[:255]
        if uploaded_file.size is not None and uploaded_file.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise _too_large(uploaded_file.size)
        stored = import_upload_dir() / f"{uuid.uuid4().hex}.csv"
        size = _store_upload(uploaded_file, stored)
    else:
        stored = Path(path).resolve()
        if not stored.is_file():
            raise ValidationError(f"There is no file at {stored}.")
        # A re-run of a stored upload keeps the name the admin knows it by.
        original_name = (original_name or stored.name)[:255]
        size = stored.stat().st_size
        if size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise _too_large(size)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file_path=str(stored),
            original_name=original_name,
            file_size=size,
            progress_total=size,
            catalog=catalog,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            confirm_large_change=confirm_large_change,
            encoding=encoding,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_event_record(
            actor=actor,
            action="import_started",
            object_kind="import",
            object_id=job.pk,
            object_repr=f"{job.get_kind_display()} from {original_name}",
            after=_options(job),
        )
        if enqueue:
            # robust: a broker that is down must not turn a saved upload into an error page;
            # the job stays "queued" and the failure is logged.
            task_send_after_commit(TaskName.IMPORT_JOB_RUN, job_id=job.pk)
    return job


def import_job_start_real(
    *, job: ImportJob, actor: AbstractBaseUser | None, valid_rows_only: bool = False
) -> ImportJob:
    """Import for real what a dry run checked (or the safeguard stopped): once per file.
    `valid_rows_only`: the same file, skipping the rows the dry run found invalid.

    The job's row is locked, so a second click waits for the first and then finds the import
    it started instead of starting another.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        follow_up = import_job_follow_up(job=job)
        if follow_up is not None:
            return follow_up
        return import_job_create(
            kind=job.kind,
            actor=actor,
            path=job.file_path,
            original_name=job.original_name,
            catalog=job.catalog,
            dry_run=False,
            skip_invalid=job.skip_invalid or valid_rows_only,
            confirm_large_change=job.confirm_large_change or job.needs_confirmation,
            encoding=job.encoding,
        )


def _options(job: ImportJob) -> dict:
    return {
        "kind": job.kind,
        "file": job.original_name,
        "size": job.file_size,
        "catalog": job.catalog_id,
        "dry_run": job.dry_run,
        "skip_invalid": job.skip_invalid,
        "confirm_large_change": job.confirm_large_change,
        "encoding": job.encoding,
    }


def import_job_cancel(*, job: ImportJob, actor: AbstractBaseUser | None) -> bool:
    """Cancel a queued or running import; a running one stops at its next check, writing nothing.

    Returns False when the job had already finished.
    """
    cancelled = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.CANCELLED, finished_at=timezone.now(), message="Cancelled.")
    if cancelled:
        audit_event_record(
            actor=actor, action="import_cancelled", object_kind="import", object_id=job.pk
        )
    job.refresh_from_db()
    return bool(cancelled)


def _still_running(job_id: int, **progress) -> None:
    """Store progress; a job cancelled meanwhile raises ImportCancelled (the update misses it)."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(**progress):
        raise ImportCancelled


def _safeguard_message(plan: Plan) -> str:
    parts = []
    for entry in plan.safeguard:
        if not entry["exceeded"]:
            continue
        parts.append(
            f"{entry['catalog'] or 'catalog ' + str(entry['catalog_id'])}: "
            f"{entry['stock_outs']:,} of {entry['products']:,} products would have zero "
            f"inventory ({entry['stock_out_share']:.0%}), {entry['changes']:,} of "
            f"{entry['existing']:,} existing products would change ({entry['change_share']:.0%})"
        )
    limit = settings.IMPORT_MAX_STOCKOUT_SHARE
    return (
        "Nothing was written: this import would set more than "
        f"{limit:.0%} of a catalog's products to zero inventory or change more than half of "
        "them. " + "; ".join(parts) + ". Confirm that you mean it to go ahead."
    )


def _rows(count: int) -> str:
    return f"{count:,} row{'s' if count != 1 else ''}"


def _as_they_are(count: int) -> str:
    return f"imported as {'they are' if count != 1 else 'it is'}"


def _warned_sentence(warned: int, invalid: int = 0) -> str:
    """Rows with a warning are imported as they are, except those that are also invalid."""
    if not warned:
        return ""
    if not invalid:
        return f" {_rows(warned)} with a warning, {_as_they_are(warned)}."
    if invalid == warned:
        return f" {_rows(warned)} with a warning, also invalid: not imported."
    imported = warned - invalid
    return (
        f" {_rows(warned)} with a warning: {imported:,} {_as_they_are(imported)}, "
        f"{invalid:,} also invalid: not imported."
    )


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import to its end; every outcome is stored on the job, never raised."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], reverts__isnull=True
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), message="")
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job  # already finished or cancelled; a redelivered task must not run it again

    error_path = Path(job.file_path).with_name(f"import-{job.pk}-errors.csv")
    if not str(error_path).startswith(str(import_upload_dir())):
        error_path = import_upload_dir() / f"import-{job.pk}-errors.csv"
    outcome: dict = {}
    sink: dict = {}

    def errors_factory(header: list[str]) -> ErrorSink:
        sink["errors"] = ErrorSink(error_path, header, inline=ImportJob.INLINE_ERRORS)
        return sink["errors"]

    def on_opened(stream: CsvStream) -> None:
        _still_running(job_id, detected_encoding=stream.encoding, delimiter=stream.delimiter)

    def on_progress(rows: int, done: int) -> None:
        errors = sink.get("errors")
        _still_running(
            job_id,
            rows_read=rows,
            rows_invalid=errors.count if errors else 0,
            progress_done=done,
        )

    def decide(plan: Plan, invalid: int) -> bool:
        outcome["plan"] = plan
        if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).exists():
            raise ImportCancelled
        if invalid and not job.skip_invalid:
            outcome["message"] = (
                f"Nothing was written: {invalid:,} row{'s are' if invalid != 1 else ' is'} "
                "invalid. Fix them (download the error file) or choose to skip invalid rows."
            )
        elif plan.safeguard_exceeded and not job.confirm_large_change:
            outcome["message"] = _safeguard_message(plan)
            outcome["needs_confirmation"] = True
        return not job.dry_run and "message" not in outcome

    fields: dict = {"finished_at": None}
    try:
        result = import_file(
            path=Path(job.file_path),
            kind=job.kind,
            encoding=job.encoding,
            job_id=job.pk,
            catalog_id=job.catalog_id,
            errors_factory=errors_factory,
            on_opened=on_opened,
            on_progress=on_progress,
            decide=decide,
        )
    except ImportCancelled:
        job.refresh_from_db()
        _record_finished(job)
        return job
    except ImportFileError as exc:
        fields.update(status=ImportStatus.FAILED, message=str(exc))
    except Exception:
        logger.exception("Import %s failed", job_id)
        fields.update(
            status=ImportStatus.FAILED,
            message="The import failed unexpectedly and wrote nothing; the error is in the log.",
        )
    else:
        plan = result.plan
        invalid = sink["errors"].count
        warned = _warned_sentence(sink["errors"].warned, sink["errors"].warned_invalid)
        counts = result.counts or plan.counts
        fields.update(
            rows_read=result.rows_read,
            rows_invalid=invalid,
            changes=plan.changes,
            rows_created=counts.created,
            rows_updated=counts.updated,
            rows_unchanged=counts.unchanged,
            safeguard=plan.safeguard,
            catalogs_registered=(
                len(result.registered) if result.counts is not None else plan.catalogs_to_register
            ),
            needs_confirmation=outcome.get("needs_confirmation", False),
        )
        if result.counts is not None:
            fields.update(
                status=ImportStatus.SUCCEEDED,
                message=(
                    f"Imported: {counts.created:,} created, {counts.updated:,} updated, "
                    f"{counts.unchanged:,} unchanged"
                    + (f"; {_rows(invalid)} skipped as invalid." if invalid else ".")
                    + warned
                ),
            )
            for catalog in result.registered:
                audit_event_record(
                    actor=job.created_by,
                    action="catalog_registered",
                    object_kind="catalog",
                    object_id=catalog.pk,
                    object_repr=catalog.name,
                    after={"citrusad_id": catalog.citrusad_id, "import": job.pk},
                )
        elif not job.dry_run:
            fields.update(status=ImportStatus.FAILED, message=outcome["message"])
        else:
            # The dry run did its job; what would stop the real import follows the figures.
            figures = (
                f"{counts.created:,} would be created, {counts.updated:,} updated, "
                f"{counts.unchanged:,} unchanged"
            )
            if "message" in outcome:
                message = f"Dry run: {figures}. {outcome['message']}{warned}"
            else:
                message = (
                    f"Dry run, nothing written: {figures}"
                    + (f"; {invalid:,} invalid rows would be skipped." if invalid else ".")
                    + warned
                )
            fields.update(status=ImportStatus.SUCCEEDED, message=message)
    errors = sink.get("errors")
    if errors is not None:
        fields.update(
            errors=errors.inline(),
            warnings=errors.inline_warnings(),
            rows_invalid=errors.count,
            rows_warned=errors.warned,
            error_file_path=str(error_path) if errors.count or errors.warned else "",
        )
        if not (errors.count or errors.warned):
            error_path.unlink(missing_ok=True)
    fields.update(finished_at=timezone.now(), progress_done=job.file_size)
    # A cancellation that arrived while the outcome was being decided keeps its status, unless
    # the rows were written by then: the job must not claim that nothing happened.
    finishing = [ImportStatus.RUNNING]
    if fields.get("status") == ImportStatus.SUCCEEDED and not job.dry_run:
        finishing.append(ImportStatus.CANCELLED)
    ImportJob.objects.filter(pk=job_id, status__in=finishing).update(**fields)
    job.refresh_from_db()
    _record_finished(job)
    return job


def _record_finished(job: ImportJob) -> None:
    audit_event_record(
        actor=job.created_by,
        action="import_finished",
        object_kind="import",
        object_id=job.pk,
        object_repr=f"{job.get_kind_display()} from {job.original_name}",
        after={
            "status": job.status,
            "dry_run": job.dry_run,
            "read": job.rows_read,
            "created": job.rows_created,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "invalid": job.rows_invalid,
            "message": job.message,
        },
    )
