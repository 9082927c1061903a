"""Celery tasks: thin adapters that take names and ids, re-read the database and call one service.

Every task is named `syncs.tasks.<entity>_<action>` (`syncs.queues.TaskName`) and routed in
`syncs/schedule.py`; docs/ARCHITECTURE.md ("Tasks and queues") says which queue takes what and
why drains are deduplicated at enqueue time and spread over workers.
"""

import contextlib
import logging
import os
import signal

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from celery.worker import state as worker_state

from syncs.alerts.evaluation import AlertEvaluation
from syncs.feeds.runs import runs_prune
from syncs.queues import TaskName
from syncs.services import dispatch, push
from syncs.services.bulk_stock import bulk_stock_run
from syncs.services.feeds import feed_run as feed_run_service
from syncs.services.feeds import feeds_start_due as feeds_start_due_service
from syncs.services.import_files import import_files_prune
from syncs.services.import_revert import import_revert_run
from syncs.services.imports import import_job_run
from syncs.services.stockouts import (
    stockout_check_run as stockout_check_run_service,
)
from syncs.services.stockouts import (
    stockout_check_start as stockout_check_start_service,
)
from syncs.services.stockouts import (
    stockout_checks_resume,
)
from syncs.services.stockouts import (
    stockout_recheck as stockout_recheck_service,
)
from syncs.services.sync import sync_history_prune

logger = logging.getLogger("syncs.tasks")

# Delivery guarantees (acks_late, reject_on_worker_lost) and time limits are app-wide settings.
_COMMON = {"ignore_result": True}

# A million-row import takes minutes; its limits stay below Redis' visibility timeout (2 h), so a
# live worker's import is never delivered twice. A run that a dead worker left "running" is
# picked up again by the redelivered task and, having written nothing, starts over.
IMPORT_SOFT_TIME_LIMIT = 55 * 60
IMPORT_TIME_LIMIT = 60 * 60
_IMPORT = {**_COMMON, "soft_time_limit": IMPORT_SOFT_TIME_LIMIT, "time_limit": IMPORT_TIME_LIMIT}


@shared_task(name=TaskName.SYNC_DRAIN, **_COMMON)
def sync_drain(*, destination: str, kind: str) -> None:
    """Push one destination/kind's due rows until none is due (or the time budget is spent)."""
    dispatch.drain_flag_clear(destination=destination, kind=kind)
    counts, more = push.sync_drain(destination=destination, kind=kind, fan_out=True)
    if more:
        dispatch.drain_enqueue(destination=destination, kind=kind)
    elif not counts.paused:
        push.drain_schedule_backoff(destination=destination, kind=kind)
    logger.info("drain %s/%s: %s", destination, kind, counts)


@shared_task(name=TaskName.SYNC_DRAIN_MANUAL, **_COMMON)
def sync_drain_manual(*, destination: str, kind: str) -> None:
    """Push the manual actions (stock-out, delete, retry) of one destination/kind right away."""
    dispatch.drain_flag_clear(destination=destination, kind=kind, manual=True)
    counts, more = push.sync_drain(destination=destination, kind=kind, manual_only=True)
    if more:
        dispatch.drain_enqueue(destination=destination, kind=kind, manual=True)
    elif not counts.paused:
        push.drain_schedule_backoff(destination=destination, kind=kind)
    logger.info("manual drain %s/%s: %s", destination, kind, counts)


@shared_task(name=TaskName.SYNC_SWEEP, **_COMMON)
def sync_sweep() -> None:
    """Release expired leases (dead workers) and enqueue drains wherever rows are due."""
    logger.info("sweep: %s", push.sync_sweep())


@shared_task(name=TaskName.SYNC_HISTORY_PRUNE, **_COMMON)
def sync_history_prune_task() -> None:
    """Delete sync history older than SYNC_HISTORY_RETENTION_DAYS."""
    logger.info("pruned %s sync batches", sync_history_prune())


@shared_task(name=TaskName.IMPORT_JOB_RUN, **_IMPORT)
def import_job_run_task(*, job_id: int) -> None:
    """Run one import job."""
    import_job_run(job_id=job_id)


