"""Every periodic task and every task route, in one place, with the reason beside each.

Loaded by citrusadmin/celery.py.
"""

from celery.schedules import crontab

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
    # Starting feeds is quick and must not wait behind a bulk push; a feed's own run fetches a
    # file (queue given when it is sent: `sync` on schedule, `priority` for "Run now").
    "syncs.feed_tasks.feeds_tick": {"queue": "priority"},
    "syncs.feed_tasks.feed_run": {"queue": "sync"},
    # Alerts must go out while a bulk sync keeps every `sync` worker busy.
    "syncs.alert_tasks.alerts_evaluate": {"queue": "priority"},
    # The stock-out check asks CitrusAd one product at a time, for up to ten minutes a task.
    "syncs.stockout_tasks.stockout_check_nightly": {"queue": "sync"},
    "syncs.stockout_tasks.stockout_check_run": {"queue": "sync"},
    "syncs.stockout_tasks.stockouts_tick": {"queue": "sync"},
}

BEAT_SCHEDULE = {
    # The safety net of the push engine: hands back rows whose worker died (expired lease),
    # and enqueues a drain wherever rows are due that no queued task covers (a lost message,
    # Redis flushed, a retry whose scheduled drain was lost).
    "sync-sweep": {"task": "syncs.tasks.sync_sweep", "schedule": 30.0},
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
    # Feeds: start the due ones, and retry a run whose worker died (its lease ran out). A
    # feed's own schedule (every N or cron) is on the Feed; this only looks for due ones.
    "feeds-tick": {"task": "syncs.feed_tasks.feeds_tick", "schedule": 30.0},
    # Alerts: open, resolve and remind incidents and send their messages. A minute bounds how
    # late a person hears; the thresholds themselves are minutes long.
    "alerts-evaluate": {"task": "syncs.alert_tasks.alerts_evaluate", "schedule": 60.0},
    # Stock-outs proven dark: every night, ask CitrusAd for each stocked-out product (before the
    # working day, after the nightly feeds of 03:00 have stocked products out).
    "stockout-check": {
        "task": "syncs.stockout_tasks.stockout_check_nightly",
        "schedule": crontab(minute=30, hour=4),
    },
    # Goes on with a check whose worker stopped, and asks again about the products it re-sent
    # once their re-send was confirmed (a mismatch that persists then opens an alert).
    "stockouts-tick": {"task": "syncs.stockout_tasks.stockouts_tick", "schedule": 300.0},
}
