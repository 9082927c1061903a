"""Import jobs: the list, one job, and the real import that followed a dry run."""

from syncs.models import ImportJob, ImportStatus
from syncs.selectors.pagination import PAGE_SIZE, keyset_page


def import_job_list(
    *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[ImportJob], int | None]:
    """Jobs newest first; returns the page and the `before_id` of the next."""
    qs = ImportJob.objects.select_related("catalog", "created_by")
    return keyset_page(qs, cursor=before_id, limit=limit, newest_first=True)


def import_job_get(*, job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("catalog", "created_by").filter(pk=job_id).first()


def import_job_follow_up(*, job: ImportJob) -> ImportJob | None:
    """The real import started from this dry run (or safeguard stop), if there is one."""
    if not job.file_path:  # a revert, or an upload already removed
        return None
    return (
        ImportJob.objects.filter(file_path=job.file_path, id__gt=job.id, reverts__isnull=True)
        .exclude(status=ImportStatus.CANCELLED)
        .order_by("id")
        .first()
    )