@shared_task(name=TaskName.IMPORT_REVERT_RUN, **_IMPORT)
def import_revert_run_task(*, job_id: int) -> None:
    """Run one import revert."""
    import_revert_run(job_id=job_id)


@shared_task(name=TaskName.IMPORT_FILES_PRUNE, **_COMMON)
def import_files_prune_task() -> None:
    """Delete the files of imports finished more than IMPORT_FILES_RETENTION_DAYS ago."""
    logger.info("removed the files of %s imports", import_files_prune())


@shared_task(name=TaskName.PRODUCT_BULK_STOCK, **_COMMON)
def product_bulk_stock_task(*, action_id: int) -> None:
    """Run a bulk stock-out or restore too large for a web request, chunk by chunk."""
    action = bulk_stock_run(action_id=action_id)
    logger.info("bulk stock action %s: %s", action_id, action.status)


@shared_task(name=TaskName.FEEDS_START_DUE, **_COMMON)
def feeds_start_due() -> None:
    """Retry crashed feed runs and start every feed that is due."""
    started = feeds_start_due_service()
    if started:
        logger.info("started %s feed runs", len(started))


@shared_task(name=TaskName.FEED_RUN, **_COMMON)
def feed_run(*, run_id: int) -> None:
    """Look at one feed's file and start its import when it changed."""
    feed_run_service(run_id=run_id)


@shared_task(name=TaskName.FEED_RUNS_PRUNE, **_COMMON)
def feed_runs_prune() -> None:
    """Delete feed runs older than FEED_RUN_RETENTION_DAYS (each feed's latest stay)."""
    logger.info("pruned %s feed runs", runs_prune())


@shared_task(name=TaskName.ALERTS_EVALUATE, **_COMMON)
def alerts_evaluate() -> None:
    """Open, resolve and remind incidents, and send what is due."""
    result = AlertEvaluation().run()
    if result.opened or result.resolved or result.delivered.get("sent"):
        logger.info(
            "alerts: %s opened, %s resolved, %s sent",
            len(result.opened),
            len(result.resolved),
            result.delivered.get("sent", 0),
        )


@shared_task(name=TaskName.STOCKOUT_CHECK_START, **_COMMON)
def stockout_check_start() -> None:
    """Start the nightly check of every stocked-out product (unless one is running)."""
    if stockout_check_start_service(trigger="schedule") is None:
        logger.info("a stock-out check is running already")


@shared_task(name=TaskName.STOCKOUT_CHECK_RUN, **_COMMON)
def stockout_check_run(*, check_id: int, take: bool = False) -> None:
    """Ask CitrusAd about the next stocked-out products, for at most ten minutes."""
    stockout_check_run_service(check_id=check_id, take=take)


@shared_task(name=TaskName.STOCKOUT_RECHECK, **_COMMON)
def stockout_recheck() -> None:
    """Continue a check whose worker stopped; ask again about re-sent products that landed."""
    resumed, asked = stockout_checks_resume(), stockout_recheck_service()
    if resumed or asked:
        logger.info("stock-out check: %s resumed, %s re-sent products asked again", resumed, asked)


@worker_ready.connect
def _sweep_on_start(sender, **kwargs) -> None:
    # A worker that starts (after a crash, a deploy) looks for work at once instead of waiting
    # for the next beat tick.
    sync_sweep.delay()


# --- a worker shutting down (SIGTERM, a deploy) lets its drains wind down first ---

DRAIN_TASKS = {TaskName.SYNC_DRAIN, TaskName.SYNC_DRAIN_MANUAL}


@worker_shutting_down.connect
def _tell_drains_to_stop(**kwargs) -> None:
    # A drain stops on SIGTERM (`Drain.run`), but a container's stop reaches the main process
    # only, whose warm shutdown would wait out the drains' time budget: pass it on to the pool
    # processes running one.
    for request in list(worker_state.active_requests):
        if request.task_name in DRAIN_TASKS and request.worker_pid:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(request.worker_pid, signal.SIGTERM)
