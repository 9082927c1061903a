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
    # Starting feeds is quick and must not wait behind a bulk push; a feed's own run fetches a
    # file (sent to `priority` for "Run now", `sync` on schedule).
    TaskName.FEEDS_START_DUE: {"queue": Queue.PRIORITY},
    TaskName.FEED_RUN: {"queue": Queue.SYNC},
    TaskName.FEED_RUNS_PRUNE: {"queue": Queue.SYNC},
    # Alerts must go out while a bulk sync keeps every `sync` worker busy.
    TaskName.ALERTS_EVALUATE: {"queue": Queue.PRIORITY},
    # The stock-out check asks CitrusAd one product at a time, for up to ten minutes a task.
    TaskName.STOCKOUT_CHECK_START: {"queue": Queue.SYNC},
    TaskName.STOCKOUT_CHECK_RUN: {"queue": Queue.SYNC},
    TaskName.STOCKOUT_RECHECK: {"queue": Queue.SYNC},
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
    # Feeds: start the due ones, and retry a run whose worker died (its lease ran out). A
    # feed's own schedule (every N or cron) is on the Feed; this only looks for due ones.
    "feeds-tick": {"task": TaskName.FEEDS_START_DUE, "schedule": 30.0},
    # A feed that looks every minute adds 1,440 runs a day; keep FEED_RUN_RETENTION_DAYS of
    # them (each feed's latest runs, and those that started an import, stay).
    "feed-runs-prune": {
        "task": TaskName.FEED_RUNS_PRUNE,
        "schedule": crontab(minute=47, hour=3),
    },
    # Alerts: open, resolve and remind incidents and send their messages. A minute bounds how
    # late a person hears; the thresholds themselves are minutes long.
    "alerts-evaluate": {"task": TaskName.ALERTS_EVALUATE, "schedule": 60.0},
    # Stock-outs proven dark: every night, ask CitrusAd for each stocked-out product (before the
    # working day, after the nightly feeds of 03:00 have stocked products out).
    "stockout-check": {
        "task": TaskName.STOCKOUT_CHECK_START,
        "schedule": crontab(minute=30, hour=4),
    },
    # Goes on with a check whose worker stopped, and asks again about the products it re-sent
    # once their re-send was confirmed (a mismatch that persists then opens an alert).
    "stockouts-tick": {"task": TaskName.STOCKOUT_RECHECK, "schedule": 300.0},
}
