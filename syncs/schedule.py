"""Every periodic task and every task route, in one place, with the reason beside each.

Loaded by citrusadmin/celery.py. Queues and task names are the enums in `syncs/queues.py`; a
test asserts that every registered task has a route here.
"""

from celery.schedules import crontab

from syncs.queues import Queue, TaskName

SYNC_SWEEP_SECONDS = 10.0

TASK_ROUTES = {
    # Bulk pushes: may run for a while, many at once, one per free worker process.
    TaskName.SYNC_DRAIN: {"queue": Queue.SYNC},
    # Manual actions (stock-out, delete, retry, catalog creation): a worker consuming
    # `priority` takes them at once, whatever bulk sync is running.
    TaskName.SYNC_DRAIN_MANUAL: {"queue": Queue.PRIORITY},
    # Short, and what restarts everything after a crash: never stuck behind a bulk backlog.
    TaskName.SYNC_SWEEP: {"queue": Queue.PRIORITY},
    # A bulk stock-out or restore that someone is watching the progress of: seconds per
    # thousand products, and what it changes is pushed with manual priority.
    TaskName.PRODUCT_BULK_STOCK: {"queue": Queue.PRIORITY},
    TaskName.SYNC_HISTORY_PRUNE: {"queue": Queue.SYNC},
    # An import (or its revert) runs for up to an hour: on its own queue, so it never holds a
    # worker process that the sync queue needs.
    TaskName.IMPORT_JOB_RUN: {"queue": Queue.IMPORTS},
    TaskName.IMPORT_REVERT_RUN: {"queue": Queue.IMPORTS},
    TaskName.IMPORT_FILES_PRUNE: {"queue": Queue.SYNC},
}

BEAT_SCHEDULE = {
    # The safety net of the push engine: hands back rows whose worker died (expired lease),
    # and enqueues a drain wherever rows are due that no queued task covers (a lost message,
    # Redis flushed, a retry whose scheduled drain was lost).
    # Every 10 s: with 20 s leases, a dead worker's rows are claimable again within 30 s.
    "sync-sweep": {"task": TaskName.SYNC_SWEEP, "schedule": SYNC_SWEEP_SECONDS},
    # Sync history grows by one row per HTTP attempt; keep SYNC_HISTORY_RETENTION_DAYS of it.
    "sync-history-prune": {
        "task": TaskName.SYNC_HISTORY_PRUNE,
        "schedule": crontab(minute=17, hour=3),
    },
    # Uploads (up to 1 GiB each) and error files would fill the disk; the jobs and their counts
    # stay, the files go after IMPORT_FILES_RETENTION_DAYS.
    "import-files-prune": {
        "task": TaskName.IMPORT_FILES_PRUNE,
        "schedule": crontab(minute=37, hour=3),
    },
}
