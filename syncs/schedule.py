"""Every periodic task and every task route, in one place, with the reason beside each.

Loaded by citrusadmin/celery.py.
"""

from celery.schedules import crontab

SYNC_SWEEP_SECONDS = 10.0

TASK_ROUTES = {
    # Bulk pushes: may run for a while, many at once, one per free worker process.
    "syncs.tasks.sync_drain": {"queue": "sync"},
    # Manual actions (stock-out, delete, retry, catalog creation): a worker consuming
    # `priority` takes them at once, whatever bulk sync is running.
    "syncs.tasks.sync_drain_manual": {"queue": "priority"},
    # Short, and what restarts everything after a crash: never stuck behind a bulk backlog.
    "syncs.tasks.sync_sweep": {"queue": "priority"},
    # A bulk stock-out or restore that someone is watching the progress of: seconds per
    # thousand products, and what it changes is pushed with manual priority.
    "syncs.tasks.product_bulk_stock": {"queue": "priority"},
    "syncs.tasks.sync_history_prune": {"queue": "sync"},
    "syncs.tasks.import_files_prune": {"queue": "sync"},
}

BEAT_SCHEDULE = {
    # The safety net of the push engine: hands back rows whose worker died (expired lease),
    # and enqueues a drain wherever rows are due that no queued task covers (a lost message,
    # Redis flushed, a retry whose scheduled drain was lost).
    # Every 10 s: with 20 s leases, a dead worker's rows are claimable again within 30 s.
    "sync-sweep": {"task": "syncs.tasks.sync_sweep", "schedule": SYNC_SWEEP_SECONDS},
    # Sync history grows by one row per HTTP attempt; keep SYNC_HISTORY_RETENTION_DAYS of it.
    "sync-history-prune": {
        "task": "syncs.tasks.sync_history_prune",
        "schedule": crontab(minute=17, hour=3),
    },
    # Uploads (up to 1 GiB each) and error files would fill the disk; the jobs and their counts
    # stay, the files go after IMPORT_FILES_RETENTION_DAYS.
    "import-files-prune": {
        "task": "syncs.tasks.import_files_prune",
        "schedule": crontab(minute=37, hour=3),
    },
}
