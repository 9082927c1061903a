"""Reverting an import: what the confirmation counts, starting the revert job, running it.

A revert is an ImportJob of the same kind whose `reverts` names the import; it runs in the import
worker like an import, and ends with a result on its page and an audit entry. The mechanics are
in syncs/imports/revert.py.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from syncs.imports.revert import KIND_MODELS, ImportRevert
from syncs.models import ImportChange, ImportJob, ImportKind, ImportStatus
from syncs.queues import TaskName
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import task_send_after_commit

logger = logging.getLogger(__name__)

# What a ticked "delete remotely" does, per kind (orders: neither platform deletes them).
REMOTE_DELETION = {
    ImportKind.PRODUCTS: "delete them in CitrusAd",
    ImportKind.CUSTOMERS: "mark them deleted in Custobar",
}
_REMOTELY_DELETED = {
    ImportKind.PRODUCTS: "deleted in CitrusAd",
    ImportKind.CUSTOMERS: "marked deleted in Custobar",
}


@dataclass(frozen=True)
class RevertPreview:
    created: int  # rows the import created that would be removed
    updated: int  # rows that would get their previous values back
    changed_since: int  # of those, rows changed again since: left alone

    @property
    def rows(self) -> int:
        return self.created + self.updated - self.changed_since


def import_revert_problem(*, job: ImportJob) -> str:
    """Why this job cannot be reverted, or "" when it can."""
    if job.is_revert:
        return "A revert cannot itself be reverted."
    if job.dry_run or job.status != ImportStatus.SUCCEEDED:
        return "Only an import that wrote rows can be reverted."
    if not (job.rows_created or job.rows_updated):
        return "This import changed no stored rows: there is nothing to revert."
    if import_revert_for(job=job) is not None:
        return "This import has already been reverted."
    return ""


def import_revert_for(*, job: ImportJob) -> ImportJob | None:
    """The revert started for this import, unless it failed or was cancelled."""
    return (
        ImportJob.objects.filter(reverts=job)
        .exclude(status__in=[ImportStatus.FAILED, ImportStatus.CANCELLED])
        .first()
    )


def import_revert_preview(*, job: ImportJob) -> RevertPreview:
    """What a revert would do now: the confirmation counts it."""
    model = KIND_MODELS[job.kind]
    unchanged = Exists(model.objects.filter(pk=OuterRef("object_id"), version=OuterRef("version")))
    figures = (
        ImportChange.objects.filter(job=job)
        .annotate(unchanged=unchanged)
        .aggregate(
            n_created=Count("object_id", filter=Q(created=True)),
            n_updated=Count("object_id", filter=Q(created=False)),
            n_changed_since=Count("object_id", filter=Q(unchanged=False)),
        )
    )
    return RevertPreview(
        created=figures["n_created"],
        updated=figures["n_updated"],
        changed_since=figures["n_changed_since"],
    )


def import_job_revert(
    *, job: ImportJob, actor: AbstractBaseUser | None, delete_remote: bool, enqueue: bool = True
) -> ImportJob:
    """Start reverting `job` (once: a second request finds the revert already started).

    Raises ValidationError when it cannot be reverted. The task is sent after the commit;
    `enqueue=False` leaves the revert queued for the caller to run (`import_revert_run`).
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        started = import_revert_for(job=job)
        if started is not None:
            return started
        problem = import_revert_problem(job=job)
        if problem:
            raise ValidationError(problem)
        revert = ImportJob.objects.create(
            kind=job.kind,
            reverts=job,
            file_path="",
            original_name=job.original_name,
            delete_remote=delete_remote and job.kind in REMOTE_DELETION,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_event_record(
            actor=actor,
            action="import_revert_started",
            object_kind="import",
            object_id=job.pk,
            object_repr=f"{job.get_kind_display()} from {job.original_name}",
            after={"revert": revert.pk, "delete_remote": revert.delete_remote},
        )
        if enqueue:
            task_send_after_commit(TaskName.IMPORT_REVERT_RUN, job_id=revert.pk)
    return revert


def import_revert_run(*, job_id: int) -> ImportJob:
    """Run a queued revert to its end; the outcome is stored on the job, never raised."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status=ImportStatus.QUEUED, reverts__isnull=False
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now())
    job = ImportJob.objects.select_related("reverts").get(pk=job_id)
    if not claimed:
        return job  # already run, or cancelled: a redelivered task must not run it again
    try:
        result = ImportRevert(job).run()
    except Exception:
        logger.exception("Revert %s failed", job_id)
        fields = {
            "status": ImportStatus.FAILED,
            "message": (
                "The revert failed unexpectedly and changed nothing; the error is in the log."
            ),
        }
    else:
        fields = {
            "status": ImportStatus.SUCCEEDED,
            "message": _result_message(job, result),
            "rows_read": result.considered,
            "rows_updated": result.restored,
            "rows_removed": result.removed,
            "rows_skipped": result.skipped,
            "skipped": result.skipped_rows,
        }
    ImportJob.objects.filter(pk=job_id).update(
        finished_at=timezone.now(), progress_done=1, progress_total=1, **fields
    )
    job.refresh_from_db()
    audit_event_record(
        actor=job.created_by,
        action="import_reverted"
        if job.status == ImportStatus.SUCCEEDED
        else "import_revert_failed",
        object_kind="import",
        object_id=job.reverts_id,
        object_repr=f"{job.get_kind_display()} from {job.original_name}",
        after={
            "revert": job.pk,
            "status": job.status,
            "restored": job.rows_updated,
            "removed": job.rows_removed,
            "not_reverted": job.rows_skipped,
            "message": job.message,
        },
    )
    return job


def _result_message(job: ImportJob, result) -> str:
    parts = [f"{result.restored:,} restored to their previous values"]
    removed = f"{result.removed:,} created by the import removed"
    if result.deleted_remotely:
        removed += f" ({_REMOTELY_DELETED[job.kind]})"
    parts.append(removed)
    message = f"Reverted import #{job.reverts_id}: " + ", ".join(parts) + "."
    if result.skipped:
        message += f" {result.skipped:,} left alone (changed since, not reverted)."
    return message
