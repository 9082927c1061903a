"""Import jobs: the list, one job, and the real import that followed a dry run."""

from syncs.models import ImportJob, ImportStatus
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page

IMPORT_SORTS = ("-id", "id")


def import_job_list(*, paging: Paging = FIRST_PAGE) -> Page[ImportJob]:
    """Jobs, newest first unless sorted otherwise."""
    qs = ImportJob.objects.select_related("catalog", "created_by")
    return keyset_page(qs, paging=paging, sorts=IMPORT_SORTS)


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
