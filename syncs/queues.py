"""The Celery queues and task names: one enum each, used by settings, routes and dispatch.

Kept free of Django imports: `citrusadmin/settings.py` reads it.
"""

from enum import StrEnum


class Queue(StrEnum):
    # Manual actions (stock-out, delete, retry, catalog creation) and the sweep: a worker
    # consuming it takes them at once, whatever bulk sync or import is running.
    PRIORITY = "priority"
    # Bulk drains and housekeeping: many at once, one per free worker process.
    SYNC = "sync"
    # CSV imports: one long task per upload (up to an hour), never holding a sync worker.
    IMPORTS = "imports"


class TaskName(StrEnum):
    """Every task is `syncs.tasks.<entity>_<action>`, like the services it runs."""

    SYNC_DRAIN = "syncs.tasks.sync_drain"
    SYNC_DRAIN_MANUAL = "syncs.tasks.sync_drain_manual"
    SYNC_SWEEP = "syncs.tasks.sync_sweep"
    SYNC_HISTORY_PRUNE = "syncs.tasks.sync_history_prune"
    PRODUCT_BULK_STOCK = "syncs.tasks.product_bulk_stock"
    IMPORT_JOB_RUN = "syncs.tasks.import_job_run"
    IMPORT_REVERT_RUN = "syncs.tasks.import_revert_run"
    IMPORT_FILES_PRUNE = "syncs.tasks.import_files_prune"
    FEEDS_START_DUE = "syncs.tasks.feeds_start_due"
    FEED_RUN = "syncs.tasks.feed_run"
    FEED_RUNS_PRUNE = "syncs.tasks.feed_runs_prune"
    ALERTS_EVALUATE = "syncs.tasks.alerts_evaluate"
    STOCKOUT_CHECK_START = "syncs.tasks.stockout_check_start"
    STOCKOUT_CHECK_RUN = "syncs.tasks.stockout_check_run"
    STOCKOUT_RECHECK = "syncs.tasks.stockout_recheck"
