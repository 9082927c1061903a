"""Celery tasks: thin adapters that take names and ids, re-read the database and call one service.

Queues: bulk drains on `sync`, manual actions and the sweep on `priority` (routes and periodic
tasks are declared in `syncs/schedule.py` only; `syncs/services/push.py` says why drains are
deduplicated at enqueue time and spread over workers).
"""

import logging

from celery import shared_task
from celery.signals import worker_ready

from syncs.services import dispatch, push
from syncs.services.bulk_stock import TASK_BULK_STOCK, bulk_stock_run
from syncs.services.import_files import import_files_prune
from syncs.services.sync import sync_history_prune

logger = logging.getLogger("syncs.tasks")

# Delivery guarantees (acks_late, reject_on_worker_lost) and time limits are app-wide settings.
_COMMON = {"ignore_result": True}


@shared_task(name=dispatch.TASK_DRAIN, **_COMMON)
def sync_drain(*, destination: str, kind: str) -> None:
    """Push one destination/kind's due rows until none is due (or the time budget is spent)."""
    dispatch.drain_flag_clear(destination=destination, kind=kind)
    counts, more = push.sync_drain(destination=destination, kind=kind, fan_out=True)
    if more:
        dispatch.drain_enqueue(destination=destination, kind=kind)
    elif not counts.paused:
        push.drain_schedule_backoff(destination=destination, kind=kind)
    logger.info("drain %s/%s: %s", destination, kind, counts)


@shared_task(name=dispatch.TASK_DRAIN_MANUAL, **_COMMON)
def sync_drain_manual(*, destination: str, kind: str) -> None:
    """Push the manual actions (stock-out, delete, retry) of one destination/kind right away."""
    dispatch.drain_flag_clear(destination=destination, kind=kind, manual=True)
    counts, more = push.sync_drain(destination=destination, kind=kind, manual_only=True)
    if more:
        dispatch.drain_enqueue(destination=destination, kind=kind, manual=True)
    elif not counts.paused:
        push.drain_schedule_backoff(destination=destination, kind=kind)
    logger.info("manual drain %s/%s: %s", destination, kind, counts)


@shared_task(name="syncs.tasks.sync_sweep", **_COMMON)
def sync_sweep() -> None:
    """Release expired leases (dead workers) and enqueue drains wherever rows are due."""
    logger.info("sweep: %s", push.sync_sweep())


@shared_task(name="syncs.tasks.sync_history_prune", **_COMMON)
def sync_history_prune_task() -> None:
    """Delete sync history older than SYNC_HISTORY_RETENTION_DAYS."""
    logger.info("pruned %s sync batches", sync_history_prune())


@shared_task(name="syncs.tasks.import_files_prune", **_COMMON)
def import_files_prune_task() -> None:
    """Delete the files of imports finished more than IMPORT_FILES_RETENTION_DAYS ago."""
    logger.info("removed the files of %s imports", import_files_prune())


@shared_task(name=TASK_BULK_STOCK, **_COMMON)
def product_bulk_stock_task(*, action_id: int) -> None:
    """Run a bulk stock-out or restore too large for a web request, chunk by chunk."""
    action = bulk_stock_run(action_id=action_id)
    logger.info("bulk stock action %s: %s", action_id, action.status)


@worker_ready.connect
def _sweep_on_start(sender, **kwargs) -> None:
    # A worker that starts (after a crash, a deploy) looks for work at once instead of waiting
    # for the next beat tick.
    sync_sweep.delay()
