"""Celery tasks of the scheduled feeds (registered by SyncsConfig.ready()); thin adapters."""

import logging

from celery import shared_task

from syncs.services.feeds import TASK_FEED_RUN, feed_run, feeds_start_due

logger = logging.getLogger("syncs.feeds")


@shared_task(name="syncs.feed_tasks.feeds_tick", ignore_result=True)
def feeds_tick() -> None:
    """Retry crashed runs and start every feed that is due."""
    started = feeds_start_due()
    if started:
        logger.info("started %s feed runs", len(started))


@shared_task(name=TASK_FEED_RUN, ignore_result=True)
def feed_run_task(*, run_id: int) -> None:
    """Look at one feed's file and start its import when it changed."""
    feed_run(run_id=run_id)
