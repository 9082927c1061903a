"""The Celery task that runs a CSV import (registered by SyncsConfig.ready()).

Kept apart from syncs/tasks.py (the sync engine's): an import is one long task per upload.
"""

from celery import shared_task

from syncs.services.import_revert import import_revert_run
from syncs.services.imports import import_job_run

# A million-row import takes minutes; the limits stay below Redis' visibility timeout (2 h), so a
# live worker's import is never delivered twice. A run that a dead worker left "running" is
# picked up again by the redelivered task and, having written nothing, starts over.
IMPORT_SOFT_TIME_LIMIT = 55 * 60
IMPORT_TIME_LIMIT = 60 * 60


@shared_task(
    ignore_result=True,
    acks_late=True,
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
)
def import_job_run_task(*, job_id: int) -> None:
    """Run one import job."""
    import_job_run(job_id=job_id)


@shared_task(
    ignore_result=True,
    acks_late=True,
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
)
def import_revert_run_task(*, job_id: int) -> None:
    """Run one import revert."""
    import_revert_run(job_id=job_id)
